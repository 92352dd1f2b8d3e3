"""A queued mail again without its files, for a relay that refuses it for its size.

A staff notice carries the customer's accepted files (up to
attachments.max_message_bytes, 25 MB); postfix's message_size_limit is 10 MB by
default. Such a notice, refused for its size, was retried until someone raised the
limit, and staff never heard of the ticket meanwhile. Sent again without its files,
with a line saying where they are, it reaches them.
"""

from __future__ import annotations

import email
from email.message import Message

from maild.mime import text_part

_MIXED = b"\r\nContent-Type: multipart/mixed;"


def without_files(raw: bytes, note: str) -> bytes | None:
    """`raw`, a mail maild rendered (its header, then Renderer.content: a text part or
    a multipart/mixed of the text and the files), with its text and `note` only; None
    when it has no files to leave out."""
    at = raw.find(_MIXED, 0, raw.find(b"\r\n\r\n"))
    if at < 0:
        return None
    text = _text_of(email.message_from_bytes(raw))
    if text is None:
        return None
    return raw[: at + 2] + text_part(f"{text.rstrip()}\n\n{note}\n")


def _text_of(msg: Message) -> str | None:
    """The first part's text, as Renderer wrote it (UTF-8)."""
    parts = msg.get_payload()
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], Message):
        return None
    data = parts[0].get_payload(decode=True)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else None
