"""A raw message as the email package's tree, at a cost bounded by the message's size.

The stdlib parser keeps a body as one string per line until its part ends, and every
header look-up walks all the header fields: a mail of millions of short lines or of
header fields held hundreds of MB in it and cost seconds (bench/FINDINGS.md 50). So:

- the header block is read from its first MAX_HEAD_LINES lines and its last
  TAIL_LINES; the fields between are left out (a real header has tens to hundreds;
  postfix's own limits are 100 KB for one field and 50 Received lines); one long field
  is one line. A message's own block ends where the MTA ends it, not where the parser
  would (as_the_mta_reads): a milter's spam verdict is appended there;
- a body that holds no parts (not multipart, not message/*) is set as the payload
  whole, never split into lines: it is what the parser would make of it, which
  tests/unit/test_mimetree.py holds equal;
- a body of parts is kept as raw text when it is made of more than MAX_LINES lines
  (30 bytes a line on average at the largest mail accepted; base64 has 78) or its
  containers or delimiters are over limits.py's caps; else, when it has the plain
  shape of a multipart, it is split at its delimiter lines and each part read as
  above (_container); any other shape is parsed by the stdlib.

Each cut is said in Russian for the staff notice («не удалось разобрать полностью»).
"""

from __future__ import annotations

import email
import email.parser
import itertools
import re
from collections.abc import Iterator
from email import errors
from email.message import Message
from email.policy import Policy

from maild.domain import limits

__all__ = ["MAX_HEAD_LINES", "MAX_LINES", "as_the_mta_reads", "header_block_end", "read_tree"]

MAX_HEAD_LINES = 20_000  # lines of the header block read from its start ...
TAIL_LINES, TAIL_BYTES = 200, 64 * 1024  # ... and from its end (_tail)
MAX_LINES = 1_000_000  # lines of a message whose parts are parsed
FAST_DEPTH = 4  # multiparts nested in multiparts read without the parser (_container)

# The parser's own rule (email.feedparser.headerRE): a header block's line starts
# "From ", a field name and a colon, or blank space (a folded line); a line break is
# CRLF, CR or LF. The first line that is none of these (an empty one, or any other:
# then it is the body's first) ends the block.
_FIELD_LINE = re.compile(rb"From |[\041-\071\073-\176]*:|[\t ]")
_LINE_END = re.compile(rb"\r\n|\r|\n")
# RFC 5322's obsolete syntax (4.5, obs-optional) lets blank space stand between a
# field's name and its colon, "Subject : hi". The MTA reads such a line as a field
# (postfix's is_header; sendmail and exim alike), so a milter appends its verdict below
# it, while the parser's rule above ends the block there and reads what follows (the
# verdict, From) as the body's first lines. A message's own block is read as the MTA
# reads it (as_the_mta_reads): such a line is written "Subject:  hi", its blank space
# after the colon, where the parser takes it off the value. "From : ivan@x.ru" is the
# From field to the MTA (the parser took it for an envelope line and skipped it); an
# envelope line "From ivan@x.ru Mon ..." has no colon after its blank space: kept.
_OBS_FIELD = re.compile(rb"([\r\n][\041-\071\073-\176]+)([\t ]+):")
_OBS_FIRST = re.compile(rb"([\041-\071\073-\176]+)([\t ]+):")  # (at the start)
# Lines that are fields to the parser or to the MTA, from where it starts matching:
# it ends at the first that is neither (an empty line, or the body's first).
_FIELD_LINES = re.compile(
    rb"(?:(?:[\041-\071\073-\176]*[\t ]*:|From |[\t ])[^\r\n]*(?:\r\n|\r|\n|\Z))*+"
)

_HEAD_CUT = f"в заголовке письма больше {MAX_HEAD_LINES} строк; прочитаны начало и конец"
_CAPS = (
    (limits.too_nested, "вложенность частей MIME больше предела; текст взят как есть"),
    (limits.too_many_parts, "частей MIME больше предела; текст взят как есть"),
    (lambda raw: _lines(raw) > MAX_LINES, "строк больше предела; текст взят как есть"),
)


def read_tree(raw: bytes, policy: Policy) -> tuple[Message, str | None]:
    """The message's tree and, when a cap cut it short, what staff are told of it.
    Its own header block is read as the MTA reads it (as_the_mta_reads); a part's, as
    the parser reads it (the MTA adds nothing there)."""
    raw = as_the_mta_reads(raw)
    msg, head, body, cut = _headed(raw, policy)
    problem = _HEAD_CUT if cut else None
    if msg.get_content_maintype() not in ("multipart", "message"):
        return _with_body(msg, body), problem
    whole = head + b"\r\n" + body if cut else raw
    for over, why in _CAPS:
        if over(whole):
            return _with_body(msg, body), problem or why
    if not cut and (tree := _container(msg, body, policy, depth=0)) is not None:
        return tree, problem
    try:
        return email.message_from_bytes(whole, policy=policy), problem
    except RecursionError:
        return _with_body(msg, body), "вложенность частей MIME слишком глубока; текст взят как есть"


