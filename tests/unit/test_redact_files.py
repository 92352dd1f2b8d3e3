"""A file of text a mail carries (a staff notice carries the customer's log) is
redacted in the charset it came in: UTF-16 with its byte order mark stays UTF-16,
a cp1251 file stays cp1251; a file with no access data, and a picture, stay as they
came (redaction.redact_mail, as the outbox's copies are rewritten)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from maild.domain.redact import MARKER
from maild.redaction import redact_mail

SECRET = "Notepad77"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16 + b"password: " + SECRET.encode()


def _mail(files: list[tuple[str, bytes]]) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "Новое обращение [TID#4821-7730]"
    msg.set_content("Файлы клиента во вложении.\n")
    for name, data in files:
        msg.add_attachment(data, maintype="text", subtype="plain", filename=name)
    return msg.as_bytes(policy=email.policy.SMTP)


def _files(raw: bytes) -> dict[str, bytes]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}


def test_a_file_of_text_in_a_mail_is_redacted_in_its_own_charset():
    utf16 = "\ufeffДоступы\r\nПароль: Notepad77\r\n".encode("utf-16-le")
    cp1251 = "Админка: admin / Notepad77\nВсё\n".encode("cp1251")
    clean = b"2026-12-01 INFO ok\n"
    raw = _mail([("a.txt", utf16), ("b.txt", cp1251), ("c.log", clean), ("d.png", PNG)])
    files = _files(redact_mail(raw))
    assert files["a.txt"].startswith(b"\xff\xfe")
    assert files["a.txt"].decode("utf-16") == f"Доступы\r\nПароль: {MARKER}\r\n"
    assert files["b.txt"].decode("cp1251") == f"Админка: {MARKER}\nВсё\n"
    assert files["c.log"] == clean and files["d.png"] == PNG


def test_a_mail_whose_files_hold_no_access_data_is_left_alone():
    assert redact_mail(_mail([("c.log", b"2026-12-01 INFO ok\n")])) is None


def test_a_utf8_file_with_its_byte_order_mark_keeps_it():
    """Notepad's «UTF-8 с BOM»: the mark tells a reader the charset; redacted, the file
    keeps it (without it, a reader may take the Russian text for cp1251)."""
    data = "\ufeffДоступы\nПароль: Notepad77\n".encode()
    files = _files(redact_mail(_mail([("a.txt", data)])))
    assert files["a.txt"] == f"\ufeffДоступы\nПароль: {MARKER}\n".encode()


def test_an_ascii_file_written_again_in_utf8_is_declared_utf8():
    """ASCII cannot hold the marker's Russian: the file is written in UTF-8 with its
    byte order mark, and its part says so: declared «us-ascii» still, the staff
    notice's copy would hold bytes its own header says no ASCII file has."""
    msg = EmailMessage()
    msg["Subject"] = "Новое обращение [TID#4821-7730]"
    msg.set_content("Файлы клиента во вложении.\n")
    data = b"db host: db1\npassword: Notepad77\n"
    msg.add_attachment(data, "text", "plain", filename="a.txt", params={"charset": "us-ascii"})
    out = email.message_from_bytes(redact_mail(msg.as_bytes()), policy=email.policy.default)
    (part,) = out.iter_attachments()
    assert part.get_content_charset() == "utf-8"
    assert part.get_content() == f"\ufeffdb host: db1\npassword: {MARKER}\n"
