"""Unit tests for maild.ops.forgetmail: a stored mail scrubbed inside its base64 text
part and its encoded-word headers, every other byte kept."""

from __future__ import annotations

import base64
import email
import email.policy
import re

from maild.mime import header_line
from maild.ops.forgetmail import scrub_mail
from maild.render import Renderer

ADDRESS = "ivan@x.example"
MENTION = re.compile(re.escape(ADDRESS), re.IGNORECASE)
PLACEHOLDER = "forgotten@invalid"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def scrub(text: bytes) -> bytes:
    return text.replace(ADDRESS.encode(), PLACEHOLDER.encode())


def mail(body: str, files: list[tuple[str, str, bytes]], subject: str = "Отчёт") -> bytes:
    head = header_line("Subject", subject) + b"MIME-Version: 1.0\r\n"
    return head + Renderer.content(body, files, "<m1@example.com>")


def parts(raw: bytes) -> list[email.message.EmailMessage]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects
    return [p for p in msg.walk() if not p.is_multipart()]


def test_a_base64_text_part_is_scrubbed_and_the_files_stay_byte_for_byte():
    body = f"Клиент {ADDRESS}\n" + "я" * 600 + "\nконец\n"  # 1,200 octets: base64
    files = [("notes.txt", "text/plain", ADDRESS.encode()), ("a.png", "image/png", PNG)]
    raw = mail(body, files)
    assert b"Content-Transfer-Encoding: base64" in raw.split(b"--=_maild")[1]
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    text, notes, png = parts(out)
    assert text.get_content() == body.replace(ADDRESS, PLACEHOLDER)
    assert notes.get_content() == ADDRESS  # a file: kept as the ticket keeps it
    assert png.get_content() == PNG
    before, after = raw.split(b"\r\n--=_maild"), out.split(b"\r\n--=_maild")
    assert before[0] == after[0] and before[2:] == after[2:]  # all but the text's body
    encoded = after[1].partition(b"\r\n\r\n")[2]
    assert all(len(line) == 76 for line in encoded.split(b"\r\n")[:-2])


def test_nothing_of_theirs_leaves_the_mail_as_it_was():
    raw = mail("x" * 2000, [("a.png", "image/png", PNG)], subject="Тема без адреса")
    assert scrub_mail(raw, scrub, MENTION, PLACEHOLDER) == raw
    plain = mail("a short text of " + ADDRESS, [])  # 7bit: the caller's byte scrub
    assert scrub_mail(plain, scrub, MENTION, PLACEHOLDER) == plain


def test_an_encoded_subject_naming_them_is_written_again_without_them():
    raw = mail("текст", [], subject=f"Вопрос про {ADDRESS.upper()} [TID#1234-5678]")
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["Subject"] == f"Вопрос про {PLACEHOLDER} [TID#1234-5678]"
    assert out.partition(b"MIME-Version")[2] == raw.partition(b"MIME-Version")[2]


def test_a_mail_cut_short_loses_them_from_its_last_part_too():
    """A copy cut before its closing line (a client or a disk gave up mid-mail) still
    holds its last text part, sent base64: it runs to the end of the mail and is
    scrubbed as a whole one is, or the person stays in it."""
    body = f"Клиент {ADDRESS}\n" + "я" * 600 + "\n"
    raw = mail(body, [("a.png", "image/png", PNG)])
    text_end = raw.index(b"\r\n--=_maild", raw.index(b"base64"))  # the file's delimiter
    cut = raw[:text_end] + b"\r\n"  # the file and the closing line never came
    out = scrub_mail(cut, scrub, MENTION, PLACEHOLDER)
    encoded = out.partition(b"Content-Transfer-Encoding: base64\r\n\r\n")[2]
    assert "Клиент " + PLACEHOLDER in base64.b64decode(encoded).decode()


def test_a_multipart_without_a_boundary_is_left_to_the_byte_scrub():
    """A multipart whose Content-Type names no boundary has no parts to read: the mail
    comes back as it was (the caller's byte scrub does the rest), not an error that
    stops `maild forget` in the middle of the person's mail."""
    raw = (
        b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(ADDRESS.encode()) + b"\r\n"
    )
    assert scrub_mail(raw, scrub, MENTION, PLACEHOLDER) == raw


def test_a_part_with_no_empty_line_takes_nothing_of_the_next_part():
    """A part whose header runs into the next delimiter (no empty line: a part of no
    body, as a careless client writes one) has no body to read; the next part's body,
    sent base64, is scrubbed once, and every other byte of the mail stays (a body
    looked for past the part's end wrote the next part's header twice)."""
    text = base64.b64encode(f"Клиент {ADDRESS}".encode())
    raw = (
        b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n" + text + b"\r\n--b--\r\n"
    )
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    assert out == raw.replace(text, base64.b64encode(f"Клиент {PLACEHOLDER}".encode()))


def test_a_picture_sent_inline_stays_byte_for_byte():
    """A picture pasted into the text (multipart/related, no Content-Disposition) is a
    file, kept as the ticket keeps it, though its bytes hold the address (a PNG's text
    chunk): only the text part is scrubbed, or the customer's picture comes out broken."""
    picture = PNG + b"tEXtAuthor\x00" + ADDRESS.encode()
    text, image = base64.encodebytes(f"См. {ADDRESS}".encode()), base64.encodebytes(picture)
    raw = (
        b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n" + text + b"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-ID: <p1@x>\r\n\r\n" + image + b"--b--\r\n"
    )
    text_part, png = parts(scrub_mail(raw, scrub, MENTION, PLACEHOLDER))
    assert text_part.get_content() == f"См. {PLACEHOLDER}"
    assert png.get_content() == picture