def header_block_end(raw: bytes, start: int = 0) -> int:
    """Where the header block of ``raw`` (from ``start``) ends, as the MTA and the
    parser end it: at an empty line, or at the first line that is neither a field nor
    a folded one (a script's text right under its fields, with no blank line). Linear."""
    fields = _FIELD_LINES.match(raw, start)  # (`*+`: it matches, if only nothing)
    return fields.end() if fields else start


def as_the_mta_reads(raw: bytes) -> bytes:
    """``raw`` with each field line of its header block that has blank space before
    its colon ("X-Foo : bar", _OBS_FIELD) written with that space after the colon
    ("X-Foo:  bar"), so the parser ends the block where the MTA does and reads every
    field the MTA read (a milter's verdict appended below such a line, a From). Byte
    for byte as long as ``raw``; a message without such a line comes back as it is.

    Only the lines read are written again (_split: the first MAX_HEAD_LINES and what
    _tail may take): the rest of a huge block is left out, and the block's end is
    found by one match from its start, so the cost stays linear in the block's size
    and small beside the parser's."""
    end = header_block_end(raw)
    if raw.find(b" :", 0, end) < 0 and raw.find(b"\t:", 0, end) < 0:
        return raw  # (most mail: no blank space before a colon at all)
    lines = _LINE_END.finditer(raw, 0, end)
    read = next(itertools.islice(lines, MAX_HEAD_LINES, None), None)  # past them
    tail = max(0, end - TAIL_BYTES - 2)  # (from a line break: each line has its own)
    if read is None or read.end() >= tail:
        return _obs_mended(raw[:end]) + raw[end:]
    return b"".join(
        (_obs_mended(raw[: read.end()]), raw[read.end() : tail],
         _OBS_FIELD.sub(rb"\1:\2", raw[tail:end]), raw[end:])
    )  # fmt: skip


def _obs_mended(head: bytes) -> bytes:
    """``head`` (a header block's first lines) with each line of _OBS_FIELD written as
    the parser reads a field."""
    if first := _OBS_FIRST.match(head):
        head = first.expand(rb"\1:\2") + head[first.end() :]
    return _OBS_FIELD.sub(rb"\1:\2", head)


def _split(raw: bytes) -> tuple[bytes, bytes, int, bool, bool]:
    """(the header block's lines, the body, where the block's last line starts,
    whether a line other than an empty one ended the block, whether the block was cut
    at MAX_HEAD_LINES: the fields past them are left out, the body is found where the
    MTA finds it, _FIELD_LINES; a message's own block is read so from its start, and a
    part's cut so is left to the parser, read_tree)."""
    start = last = 0  # of the line at hand, of the one before
    for end in itertools.islice(_LINE_END.finditer(raw), MAX_HEAD_LINES):
        if end.start() == start:  # the empty line: in neither
            return raw[:start], raw[end.end() :], last, False, False
        if not _FIELD_LINE.match(raw, start):
            return raw[:start], raw[start:], last, True, False
        start, last = end.end(), start
    if start < len(raw) and _LINE_END.search(raw, start):  # more lines than read
        stop = header_block_end(raw, start)  # (as the MTA ends the block)
        tail, last = _tail(raw, start, stop, last)
        if stop == len(raw) and not raw.endswith((b"\n", b"\r")):  # fields to the end
            return raw[:start] + tail, b"", last, False, True
        empty = _LINE_END.match(raw, stop)
        body = raw[empty.end() :] if empty else raw[stop:]
        return raw[:start] + tail, body, last, empty is None, True
    if start == len(raw) or _FIELD_LINE.match(raw, start):  # the last line, unended
        return raw, b"", start if start < len(raw) else last, False, False
    return raw[:start], raw[start:], last, True, False


def _tail(raw: bytes, start: int, end: int, last: int) -> tuple[bytes, int]:
    """The fields that end a header block cut at MAX_HEAD_LINES (``raw[start:end]``
    is what is past the lines read): its last TAIL_LINES lines within TAIL_BYTES, from
    a field's first line; and where the block's last line then starts (``last``: where
    it starts without them). What the MTA adds at the block's end, a milter's spam
    verdict, is read below a sender's own 20,000 lines too."""
    lo = max(start, end - TAIL_BYTES)
    lines = raw[lo:end].splitlines(keepends=True)[-TAIL_LINES:]
    if lo > start and lines and len(lines) == len(raw[lo:end].splitlines()):
        lines = lines[1:]  # begun mid-line
    while lines and lines[0][:1] in (b" ", b"\t"):
        lines = lines[1:]  # a field's folded lines without its first one
    if not lines:
        return b"", last
    tail = b"".join(lines)
    return tail, start + len(tail) - len(lines[-1])


