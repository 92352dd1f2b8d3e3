"""Every delivery report (RFC 3464) of our mail that says it failed reaches its ticket
and staff: one that returns none of our mail (the standard allows it) by its subject's
tag and the ticket's people it names, and one whose Status marks nothing (a full
mailbox, mail refused as spam) with what the customer's server answered (README, "A
refused address")."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import make_mail, staff_reply

CUSTOMER = "ivan@shop-example.ru"


def _report(
    subject: str, status: str = "5.2.2", recipient: str = CUSTOMER, original: bytes = b""
) -> bytes:
    """A delivery report from the customer's server: the recipient failed with `status`,
    with our mail (`original`) returned or not."""
    returned = b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"\r\n"
    return (
        (
            "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.shop-example.ru\r\n"
            f"To: support@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{status}.{len(original)}@mx.shop-example.ru>\r\nMIME-Version: 1.0\r\n"
            "Auto-Submitted: auto-replied\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Message was not delivered.\r\n\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.shop-example.ru\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; 552 {status} Mailbox size limit exceeded\r\n\r\n"
        ).encode()
        + (returned if original else b"")
        + b"--B--\r\n"
    )


def _answered_and_closed(desk, sink) -> tuple[str, str]:
    """A ticket Anna answered with #close: (its TID, the subject of her answer)."""
    tid = desk.ingest_tid(make_mail())
    desk.ingest(staff_reply(tid, "Здравствуйте! Исправлено, проверьте.\n#close"))
    desk.flush()
    answer = [m for m in sink.to(CUSTOMER) if m.subject.startswith("Re: ")][-1]
    return tid, answer


def _told(sink, before: int) -> list:
    return sink.to("anna@example.com")[before:]


def test_a_report_with_no_original_joins_its_ticket_by_the_subject(desk, sink):
    """«Undelivered: Re: ... [TID#...]» without our answer attached went to the
    quarantine as «bounce: not about our mail»: staff heard nothing and believed the
    customer had the answer. It joins the ticket, staff hear why; said again, once."""
    tid, answer = _answered_and_closed(desk, sink)
    before = len(sink.to("anna@example.com"))
    report = _report("Undelivered: " + answer.subject)
    assert desk.ingest(report).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [notice] = _told(sink, before)
    assert notice.subject.startswith("Письмо клиенту не доставлено: ")
    assert f"[TID#{tid}]" in notice.subject
    assert CUSTOMER in notice.text and "5.2.2" in notice.text
    assert "Mailbox size limit exceeded" in notice.text and "переполнен" in notice.text
    # shown as the mail server's report, not as the customer's text
    assert "----- отчёт почтового сервера -----" in notice.text
    assert "----- текст письма -----" not in notice.text
    ticket = desk.ticket(tid)
    assert ticket["status"] == "closed" and "undeliverable" not in ticket
    assert json.loads(desk.run("spam", "list", "--json").out) == []
    # the same report again under a fresh Message-ID: kept, told to no one
    again = report.replace(b"Message-ID: <", b"Message-ID: <again.", 1)
    assert desk.ingest(again).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(_told(sink, before)) == 1
    assert len(sink.to(CUSTOMER)) == 2  # the confirmation and the answer: nothing answers


def test_a_report_by_the_subject_alone_marks_no_one_failed_for_good(desk, sink):
    """«Undelivered: Re: ... [TID#...]» with Status 5.1.1 (no such mailbox) and none of
    our mail returned: anyone who knows a TID can send one. Staff are told, but the
    customer's address is not marked: a mark would withhold every automatic mail to
    them for good (README, "A refused address")."""
    tid, answer = _answered_and_closed(desk, sink)
    before = len(sink.to("anna@example.com"))
    report = _report("Undelivered: " + answer.subject, "5.1.1")
    assert desk.ingest(report).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [notice] = _told(sink, before)
    assert notice.subject.startswith("Письмо клиенту не доставлено: ")
    assert CUSTOMER in notice.text and "5.1.1" in notice.text
    assert "undeliverable" not in desk.ticket(tid)
    # the same failure with our answer returned is the server's word: it marks
    returned = _report("Undelivered: " + answer.subject, "5.1.1", original=answer.raw)
    assert desk.ingest(returned).out == f"appended [TID#{tid}]\n"
    assert "5.1.1" in desk.ticket(tid)["undeliverable"][CUSTOMER]["error"]


