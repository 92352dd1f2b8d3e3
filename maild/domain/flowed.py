"""format=flowed text (RFC 3676) as the customer typed it: soft line breaks joined.

Thunderbird, Apple Mail and iOS Mail, Roundcube send plain text this way: a line that
ends in a space goes on in the next line. Read as it is, every paragraph arrives cut
at 72 characters, and with ``delsp=yes`` (Apple) a long word or a link is cut in two
by a space that is not the customer's. Pure: text in, text out.

A line that starts with a staff command ("#close", "#cc buh@x.ru") is never joined onto
the line above it: a client that keeps a space typed at a line's end sent «... версии
7.1. » over «#close», which joined into one line of prose that went to the customer
and closed nothing. A customer's such line stays a line of its own too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from maild.domain.commandnames import INVISIBLE, bare, resolve
from maild.domain.emphasis import MARKS

__all__ = ["unflow"]

# Hostile sizes: the text is split and joined this many lines (characters) at a time,
# so reading it holds memory of its size, not one string object per line, twice (split,
# then joined: bench/FINDINGS.md 50).
_BATCH = 2048
_BLOCK = 16384
# What a command's line starts with before commandnames.bare reads it (blanks, invisible
# marks, emphasis «*#close*»): no call for most lines
_STARTS = frozenset("#№\uff03\ufe5f \t" + INVISIBLE + MARKS)
# A command's sign and word at a bare line's start (commands.COMMAND_RE's, "＃" and "﹟"
# too); a word over 32 letters is no name or alias (the longest, «консультация», is 12)
_COMMAND_RE = re.compile(r"[#№\uff03\ufe5f]([^\W\d_][\w-]{0,31})(?![\w-])")


def unflow(text: str, delsp: bool) -> str:
    """The text with each run of soft-broken lines of one quote depth made one line.

    A quoted line comes back as ">" per level and one space; the signature separator
    "-- " is a hard break, as RFC 3676 4.3 says.
    """
    done: list[str] = []  # batches of output lines, joined
    out: list[str] = []
    opened: _Open | None = None  # the line being joined
    for block in _blocks(text):
        for line in block.split("\n"):
            if len(out) >= _BATCH:
                done.append("\n".join(out))
                out.clear()
            line = line.removesuffix("\r")
            depth = len(line) - len(line.lstrip(">"))
            content = line[depth:]
            content = content[1:] if content.startswith(" ") else content  # space-stuffing
            if opened is not None and (
                opened.depth != depth or content[:1] in _STARTS and _command(content)
            ):  # a soft break into another depth is hard, and one into a command
                out.append(opened.line().rstrip(" "))
                opened = None
            soft = content.endswith(" ") and content != "-- "
            if soft and delsp:
                content = content[:-1]
            if opened is None and not soft:
                out.append(_quoted(depth, content))
                continue
            opened = opened or _Open(depth)
            opened.add(content)
            if not soft:
                out.append(opened.line())
                opened = None
    if opened is not None:
        out.append(opened.line())
    return "\n".join([*done, "\n".join(out)] if out else done)


class _Open:
    """A line being joined: its quote depth and its pieces (batches of them joined)."""

    __slots__ = ("batches", "depth", "pieces")

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.batches: list[str] = []
        self.pieces: list[str] = []

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        if len(self.pieces) >= _BATCH:
            self.batches.append("".join(self.pieces))
            self.pieces.clear()

    def line(self) -> str:
        return _quoted(self.depth, "".join([*self.batches, *self.pieces]))


def _blocks(text: str) -> Iterator[str]:
    """``text`` in pieces of about _BLOCK characters, each cut where a line ends: their
    lines are the text's lines."""
    start = 0
    while (end := text.find("\n", start + _BLOCK)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _command(line: str) -> bool:
    """True if ``line`` starts with a staff command's sign and name (or alias), read
    as commands.parse_reply reads a line (commandnames.bare)."""
    m = _COMMAND_RE.match(bare(line))
    return m is not None and _named(m.group(1))


@functools.lru_cache(maxsize=1024)  # a text of one "#word" line many times over
def _named(word: str) -> bool:
    return resolve(word) is not None


def _quoted(depth: int, line: str) -> str:
    return (">" * depth + " " + line).rstrip(" ") if depth else line
