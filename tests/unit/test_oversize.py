"""domain.oversize: a mail too big to take is taken as its header and a note."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.message import parse
from maild.domain.oversize import FIELD, kept_in, sizes_of, stand_in

HEADER = (
    b"From: =?utf-8?b?0JjQstCw0L0=?= <ivan@shop.example>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: =?utf-8?b?0J7RiNC40LHQutCw?=\r\n"
    b"Message-ID: <big@shop.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed;\r\n"
    b'\tboundary="----=_Part_1"\r\n'
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"\r\n"
)


def test_a_mail_too_big_is_its_sender_subject_and_id_with_a_note() -> None:
    raw = stand_in(HEADER, 150_000_000, 30 << 20, "Processed")
    msg = parse(raw)
    assert (msg.from_addr, msg.subject, msg.message_id) == (
        "ivan@shop.example",
        "Ошибка",
        "<big@shop.example>",
    )
    assert msg.content_type == "text/plain" and msg.attachments == ()
    assert "143,1 МБ" in msg.text and "(30 МБ)" in msg.text and "пришлите текст" in msg.text
    # the text is the customer's: the folder the mail stays in is for staff alone
    assert "Processed" not in msg.text and kept_in(msg.header(FIELD)) == "Processed"
    assert b"boundary" not in raw and raw.count(b"Content-Type:") == 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
@example(b"\xfe\xff")  # a line that is no field first: the block ends there
@example(b"Subject: x\r\nno field here\r\nFrom: a@b\r\n")
def test_any_header_gives_one_readable_text_mail(header: bytes) -> None:
    raw = stand_in(header, 10**9, 30 << 20, "Processed")
    msg = parse(raw)
    assert msg.content_type == "text/plain" and "пришлите текст ещё раз" in msg.text


def test_a_line_that_is_no_field_leaves_the_sender_s_fields_after_it_in_place() -> None:
    """A stray byte-order mark atop a huge mail's header: the stand-in leaves that line
    out and keeps From, Subject and Message-ID below it (two such mails are two)."""
    header = b"\xfe\xff\r\n" + HEADER
    msg = parse(stand_in(header, 150_000_000, 30 << 20, "Processed"))
    assert (msg.from_addr, msg.subject, msg.message_id) == (
        "ivan@shop.example",
        "Ошибка",
        "<big@shop.example>",
    )


def test_a_line_that_is_no_field_amid_the_header_leaves_the_fields_after_it() -> None:
    """A stray line between two fields (a broken mailer's) is left out with what folds
    under it: kept, it would end the header there, and the subject, the Message-ID and
    the stand-in's own fields below it would be read as its body."""
    top, rest = HEADER.split(b"To:", 1)
    msg = parse(
        stand_in(top + b"\xfe\xff stray\r\n\tfolded\r\nTo:" + rest, 150_000_000, 30 << 20, "x")
    )
    assert (msg.from_addr, msg.subject, msg.message_id) == (
        "ivan@shop.example",
        "Ошибка",
        "<big@shop.example>",
    )
    assert sizes_of(msg.header(FIELD)) == ("143,1 МБ", "30 МБ") and "пришлите текст" in msg.text


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_folder_name_comes_back_to_staff_as_it_was(folder: str) -> None:
    msg = parse(stand_in(HEADER, 150_000_000, 30 << 20, folder))
    assert kept_in(msg.header(FIELD)) == folder
    assert sizes_of(msg.header(FIELD)) == ("143,1 МБ", "30 МБ")


def test_a_stand_in_spooled_before_the_folder_was_named_still_reads() -> None:
    assert sizes_of("150000000; limit=31457280") == ("143,1 МБ", "30 МБ")
    assert kept_in("150000000; limit=31457280") is None and kept_in(None) is None


def test_a_field_of_sizes_no_mail_has_is_no_stand_in() -> None:
    """Anyone may write the field into a mail: sizes of 400 digits made the size's text
    overflow a float, of 5,000 digits int() refused them, and the mail failed (kept as
    raw text, «from (no sender)», its customer never confirmed)."""
    for digits in (16, 400, 5000):
        assert sizes_of(f"{'9' * digits}; limit=1") is None
        assert sizes_of(f"1; limit={'9' * digits}") is None
    assert sizes_of("٣٣; limit=1") is None  # digits int() reads, but no ASCII ones
    assert sizes_of(f"{'9' * 15}; limit=1") == ("953674316,4 МБ", "1 байт")


def test_the_stand_in_has_the_header_s_fields_once_and_none_of_what_follows_it() -> None:
    """The header given ends at its blank line: what a server sends after it is the
    body's (a quoted "From:" in it is no sender), and the mail's own MIME-Version gives
    way to the stand-in's, not stands twice beside it."""
    raw = stand_in(HEADER + b"From: other@spam.example\r\n", 150_000_000, 30 << 20, "x")
    assert b"other@spam.example" not in raw and raw.count(b"MIME-Version:") == 1
