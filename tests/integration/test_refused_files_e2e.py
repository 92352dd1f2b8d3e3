"""What the customer and staff are told of files the desk does not take, through
`maild ingest` and a real relay (Sink): a mail attached as a saved .eml is read as the
forward it is; a refused file a ZIP or RAR would carry is asked for packed; no MIME type
is named to a customer; Thunderbird's own public key is no file of the letter; files
refused for one reason are one line; a mail of files alone is no «пустое письмо»."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage

from tests.helpers import PNG, make_mail

CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"
PACK = "Упакуйте, пожалуйста, файл в архив ZIP или RAR и пришлите снова."
REFUSED = "Некоторые вложения не приняты:"


def mails(desk, sink, raw: bytes) -> tuple[str, str, dict]:
    """(the customer's confirmation, the staff notice, the ticket) of one new mail."""
    tid = desk.ingest_tid(raw)
    desk.flush()
    sink.wait_for(3)
    [conf] = sink.to(CUSTOMER)
    [notice] = sink.to(STAFF)
    text = [m.text.replace("\r\n", "\n") for m in (conf, notice)]
    return text[0], text[1], desk.ticket(tid)


def one_line(text: str) -> str:
    return " ".join(text.split())


def saved_complaint() -> bytes:
    """A mail as Outlook or Thunderbird saves it to a file: a cp1251 text and a PNG."""
    inner = EmailMessage()
    inner["From"] = "Покупатель <buyer@mail.example>"
    inner["To"] = "shop@shop-example.ru"
    inner["Subject"] = "Жалоба на заказ 555"
    inner["Date"] = "Wed, 2 Dec 2026 08:00:00 +0300"
    inner["Message-ID"] = "<complaint-555@mail.example>"
    inner.set_content("Заказ №555 не пришёл уже неделю!", charset="windows-1251")
    inner.add_attachment(PNG, maintype="image", subtype="png", filename="чек.png")
    return inner.as_bytes(policy=email.policy.SMTP)


def test_a_mail_attached_as_a_saved_eml_is_read_as_the_forward_it_is(desk, sink):
    """Typed application/octet-stream (Outlook's drag-and-drop of a saved mail, webmail
    uploads), it was refused «(application/octet-stream) не принят» and never read, though
    sent as message/rfc822 the same mail is read in full."""
    raw = make_mail(
        body="Пересылаю жалобу покупателя, письмо во вложении.",
        attachments=[("Жалоба на заказ.eml", "application/octet-stream", saved_complaint())],
    )
    conf, notice, ticket = mails(desk, sink, raw)
    assert REFUSED not in conf and "Жалоба на заказ.eml" not in conf
    assert "-------- Пересланное сообщение --------" in notice
    assert "От: Покупатель <buyer@mail.example>" in notice
    assert "Тема: Жалоба на заказ 555" in notice
    assert "Заказ №555 не пришёл уже неделю!" in notice
    [files] = [m["attachments"] for m in ticket["messages"] if m["direction"] == "in"]
    assert [(f["filename"], f["accepted"]) for f in files] == [("чек.png", True)]


def test_a_file_named_eml_that_holds_no_mail_stays_a_file(desk, sink):
    raw = make_mail(
        attachments=[("заметки.eml", "application/octet-stream", "просто текст".encode())]
    )
    conf, notice, _ticket = mails(desk, sink, raw)
    assert "Пересланное сообщение" not in notice
    assert REFUSED in conf and "заметки.eml" in conf
