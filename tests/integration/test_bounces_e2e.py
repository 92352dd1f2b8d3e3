"""What other mail systems send back: delivery reports of our own mail, delay
warnings. A report that our mail to an address failed for good marks the address
undeliverable on its ticket, as a refusal at the relay does (README, "A refused
address"); a delay warning marks nothing; nothing automatic answers either."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail, staff_reply

CUSTOMER = "ivan@shop-example.ru"


def _report(
    original: bytes, action: str, status: str, subject: str, recipient: str = CUSTOMER
) -> bytes:
    """Postfix's delivery report (RFC 3464) about `original` to `recipient`, sent back
    to support@."""
    return (
        (
            "Return-Path: <>\r\n"
            "From: MAILER-DAEMON@mx.shop-example.ru (Mail Delivery System)\r\n"
            f"To: support@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{action}.{status}@mx.shop-example.ru>\r\nMIME-Version: 1.0\r\n"
            "Auto-Submitted: auto-replied\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "This is the mail system at host mx.shop-example.ru.\r\n\r\n"
            "I'm sorry to have to inform you that your message could not\r\n"
            "be delivered to one or more recipients.\r\n\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.shop-example.ru\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
            f"Action: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected:\r\n"
            "    User unknown in virtual mailbox table\r\n\r\n"
            "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + original
        + b"\r\n--B--\r\n"
    )


def test_a_report_that_our_mail_failed_marks_the_address(desk, sink):
    """The relay took the confirmation and the customer's server bounced it later:
    the address is refused for good, so the acknowledgement of the next mail is not
    sent to it (it would only bounce again, and staff hear of each bounce)."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    bounce = _report(confirmation.raw, "failed", "5.1.1", "Undelivered Mail Returned to Sender")
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.to(CUSTOMER)) == 1  # nothing answers a bounce
    # staff learn what happened and what to do, not «Новое письмо клиента»
    [notice] = [m for m in sink.to("anna@example.com") if "не доставлено" in m.subject]
    assert notice.subject.startswith("Письмо клиенту не доставлено: ")
    assert f"[TID#{tid}]" in notice.subject
    assert CUSTOMER in notice.text and "#cc" in notice.text
    ticket = desk.ticket(tid)
    assert "5.1.1" in ticket["undeliverable"][CUSTOMER]["error"]
    assert ticket["status"] == "new"
    # the customer writes again (unverified): no acknowledgement to the dead mailbox
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}] Не работает", body="Есть новости?"))
    desk.flush()
    assert len(sink.to(CUSTOMER)) == 1


def test_a_report_that_our_mail_to_a_cc_participant_failed_marks_that_address(desk, sink):
    """Staff added a colleague of the customer (#cc) whose mailbox is gone: the report
    of staff's answer to her marks her address, not the customer's, so automatic mail
    no longer goes to the dead mailbox (and bounces, each bounce told to staff)."""
    olga = "olga@shop-example.ru"
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    desk.ingest(staff_reply(tid, f"#cc {olga}\nЗдравствуйте! Проверьте, пожалуйста."))
    desk.flush()
    [answer] = sink.to(olga)
    bounce = _report(answer.raw, "failed", "5.1.1", "Undelivered Mail Returned to Sender", olga)
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"
    desk.flush()
    ticket = desk.ticket(tid)
    assert list(ticket["undeliverable"]) == [olga]
    assert "5.1.1" in ticket["undeliverable"][olga]["error"]
    [notice] = [m for m in sink.to("anna@example.com") if "не доставлено" in m.subject]
    assert olga in notice.text
    # staff close the ticket: «Обращение закрыто» goes to the customer, not to her
    desk.ingest(staff_reply(tid, "#close"))
    desk.flush()
    assert sink.to(CUSTOMER)[-1].subject.startswith("Обращение закрыто: ")
    assert sink.to(olga) == [answer]


