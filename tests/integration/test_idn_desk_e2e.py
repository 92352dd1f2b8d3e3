"""A desk at a Cyrillic (IDN) domain, support@поддержка.рф, through the real CLI: its
mail names its own domain in A-labels everywhere (Message-ID, X-Loop, From, Reply-To:
plain ASCII, valid over any relay), and whatever comes back to it in either spelling
of the domain is known as its own (the support address and its plus-addresses, the
signed Reply-To of a confirmation or a staff notice, its signed Message-IDs)."""

from __future__ import annotations

import smtplib

import pytest

from tests.helpers import Daemon, Desk, Sink, free_port, list_to, make_mail, staff_to
from tests.integration.test_list_reply_e2e import (
    TOLD,
    answered_on_no_ticket,
    reminder_list,
    reply_to_list,
)

SUPPORT_U = "support@поддержка.рф"
DOMAIN_A = "xn--80ahaefyxhn.xn--p1ai"
SUPPORT_A = f"support@{DOMAIN_A}"
CUSTOMER = "ivan@shop-example.ru"


@pytest.fixture
def relay():
    relay = Sink(enable_SMTPUTF8=False).start()  # an ordinary relay: no SMTPUTF8
    yield relay
    relay.stop()


@pytest.fixture
def desk(tmp_path, relay) -> Desk:
    return Desk(tmp_path, relay.port, support={"address": SUPPORT_U})


def _head(raw: bytes) -> bytes:
    return raw.partition(b"\r\n\r\n")[0]


def eai_mail(sender: str, to: str, subject: str, body: str, msgid: str) -> bytes:
    """Mail from an EAI client: raw UTF-8 in its headers (RFC 6532)."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{msgid}@client.example>\r\nDate: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def test_the_desks_mail_names_its_domain_in_a_labels(desk, relay):
    """Message-ID was left out (a Cyrillic host name in an id threads in no client),
    X-Loop went as an RFC 2047 encoded word: now both, and every address of support,
    are ASCII, the domain in A-labels. `maild check-config` takes such an address."""
    checked = desk.run("check-config")
    assert checked.code == 0 and checked.out.endswith(": OK\n"), checked.err
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, to=SUPPORT_A, subject="Вопрос"))
    assert desk.flush().code == 0, desk.run("outbox", "list").out
    assert desk.run("outbox", "list").out == "outbox is empty\n"
    mails = relay.received
    assert {r for m in mails for r in m.rcpt_tos} == {
        CUSTOMER,
        "anna@example.com",
        "boris@example.com",
    }
    for mail in mails:
        assert _head(mail.raw).isascii(), _head(mail.raw)
        assert mail.mail_from == SUPPORT_A
        assert mail.msg["From"].addresses[0].addr_spec == SUPPORT_A
        assert str(mail.msg["Message-ID"]).endswith(f"@{DOMAIN_A}>"), _head(mail.raw)
        assert str(mail.msg["X-Loop"]) == SUPPORT_A
        reply_to = mail.msg["Reply-To"].addresses[0].addr_spec
        assert reply_to.startswith(f"support+{tid}.") and reply_to.endswith(f"@{DOMAIN_A}")


def _confirmation_and_notice(desk, relay) -> tuple[str, object, object]:
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, to=SUPPORT_A, subject="Не открывается"))
    assert desk.flush().code == 0, desk.run("outbox", "list").out
    [confirmation] = relay.to(CUSTOMER)
    [notice] = relay.to("anna@example.com")
    return tid, confirmation, notice


def test_a_customers_reply_to_the_confirmation_joins_the_ticket(desk, relay):
    """The reply goes to the signed Reply-To as the header spells it (A-labels), under
    a subject the customer rewrote (no tag): the signed address alone names the
    ticket. It opened a new ticket: the domain was compared as written."""
    tid, confirmation, _notice = _confirmation_and_notice(desk, relay)
    reply_to = confirmation.msg["Reply-To"].addresses[0].addr_spec
    assert reply_to.endswith(f"@{DOMAIN_A}")  # (the premise: the header's spelling)
    reply = make_mail(sender=CUSTOMER, to=reply_to, subject="Ещё вопрос", body="А ещё...")
    assert desk.ingest_tid(reply) == tid
    assert len(desk.tickets()) == 1


def test_a_reply_naming_the_confirmations_message_id_joins_the_ticket(desk, relay):
    """In-Reply-To names maild's signed Message-ID (in A-labels), To the plain support
    address, the subject no tag: the id alone names the ticket."""
    tid, confirmation, _notice = _confirmation_and_notice(desk, relay)
    msgid = str(confirmation.msg["Message-ID"])
    reply = make_mail(
        sender=CUSTOMER,
        to=SUPPORT_A,
        subject="Ещё вопрос",
        headers={"In-Reply-To": msgid, "References": msgid},
    )
    assert desk.ingest_tid(reply) == tid
    assert len(desk.tickets()) == 1


def test_a_staff_reply_to_the_notices_reply_to_answers_the_customer(desk, relay):
    """A staff member answers the notice at its signed Reply-To as the header spells
    it (A-labels, what a mail client sends): it was a new ticket, or a note «cannot
    confirm you wrote it», and the customer heard nothing."""
    tid, _confirmation, notice = _confirmation_and_notice(desk, relay)
    reply_to = notice.msg["Reply-To"].addresses[0].addr_spec
    assert reply_to == staff_to(tid, support=SUPPORT_A)
    reply = make_mail(sender="anna@example.com", to=reply_to, subject="Re: ответ", body="Проверим.")
    assert desk.ingest_tid(reply) == tid
    assert len(desk.tickets()) == 1
    assert desk.flush().code == 0
    [answer] = [m for m in relay.to(CUSTOMER) if "Проверим." in m.text]
    assert _head(answer.raw).isascii()


def test_a_desk_configured_in_a_labels_takes_replies_in_unicode(tmp_path, relay):
    """support.address given in A-labels; a staff member answers from an EAI client,
    which names the signed Reply-To in Unicode (raw UTF-8): the same address."""
    desk = Desk(tmp_path, relay.port, support={"address": SUPPORT_A})
    tid, _confirmation, notice = _confirmation_and_notice(desk, relay)
    reply_to = notice.msg["Reply-To"].addresses[0].addr_spec
    assert reply_to == staff_to(tid, support=SUPPORT_A)
    to = reply_to.replace(DOMAIN_A, "ПОДДЕРЖКА.рф")
    desk.ingest(eai_mail("anna@example.com", to, "Re: ответ", "Проверим.", "staff-u"))
    assert len(desk.tickets()) == 1
    assert desk.flush().code == 0
    assert [m for m in relay.to(CUSTOMER) if "Проверим." in m.text]


def test_a_reply_to_a_list_mail_of_the_desk_is_known_as_one(tmp_path, relay):
    """A staff member answers a list of reminders at its Reply-To (A-labels), under
    its Message-ID: a reply to the list, on no ticket, as at an ASCII desk. It was
    taken for a new ticket of hers: the list's Message-ID was left out, its Reply-To
    not known as the desk's own."""
    anna = "anna@example.com"
    desk = Desk(tmp_path, relay.port, support={"address": SUPPORT_U, "staff": [anna]})
    tids, listed = reminder_list(desk, relay)
    assert str(listed.msg["Reply-To"]) == list_to(tids[5], anna, SUPPORT_A)
    assert str(listed.msg["Message-ID"]).endswith(f"@{DOMAIN_A}>")
    notice = answered_on_no_ticket(desk, relay, tids, reply_to_list(listed, "Разберусь."))
    assert notice.subject.startswith(TOLD)
    assert len(desk.tickets()) == len(tids)


