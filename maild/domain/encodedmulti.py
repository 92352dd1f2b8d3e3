"""A multipart sent base64 or quoted-printable, which RFC 2045 (6.4) forbids and some
mailers and gateways do all the same: the parser looks for its delimiters in the
encoded text, finds none, and the whole body was read as the letter's text, its MIME
source («--B Content-Type: ...») shown to staff with every file in it lost. Its decoded
bytes are parsed as the multipart its header says it is.

Works on the email package's compat32 tree (domain.mimeparts.RAW_POLICY), in place.
"""

from __future__ import annotations

from email.message import Message
from email.policy import Policy

from maild.domain import partread
from maild.domain.mimetree import read_tree

__all__ = ["MAX_ENCODED_MULTIPARTS", "open_encoded_multiparts"]

# At most this many encoded multiparts are opened per message (each opened one is
# read as read_tree reads a mail, under its caps).
MAX_ENCODED_MULTIPARTS = 10
_ENCODINGS = ("base64", "quoted-printable")


def open_encoded_multiparts(msg: Message, policy: Policy) -> None:
    """Each multipart of ``msg`` (``msg`` too) whose body was sent encoded and so held
    no part, given the parts its decoded body holds; its transfer encoding is dropped.
    One whose decoded body holds no delimiter of its boundary is left as it came."""
    opened = 0
    stack = [msg]
    while stack and opened < MAX_ENCODED_MULTIPARTS:
        part = stack.pop()
        children = partread.parts_of(part)
        if children is None:
            parts = _decoded_parts(part, policy)
            if parts is None:
                continue
            opened += 1
            part.set_payload(list[Message | str](parts))
            del part["content-transfer-encoding"]
            children = parts
        stack.extend(children)


def _decoded_parts(part: Message, policy: Policy) -> list[Message] | None:
    """The parts of ``part``'s decoded body, when it is an encoded multipart."""
    try:
        if part.get_content_maintype() != "multipart":
            return None
        encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
        boundary = part.get_boundary()
        if encoding not in _ENCODINGS or not boundary:
            return None
        data = partread.payload(part)
        if b"--" + boundary.encode("utf-8", "surrogateescape") not in data:
            return None
        ctype = str(part.get("content-type", "")).encode("utf-8", "surrogateescape")
        tree, _cut = read_tree(b"Content-Type: " + ctype + b"\r\n\r\n" + data, policy)
    except Exception:  # left as the parser read it: shown, not lost
        return None
    children = partread.parts_of(tree)
    return children or None
