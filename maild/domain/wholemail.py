"""Whether a raw mail is whole, by its own framing: a copy cut short (a file
truncated on disk, a partial restore) shows it in a header block that stops within a
line, or a multipart whose close delimiter never comes (the outer one is the mail's
last line: a cut anywhere in its parts loses it). Mail that arrived so is whole to
this check only where its sender ended it properly; fsck (fsckspool) asks it of the
spool copies it would otherwise trust."""

from __future__ import annotations

import re
from email.parser import BytesHeaderParser
from email.policy import compat32

from maild.domain.mimetree import header_block_end

__all__ = ["cut_short"]

_BREAK = re.compile(rb"\r\n|\r|\n")


def cut_short(raw: bytes) -> str | None:
    """Why ``raw`` is not a whole mail, or None. Linear in its size: the header block
    is parsed alone, the close delimiter found with bytes.find."""
    end = header_block_end(raw)
    blank = _BREAK.match(raw, end)  # the empty line that ends the block
    if blank is None and not raw.endswith((b"\n", b"\r")):
        return "its header block stops within a line"
    head = BytesHeaderParser(policy=compat32).parsebytes(raw[:end])
    boundary = head.get_boundary() if head.get_content_maintype() == "multipart" else None
    if not boundary:
        return None
    close = b"--" + boundary.encode("ascii", "surrogateescape") + b"--"
    body = raw[blank.end() if blank else end :]
    if body.startswith(close) or b"\n" + close in body or b"\r" + close in body:
        return None
    return "its multipart's close delimiter is missing"
