"""The site and the block list, in a real `maild serve` with a real relay: a blocked
address gets no confirmation link from «Задать вопрос» (its request is kept in the
quarantine as blocked mail is) and no new link from an expired ticket page, nor does
an address the relay refused for good, while each page reads as it does for anyone
else."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from maild.web import tokens
from tests.helpers import make_mail
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, running_site

SEO = "seo@promo.example"
OLEG = "oleg@client.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("blocked"))


def _ask(base: str, email: str, text: str):
    form = request(base + "/new").form_token()
    fields = {"name": "Олег", "email": email, "subject": "Вопрос", "text": text, "form": form}
    return post(base + "/new", fields)


def test_the_form_mails_no_link_to_a_blocked_address_and_quarantines_the_request(site):
    desk, _daemon, sink, base = site
    assert desk.run("block", "add", "promo.example").code == 0
    blocked = _ask(base, SEO, "Продвижение сайта в ТОП-10")
    other = _ask(base, OLEG, "Как оплатить счёт?")  # after it: its letter arrives after
    assert blocked.status == other.status == 200
    assert blocked.text.replace(SEO, "@") == other.text.replace(OLEG, "@")  # no hint
    assert wait_until(lambda: sink.to(OLEG))
    time.sleep(0.5)
    assert sink.to(SEO) == []
    rows = desk.run("spam", "list", "--json").json()
    [kept] = [r for r in rows if r["from"] == SEO]
    assert kept["reason"] == "blocked" and kept["subject"] == "Вопрос"
    assert "Продвижение" in desk.run("spam", "show", kept["id"]).out
    assert not [t for t in desk.tickets() if t["requester"] == SEO]


def test_no_new_site_link_goes_to_a_customer_blocked_since(site):
    desk, daemon, sink, base = site
    key = (desk.root / "data" / "web_secret").read_bytes()
    old_days = datetime.now(UTC) - timedelta(days=91)
    expired = {}
    for who, n in (("yana@shop-example.ru", 1), ("ivan@shop-example.ru", 2)):
        mail_in(daemon, make_mail(sender=who, body=f"Вопрос {n}", msgid=f"<b{n}@c.example>"), who)
        assert wait_until(lambda who=who: sink.to(who))
        [tid] = [t["tid"] for t in desk.tickets() if t["requester"] == who]
        expired[who] = f"{base}/t/{tokens.ticket_token(key, tid, who, old_days, 90)}"
    assert desk.run("block", "add", "yana@shop-example.ru").code == 0
    pages = {}
    for who, url in expired.items():  # the blocked one first: its letter would be first
        pages[who] = post(url + "/renew", {"form": request(url).form_token()})
        assert pages[who].status == 200 and "Новая ссылка отправлена" in pages[who].text
    assert wait_until(lambda: len(sink.to("ivan@shop-example.ru")) == 2)
    time.sleep(0.5)
    assert len(sink.to("yana@shop-example.ru")) == 1  # the confirmation, before the block
    assert "Новая ссылка" not in sink.to("yana@shop-example.ru")[0].subject
    # not queued at all (renew.py): the outbox's sender, withdrawing it as blocked, is
    # the second guard, not the one this holds
    mails = [*desk.run("outbox", "list", "--json").json()]
    mails += desk.run("outbox", "list", "--sent", "--json").json()
    assert [m["kind"] for m in mails if "yana@shop-example.ru" in m["to"]] == ["confirmation"]


def test_no_new_site_link_goes_to_an_address_the_relay_refused_for_good(site):
    """The relay refused Olga's confirmation for good (550 5.1.1): her ticket marks
    the address, and no mail about it goes there any more, the new link she asks for
    on her expired page included (it went around that rule: the relay got it, and
    staff heard of one more refusal). The page reads as Pavel's, whose link goes; her
    ticket's thread says what did not go, and why, as for any other mail."""
    desk, daemon, sink, base = site
    olga, pavel = "olga@typo.example", "pavel@client.example"
    sink.handler.refuse[olga] = f"550 5.1.1 <{olga}>: Recipient address rejected: User unknown"
    key = (desk.root / "data" / "web_secret").read_bytes()
    old_days = datetime.now(UTC) - timedelta(days=91)
    expired, tids = {}, {}
    for who, n in ((olga, 3), (pavel, 4)):
        mail_in(daemon, make_mail(sender=who, body=f"Вопрос {n}", msgid=f"<b{n}@c.example>"), who)
        assert wait_until(lambda who=who: [t for t in desk.tickets() if t["requester"] == who])
        [tids[who]] = [t["tid"] for t in desk.tickets() if t["requester"] == who]
        expired[who] = f"{base}/t/{tokens.ticket_token(key, tids[who], who, old_days, 90)}"
    assert wait_until(lambda: sink.to(pavel))
    assert wait_until(lambda: olga in (desk.ticket(tids[olga]).get("undeliverable") or {}))
    del sink.handler.refuse[olga]  # the relay would take it now: maild must not send it
    pages = {}
    for who, url in expired.items():  # the refused one first: its letter would be first
        pages[who] = post(url + "/renew", {"form": request(url).form_token()})
        assert pages[who].status == 200 and "Новая ссылка отправлена" in pages[who].text

    def page(who: str) -> str:  # the same for both, but for the address and the TID
        return pages[who].text.replace(who, "@").replace(tids[who], "T")

    assert page(olga) == page(pavel)
    [letter] = wait_until(lambda: [m for m in sink.to(pavel) if "Новая ссылка" in m.subject])
    time.sleep(0.5)
    assert sink.to(olga) == []
    # (ticket show --json gives a note its text: «Не отправлено ... клиенту ...: why»)
    [note] = [m for m in desk.ticket(tids[olga])["messages"] if "новая ссылка" in m["text"]]
    assert note["kind"] == "note" and "не принимается почтовым сервером" in note["text"]
    asked = "Вы запросили новую ссылку"
    [went] = [m for m in desk.ticket(tids[pavel])["messages"] if asked in m["text"]]
    assert went["kind"] == "notice" and went["direction"] == "out"
    assert link_in(letter.text, base) not in went["text"]  # the thread keeps it masked


def test_a_new_site_link_threads_under_the_owners_conversation(site):
    """«Новая ссылка на обращение ... [TID#...]» is mail about the ticket, to its
    customer: it names the customer's mail it follows (In-Reply-To) and the thread
    (References: their mail and support's to them), so their client shows it in the
    conversation. It went with neither, a thread of its own in Thunderbird and Outlook."""
    desk, daemon, sink, base = site
    who = "rita@client.example"
    mail_in(daemon, make_mail(sender=who, body="Вопрос 5", msgid="<b5@c.example>"), who)
    [conf] = wait_until(lambda: sink.to(who))
    [tid] = [t["tid"] for t in desk.tickets() if t["requester"] == who]
    key = (desk.root / "data" / "web_secret").read_bytes()
    old_days = datetime.now(UTC) - timedelta(days=91)
    url = f"{base}/t/{tokens.ticket_token(key, tid, who, old_days, 90)}"
    assert post(url + "/renew", {"form": request(url).form_token()}).status == 200
    [letter] = wait_until(lambda: [m for m in sink.to(who) if "Новая ссылка" in m.subject])
    assert letter.msg["In-Reply-To"] == "<b5@c.example>"
    assert letter.msg["References"].split() == ["<b5@c.example>", conf.msg["Message-ID"]]