@pytest.mark.parametrize("x_loop", [SUPPORT_A, "SUPPORT@XN--80AHAEFYXHN.XN--P1AI"])
def test_mail_carrying_the_desks_x_loop_is_known_as_a_loop(desk, relay, x_loop):
    """maild's mail names X-Loop in A-labels; a mail system that sends it back keeps
    it: that is maild's own mail looping, answered by nothing."""
    mail = make_mail(sender="robot@x.ru", to=SUPPORT_A, headers={"X-Loop": x_loop})
    desk.ingest(mail)
    assert desk.flush().code == 0
    assert relay.to("robot@x.ru") == []
    [notice] = relay.to("anna@example.com")
    assert "Письмо автоматическое (заголовок X-Loop службы поддержки (петля))" in notice.text


def test_the_listener_takes_mail_to_the_support_address_in_either_spelling(tmp_path, relay):
    """The MTA hands mail over with the envelope recipient in A-labels (as clients
    send it): it was refused, «not a support address»."""
    desk = Desk(
        tmp_path,
        relay.port,
        support={"address": SUPPORT_U},
        smtp={"listen": f"127.0.0.1:{free_port()}"},
    )
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.ehlo()
            s.mail(CUSTOMER)
            assert s.rcpt(SUPPORT_A)[0] == 250
            assert s.rcpt(f"support+{DOMAIN_A[:4]}@{DOMAIN_A.upper()}")[0] == 250
            assert s.rcpt("victim@elsewhere.example")[0] == 550
            s.data(make_mail(sender=CUSTOMER, to=SUPPORT_A))
    finally:
        daemon.stop()
