"""A mail forwarded as message/rfc822 but sent base64 or quoted-printable, which RFC 2046
forbids and some clients do: its decoded bytes are parsed as the forward it is.

Works on the email package's compat32 tree (domain.mimeparts.RAW_POLICY), in place.
"""

from __future__ import annotations

import quopri
from email import errors
from email.message import Message
from email.policy import Policy

from maild.domain import limits
from maild.domain.charset import b64decode_lenient
from maild.domain.mimetree import read_tree

__all__ = ["FORWARD_MARK", "MAX_ENCODED_MESSAGES", "heading", "open_encoded_messages"]

# Thunderbird's own forward header: domain.quotes.FORWARD_RE knows it, so the site
# keeps all below it (a forward is the content of the mail, not quoted history).
FORWARD_MARK = "-------- Пересланное сообщение --------"


def heading(fields: list[tuple[str, str]]) -> str:
    """The lines that head a forwarded mail's text in what staff read: the mark, then
    each field that has a value (От, Дата, Тема, Кому), on one line and cut."""
    lines = [f"\n{FORWARD_MARK}"]
    for label, value in fields:
        value = " ".join(value.split())
        if value:
            lines.append(f"{label}: {limits.cut(value, limits.MAX_SUBJECT)}")
    return "\n".join(lines) + "\n"


# At most this many encoded forwards are opened per message.
MAX_ENCODED_MESSAGES = 10


def open_encoded_messages(msg: Message, policy: Policy) -> None:
    """Each base64 or quoted-printable message/rfc822 part parsed again from its decoded
    bytes, in place of what the parser made of the encoded ones (a header-less "message"
    whose body is the base64; "=D0=9F" in the headers and text of a quoted-printable
    one), so its text and files are read like any forward, never shown as code."""
    opened = 0
    stack = [msg]
    while stack and opened < MAX_ENCODED_MESSAGES:
        part = stack.pop()
        if not part.is_multipart():  # parts_of: a leaf's get_payload() may raise
            continue
        payload = part.get_payload()
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        try:
            data = _decoded(part, inner, policy) if inner is not None else None
        except Exception:  # left as the parser read it: shown, not lost
            data = None
        if data is not None:
            opened += 1
            payload[0], _cut = read_tree(data, policy)  # over a cap: its raw text
        stack.extend(p for p in payload if isinstance(p, Message))


def _decoded(part: Message, inner: Message, policy: Policy) -> bytes | None:
    """The forwarded message's own bytes, when ``part`` is one sent encoded."""
    try:
        ctype = (part.get_content_type() or "").lower()
    except Exception:
        return None
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if ctype != "message/rfc822":
        return None
    if encoding == "base64" and not inner.keys():
        return b64decode_lenient(str(inner.get_payload()))
    if encoding == "quoted-printable":
        return quopri.decodestring(_as_parsed(inner, policy))
    return None


def _as_parsed(inner: Message, policy: Policy) -> bytes:
    """The encoded text the parser read ``inner`` from, as near as it can be written back:
    where a soft line break ("=" at a line's end) cut a header line, the parser took the
    rest for the body and no blank line stood between them, so none is put back."""
    written = inner.as_bytes(policy=policy.clone(max_line_length=0))
    if not inner.keys():  # no header: the generator's blank line, then the body
        return written.removeprefix(b"\n")
    head, _, body = written.partition(b"\n\n")
    no_blank = any(isinstance(d, errors.MissingHeaderBodySeparatorDefect) for d in inner.defects)
    return head + (b"\n" if no_blank else b"\n\n") + body
