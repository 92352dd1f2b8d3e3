"""A raw message as the email package's tree, at a cost bounded by the message's size.

The stdlib parser keeps a body as one string per line until its part ends, and every
header look-up walks all the header fields: a 12 MB mail of 4 million short lines
held 315 MB in the parser, and one of 2 million header fields held ~400 MB and cost
9 s of CPU. So:

- the header block is read from its first MAX_HEAD_LINES lines; the fields past them
  are left out (a real header has tens to hundreds; postfix's own limits are 100 KB
  for one field and 50 Received lines); one long field is one line;
- a body that holds no parts (not multipart, not message/*) is set as the payload
  whole, never split into lines: it is what the parser would make of it, which
  tests/unit/test_mimetree.py holds equal;
- a body of parts is parsed by the stdlib, unless it is made of more than MAX_LINES
  lines (30 bytes a line on average at the largest mail accepted; base64 has 78) or
  its containers or delimiters are over limits.py's caps: then it is kept as raw text.

Each cut is said in Russian for the staff notice («не удалось разобрать полностью»).
"""

from __future__ import annotations

import email
import email.parser
import itertools
import re
from email import errors
from email.message import Message
from email.policy import Policy

from maild.domain import limits

__all__ = ["MAX_HEAD_LINES", "MAX_LINES", "read_tree"]

MAX_HEAD_LINES = 20_000  # lines of the header block read
MAX_LINES = 1_000_000  # lines of a message whose parts are parsed

# The parser's own rule (email.feedparser.headerRE): a header block's line starts
# "From ", a field name and a colon, or blank space (a folded line); a line break is
# CRLF, CR or LF. The first line that is none of these (an empty one, or any other:
# then it is the body's first) ends the block.
_FIELD_LINE = re.compile(rb"From |[\041-\071\073-\176]*:|[\t ]")
_LINE_END = re.compile(rb"\r\n|\r|\n")
# Past the lines read: the start of the first line that is no field (an empty one, or
# the body's first), as the parser finds it; a line starts after an LF or a lone CR.
_FIELDS_END = re.compile(rb"(?:(?<=\n)|(?<=\r)(?!\n))(?![\041-\071\073-\176]*:|From |[\t ])")

_HEAD_CUT = f"в заголовке письма больше {MAX_HEAD_LINES} строк; прочитано начало"
_CAPS = (
    (limits.too_nested, "вложенность частей MIME больше предела; текст взят как есть"),
    (limits.too_many_parts, "частей MIME больше предела; текст взят как есть"),
    (lambda raw: _lines(raw) > MAX_LINES, "строк больше предела; текст взят как есть"),
)


def read_tree(raw: bytes, policy: Policy) -> tuple[Message, str | None]:
    """The message's tree and, when a cap cut it short, what staff are told of it."""
    head, body, last, unended, cut = _split(raw)
    problem = _HEAD_CUT if cut else None
    msg = email.parser.BytesParser(policy=policy).parsebytes(head, headersonly=True)
    if unended:  # the parser notes it first: the body's first line ended the block
        msg.defects.insert(0, errors.MissingHeaderBodySeparatorDefect())
    if last and head.startswith(b"From ", last):  # the parser takes a last line "From "
        body = head[last:] + body  # for the body's first (unless it is the only line)
    if msg.get_content_maintype() not in ("multipart", "message"):
        return _with_body(msg, body), problem
    whole = head + b"\r\n" + body if cut else raw
    for over, why in _CAPS:
        if over(whole):
            return _with_body(msg, body), problem or why
    try:
        return email.message_from_bytes(whole, policy=policy), problem
    except RecursionError:
        return _with_body(msg, body), "вложенность частей MIME слишком глубока; текст взят как есть"


def _split(raw: bytes) -> tuple[bytes, bytes, int, bool, bool]:
    """(the header block's lines, the body, where the block's last line starts,
    whether a line other than an empty one ended the block, whether the block was cut
    at MAX_HEAD_LINES: the fields past them are left out, the body is found as the
    parser finds it)."""
    start = last = 0  # of the line at hand, of the one before
    for end in itertools.islice(_LINE_END.finditer(raw), MAX_HEAD_LINES):
        if end.start() == start:  # the empty line: in neither
            return raw[:start], raw[end.end() :], last, False, False
        if not _FIELD_LINE.match(raw, start):
            return raw[:start], raw[start:], last, True, False
        start, last = end.end(), start
    if start < len(raw) and _LINE_END.search(raw, start):  # more lines than read
        end = _FIELDS_END.search(raw, start)
        if end is None:  # fields to the end
            return raw[:start], b"", last, False, True
        empty = _LINE_END.match(raw, end.start())
        body = raw[empty.end() :] if empty else raw[end.start() :]
        return raw[:start], body, last, empty is None, True
    if start == len(raw) or _FIELD_LINE.match(raw, start):  # the last line, unended
        return raw, b"", start if start < len(raw) else last, False, False
    return raw[:start], raw[start:], last, True, False


def _with_body(msg: Message, body: bytes) -> Message:
    """``msg`` (parsed from its header block alone) with ``body`` as its one text payload,
    as the parser sets it: bytes that are not ASCII stay surrogate-escaped."""
    msg.set_payload(body.decode("ascii", "surrogateescape"))
    if msg.get_content_maintype() in ("multipart", "message"):
        msg.set_type("text/plain")  # (not a container: its parts are not parsed)
    return msg


def _lines(raw: bytes) -> int:
    """Lines as the parser splits them: each CRLF, lone CR and lone LF ends one (a
    mail of LF lines with millions of CR-only ones between is millions of lines)."""
    return raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
