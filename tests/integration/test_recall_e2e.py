"""Outlook's «Recall This Message» after a staff answer: Outlook sends a request of its
own («Отзыв: RE: ...», "Анна Смирнова хочет отозвать сообщение ...") to the address
the answer went to, the ticket's signed reply address. Mail cannot be recalled from
a customer's mailbox: the request is kept as a note, the customer gets nothing (it
carried the notice's subject, level and deadline), and the staff member is told.
Real CLI, real sink."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage

from maild.domain.tnef import SIGNATURE
from tests.helpers import Desk, make_mail, staff_reply, staff_to
from tests.integration.test_staff_e2e import customer_mails, open_ticket
from tests.unit.test_tnef import attribute, prop, props

TOLD = "Отозвать письмо клиенту нельзя"


def recall(tid: str, notice_subject: str, *, winmail: bytes | None = None) -> bytes:
    """Outlook's recall request as it reaches a mail system other than Exchange: the
    subject with «Отзыв: » before the recalled answer's, the one sentence naming it,
    Thread-Topic, and (with ``winmail``) the winmail.dat that carries its class."""
    recalled = f"RE: {notice_subject}"
    m = EmailMessage()
    m["From"] = "Анна Смирнова <anna@example.com>"
    m["To"] = staff_to(tid)
    m["Subject"] = f"Отзыв: {recalled}"
    m["Thread-Topic"] = recalled
    m["X-CallingTelephoneNumber"] = "IPM.Note"
    m["Message-ID"] = email.utils.make_msgid(domain="corp.example")
    m["Date"] = "Wed, 25 Nov 2026 10:40:00 +0300"
    m.set_content(f'Анна Смирнова хочет отозвать сообщение "{recalled}".\n')
    if winmail is not None:
        m.add_attachment(winmail, "application", "ms-tnef", filename="winmail.dat")
    return m.as_bytes(policy=email.policy.SMTP)


def recall_winmail() -> bytes:
    """A winmail.dat as Outlook writes one into a recall request: its class
    (attMessageClass) IPM.Outlook.Recall, no text of its own."""
    return (
        SIGNATURE
        + (0x1234).to_bytes(2, "little")
        + attribute(1, 0x0008, 0x9006, (0x00010000).to_bytes(4, "little"))
        + attribute(1, 0x0007, 0x8008, b"IPM.Outlook.Recall\0")
        + attribute(1, 0x0006, 0x9003, props(prop(0x0003, 0x3FDE, 65001)))
    )


def answered(desk: Desk, sink) -> tuple[str, str, int]:
    """A ticket Anna answered: (tid, the notice's subject, the customer's mail count)."""
    tid, notice = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Иван, пришлите, пожалуйста, логи сервера."))
    desk.flush()
    got = customer_mails(sink)
    assert any("логи сервера" in r.text for r in got)
    return tid, notice.subject, len(got)


def test_a_recall_of_an_answer_reaches_no_customer_and_its_writer_is_told(desk: Desk, sink):
    tid, subject, before = answered(desk, sink)
    status = desk.ticket(tid)["status"]
    desk.ingest(recall(tid, subject))
    desk.flush()
    assert len(customer_mails(sink)) == before  # no second "answer", no notice's subject
    assert not [r for r in customer_mails(sink) if "отозвать" in r.text]
    [told] = [r for r in sink.to("anna@example.com") if TOLD in r.subject]
    assert told.subject.endswith(f"[TID#{tid}]")
    assert "уже" in told.text and "ответьте" in told.text.lower()
    assert told.msg["Reply-To"].addresses[0].addr_spec == staff_to(tid)  # to correct it
    ticket = desk.ticket(tid)
    [note] = [m for m in ticket["messages"] if "хочет отозвать" in m["text"]]
    assert (note["kind"], note["direction"]) == ("note", "in")
    assert ticket["status"] == status  # the recall changes nothing of the ticket
    # the correction, a reply to that mail above its quote, goes as an answer
    fixed = "Иван, поправка: логи нужны за вчерашний день."
    quote = "\n".join("> " + s for s in told.text.splitlines())
    desk.ingest(staff_reply(tid, f"{fixed}\n\n{quote}", subject=f"RE: {told.subject}"))
    desk.flush()
    [answer] = customer_mails(sink)[before:]
    assert fixed in answer.text and "отозвать" not in answer.text


def test_outlooks_recall_with_its_winmail_dat_is_a_recall_too(desk: Desk, sink):
    """Exchange sends the request with a winmail.dat whose class is IPM.Outlook.Recall;
    the file is no answer's file either."""
    tid, subject, before = answered(desk, sink)
    desk.ingest(recall(tid, subject, winmail=recall_winmail()))
    desk.flush()
    assert len(customer_mails(sink)) == before
    assert [r for r in sink.to("anna@example.com") if TOLD in r.subject]


def test_the_class_alone_tells_a_recall_in_any_language_of_outlook(desk: Desk, sink):
    """A recall in a language the subject and sentence rules do not know: the class of
    its winmail.dat says what it is."""
    tid, subject, before = answered(desk, sink)
    m = EmailMessage()
    m["From"] = "Анна Смирнова <anna@example.com>"
    m["To"] = staff_to(tid)
    m["Subject"] = f"Rappel : RE: {subject}"
    m["Message-ID"] = email.utils.make_msgid(domain="corp.example")
    m.set_content(f"Анна Смирнова souhaite rappeler le message « RE: {subject} ».\n")
    m.add_attachment(recall_winmail(), "application", "ms-tnef", filename="winmail.dat")
    desk.ingest(m.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    assert len(customer_mails(sink)) == before
    assert [r for r in sink.to("anna@example.com") if TOLD in r.subject]


def test_an_answer_whose_subject_says_otzyv_still_goes_to_the_customer(desk: Desk, sink):
    """«Отзыв» is a review too: an answer to a ticket about one, whatever its subject,
    is an answer; only the request's own sentence makes a recall."""
    tid, notice = open_ticket(desk, sink, subject="Отзыв: спасибо за помощь")
    before = len(customer_mails(sink))
    desk.ingest(
        staff_reply(tid, "Иван, спасибо за отзыв! Рады помочь.", subject=f"Отзыв: [TID#{tid}]")
    )
    desk.flush()
    assert [r for r in customer_mails(sink)[before:] if "спасибо за отзыв" in r.text]
    assert not [r for r in sink.to("anna@example.com") if TOLD in r.subject]


def test_a_customers_review_titled_otzyv_opens_a_ticket_as_any_mail(desk: Desk, sink):
    subject = "Отзыв: Анна хочет отозвать сообщение"
    body = 'Анна Смирнова хочет отозвать сообщение "RE: заказ". А я хочу оставить отзыв.'
    tid = desk.ingest_tid(make_mail(subject=subject, body=body))
    desk.flush()
    ticket = desk.ticket(tid)
    assert ticket["messages"][0]["kind"] == "customer" and ticket["subject"] == subject
    assert [r for r in sink.to("anna@example.com") if tid in r.subject]
    assert customer_mails(sink)  # the confirmation
