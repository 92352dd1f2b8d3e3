"""A forward sent quoted-printable (RFC 2046 forbids it for message/rfc822, some clients
do it): staff read whose mail it was and its text, never "=D0=9F"."""

from __future__ import annotations

import base64
import email
import quopri
from email.message import EmailMessage

from maild.domain.forwards import saved_mail
from maild.domain.mimeparts import RAW_POLICY, read_body

FROM = "Пётр Иванович Сидоров-Кузнецов <petr.ivanovich@example-company.ru>"


def _forward(cte: str, inner: bytes) -> bytes:
    head = (
        "From: ivan@shop.example\r\n"
        'Content-Type: multipart/mixed; boundary="out"\r\n\r\n'
        "--out\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПересылаю.\r\n"
        f"--out\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode() + inner + b"\r\n--out--\r\n"


def test_a_forward_sent_quoted_printable_is_read_decoded() -> None:
    """The 8-bit From is longer than a quoted-printable line: its soft line break cuts
    the header, and the Subject after it is still a header, not text."""
    inner = EmailMessage()
    inner["From"], inner["Subject"] = FROM, "Счёт №15"
    inner["Date"] = "Mon, 30 Nov 2026 09:00:00 +0300"
    inner.set_content("Счёт №15 не оплачен, проверьте, пожалуйста, и ответьте до пятницы.")
    inner.add_attachment(b"\x89PNG\r\n\x1a\n", "image", "png", filename="screen.png")
    raw_inner = inner.as_bytes().decode().replace("\r\n", "\n")
    raw_inner = raw_inner.replace(f"From: {inner['From'].__str__()}", f"From: {FROM}")
    encoded = quopri.encodestring(raw_inner.encode()).replace(b"\n", b"\r\n")
    assert b"=\r\n" in encoded.split(b"\r\n\r\n")[0]  # a header cut by a soft break
    body = read_body(
        email.message_from_bytes(_forward("quoted-printable", encoded), policy=RAW_POLICY)
    )
    assert body.text.strip().splitlines() == [
        "Пересылаю.",
        "",
        "-------- Пересланное сообщение --------",
        f"От: {FROM}",
        "Дата: Mon, 30 Nov 2026 09:00:00 +0300",
        "Тема: Счёт №15",
        "",
        "Счёт №15 не оплачен, проверьте, пожалуйста, и ответьте до пятницы.",
    ]
    assert [(a.filename, a.data) for a in body.attachments] == [
        ("screen.png", b"\x89PNG\r\n\x1a\n")
    ]


def test_a_forward_declared_7bit_is_read_as_it_came() -> None:
    inner = b"From: noreply@shop.example\r\nSubject: =?utf-8?b?0KHRh9GR0YI=?=\r\n\r\nok=3D1"
    body = read_body(email.message_from_bytes(_forward("7bit", inner), policy=RAW_POLICY))
    assert body.text.strip().splitlines()[-3:] == ["Тема: Счёт", "", "ok=3D1"]


def test_a_forward_mislabelled_base64_is_read_as_it_came() -> None:
    """A forward whose part says base64 but whose bytes are the plain mail (a client's
    wrong Content-Transfer-Encoding: the parser finds its header block) is read as it
    came: decoding its text as base64 would show staff noise for the customer's mail."""
    inner = b"From: noreply@shop.example\r\nSubject: =?utf-8?b?0KHRh9GR0YI=?=\r\n\r\nOrder 15 paid."
    body = read_body(email.message_from_bytes(_forward("base64", inner), policy=RAW_POLICY))
    assert body.text.strip().splitlines()[-4:] == [
        "От: noreply@shop.example",
        "Тема: Счёт",
        "",
        "Order 15 paid.",
    ]


def _base64_forward(inner: bytes) -> bytes:
    return _forward("base64", base64.encodebytes(inner).replace(b"\n", b"\r\n"))


def test_a_forward_sent_in_base64_is_read_decoded() -> None:
    inner = "From: noreply@shop.example\r\nSubject: Счёт\r\n\r\nСчёт №15 не оплачен.\r\n"
    raw = _base64_forward(inner.encode())
    body = read_body(email.message_from_bytes(raw, policy=RAW_POLICY))
    assert body.text.strip().splitlines()[-3:] == ["Тема: Счёт", "", "Счёт №15 не оплачен."]


def test_forwards_inside_forwards_are_opened_ten_deep_at_most() -> None:
    """Each level costs a decoding and a parse: a hostile nesting stops at ten, and the
    levels below stay as the parser read them, not decoded."""
    deepest = "From: a@b.example\r\nSubject: x\r\n\r\nСамый глубокий текст.\r\n".encode()
    inner = deepest
    for _ in range(12):
        inner = _base64_forward(inner)
    body = read_body(email.message_from_bytes(inner, policy=RAW_POLICY))
    assert "Самый глубокий текст." not in body.text
    assert body.text.count("Пересылаю.") == 11  # the outer text, then ten opened
    shallow = deepest
    for _ in range(10):
        shallow = _base64_forward(shallow)
    text = read_body(email.message_from_bytes(shallow, policy=RAW_POLICY)).text
    assert "Самый глубокий текст." in text


SAVED = (
    b"From: buyer@mail.example\r\nSubject: =?utf-8?b?0JbQsNC70L7QsdCw?=\r\n"
    b"Date: Wed, 2 Dec 2026 08:00:00 +0300\r\n\r\nok"
)


def test_a_saved_mail_is_told_by_its_name_and_header_block() -> None:
    assert saved_mail("Жалоба.EML", SAVED)
    assert saved_mail("x.eml", b"From - Thu Dec  3 10:00:00 2026\n" + SAVED)  # mbox line
    assert saved_mail("x.eml", b"\xef\xbb\xbf" + SAVED)  # a byte order mark
    assert not saved_mail("x.txt", SAVED)  # a mail's text pasted into a file
    assert not saved_mail("x.eml", b"Subject: hi\r\nDate: now\r\n\r\nno sender")
    assert not saved_mail("x.eml", b"From: a@b\r\n\r\n")  # a From alone tells no mail
    assert not saved_mail("x.eml", b"From: a@b\r\nSubject: x\r\nthen text, no blank line")
    assert not saved_mail("x.eml", "просто заметки".encode())


def test_a_saved_mail_attached_as_a_file_is_read_as_a_forward() -> None:
    raw = (
        b"From: ivan@shop.example\r\n"
        b'Content-Type: multipart/mixed; boundary="out"\r\n\r\n'
        b"--out\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFW\r\n"
        b'--out\r\nContent-Type: application/octet-stream; name="a.eml"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(SAVED).replace(b"\n", b"\r\n")
        + b"--out--\r\n"
    )
    body = read_body(email.message_from_bytes(raw, policy=RAW_POLICY))
    assert body.text.strip().splitlines()[-4:] == [
        "Дата: Wed, 2 Dec 2026 08:00:00 +0300",
        "Тема: Жалоба",
        "",
        "ok",
    ]
    assert body.attachments == ()
