"""`maild forget` inside a stored outgoing mail: the text the raw bytes do not show.

A byte search finds the person in a header written as plain text and in an 8bit or
7bit text part. It does not find them in a text part render.text_part sent as base64
(a line over 998 octets: a long subject in a list or the digest), nor in a header
written as RFC 2047 encoded words (a subject with Cyrillic in it). Here those are
decoded, scrubbed and encoded again the way render writes them; every other byte of
the mail stays as it was, so a queued mail goes out as it would have. (render writes
no quoted-printable: its text is 7bit, 8bit or base64, and so are the files.)
"""

from __future__ import annotations

import binascii
import email.policy
import re
from collections.abc import Callable
from email.message import Message
from email.parser import BytesHeaderParser

from maild.domain.limits import MAX_CONTAINERS
from maild.render import header_line

Scrub = Callable[[bytes], bytes]  # UTF-8 text in, the same text without the person
_HEADS = BytesHeaderParser(policy=email.policy.compat32)
_WORDS = BytesHeaderParser(policy=email.policy.default)  # decodes RFC 2047 words
_TEXT_CHARSETS = ("utf-8", "us-ascii")  # what render writes: scrub inserts UTF-8
BASE64_LINE = 76  # base64.encodebytes's line (RFC 2045 6.8: at most 76)


def scrub_mail(mail: bytes, text: Scrub, mention: re.Pattern[str], placeholder: str) -> bytes:
    """The mail with `text` applied to the decoded content of each base64 text part
    that is no attachment (the files are erased or kept as the ticket's are), and
    each top-level header field in encoded words that names `mention` written again
    with `placeholder` there."""
    start = body_start(mail, 0)
    if not start:
        return mail
    pieces, at = [_scrub_headers(mail[:start], mention, placeholder)], start
    spans = _encoded_texts(mail, 0, len(mail), 0) if b"base64" in mail else []
    for s, e in spans:
        pieces += [mail[at:s], _rescrub(mail[s:e], text)]
        at = e
    return b"".join(pieces) + mail[at:]


def body_start(mail: bytes, start: int) -> int:
    """Where the body of the entity at `start` begins (after its first empty line;
    right at `start` when it has no header), 0 if it has none."""
    for eol in (b"\r\n", b"\n"):
        if mail.startswith(eol, start):
            return start + len(eol)
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := mail.find(sep, start)) >= 0]
    return min(ends) if ends else 0


def _scrub_headers(block: bytes, mention: re.Pattern[str], placeholder: str) -> bytes:
    """The header block, each field in encoded words that names the person (decoded)
    rendered again without them (render.header_line: as every field is written)."""
    if b"=?" not in block:
        return block
    # a field goes on while its lines start blank; the line ends are kept as they are
    pieces = re.split(rb"(\r?\n)(?![ \t])", block)
    for i in range(0, len(pieces), 2):
        name, colon, _value = pieces[i].partition(b":")
        if b"=?" not in pieces[i] or not colon or not name.isascii():
            continue
        value = str(_WORDS.parsebytes(pieces[i] + b"\r\n\r\n").get(name.decode(), ""))
        if mention.search(value):
            pieces[i] = header_line(name.decode(), mention.sub(placeholder, value))[:-2]
    return b"".join(pieces)


def _encoded_texts(mail: bytes, start: int, end: int, depth: int) -> list[tuple[int, int]]:
    """(start, end) of the encoded body of each base64 text part (not a file) of the
    entity mail[start:end], in order."""
    body = body_start(mail, start)
    if not body or body > end or depth > MAX_CONTAINERS:
        return []
    head: Message = _HEADS.parsebytes(mail[start:body])
    if head.get_content_maintype() == "multipart":
        boundary = head.get_boundary()
        if not boundary:
            return []
        sections = _sections(mail, body, end, boundary.encode("utf-8", "surrogateescape"))
        return [span for s, e in sections for span in _encoded_texts(mail, s, e, depth + 1)]
    encoding = str(head.get("Content-Transfer-Encoding", "")).strip().lower()
    if (
        encoding == "base64"
        and head.get_content_maintype() == "text"
        and head.get_content_disposition() != "attachment"
        and head.get_content_charset("us-ascii") in _TEXT_CHARSETS
    ):
        return [(body, end)]
    return []


def _sections(mail: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """(start, end) of each part of the multipart body mail[start:end]: between lines
    "--boundary" (the line end before one belongs to it, RFC 2046 5.1.1) up to
    "--boundary--"."""
    dash = b"\n--" + boundary
    parts: list[tuple[int, int]] = []
    opened = None
    at = mail.find(dash, start - 1, end)  # start - 1: the empty line's end
    while at >= 0:
        line_end = mail.find(b"\n", at + 1, end)
        line_end = end if line_end < 0 else line_end + 1
        rest = mail[at + len(dash) : line_end].strip()
        if rest in (b"", b"--"):
            if opened is not None:
                parts.append((opened, max(opened, at - (mail[at - 1 : at] == b"\r"))))
            if rest == b"--":
                break
            opened = line_end
        at = mail.find(dash, line_end - 1, end)
    return parts


def _rescrub(encoded: bytes, text: Scrub) -> bytes:
    """A base64 body scrubbed: decoded, `text` applied, encoded again in lines as long
    as its own and ended the same way; as it was when nothing changed (or it is no
    base64 at all)."""
    try:
        data = binascii.a2b_base64(encoded)  # line ends and other stray bytes skipped
    except binascii.Error:
        return encoded
    scrubbed = text(data)
    if scrubbed == data:
        return encoded
    lines = encoded.splitlines(keepends=True)
    first = lines[0].rstrip(b"\r\n")
    eol = lines[0][len(first) :] or b"\r\n"
    # a single line says nothing of the length: render's (encodebytes) then
    width = len(first) if len(lines) > 1 else max(len(first), BASE64_LINE)
    flat = binascii.b2a_base64(scrubbed, newline=False)
    out = eol.join(flat[i : i + width] for i in range(0, len(flat), width))
    return out + eol if encoded.endswith(b"\n") else out
