"""forgetnamed.scrub_named: the erased person's name taken out of the raw copy of
another's mail, whose address of the person is the placeholder already."""

from __future__ import annotations

from email.header import Header

import pytest

from maild.domain.forget import ERASED, ERASED_ASCII, PLACEHOLDER
from maild.domain.forgetnames import names_pattern
from maild.ops.forgetnamed import scrub_named

NAME = "Иван Петров"
LATIN = "José García"


@pytest.mark.parametrize(
    "charset", ["utf-8", "cp1251", "koi8-r", "iso8859-5", "cp866", "mac-cyrillic", "cp1252"]
)
def test_a_name_goes_from_8bit_text_of_a_mail_that_declares_no_charset(charset):
    """An old mailer's mail of 8-bit bytes (a Subject, a body) with no MIME header, in
    each charset maild reads 8-bit text in (a Latin name in windows-1252, which has no
    Cyrillic letters: ERASED_ASCII there): the name goes from the header and the
    body, written in that charset; every other byte stays."""
    name, erased = (LATIN, ERASED_ASCII) if charset == "cp1252" else (NAME, ERASED)
    subject, text = "Звонок: {}", "Коллега {} просил перезвонить."
    if charset == "cp1252":
        subject, text = "Call: {}", "Colleague {} asked to call back."

    def mail(who: str) -> bytes:
        return (
            b"From: petr@shop.ru\r\nTo: support@example.com\r\nSubject: "
            + subject.format(who).encode(charset)
            + f"\r\nCc: {PLACEHOLDER}\r\nMessage-ID: <p7@shop.ru>\r\n\r\n".encode()
            + text.format(who).encode(charset)
            + b"\r\n"
        )

    assert scrub_named(mail(name), names_pattern([name])) == mail(erased)


def test_a_namesakes_mailbox_keeps_the_name_in_encoded_words_the_erased_ones_loses_it():
    """Another's mailbox whose name is the erased person's (a namesake, a company's
    name two people write under), as clients write Cyrillic names: in encoded words,
    or in a comment after the address. It keeps the name; the placeholder's mailbox in
    the same header loses it."""
    word = Header(NAME, "utf-8").encode().encode()
    for petr in (word + b" <petr@shop.ru>", b"petr@shop.ru (" + word + b")"):
        mail = b"From: %s\r\nCc: %s <%s>\r\nSubject: Hi\r\n\r\ntext\r\n"
        raw = mail % (petr, word, PLACEHOLDER.encode())
        erased = Header(ERASED, "utf-8").encode().encode()
        assert scrub_named(raw, names_pattern([NAME])) == mail % (
            petr,
            erased,
            PLACEHOLDER.encode(),
        )
