"""The support site while the outbox or the spool cannot take a write (the folder
read-only by a real bind mount, EROFS; a full disk alike): each post is a 503 «try
later», and once the disk works again the same post is taken. «Задать вопрос» mails
its link exactly once: its waiting request was written before the outbox refused
the letter, and the post sent again was answered «отправлено письмо» with no letter
ever queued. A post that failed so uses up none of the hour's allowance
(web.max_submissions_per_hour): five of them, and the visitor was refused for the
rest of the hour, nothing done."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from maild.adapters.spool import Spool
from maild.web import tokens
from tests.faults.fs import read_only
from tests.helpers import Sink, make_mail, wait_until
from tests.webclient import link_in, post, request, running_site

OLEG = "oleg@client.example"
IVAN = "ivan@shop-example.ru"
IP = {"X-Forwarded-For": "192.0.2.9"}


@pytest.fixture
def site(tmp_path) -> Iterator[tuple]:
    yield from running_site(tmp_path)


def _ask(base: str, text: str):
    ask = {"email": OLEG, "subject": "Вопрос", "text": text}
    return post(base + "/new", {**ask, "form": request(base + "/new").form_token()}, headers=IP)


def _letters(desk, sink: Sink, to: str, count: int) -> list:
    """The letters to `to`, at least `count` of them, once the daemon has processed
    the mail spooled (a question confirmed on the site) and the outbox has sent what
    it holds: a letter that should not come would be queued by then, and is sent by
    the flush or by the daemon's pass under way (a moment more)."""
    spool = Spool(desk.root / "data" / "spool")
    assert wait_until(lambda: not spool.unprocessed(), 20), spool.unprocessed()
    desk.flush()
    assert wait_until(lambda: len(sink.to(to)) >= count, 5)
    time.sleep(0.3)
    return sink.to(to)


def test_a_question_the_outbox_refused_gets_its_letter_once_posted_again(site):
    desk, _daemon, sink, base = site
    queue = desk.root / "data" / "outbox" / "queue"
    with read_only(queue):
        r = _ask(base, "Как настроить?")
        assert r.status == 503  # the waiting request written, its letter refused
        r = _ask(base, "Как настроить?")
        assert r.status == 503, "told a letter went while the outbox takes none"
    assert list((desk.root / "data" / "web" / "pending").rglob("*.json"))
    r = _ask(base, "Как настроить?")
    assert r.status == 200 and "Проверьте почту" in r.text
    [letter] = _letters(desk, sink, OLEG, 1)
    confirm = link_in(letter.text, base, "c")
    assert request(confirm).status == 200
    waiting = _files(desk.root / "data" / "web" / "pending")
    r = _ask(base, "Как настроить?")  # sent again: the same request, its letter went
    assert r.status == 200 and "Проверьте почту" in r.text
    # known as the request waiting for its click (Ask._unsent): nothing taken again.
    # (Taken again, it would still get no second letter: the letter's outbox id is the
    # request's, letter_id, and confirmletter.mail_link queues none the outbox knows; the
    # count of letters below holds by that alone, and this fails if _unsent does not.)
    assert _files(desk.root / "data" / "web" / "pending") == waiting, "taken again"
    assert len(_letters(desk, sink, OLEG, 1)) == 1, "one request, one letter"


def _files(folder) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_questions_the_outbox_refused_use_up_no_allowance(site):
    desk, _daemon, sink, base = site
    with read_only(desk.root / "data" / "outbox" / "queue"):
        for n in range(6):  # web.max_submissions_per_hour is 5
            assert _ask(base, f"Вопрос номер {n}").status == 503
    r = _ask(base, "Вопрос, когда всё работает")
    assert r.status == 200, "refused as too many, though nothing was taken"
    assert len(_letters(desk, sink, OLEG, 1)) == 1


@pytest.fixture
def capped_site(tmp_path) -> Iterator[tuple]:
    yield from running_site(tmp_path, support={"max_auto_replies_per_hour": 1})


def test_letters_the_outbox_refused_use_up_none_of_the_caps_on_automatic_mail(capped_site):
    """The form's letters meet the caps on automatic mail (web/confirmletter.py), and
    count once queued: a letter the outbox refused reached nobody."""
    desk, _daemon, sink, base = capped_site
    with read_only(desk.root / "data" / "outbox" / "queue"):
        for n in range(3):
            assert _ask(base, f"Вопрос номер {n}").status == 503
    assert _ask(base, "Вопрос, когда всё работает").status == 200
    assert len(_letters(desk, sink, OLEG, 1)) == 1, "held by the cap, though none went"


def test_a_new_link_asked_for_while_the_outbox_refuses_is_mailed_after(site):
    desk, _daemon, sink, base = site
    tid = desk.ingest_tid(make_mail(msgid="<r1@client.example>"))
    had = len(_letters(desk, sink, IVAN, 1))
    key = (desk.root / "data" / "web_secret").read_bytes()
    old = tokens.ticket_token(key, tid, IVAN, datetime.now(UTC) - timedelta(days=91), 90)
    with read_only(desk.root / "data" / "outbox" / "queue"):
        for _ in range(6):
            r = post(f"{base}/t/{old}/renew", {"form": request(f"{base}/t/{old}").form_token()})
            assert r.status == 503
    r = post(f"{base}/t/{old}/renew", {"form": request(f"{base}/t/{old}").form_token()})
    assert r.status == 200, "«Ссылка уже отправлена», though no link was mailed"
    assert len(_letters(desk, sink, IVAN, had + 1)) == had + 1


def test_replies_the_spool_refused_use_up_no_allowance(site):
    desk, _daemon, sink, base = site
    desk.ingest(make_mail(msgid="<r2@client.example>"))
    [conf] = _letters(desk, sink, IVAN, 1)
    link = link_in(conf.text, base)
    with read_only(desk.root / "data" / "spool" / "tmp"):
        for n in range(31):  # the page's forms: 30 posts an hour per address
            r = post(link + "/reply", {"form": request(link).form_token(), "text": f"Ответ {n}"})
            assert r.status == 503
    r = post(link + "/reply", {"form": request(link).form_token(), "text": "Ответ, дошедший"})
    assert r.status == 303, "refused as too many, though nothing was sent"
