"""A mail too big for imap.max_message_size, taken as its header and a note
(domain/oversize.stand_in, what the IMAP poller spools): what its customer is told,
and a staff reply that was one. Real CLI, real sink."""

from __future__ import annotations

from maild.domain.oversize import stand_in
from tests.helpers import make_mail
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

ASKED = (
    "[Письмо размером 143,1 МБ больше, чем принимает служба поддержки (30 МБ): его текст "
    "и вложения не прочитаны. Пожалуйста, пришлите текст ещё раз, а файлы — отдельными "
    "письмами поменьше.]"
)


def too_big(raw: bytes) -> bytes:
    """`raw` as the poller takes it when it is 143 MB against a 30 MB limit."""
    return stand_in(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", 150_000_000, 30 << 20, "Processed")


def test_the_customer_of_a_mail_too_big_is_asked_to_send_it_again_smaller(desk, sink):
    """README: «the customer's confirmation asks to send the files in smaller mails»;
    it was the ordinary confirmation."""
    tid, _ = open_ticket(desk, sink)
    [conf] = customer_mails(sink)
    assert "больше, чем принимает" not in conf.text
    desk.ingest(
        too_big(staff_reply(tid, "x", sender="ivan@shop-example.ru", to="support@example.com"))
    )
    desk.flush()
    sink.wait_for(4)
    [ack] = [r for r in customer_mails(sink) if "добавлено" in r.subject]
    assert "Ваше письмо размером 143,1 МБ больше, чем принимает служба поддержки" in ack.text
    assert "(30 МБ)" in ack.text and "отдельными письмами поменьше" in ack.text


def test_a_staff_reply_too_big_is_not_sent_to_the_customer_and_its_author_is_told(desk, sink):
    """A 35 MB answer over the 30 MB limit: the customer got «[Письмо размером ... больше,
    чем принимает служба поддержки ...]» from support@ as staff's answer, and the staff
    member's text never went, with no word to them."""
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(too_big(staff_reply(tid, "Иван, вот инструкция.\n#close\n")))
    desk.flush()
    assert len(customer_mails(sink)) == before
    assert desk.ticket(tid)["status"] != "closed"
    [told] = [
        r for r in sink.wait_for(3) if r.rcpt_tos == ["anna@example.com"] and "не" in r.subject
    ]
    assert "письмо размером 143,1 МБ больше, чем принимает служба поддержки" in told.text
    assert "ответ клиенту не отправлен" in told.text
    # no command stopped it; and the note maild took for it is no text of hers to quote
    assert told.subject.startswith("Ответ не отправлен: ") and f"[TID#{tid}]" in told.subject
    assert "ваше письмо" not in told.text and "[Письмо размером" not in told.text


def test_the_stand_in_is_the_customers_own_message_and_names_the_folder_to_staff_only(desk, sink):
    """The stand-in's text is the customer's message (the site shows it under «Вы»):
    it named the IMAP folder «Processed», the mailbox's inside, and asked for the
    files alone, never for the text that was not read either. The folder is for staff."""
    tid = desk.ingest_tid(too_big(make_mail(subject="Большой архив")))
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert message["kind"] == "customer" and message["text"].strip() == ASKED
    [notice] = [r for r in sink.wait_for(2) if r.rcpt_tos == ["anna@example.com"]]
    assert "прочитан только его заголовок" in notice.text.replace("\r\n", " ")
    assert "на почтовом сервере, в папке «Processed»" in notice.text.replace("\r\n", " ")
    assert all("Processed" not in r.text for r in customer_mails(sink))


def test_a_customers_mail_with_a_size_field_no_mail_has_is_his_mail(desk, sink):
    """A mail of anyone's writing with the stand-in's field of 5,000 digits failed in the
    pipeline: kept as raw text, a ticket «from (no sender)», Ivan never confirmed."""
    mail = make_mail(headers={"X-Maild-Oversize": f"{'9' * 5000}; limit=1"})
    tid = desk.ingest_tid(mail)
    assert desk.ticket(tid)["requester"] == "ivan@shop-example.ru"
    desk.flush()
    sink.wait_for(1)
    [conf] = customer_mails(sink)
    assert "больше, чем принимает" not in conf.text