def test_a_report_by_the_subject_naming_no_one_of_the_ticket_is_quarantined(desk, sink):
    """A report whose subject names a ticket but whose failed recipient is no one the
    ticket's mail went to is no report of our mail: the quarantine, as before."""
    tid, answer = _answered_and_closed(desk, sink)
    before = len(sink.received)
    report = _report("Undelivered: " + answer.subject, recipient="someone@elsewhere.example")
    assert desk.ingest(report).out.startswith("quarantined")
    desk.flush()
    assert len(sink.received) == before
    [held] = json.loads(desk.run("spam", "list", "--json").out)
    assert held["reason"] == "bounce: not about our mail"
    assert len(desk.ticket(tid)["messages"]) == 4


@pytest.mark.parametrize(
    ("status", "meaning"),
    [("5.2.2", "переполнен"), ("5.7.1", "как спам"), ("5.2.1", "отключён")],
)
def test_a_failure_that_marks_nothing_is_told_with_the_servers_answer(desk, sink, status, meaning):
    """Our answer returned with a full mailbox (5.2.2), refused as spam (5.7.1), a
    disabled mailbox (5.2.1): staff got «Новое письмо клиента» saying only «Message was
    not delivered.». They are told it did not reach the customer, why, and what the
    server answered; the address stays unmarked (the mailbox exists)."""
    tid, answer = _answered_and_closed(desk, sink)
    before = len(sink.to("anna@example.com"))
    report = _report("Undelivered Mail Returned to Sender", status, original=answer.raw)
    assert desk.ingest(report).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [notice] = _told(sink, before)
    assert notice.subject.startswith("Письмо клиенту не доставлено: ")
    assert f"{CUSTOMER}: " in notice.text and f"статус {status}" in notice.text
    assert meaning in notice.text and f"552 {status} Mailbox size" in notice.text
    ticket = desk.ticket(tid)
    assert ticket["status"] == "closed" and "undeliverable" not in ticket
    assert ticket["messages"][-2]["kind"] == "notice"  # the report: no customer's mail


def test_a_report_returning_one_tickets_mail_under_anothers_tag_joins_neither(desk, sink):
    """Its subject's tag names one ticket, the mail it returns is another's: anyone
    who ever got mail of ours (a Message-ID) could write one to put words into a
    stranger's ticket. The tagged ticket is not its place: nothing joins it, nobody
    is told of it there, no one of it is marked."""
    tid, answer = _answered_and_closed(desk, sink)
    other = desk.ingest_tid(make_mail(sender="Олег <oleg@other-example.ru>", subject="Счёт"))
    desk.flush()
    before, kept = len(sink.received), len(desk.ticket(other)["messages"])
    report = _report(f"Undelivered: Re: Счёт [TID#{other}]", "5.1.1", original=answer.raw)
    assert f"[TID#{other}]" not in desk.ingest(report).out
    desk.flush()
    assert len(desk.ticket(other)["messages"]) == kept
    assert not [m for m in sink.received[before:] if f"[TID#{other}]" in m.subject]
    assert "undeliverable" not in desk.ticket(other)


def test_a_report_returning_our_mail_under_a_relays_message_id_joins_by_the_subject(desk, sink):
    """A relay on the way may give our mail a Message-ID of its own: the report returns
    our answer under an id we never sent. It returns none of our mail we know, so its
    subject's tag and the ticket's people it names place it, as with none returned."""
    tid, answer = _answered_and_closed(desk, sink)
    before = len(sink.to("anna@example.com"))
    renamed = re.sub(
        rb"(?im)^Message-ID:.*$", b"Message-ID: <relay.1@mx.relay.example>", answer.raw
    )
    report = _report("Undelivered: " + answer.subject, original=renamed)
    assert desk.ingest(report).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [notice] = _told(sink, before)
    assert notice.subject.startswith("Письмо клиенту не доставлено: ")
