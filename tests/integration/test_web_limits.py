"""«Задать вопрос» within what the desk bounds for anyone (audit "site"): its
confirmation letters meet the caps on automatic mail per mailbox (web/confirmletter.py;
a mailbox in any of its provider's spellings: caps.mailbox_of), and the requests
waiting for their click hold at most web.max_pending_mb (web/pendingroom.py)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from maild.app import App
from maild.config import load
from maild.web.confirmletter import mail_link
from tests.helpers import PNG, Desk, make_mail, wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, running_site

_ips = itertools.count(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(
        tmp_path_factory.mktemp("weblimits"),
        support={"max_auto_replies_per_hour": 2, "max_auto_replies_per_day": 3},
        web={"max_pending_mb": 30},
    )


def ask(base, email, text, files=()):
    """The form posted from a browser at an IP of its own (many IPs, one IPv6 /48)."""
    n = next(_ips)
    headers = {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}
    form = request(base + "/new", headers=headers).form_token()
    fields = {"email": email, "subject": "Вопрос", "text": text, "form": form}
    return post(base + "/new", fields, files, headers=headers)


def waiting(desk, email):
    """The requests from `email` waiting for their click."""
    root = desk.root / "data" / "web" / "pending"
    return [p for p in root.glob("*.json") if json.loads(p.read_text())["email"] == email]


def test_the_forms_letters_meet_the_caps_on_automatic_mail(site):
    """Five posts from five IPs put five «Подтвердите обращение» at one address (caps
    2 an hour): the form queued them past guard.check_caps. The page reads the same for
    each, as «Прислать новую ссылку»'s does; a held letter leaves no request waiting."""
    desk, daemon, sink, base = site
    for n in range(5):
        page = ask(base, "victim@target.example", f"Как {n}?")
        assert page.status == 200 and "Проверьте почту" in page.text
    # each letter was queued or held before its page came; `outbox flush` ends once the
    # queue is empty: every letter queued is in the relay by then
    assert desk.flush().code == 0
    assert len(sink.to("victim@target.example")) == 2
    assert len(waiting(desk, "victim@target.example")) == 2
    held = "no web_confirm.txt to victim@target.example: не больше 2"
    assert wait_until(lambda: held in daemon.logtext())
    # and they count as any automatic mail does: the address's own mail to support
    # opens its ticket, whose confirmation the caps now hold
    mail_in(daemon, make_mail(sender="victim@target.example", msgid="<cap1@t.example>"),
            sender="victim@target.example")  # fmt: skip
    assert wait_until(lambda: "no confirmation.txt to victim@target.example" in daemon.logtext())
    assert len(sink.to("victim@target.example")) == 2


def test_the_spellings_of_one_yandex_mailbox_meet_one_cap(site):
    """Yandex delivers login@ya.ru, @yandex.com, ... and ivan.petrov@/ivan-petrov@ to
    one mailbox: each spelling had an allowance of its own (70 letters in two minutes)."""
    desk, _daemon, sink, base = site
    domains = ["yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"]
    domains.append("narod.ru")
    pages = [
        ask(base, f"{login}@{domain}", f"Как {n} {login}?").status
        for n, domain in enumerate(domains)
        for login in ("ivan.petrov", "ivan-petrov")
    ]
    assert pages.count(200) == 5  # and then the form's per-address limit, as for one spelling
    assert desk.flush().code == 0  # every letter queued is in the relay by then
    assert len([r for r in sink.received if r.rcpt_tos[0].startswith("ivan")]) == 2


