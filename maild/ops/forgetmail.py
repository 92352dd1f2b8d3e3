"""`maild forget` inside a stored mail: the text the raw bytes do not show.

A byte search finds the person in a header written as plain text and in an 8bit or
7bit text part, but for one in a 7-bit charset that writes ASCII otherwise too (UTF-7's
«ivan+AEA-shop.ru»). It does not find them in a text part sent base64 (render does so for
a line over 998 octets: a long subject in a list or the digest) or quoted-printable
(as customers' clients send), nor in a header written as RFC 2047 encoded words (a
subject with Cyrillic in it). Here those are decoded (in the charset each declares:
forgettext, forgetwords), scrubbed and encoded again as they were written; every
other byte of the mail stays, so a queued mail goes out as it would have and a
customer's copy in the spool keeps its structure, headers and files. The same for
maild's outbox and for the raw copies of others' incoming mail.
"""

from __future__ import annotations

import binascii
import email.policy
import re
from email.message import Message
from email.parser import BytesHeaderParser

from maild.domain.charset import SEVEN_BIT_CODECS
from maild.domain.forgetmention import Finds
from maild.domain.headblock import as_read
from maild.domain.limits import MAX_CONTAINERS, too_many_parts, too_nested
from maild.ops.forgettext import Scrub, codec_of, recoded, rescrub_qp
from maild.ops.forgetwords import scrub_fields

_HEADS = BytesHeaderParser(policy=email.policy.compat32)
BASE64_LINE = 76  # base64.encodebytes's line (RFC 2045 6.8: at most 76)
# Octets of encoded text parts decoded in one mail: the largest mail a listener takes
# (30 MiB) holds no more; past it a text part keeps the caller's byte scrub only
# (memory: a part's text is held about 3 times while it is scrubbed).
MAX_DECODED = 32 << 20
# Octets of a top-level header whose encoded words are read (each is decoded in
# Python): ten times postfix's whole-header limit (header_size_limit).
MAX_HEAD = 1 << 20
# what a mail must name for a part of it to be decoded here: a transfer encoding, or a
# 7-bit charset (SEVEN_BIT_CODECS) by any label Python reads as one (encodings.aliases:
# «utf7», «u7», «csISO2022JP», «hzgb»), or UTF-16 or UTF-32 (sent 8-bit against RFC
# 2781, as some clients do: an ASCII address in it is no ASCII bytes); more is only a
# mail parsed in vain
_ENCODED = re.compile(rb"(?i)base64|quoted-printable|u(?:tf-?)?7|2022|hz|utf-?(?:16|32)")
_WIDE = ("utf-16", "utf-32")
_BLANK = re.compile(rb"\n\r?\n")  # a line end, then an empty line
_QP_B64 = ("base64", "quoted-printable")


def scrub_mail(mail: bytes, text: Scrub, mention: Finds, placeholder: str) -> bytes:
    """The mail with `text` applied to the decoded content of each base64 or
    quoted-printable text part that is no attachment (the files are erased or kept as
    the ticket's are), and each run of encoded words of the top-level header that
    names `mention` written again with `placeholder` there. A mail of more parts
    than maild parses (limits: too_nested, too_many_parts) is read as its header
    and raw text, as ingest reads it; past MAX_HEAD and MAX_DECODED the rest is
    left to the caller's byte scrub."""
    start = body_start(mail, 0)
    if not start:
        return mail
    head = mail[:start]
    pieces, at = [scrub_fields(head, mention, placeholder) if start <= MAX_HEAD else head], start
    spans = []
    if _ENCODED.search(mail) and not too_nested(mail) and not too_many_parts(mail):
        spans = [x for x in _text_parts(mail, 0, len(mail), 0) if _decoded_here(*x[2:])]
    budget = MAX_DECODED
    for s, e, encoding, charset in spans:
        budget -= e - s
        if budget < 0:
            break
        scrub = _SCRUBS.get(encoding, _rescrub_plain)
        part = scrub(mail[s:e], charset, text, mention, placeholder, eol=_eol_of(head))
        pieces += [mail[at:s], part]
        at = e
    return b"".join(pieces) + mail[at:]


def _decoded_here(encoding: str, charset: str) -> bool:
    """Whether a text part's body is decoded to be scrubbed: sent base64 or
    quoted-printable, or as it is in a charset a byte search does not read (7-bit,
    UTF-16, UTF-32)."""
    codec = codec_of(charset) or ""
    return encoding in _QP_B64 or codec.startswith((*SEVEN_BIT_CODECS, *_WIDE))