def test_a_delay_warning_marks_nothing(desk, sink):
    """«Delayed Mail (still being retried)»: the mail may yet arrive; nothing is marked
    and nothing answers it."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    warning = _report(confirmation.raw, "delayed", "4.4.1", "Delayed Mail (still being retried)")
    assert desk.ingest(warning).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.to(CUSTOMER)) == 1
    assert "undeliverable" not in desk.ticket(tid)


def _again(report: bytes, n: int, sender: str = "") -> bytes:
    """`report` under a fresh Message-ID (and From), as a forger sends it again."""
    report = report.replace(b"Message-ID: <", f"Message-ID: <again{n}.".encode(), 1)
    if sender:
        report = report.replace(b"From: MAILER-DAEMON@mx.shop-example.ru", sender.encode(), 1)
    return report


def test_a_report_of_one_mail_said_again_and_again_is_told_once(desk, sink):
    """An outsider sends back a delivery report about their own confirmation over and
    over, each under a fresh Message-ID (and From): reports of our mail went to staff
    uncapped, so 80 reports made 80 notices to each staff member, where 160 plain
    mails made 24. The same report of the same mail is told once; it stays in the
    thread and marks nothing again. The relay's warning and its failure later are two."""
    tid = desk.ingest_tid(make_mail(sender="eve@attacker.example"))
    desk.flush()
    [confirmation] = sink.to("eve@attacker.example")
    before = len(sink.to("anna@example.com"))
    warning = _report(confirmation.raw, "delayed", "4.4.1", "Delayed Mail", "eve@attacker.example")
    failed = _report(confirmation.raw, "failed", "5.1.1", "Undelivered", "eve@attacker.example")
    for n in range(30):
        desk.ingest(_again(warning if n < 3 else failed, n, f"From: bounce{n}@mx{n}.example"))
    desk.flush()
    sink.wait_for(before * 2 + 4)
    told = sink.to("anna@example.com")[before:]
    assert len(told) == 2, [m.subject for m in told]
    assert len(sink.to("boris@example.com")[before:]) == 2
    assert told[1].subject.startswith("Письмо клиенту не доставлено: ")
    ticket = desk.ticket(tid)
    reports = [m for m in ticket["messages"] if m["direction"] == "in"][1:]
    assert len(reports) == 30  # every one kept in the thread
    assert "eve@attacker.example" in ticket["undeliverable"]
    # staff add the address again: the same failure said once more marks nothing
    desk.ingest(staff_reply(tid, "#cc eve@attacker.example\nАдрес верный."))
    desk.ingest(_again(failed, 99))
    desk.flush()
    assert "undeliverable" not in desk.ticket(tid)


def test_a_bounce_of_a_staff_notice_sends_no_notice(desk, sink):
    """Anna's mailbox is full and her server bounces the notice of a new ticket: a
    notice about that bounce to staff would go to Anna again, bounce again, and so on
    for ever (and between two full mailboxes, from one to the other). The report is
    kept in the ticket's thread; no mail goes anywhere, nothing is marked."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [notice] = sink.to("anna@example.com")
    before = len(sink.received)
    bounce = _report(
        notice.raw,
        "failed",
        "5.2.2",
        "Undelivered Mail Returned to Sender",
        recipient="anna@example.com",
    )
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.received) == before
    ticket = desk.ticket(tid)
    assert "undeliverable" not in ticket
    assert ticket["messages"][-1]["text"].startswith("This is the mail system")


def _qmail(original: bytes) -> bytes:
    """qmail's bounce: plain text, the recipient's answer, the whole mail below it."""
    return (
        b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mail.shop-example.ru\r\n"
        b"To: support@example.com\r\nSubject: failure notice\r\n"
        b"Message-ID: <qmail.1@mail.shop-example.ru>\r\n\r\n"
        b"Hi. This is the qmail-send program at mail.shop-example.ru.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        b"<ivan@shop-example.ru>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n" + original
    )


def test_a_qmail_bounce_joins_its_ticket_and_marks_the_address(desk, sink):
    """qmail writes no multipart/report: its «failure notice» opened a ticket of its
    own, with a reaction deadline and a «Новое обращение» to staff, and left the dead
    address unmarked. It is the report of the confirmation it returns."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    assert desk.ingest(_qmail(confirmation.raw)).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.to(CUSTOMER)) == 1
    assert "no mailbox here" in desk.ticket(tid)["undeliverable"][CUSTOMER]["error"]
    assert len(desk.tickets()) == 1


def test_a_qmail_bounce_of_mail_we_never_sent_is_quarantined(desk, sink):
    """Backscatter in qmail's format (spam sent in our name) is no mail of ours:
    to the quarantine, as a multipart/report of it is."""
    forged = make_mail(sender="support@example.com", to=CUSTOMER, msgid="<spam.1@botnet.example>")
    assert desk.ingest(_qmail(forged)).out.startswith("quarantined")
    desk.flush()
    assert sink.received == [] and desk.tickets() == []


