"""A From whose display name leaves a quote open. The parser then reads the rest of the
field as one local part: `"Ivan Petrov <ivan1@client.example>` was stored as the
requester «ivan petrov <ivan1@client.example>» (his next mail was no participant's, a
ticket of its own), and the email package's own writing of a name holding `"` and an
RLO gave «><script>alert(1)</script>   <evil@client.example>», which the relay
refused (501) and the outbox retried. The mailbox is the one angle-bracketed
addr-spec; what is no addr-spec is never an address. Through `maild ingest`, a real
relay sink, and (the hypothesis test) the real pipeline in-process."""

from __future__ import annotations

import base64
import email.policy
import itertools
from email.headerregistry import Address
from email.message import EmailMessage

from hypothesis import given
from hypothesis import strategies as st

from maild.adapters.outbound import Outbox
from maild.app import App
from maild.configtypes import OutboundConfig
from maild.domain.addresses import valid_addr_spec
from maild.render import Mail
from maild.runner import ingest
from tests.helpers import Desk, Sink
from tests.integration.test_ingest_property import PROPERTY, app  # noqa: F401 (fixture)

IVAN = "ivan1@client.example"


def _raw(from_line: str, subject: str = "Не открывается отчёт", *, msgid: str) -> bytes:
    return (
        f"From: {from_line}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{msgid}@client.example>\r\n"
        "Date: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nЗдравствуйте!\r\n"
    ).encode()


def test_a_quote_left_open_keeps_the_angle_bracketed_mailbox(tmp_path) -> None:
    relay = Sink().start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(_raw(f'"Ivan Petrov <{IVAN}>', msgid="q1"))
        ticket = desk.ticket(tid)
        assert ticket["requester"] == IVAN
        assert desk.run("ticket", "show", tid, "--json").json()["messages"][0]["from"] == IVAN
        # his client's next mail, a normal From: the same ticket, the same person
        reply = _raw(f"Ivan Petrov <{IVAN}>", f"Re: Не открывается отчёт [TID#{tid}]", msgid="q2")
        assert desk.ingest_tid(reply) == tid
        assert [t["tid"] for t in desk.tickets()] == [tid]
        assert desk.flush().code == 0  # the confirmation went to him
        assert [m.subject for m in relay.to(IVAN)][0].endswith(f"[TID#{tid}]")
    finally:
        relay.stop()


def test_a_name_with_a_quote_and_an_rlo_gives_the_mailbox_not_the_name(tmp_path) -> None:
    """How Python's email package writes the display name «"><script>… ‮exe.gpj»: the
    quote is left as it is, the rest an encoded word."""
    relay = Sink().start()
    try:
        desk = Desk(tmp_path, relay.port)
        m = EmailMessage()
        name = '"><script>alert(1)</script> \u202eexe.gpj'
        word = base64.b64encode(name.encode()).decode()
        m["From"] = f"=?utf-8?b?{word}?= <evil@client.example>"
        m["To"], m["Subject"] = "support@example.com", "Вопрос"
        m["Message-ID"] = "<hostile-from@client.example>"
        m.set_content("Здравствуйте!")
        raw = m.as_bytes(policy=email.policy.SMTP)
        assert raw.startswith(b'From: "><script>')  # the quote left open
        tid = desk.ingest_tid(raw)
        assert desk.ticket(tid)["requester"] == "evil@client.example"
        flushed = desk.flush()
        assert flushed.code == 0, flushed.out  # nothing left to retry
        assert relay.to("evil@client.example")
        assert desk.run("outbox", "list", "--json").json() == []
    finally:
        relay.stop()


def test_a_from_with_no_addr_spec_is_mail_with_no_sender(tmp_path) -> None:
    """Angle brackets around no address, a quote left open: no requester at all (as
    mail with no From), kept for staff, nobody mailed."""
    desk = Desk(tmp_path, 9)
    tid = desk.ingest_tid(_raw('"Ivan <ivan petrov@client.example>', msgid="q3"))
    ticket = desk.ticket(tid)
    assert ticket["requester"] == ""
    assert ticket["messages"][0]["text"].strip() == "Здравствуйте!"


def test_the_relays_syntax_error_for_a_bad_address_is_not_retried(tmp_path) -> None:
    """Mail to such an address stored before (an older ticket's requester): aiosmtpd
    answers its RCPT «501 Syntax: RCPT TO: <address>», which no later try changes;
    the outbox tried it again every back-off for a quarter of an hour."""
    bad = "><script>alert(1)</script>   <evil@client.example>"
    relay = Sink().start()
    try:
        outbox = Outbox(tmp_path / "outbox")
        headers = {
            "From": "support@example.com",
            "To": "evil@client.example",
            "Subject": "[TID#1000-0001] Вопрос",
            "Message-ID": "<bad-rcpt@example.com>",
        }
        raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\nText\r\n"
        assert outbox.enqueue("bad-rcpt", Mail(headers, raw.encode()), [bad], tid="1000-0001")
        cfg = OutboundConfig(host="127.0.0.1", port=relay.port)
        assert outbox.flush(cfg) == (0, 1)
        assert outbox.flush(cfg) == (0, 0)  # set aside: nothing queued, nothing tried
        assert outbox.entries() == [] and relay.received == []
        [kept] = outbox.refused_entries()
        assert kept["to"] == [bad] and "501 Syntax" in kept["refused"]
    finally:
        outbox.close()
        relay.stop()


_IDS = itertools.count()
_PIECES = st.sampled_from(
    [
        '"', "<", ">", "@", " ", ",", "(", ")", "\\", ":", ";", ".", "\u202e", "Иван",
        "ivan", "client.example", "ivan@client.example", "<ivan@client.example>",
        "=?utf-8?b?IjxhQGIuYz4=?=", "=?utf-8?q?=22?=", "a b@c.d", "<>", "[1.2.3.4]",
    ]
)  # fmt: skip


@PROPERTY
@given(st.lists(_PIECES, min_size=1, max_size=12).map("".join))
def test_the_stored_requester_is_empty_or_an_addr_spec(app: App, from_line: str) -> None:  # noqa: F811
    _key, decision = ingest(app, _raw(from_line, msgid=f"p{next(_IDS)}"))
    assert decision is not None
    loaded = app.store.load(decision.tid)
    assert loaded is not None
    requester = loaded[0]["requester"]
    if requester:
        assert valid_addr_spec(requester)
        local, _at, domain = requester.rpartition("@")
        if not local.startswith('"'):  # obsolete dots (a..b@) as the email package reads them
            assert not any(c.isspace() for c in requester)
            local = ".".join(filter(None, local.split(".")))
        if requester.isascii():  # the email package's own reading agrees
            Address(addr_spec=f"{local}@{domain}")
