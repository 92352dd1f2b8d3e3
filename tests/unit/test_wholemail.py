"""wholemail.cut_short: every cut of a multipart mail before its close delimiter is
named, except one that ends its header block at a line end (no framing tells that
apart from mail that ended there); whole mail is never named."""

from __future__ import annotations

from email.parser import BytesHeaderParser

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.limits import MAX_HEADER_CHARS
from maild.domain.mimetree import header_block_end
from maild.domain.partread import RAW_POLICY
from maild.domain.wholemail import cut_short
from tests.helpers import make_mail, peak_memory

MAIL = make_mail(
    msgid="<w1@c.example>", body="Здравствуйте!\n" * 20, attachments=[("a.bin", "x/y", b"1" * 900)]
)


def test_whole_mail_is_whole():
    assert cut_short(MAIL) is None
    assert cut_short(make_mail(msgid="<w2@c.example>")) is None
    assert cut_short(b"Subject: alert\ndisk full\n") is None  # a script's, no blank line


@given(st.integers(min_value=1, max_value=len(MAIL) - 1))
def test_every_cut_before_the_close_delimiter_is_named(at):
    raw = MAIL[:at]
    close = MAIL.rindex(b"--\n" if MAIL.endswith(b"--\n") else b"--\r\n")
    head = header_block_end(MAIL)
    if at > close or (at <= head and raw.endswith((b"\n", b"\r"))):
        return
    assert cut_short(raw) is not None, raw[-40:]


def _parsed_boundary(raw: bytes) -> str | None:
    """The boundary as the parser reads the whole header block (what cut_short did)."""
    head = BytesHeaderParser(policy=RAW_POLICY).parsebytes(raw[: header_block_end(raw)])
    return head.get_boundary() if head.get_content_maintype() == "multipart" else None


_FIELDS = st.sampled_from(
    [
        b"Subject: x",
        b"X-Content-Type: multipart/mixed; boundary=no",
        b"X-H: content-type: multipart/mixed; boundary=no",
        b"Content-Type: multipart/mixed; boundary=b1",
        b'content-TYPE:multipart/alternative;\r\n\tboundary="b 2"',
        b"Content-Type: text/plain; boundary=b3",
        b'Content-Type: multipart/mixed;\n boundary=\n "b4"; charset=utf-8',
        b"Content-Type: multipart/mixed; boundary*=''b5",
        b"Content-Type: multipart; boundary=b6",
        b"Content-Type: Multipart/Related; BOUNDARY=b7 ",
        b'Content-Type: multipart/mixed; boundary="b\\"8"',
        b"Content-Type: multipart/mixed; boundary=\xe9",
        b" folded:line",
        b"Content-Type:" + b" " * MAX_HEADER_CHARS + b"multipart/mixed; boundary=b9",
        b"Content-Type: multipart/mixed; x=" + b"y" * MAX_HEADER_CHARS + b"; boundary=b10",
        b"Content-Type: multipart/mixed; boundary=b11; x=" + b"y z" * MAX_HEADER_CHARS,
    ]
)


@given(st.lists(_FIELDS, max_size=6), st.sampled_from([b"\r\n", b"\n"]))
def test_the_boundary_is_the_one_the_parser_reads(fields, eol):
    """cut_short reads only the first Content-Type field (a 50 MB header block parsed
    whole cost 5.4 s and 625 MB); it finds the boundary maild's parser does (RAW_POLICY:
    compat32 read an 8-bit one as U+FFFD, and raised)."""
    raw = eol.join(fields) + eol + eol
    boundary = _parsed_boundary(raw)
    open_part = raw + (b"--" + boundary.encode("ascii", "surrogateescape") if boundary else b"")
    said = cut_short(open_part + eol + b"x" + eol)
    assert (said is not None) == bool(boundary), (raw, boundary, said)
    assert cut_short(open_part + eol + open_part[len(raw) :] + b"--" + eol) is None


def test_a_huge_header_block_costs_no_copy_of_it():
    big = b"X-H: " + b"a" * 70 + b"\r\n"
    raw = (
        big * (8 << 20 >> 7) + b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nx\r\n"
    )
    said, peak = peak_memory(lambda: cut_short(raw))
    assert said == "its multipart's close delimiter is missing"
    assert peak < 1 << 20, peak  # (parsed whole: over 100 MB)


def test_a_content_type_of_many_folds_costs_no_memory_for_each():
    """A Content-Type field folded into short lines: only its head is read (the
    parser's: MAX_HEADER_CHARS), and matching its folds to the end cost memory per
    fold, 900 MB for a 28 MB field, in fsck, which reads every spool copy."""
    folded = b"Content-Type: multipart/mixed; boundary=q;" + b"\r\n x=y;" * 200_000
    raw = folded + b"\r\n\r\n--q\r\n\r\nx\r\n"
    said, peak = peak_memory(lambda: cut_short(raw))
    assert said == "its multipart's close delimiter is missing"
    assert peak < 1 << 20, peak  # (matched to the field's end: 40 MB)


CR_HEAD = b'MIME-Version: 1.0\rContent-Type: multipart/mixed; boundary="b"\rSubject: s\r\r'


def test_a_whole_mail_in_old_mac_line_ends_is_whole() -> None:
    """A mail whose lines end in CR alone (old Mac clients; the parser reads them so) is
    whole when it ends properly: its close delimiter after a CR, a multipart of no
    part whose body is the close delimiter alone, a header block ended by a CR."""
    assert cut_short(CR_HEAD + b"--b\rContent-Type: text/plain\r\rhi\r--b--\r") is None
    assert cut_short(CR_HEAD + b"--b--\r") is None
    assert cut_short(b"Subject: alert\r") is None
    assert cut_short(CR_HEAD + b"--b\rContent-Type: text/plain\r\rhi\r") is not None


def test_a_long_content_type_and_a_delimiter_within_a_line() -> None:
    """The boundary of a Content-Type field long before it (the parser reads its head
    up to MAX_HEADER_CHARS) is read; a close delimiter within a line of the text (a
    cut copy quoting it) closes nothing (else fsck would trust a cut copy as whole)."""
    head = b"Content-Type: multipart/mixed; x=" + b"y" * (MAX_HEADER_CHARS // 2) + b"; boundary=q"
    raw = head + b"\r\n\r\n--q\r\n\r\nx\r\n"
    assert cut_short(raw) == "its multipart's close delimiter is missing"
    assert cut_short(raw + b"--q--\r\n") is None
    assert cut_short(raw + b"it ends in --q--\r\n") is not None
