"""Files uuencoded into a plain text (Outlook Express's and The Bat!'s «uuencode»
option): ``begin 644 screen.bmp``, the file's lines, ``end``, inside the letter's
text/plain body, no MIME part of their own. Each is taken out of the text as the file
it is (attachments.decide judges it as any attached file) and its lines leave the
text: staff read pages of them as the customer's words, and a bare BMP so sent was
neither kept nor refused. Pure: text in, text and files out.

Only a well-formed block is a file: a ``begin`` line at a line's start with a mode of
3-4 octal digits and a name, uuencode lines (each as long as its first character says,
one check character more at most), an optional empty line (``\\`` `` or a blank one),
and an ``end`` line. Anything else (a line of words in it, no ``end``, a line cut
short, a quoted «> begin») stays text as it stands. Its lines are decoded as a MIME
part sent with Content-Transfer-Encoding: x-uuencode is (partread.payload).

Linear time: the text is searched for ``begin`` lines, and each block's lines are
matched once (a uuencode line holds no lower-case letter, so no ``begin`` line is
inside one); a block that is not well-formed is searched on from its ``begin`` line.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import NamedTuple

from maild.domain.filetypes import type_by_extension
from maild.domain.partread import payload

__all__ = ["UuFile", "uu_files"]

_BEGIN = re.compile(r"(?m)^begin +[0-7]{3,4} +([^\n]*)\n")
# the file's lines: uuencode's characters (space to backtick), CRLF text's "\r" aside
_LINES = re.compile(r"(?:[\x20-\x60]+\r?\n)*+")
# the last, empty line of a block, if any (a space a mail program trimmed), and ``end``
_END = re.compile(r"(?:[^\S\n]*\n)?end[^\S\n]*(?:\n|\Z)")
_MAX_LINE = 45  # bytes one uuencode line carries at most ("M")


class UuFile(NamedTuple):
    """A file a text carried uuencoded: its name as the ``begin`` line gives it, the
    type its name gives it (filetypes.type_by_extension), and its bytes."""

    name: str
    content_type: str
    data: bytes


def uu_files(text: str, limit: int) -> tuple[str, list[UuFile], bool]:
    """``text`` without its first ``limit`` well-formed uuencoded blocks (the module's
    docstring), those blocks' files in order, and whether a further block was left in
    the text for the cap. A text holding none comes back unchanged."""
    if "begin " not in text:
        return text, [], False
    out: list[str] = []
    files: list[UuFile] = []
    copied = at = 0  # text[:copied] is in out; the search goes on from `at`
    while (begin := _BEGIN.search(text, at)) is not None:
        at = begin.end()
        lines = _LINES.match(text, at)
        assert lines is not None  # it matches "" too
        end = _END.match(text, lines.end())
        name = begin.group(1).strip()
        if end is None or not name or not _well_formed(lines.group()):
            continue
        if len(files) >= limit:
            return "".join([*out, text[copied:]]), files, True
        out.append(text[copied : begin.start()])
        data = _decoded(lines.group())
        files.append(UuFile(name, type_by_extension(name) or "application/octet-stream", data))
        copied = at = end.end()
    out.append(text[copied:])
    return "".join(out), files, False


def _well_formed(lines: str) -> bool:
    """Whether each line holds as many characters as its first one says (a check
    character after them aside), and some line holds a byte."""
    carried = False
    for line in lines.splitlines():
        size = (ord(line[0]) - 32) & 63
        if size > _MAX_LINE or not 0 <= len(line.rstrip("\r")) - 1 - (size + 2) // 3 * 4 <= 1:
            return False
        carried = carried or size > 0
    return carried


def _decoded(lines: str) -> bytes:
    """The bytes of a block's lines, read as a MIME part in x-uuencode is."""
    part = Message()
    part["Content-Transfer-Encoding"] = "x-uuencode"
    part.set_payload(f"begin 644 file\n{lines}end\n")
    return payload(part)