def test_requests_waiting_for_their_click_hold_at_most_max_pending_mb(site):
    """Unclicked requests kept their files for 3 days, unbounded: 124 MB from 5 posts,
    ~180 GB a day's posts; a full disk stops mail intake. Past web.max_pending_mb (30
    here) a post with files is refused, its text kept; one without files still goes."""
    desk, daemon, _sink, base = site
    blob = PNG + b"\0" * (9 * 1024 * 1024)
    files = [("a.png", "image/png", blob), ("b.png", "image/png", blob)]
    assert ask(base, "x0@attacker.example", "t0", files).status == 200
    refused = ask(base, "x1@attacker.example", "Вопрос со скриншотом", files)
    assert refused.status == 429
    assert "не может принять файлы" in refused.text and "support@example.com" in refused.text
    assert "Вопрос со скриншотом" in refused.text  # to send again without them
    assert "web.max_pending_mb 30" in daemon.logtext()
    assert not waiting(desk, "x1@attacker.example")
    assert ask(base, "x1@attacker.example", "Без файлов").status == 200
    held = sum(p.stat().st_size for p in (desk.root / "data" / "web" / "pending").iterdir())
    assert held <= 30 * 1024 * 1024


def test_a_request_posted_twice_at_once_gets_one_letter_counted_once(tmp_path, sink):
    """Two posts of one request at once (a double click) both pass the form's look for
    its letter (Ask._waits) before either queues it: confirmletter.mail_link, in its
    locked section, queues the second none (the outbox knows its id, letter_id, sent
    by then) and counts none against the caps. Else the customer got the letter twice,
    and the one letter used up two of the address's automatic mails."""
    desk = Desk(tmp_path, sink.port)
    now = datetime.now(UTC)
    app = App(load(desk.config), clock=lambda: now)
    link = ("https://help.example/c/token", 2, 20500)
    assert mail_link(app, "sub1", "oleg@client.example", link, now)
    assert desk.flush().code == 0 and len(sink.to("oleg@client.example")) == 1
    assert mail_link(app, "sub1", "oleg@client.example", link, now)  # the post answered alike
    assert desk.flush().code == 0 and len(sink.to("oleg@client.example")) == 1
    assert len(app.store.auto_replies("oleg@client.example")) == 1


def test_a_confirmed_request_leaves_no_copy_waiting_for_its_click(tmp_path):
    """Once its link is clicked a request is in the spool: its copy that waited for
    the click (text and files) is gone from the site's store, not kept there for days
    counting against web.max_pending_mb, where the next requests with files were
    refused («не может принять файлы») for a room nobody's request held any more."""
    site = running_site(tmp_path, web={"max_pending_mb": 2})
    desk, _daemon, sink, base = next(site)
    try:
        blob = PNG + b"\0" * (400 * 1024)
        files = [("a.png", "image/png", blob), ("b.png", "image/png", blob)]
        assert ask(base, "ira@client.example", "Скриншоты ошибки", files).status == 200
        letter = wait_until(lambda: sink.to("ira@client.example"))
        link = link_in(letter[0].text, base, "c")
        done = post(link, {"form": request(link).form_token()})
        assert done.status in (200, 303)  # the ticket, or «Обращение регистрируется…»
        assert not list((desk.root / "data" / "web" / "pending").glob("*.eml"))
        assert ask(base, "oleg@client.example", "Ещё скриншоты", files).status == 200
    finally:
        next(site, None)


def test_letters_the_caps_hold_leave_the_sites_hour_to_others(tmp_path):
    """A confirmation letter the caps on automatic mail hold is not mailed: it costs
    nothing of web.max_confirmations_per_hour. Posts for one capped address (a flood
    at a victim) would use up the site's hour, every other customer told «Сейчас
    форма принимает слишком много обращений» while no letter went."""
    support = {"max_auto_replies_per_hour": 1}
    site = running_site(tmp_path, support=support, web={"max_confirmations_per_hour": 2})
    desk, _daemon, sink, base = next(site)
    try:
        for n in range(3):
            assert ask(base, "victim@target.example", f"Как {n}?").status == 200, n
        page = ask(base, "olga@client.example", "Вопрос")
        assert page.status == 200 and "Проверьте почту" in page.text
        assert desk.flush().code == 0
        assert len(sink.to("victim@target.example")) == 1
        assert len(sink.to("olga@client.example")) == 1
    finally:
        next(site, None)