def test_a_bounce_after_an_alias_marks_the_address_we_wrote_to(desk, sink):
    """The customer's server forwards ivan@ to a mailbox that is gone: Postfix names
    the dead mailbox as Final-Recipient and the address we wrote to as
    Original-Recipient (RFC 3464 2.3.1). Our mail to ivan@ fails for good all the same."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    bounce = _report(confirmation.raw, "failed", "5.1.1", "Undelivered Mail Returned to Sender")
    bounce = bounce.replace(
        f"Final-Recipient: rfc822; {CUSTOMER}".encode(),
        b"Final-Recipient: rfc822; ivan.petrov@old-mail.example",
    )
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"
    assert CUSTOMER in desk.ticket(tid)["undeliverable"]


def _exim(original: bytes) -> bytes:
    """Exim's plain-text bounce: X-Failed-Recipients, the answer, the mail below it."""
    return (
        b"Return-path: <>\r\nFrom: Mail Delivery System <Mailer-Daemon@mail.shop-example.ru>\r\n"
        b"To: support@example.com\r\nX-Failed-Recipients: ivan@shop-example.ru\r\n"
        b"Auto-Submitted: auto-replied\r\n"
        b"Subject: Mail delivery failed: returning message to sender\r\n"
        b"Message-Id: <E1exim-0001@mail.shop-example.ru>\r\n\r\n"
        b"This message was created automatically by mail delivery software.\r\n\r\n"
        b"A message that you sent could not be delivered to one or more of its\r\n"
        b"recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        b"  ivan@shop-example.ru\r\n    SMTP error from remote mail server after RCPT"
        b" TO:<ivan@shop-example.ru>:\r\n    550 5.1.1 <ivan@shop-example.ru>: User unknown\r\n\r\n"
        b"------ This is a copy of the message, including all the headers. ------\r\n\r\n"
        + original
    )


def test_an_exim_bounce_joins_its_ticket_and_marks_the_address(desk, sink):
    """Exim's plain-text «Mail delivery failed» (no multipart/report) opened a ticket
    of its own with a deadline; it is the report of the confirmation it returns."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    assert desk.ingest(_exim(confirmation.raw)).out == f"appended [TID#{tid}]\n"
    assert "User unknown" in desk.ticket(tid)["undeliverable"][CUSTOMER]["error"]
    assert len(desk.tickets()) == 1


def _receipt(about: str, headers_part: bool, sender: str = CUSTOMER) -> bytes:
    """A read receipt (MDN, RFC 8098) about the mail `about` (its Message-ID): as
    Outlook sends it (the report's fields only) or Thunderbird (with the original's
    headers); its subject is the mail's own, after «Прочитано:»."""
    original = (
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {about}\r\n"
        "From: support@example.com\r\n\r\n"
        if headers_part
        else ""
    )
    return (
        f"From: Иван <{sender}>\r\nTo: support@example.com\r\n"
        "Subject: =?utf-8?b?0J/RgNC+0YfQuNGC0LDQvdC+OiDQntCx0YDQsNGJ0LXQvdC40LU=?=\r\n"
        f"Message-ID: <receipt.{int(headers_part)}@shop-example.ru>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Ваше сообщение было прочитано.\r\n\r\n"
        "--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: Microsoft Outlook 16.0\r\n"
        f"Final-Recipient: rfc822;{sender}\r\nOriginal-Message-ID: {about}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n"
        f"{original}--B--\r\n"
    ).encode()


@pytest.mark.parametrize("headers_part", [False, True], ids=["outlook", "thunderbird"])
def test_a_read_receipt_is_kept_in_its_ticket_and_told_to_no_one(desk, sink, headers_part):
    """A customer's client says our mail was read: nothing for staff to do, so no
    «Новое письмо клиента» (and no word of a bounce), no deadline, no answer, nothing
    marked undeliverable; the receipt stays in the thread, not in the quarantine."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    sent = len(sink.received)
    receipt = _receipt(confirmation.msg["Message-ID"], headers_part)
    assert desk.ingest(receipt).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.received) == sent
    ticket = desk.ticket(tid)
    assert ticket["status"] == "new" and "undeliverable" not in ticket
    [record] = [m for m in ticket["messages"] if "прочитано" in m["text"]]
    assert record["kind"] == "notice" and record["from"] == CUSTOMER
    assert desk.run("spam", "list", "--json").json() == []


def test_a_read_receipt_of_mail_we_never_sent_is_quarantined(desk, sink):
    """A receipt about mail someone else sent in our name is backscatter: quarantined
    under its own reason, no ticket."""
    r = desk.ingest(_receipt("<someone-else@elsewhere.example>", headers_part=False))
    assert r.out.startswith("quarantined ")
    [held] = desk.run("spam", "list", "--json").json()
    assert held["reason"] == "read receipt: not about our mail"
    assert desk.tickets() == []
    assert sink.received == []
