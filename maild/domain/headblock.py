"""A message's header block as maild reads it, everywhere it reads one: stray line
breaks mended (mend_line_breaks), and the block ended where the MTA ends it
(mimetree.as_the_mta_reads). The pipeline (message.parse), `maild fsck`'s Message-IDs,
the log's ids and `maild forget` read the same fields so.
"""

from __future__ import annotations

import re

from maild.domain.mimetree import as_the_mta_reads

__all__ = ["as_read", "mend_line_breaks"]


def as_read(raw: bytes) -> bytes:
    """``raw`` as parse() reads its header block: a stdlib header parser given it finds
    the fields the pipeline finds (From, Message-ID, Subject, Content-Type)."""
    return as_the_mta_reads(mend_line_breaks(raw))


# A line break of the other convention than the message's own (a lone CR, or a lone LF
# in CRLF mail) that does not start a header field or a folded line: the stdlib parser
# takes it for the end of the header block, and every header after it (From,
# Message-ID) would be read as body text. A field is also one with blank space before
# its colon, as the MTA reads it (mimetree.as_the_mta_reads).
_STRAY_IN_CRLF = re.compile(rb"(?:\r(?!\n)|(?<!\r)\n)(?![!-9;-~]+[ \t]*:|[ \t])")
_STRAY_IN_LF = re.compile(rb"\r(?!\n)(?![!-9;-~]+[ \t]*:|[ \t])")


def mend_line_breaks(raw: bytes) -> bytes:
    """The header block with each stray line break made a space, so the headers after
    it are still headers; the body and well-formed mail are left byte for byte.

    A break that starts something shaped like a header field is left alone: mail with
    mixed line endings is still read line by line.
    """
    last = raw.rfind(b"\n")
    if last < 0:  # no LF at all: lines end in CR alone, as the parser reads them
        return raw
    # the convention is the body's: the last line ends as SMTP, IMAP or a pipe ends
    # lines, whatever strays the headers hold
    crlf = raw[last - 1 : last] == b"\r"
    end = raw.find(b"\r\n\r\n" if crlf else b"\n\n")
    if crlf and end < 0 and (lf_end := raw.find(b"\n\n")) >= 0:
        # bare-LF lines that SMTP's end of data ended in one CRLF (smtplib's sendmail
        # of msg.as_bytes()): read as CRLF mail without a blank line, the whole mail
        # was its header block and its text was lost
        crlf, end = False, lf_end
    head, body = (raw, b"") if end < 0 else (raw[:end], raw[end:])
    stray = _STRAY_IN_CRLF if crlf else _STRAY_IN_LF
    # no CR or LF outside a CRLF pair (counted in C; most mail) is no stray at all
    pairs = head.count(b"\r\n")
    clean = head.count(b"\r") == pairs == head.count(b"\n") if crlf else b"\r" not in head
    if clean or stray.search(head) is None:
        return raw
    return _mended(head, stray) + body


# A stray break is looked at with the byte before it and the name-like run after it,
# and neither crosses a CR or an LF that is not the LF of a CRLF: the block cut before
# such a byte is mended piece by piece as it would be whole.
_PIECE = 1 << 16
_CUT_AT = re.compile(rb"\r|(?<!\r)\n")


def _mended(head: bytes, stray: re.Pattern[bytes]) -> bytes:
    """``head`` with each stray break a space, 64 KB at a time: re.sub keeps two
    objects per match until it joins them, so the memory it holds is bounded by a
    piece, not by the strays in the block (a CR-only text ending in one CRLF is all
    strays: bench/FINDINGS.md 50)."""
    pieces, start = [], 0
    while start < len(head):
        cut = _CUT_AT.search(head, start + _PIECE)
        end = cut.start() if cut else len(head)
        pieces.append(stray.sub(b" ", head[start:end]))
        start = end
    return b"".join(pieces)