def _eol_of(head: bytes) -> bytes:
    """The line end the mail uses (its header's): what a part without one of its own
    gets where the scrub breaks a line that grew."""
    return b"\r\n" if head.endswith(b"\r\n") else b"\n"


def body_start(mail: bytes, start: int, end: int | None = None) -> int:
    """Where the body of the entity mail[start:end] begins (after its first empty
    line; right at `start` when it has no header), 0 if it has none."""
    for eol in (b"\r\n", b"\n"):
        if mail.startswith(eol, start):
            return start + len(eol)
    # the first empty line only: a search to the end for a kind of line end the mail
    # does not use cost a pass over the rest of it for each part
    blank = _BLANK.search(mail, start, len(mail) if end is None else end)
    return blank.end() if blank else 0


_Span = tuple[int, int, str, str]  # start, end, transfer encoding, charset


def plain_texts(mail: bytes) -> list[tuple[int, int, str]]:
    """Where the body of each text part (not a file) of the mail that is sent as it
    is (7bit, 8bit, binary: not base64 or quoted-printable) is, in order, with the
    charset it declares (us-ascii when none); none for a mail of more parts than
    maild parses (limits: too_nested, too_many_parts)."""
    if too_nested(mail) or too_many_parts(mail):
        return []
    spans = _text_parts(mail, 0, len(mail), 0)
    return [(s, e, charset) for s, e, encoding, charset in spans if encoding not in _QP_B64]


def _text_parts(mail: bytes, start: int, end: int, depth: int) -> list[_Span]:
    """Where the body of each text part (not a file) of the entity mail[start:end]
    is, in order, with its transfer encoding (lower case) and charset."""
    body = body_start(mail, start, end)
    if not body or depth > MAX_CONTAINERS:
        return []
    # a message's own block as the pipeline reads it (headblock.as_read); a part's
    # as the parser does, as the pipeline reads them
    head: Message = _HEADS.parsebytes(as_read(mail[start:body]) if not start else mail[start:body])
    if head.get_content_maintype() == "multipart":
        boundary = head.get_boundary()
        if not boundary:
            return []
        sections = _sections(mail, body, end, boundary.encode("utf-8", "surrogateescape"))
        return [span for s, e in sections for span in _text_parts(mail, s, e, depth + 1)]
    encoding = str(head.get("Content-Transfer-Encoding", "")).strip().lower()
    if head.get_content_maintype() == "text" and head.get_content_disposition() != "attachment":
        return [(body, end, encoding, head.get_content_charset("us-ascii"))]
    return []


def _sections(mail: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """(start, end) of each part of the multipart body mail[start:end]: between lines
    "--boundary" (the line end before one belongs to it, RFC 2046 5.1.1) up to
    "--boundary--" (or the end)."""
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
                return parts
            opened = line_end
        at = mail.find(dash, line_end - 1, end)
    if opened is not None:  # no closing line (a cut mail): its last part runs to the end
        parts.append((opened, end))
    return parts


def _rescrub_plain(
    data: bytes, charset: str, text: Scrub, mention: Finds, placeholder: str, eol: bytes
) -> bytes:
    """A text sent as it is, in a charset a byte search does not read (_decoded_here),
    scrubbed in it."""
    return recoded(data, charset, text, mention, placeholder) or data


def _rescrub(
    encoded: bytes,
    charset: str,
    text: Scrub,
    mention: Finds,
    placeholder: str,
    eol: bytes = b"\r\n",
) -> bytes:
    """A base64 body scrubbed: decoded, `text` applied (forgettext.recoded: in its
    charset), encoded again in lines as long as its own and ended the same way (`eol`,
    the mail's, when it has none); as it was when nothing changed (or no base64)."""
    try:
        data = binascii.a2b_base64(encoded)  # line ends and other stray bytes skipped
    except binascii.Error:
        return encoded
    scrubbed = recoded(data, charset, text, mention, placeholder)
    if scrubbed is None:
        return encoded
    lines = encoded.splitlines(keepends=True)
    first = lines[0].rstrip(b"\r\n")
    eol = lines[0][len(first) :] or eol
    # a single line says nothing of the length: mime.py's (encodebytes) then
    width = len(first) if len(lines) > 1 else max(len(first), BASE64_LINE)
    flat = binascii.b2a_base64(scrubbed, newline=False)
    out = eol.join(flat[i : i + width] for i in range(0, len(flat), width))
    return out + eol if encoded.endswith(b"\n") else out


_SCRUBS = {"quoted-printable": rescrub_qp, "base64": _rescrub}
