"""One part of a parsed MIME tree (the email package's compat32 tree, header values
kept raw by RAW_POLICY): its headers, content type, parameters, file name and bytes,
read without raising (charset and header decoding are domain.charset's and
domain.header_text's)."""

from __future__ import annotations

import email.policy
from email.message import Message

from maild.domain import limits
from maild.domain.charset import b64decode_lenient, decode_bytes
from maild.domain.header_text import decode_compat32

_PARAMETER_HEADERS = ("content-type", "content-disposition")


class _RawHeaderPolicy(email.policy.Compat32):
    """compat32, but header values come back as the parser saw them.

    Stock compat32 wraps a value holding raw 8-bit bytes in an email.header.Header
    whose str() turns every such byte into U+FFFD: a windows-1251 Subject or file
    name typed without RFC 2047 would be lost before charset detection sees it.
    Here the bytes stay surrogate-escaped and domain.charset decodes them.

    Content-Type and Content-Disposition come back as their head only (limits.head_of):
    the stdlib reads their parameters (boundary, charset, filename) in time quadratic in
    the header's length, and the parser itself asks a multipart for its boundary;
    cut, a header costs time linear in its length (bench/FINDINGS.md 50).
    """

    def header_fetch_parse(self, name, value):
        if len(value) > limits.MAX_HEADER_CHARS and name.lower() in _PARAMETER_HEADERS:
            return limits.head_of(value)
        return value


RAW_POLICY = _RawHeaderPolicy()


def header_of(msg: Message, name: str) -> str:
    """The first `name` header of `msg`, decoded (its head only, see limits.head_of)."""
    raw = msg.get(name)
    return "" if raw is None else decode_compat32(limits.head_of(str(raw)))


def parts_of(part: Message) -> list[Message] | None:
    """The parts a multipart or message/* part holds; None for a leaf. Not a bare
    get_payload(): of a leaf holding 8-bit bytes compat32 decodes them by the charset
    parameter, and raises on one it cannot use (RFC 2231-encoded it is a tuple; 8-bit
    bytes in it): one such text part made the whole mail unreadable."""
    if not part.is_multipart():
        return None
    return [p for p in part.get_payload() if isinstance(p, Message)]


def payload(part: Message) -> bytes:
    """The part's content, transfer encoding undone (lenient base64; raw when unreadable)."""
    if part.is_multipart():
        return b""
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    try:
        raw = part.get_payload(decode=False)
    except (LookupError, TypeError, ValueError):  # as in parts_of: decode=True gives
        raw = None  # the bytes as they came
    if cte == "base64" and isinstance(raw, str | bytes):  # (a leaf's payload: either)
        data = raw.encode("ascii", "ignore") if isinstance(raw, str) else raw
        return b64decode_lenient(data)
    try:
        decoded = part.get_payload(decode=True)
    except Exception:
        decoded = None
    if isinstance(decoded, bytes):  # (else None: a leaf's decoded payload is bytes)
        return decoded
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def text_of(part: Message) -> str:
    """The part's content as text, by its charset label."""
    return decode_bytes(payload(part), part.get_content_charset())


def param(part: Message, name: str) -> str:
    """A Content-Type parameter, lower-cased ("" when absent or unreadable)."""
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    return value.strip().lower() if isinstance(value, str) else ""


def content_type(part: Message) -> str:
    """The part's content type, lower-cased (text/plain when unreadable)."""
    try:
        return (part.get_content_type() or "text/plain").lower()
    except Exception:
        return "text/plain"
