"""Reports in no standard form of a staff answer (domain/ndr.py): Exchange's
«Undeliverable:» with no delivery-status part, Domino's «DELIVERY FAILURE», Yandex's
plain-text «Недоставленное сообщение», a template read receipt «Прочитано:». Each
opened a ticket of its own (or reopened a closed one); each is now the report of the
answer it names, as an RFC 3464 report or an MDN is. A customer's own mail that
looks like one stays a follow-up."""

from __future__ import annotations

from tests.helpers import make_mail, staff_reply

CUSTOMER = "ivan@shop-example.ru"


def _answered(desk, sink, close: bool = True):
    """A ticket, staff's answer to it (and #close): the TID and the answer as relayed."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    desk.ingest(staff_reply(tid, "Здравствуйте! Попробуйте снова." + ("\n#close" if close else "")))
    desk.flush()
    return tid, sink.to(CUSTOMER)[-1]


def _exchange(original: bytes, subject: str, sender: str = "postmaster@shop-example.ru") -> bytes:
    """Exchange's NDR: multipart/mixed, its words, our mail attached as message/rfc822."""
    return (
        (
            f"From: {sender}\r\nTo: support@example.com\r\n"
            f"Subject: {subject}\r\nMessage-ID: <ndr1@shop-example.ru>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            "Delivery has failed to these recipients or groups:\r\n\r\nivan@shop-example.ru\r\n"
            "The e-mail address you entered couldn't be found.\r\n\r\n"
            "Diagnostic information for administrators:\r\nRemote Server returned '550 5.1.10"
            " RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\r\n\r\n"
            "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + original
        + b"\r\n--B--\r\n"
    )


def _failed_as_reported(desk, sink, tid: str, out: str) -> None:
    """The report joined its ticket: staff told «Письмо клиенту не доставлено», the
    address marked, the ticket as it was, no new ticket, nothing to the customer."""
    assert out == f"appended [TID#{tid}]\n"
    desk.flush()
    told = [m.subject for m in sink.to("anna@example.com")]
    assert told[-1].startswith("Письмо клиенту не доставлено: "), told
    ticket = desk.ticket(tid)
    assert CUSTOMER in ticket["undeliverable"]
    assert ticket["status"] == "closed" and not ticket.get("reaction_due")
    assert len(desk.tickets()) == 1


def test_an_exchange_ndr_of_a_staff_answer_is_its_report(desk, sink):
    tid, answer = _answered(desk, sink)
    sent = len(sink.to(CUSTOMER))
    out = desk.ingest(_exchange(answer.raw, f"Undeliverable: {answer.subject}")).out
    _failed_as_reported(desk, sink, tid, out)
    assert len(sink.to(CUSTOMER)) == sent
    assert "5.1.10" in desk.ticket(tid)["undeliverable"][CUSTOMER]["error"]


def test_a_domino_delivery_failure_naming_our_answer_is_its_report(desk, sink):
    tid, answer = _answered(desk, sink)
    lotus = make_mail(
        sender="Postmaster <postmaster@shop-example.ru>",
        subject="DELIVERY FAILURE: User ivan (ivan@shop-example.ru) not listed in Domino Directory",
        body=f"Your message\n\n  Subject: {answer.subject}\n\nwas not delivered to:\n\n"
        f"  {CUSTOMER}\n\nbecause:\n\n  User ivan ({CUSTOMER}) not listed in Domino Directory\n",
        headers={"In-Reply-To": answer.msg["Message-ID"]},
    )
    _failed_as_reported(desk, sink, tid, desk.ingest(lotus).out)


def test_a_yandex_plain_text_bounce_joins_the_ticket_of_our_answer(desk, sink):
    """Yandex quotes our mail's header block in its text: its Message-ID is ours."""
    tid, answer = _answered(desk, sink, close=False)
    yandex = make_mail(
        sender="mailer-daemon@yandex.ru",
        subject="Недоставленное сообщение",
        body="Здравствуйте!\n\nВаше сообщение не было доставлено по адресу "
        f"{CUSTOMER}.\nПричина: 550 5.1.1 No such user!\n\n" + answer.raw.decode()[:600],
    )
    assert desk.ingest(yandex).out == f"appended [TID#{tid}]\n"
    assert CUSTOMER in desk.ticket(tid)["undeliverable"]
    assert len(desk.tickets()) == 1


def test_a_customer_forwarding_our_answer_with_a_question_is_a_followup(desk, sink):
    """Our answer attached, a question above it, from the customer: no bounce's sign."""
    tid, answer = _answered(desk, sink, close=False)
    forward = _exchange(answer.raw, f"Fwd: {answer.subject}", sender=CUSTOMER).replace(
        b"Delivery has failed to these recipients or groups:", b"Not clear, see below:"
    )
    assert desk.ingest(forward).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert sink.to("anna@example.com")[-1].subject.startswith("Новое письмо клиента")
    assert "undeliverable" not in desk.ticket(tid)


def _receipt(answer, subject: str, body: str) -> bytes:
    about = answer.msg["Message-ID"]
    headers = {"In-Reply-To": about, "References": about}
    return make_mail(subject=subject, body=body, headers=headers)


def test_a_template_read_receipt_is_kept_as_an_mdn_is(desk, sink):
    """The Bat!'s and Outlook's receipt as a letter: a closed ticket stays closed, no
    deadline, nothing sent to anyone."""
    tid, answer = _answered(desk, sink)
    sent = len(sink.received)
    body = (
        f"Ваше сообщение\n\n Кому: {CUSTOMER}\n Тема: {answer.subject}\n\nбыло прочитано в 11:00."
    )
    receipt = _receipt(answer, f"Прочитано: {answer.subject}", body)
    assert desk.ingest(receipt).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.received) == sent
    ticket = desk.ticket(tid)
    assert ticket["status"] == "closed" and not ticket.get("reaction_due")
    assert "undeliverable" not in ticket


