"""format=flowed text (RFC 3676) as the customer typed it: soft line breaks joined.

Thunderbird, Apple Mail and iOS Mail, Roundcube send plain text this way: a line that
ends in a space goes on in the next line. Read as it is, every paragraph arrives cut
at 72 characters, and with ``delsp=yes`` (Apple) a long word or a link is cut in two
by a space that is not the customer's. Pure: text in, text out.
"""

from __future__ import annotations

__all__ = ["unflow"]


def unflow(text: str, delsp: bool) -> str:
    """The text with each run of soft-broken lines of one quote depth made one line.

    A quoted line comes back as ">" per level and one space; the signature separator
    "-- " is a hard break, as RFC 3676 4.3 says.
    """
    out: list[str] = []
    joining: tuple[int, list[str]] | None = None  # (depth, pieces) of an open line
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        if joining is not None and joining[0] != depth:
            out.append(_quoted(*joining))  # a soft break into another depth is hard
            joining = None
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        pieces = joining[1] if joining is not None else []
        pieces.append(content)
        if soft:
            joining = (depth, pieces)
        else:
            out.append(_quoted(depth, pieces))
            joining = None
    if joining is not None:
        out.append(_quoted(*joining))
    return "\n".join(out)


def _quoted(depth: int, pieces: list[str]) -> str:
    line = "".join(pieces)
    return (">" * depth + " " + line).rstrip(" ") if depth else line