def _headed(raw: bytes, policy: Policy) -> tuple[Message, bytes, bytes, bool]:
    """(the message parsed from its header block alone, that block, the body as the
    parser finds it, whether the block was cut at MAX_HEAD_LINES)."""
    head, body, last, unended, cut = _split(raw)
    msg = email.parser.BytesParser(policy=policy).parsebytes(head, headersonly=True)
    if unended:  # the parser notes it first: the body's first line ended the block
        msg.defects.insert(0, errors.MissingHeaderBodySeparatorDefect())
    if last and head.startswith(b"From ", last):  # the parser takes a last line "From "
        body = head[last:] + body  # for the body's first (unless it is the only line)
    return msg, head, body, cut


def _part(chunk: bytes, policy: Policy, depth: int) -> Message | None:
    """A part of a multipart as the parser reads it in its place (None: see
    _container): its header block parsed, a body without parts set whole. The line
    break before the next delimiter is the delimiter's (RFC 2046): the parser takes
    it off the body, or off the epilogue of a multipart."""
    msg, _head, body, cut = _headed(chunk, policy)
    if cut:
        return None
    maintype = msg.get_content_maintype()
    if maintype == "message":
        return None
    if maintype == "multipart":
        return _container(msg, body, policy, depth=depth)
    return _with_body(msg, _without_break(body))


def _container(msg: Message, body: bytes, policy: Policy, *, depth: int) -> Message | None:
    """``msg`` (parsed from its header block alone) with the parts of ``body``, as the
    parser makes them, when the body has the plain shape: a preamble, parts each
    after a delimiter line of its own, a close delimiter, an epilogue; no part is
    message/* and no header block is over MAX_HEAD_LINES; multiparts nest at most
    FAST_DEPTH deep (each level holds a copy of its part while its parts are read).
    None otherwise, and the caller parses the whole message with the stdlib.

    The parser compiles a regular expression per multipart and reads every line of
    every part in Python; here the delimiter lines are found with bytes.find, which
    tests/unit/test_mimetree.py holds equal to the parser on messages of any shape.
    ``depth``: 0 for the message itself, 1 for a part of it and so on (see _part)."""
    cte = str(msg.get("content-transfer-encoding", "8bit")).lower()
    if depth > FAST_DEPTH or cte not in ("7bit", "8bit", "binary"):
        return None
    if msg.get_content_type() == "multipart/digest":  # (its parts are message/rfc822)
        return None
    boundary = msg.get_boundary()
    try:
        separator = b"--" + boundary.encode("ascii", "surrogateescape") if boundary else b""
    except UnicodeEncodeError:
        return None
    delimiters = _delimiters(body, separator) if _plain(separator) else None
    if not delimiters:
        return None
    parts: list[Message | str] = []  # (set_payload's type)
    for (_, start), (end, _) in itertools.pairwise(delimiters):
        part = _part(body[start:end], policy, depth + 1)
        if part is None:
            return None
        parts.append(part)
    first, close_end = delimiters[0][0], delimiters[-1][1]
    if first:
        msg.preamble = _without_break(body[:first]).decode("ascii", "surrogateescape")
    epilogue: bytes | None = body[close_end:]
    if depth:  # the parser leaves None for an epilogue that then is empty
        epilogue = _without_break(epilogue) if epilogue else None
    msg.epilogue = None if epilogue is None else epilogue.decode("ascii", "surrogateescape")
    msg.set_payload(parts)
    return msg


def _plain(separator: bytes) -> bool:
    return len(separator) > 2 and b"\r" not in separator and b"\n" not in separator


def _delimiters(body: bytes, separator: bytes) -> list[tuple[int, int]] | None:
    """(where the line starts, where the next line starts) of each delimiter line of
    ``body`` up to and with the close delimiter, as the parser finds them (a line that
    starts with the separator and goes on with nothing but an optional "--", spaces and
    tabs); None when there is no close delimiter, none before it, or two in a row."""
    found: list[tuple[int, int]] = []
    for at in _lines_starting(body, separator):
        end = _LINE_END.search(body, at + len(separator))
        tail = body[at + len(separator) : end.start() if end else len(body)]
        close = tail.startswith(b"--")
        if not (tail[2:] if close else tail).strip(b" \t"):
            if found and found[-1][1] == at:  # two in a row
                return None
            found.append((at, end.end() if end else len(body)))
            if close:
                return found if len(found) > 1 else None
    return None


def _lines_starting(body: bytes, separator: bytes) -> Iterator[int]:
    """Where the lines of ``body`` that start with ``separator`` start, in order: after
    an LF or a lone CR. Each of the two searches goes on from its last find, so the
    whole body is scanned once, however often the separator occurs within lines."""
    if body.startswith(separator):
        yield 0
    after_lf, after_cr = b"\n" + separator, b"\r" + separator
    lf, cr = body.find(after_lf), body.find(after_cr)
    while lf >= 0 or cr >= 0:
        if cr < 0 or 0 <= lf < cr:
            yield lf + 1
            lf = body.find(after_lf, lf + 1)
        else:
            yield cr + 1
            cr = body.find(after_cr, cr + 1)


def _without_break(text: bytes) -> bytes:
    """``text`` without the line break it ends with: the next delimiter's (RFC 2046)."""
    if text.endswith(b"\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith((b"\r", b"\n")) else text


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