def test_a_complaint_under_a_receipts_subject_reopens_and_tells_staff(desk, sink):
    """A receipt's template whose line saying it was read goes on in the customer's
    words: a person wrote it, so it is a follow-up (the ticket reopens, staff are
    told it did), not a receipt kept unseen."""
    tid, answer = _answered(desk, sink)
    body = (
        f"Ваше сообщение\n\n Кому: {CUSTOMER}\n Тема: {answer.subject}\n\n"
        "было прочитано, но ничего не помогло: ошибка 500 осталась."
    )
    complaint = _receipt(answer, f"Прочитано: {answer.subject}", body)
    assert desk.ingest(complaint).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert desk.ticket(tid)["status"] != "closed"
    assert sink.to("anna@example.com")[-1].subject.startswith("Обращение открыто снова")


def test_read_but_no_help_is_a_followup(desk, sink):
    tid, answer = _answered(desk, sink)
    reply = _receipt(answer, f"Re: {answer.subject}", "Прочитал, но не помогло.")
    assert desk.ingest(reply).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert desk.ticket(tid)["status"] != "closed"


def test_a_mail_servers_plain_ndr_of_mail_we_never_sent_is_quarantined(desk, sink):
    """Backscatter in Exchange's plain form (no delivery-status part) of spam sent in
    our name: it opened a ticket, from Exchange's own sender with a deadline and a
    confirmation mailed back to it. From a mail server it is quarantined as the RFC
    3464 form is; a person forwarding it asks for help and opens a ticket."""
    spam = make_mail(
        sender="support@example.com", to="victim@far.example", msgid="<s1@spam.example>"
    )
    servers = (
        "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@far.example>",
        "postmaster@far.example",
    )
    for n, sender in enumerate(servers):
        ndr = _exchange(spam, "Undeliverable: Купите", sender=sender)
        out = desk.ingest(ndr.replace(b"<ndr1@", f"<ndr1{n}@".encode())).out
        assert out.startswith("quarantined"), (sender, out)
    assert {e["reason"] for e in desk.run("spam", "list", "--json").json()} == {
        "bounce: not about our mail"
    }
    desk.flush()
    assert desk.tickets() == [] and sink.received == []
    out = desk.ingest(_exchange(spam, "Fwd: Undeliverable: Купите", sender=CUSTOMER)).out
    assert out.startswith("new [TID#"), out
