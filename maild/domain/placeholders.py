"""Outlook's "[cid:image001.png@01DA1234.56789ABC]": where a picture was pasted, in the
plain-text alternative of an HTML mail. Pure: text and the message's pictures in, text out.
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDER", "cid_of", "name_pictures"]

# A Content-ID as Outlook writes it inside the brackets: no space, no bracket, short.
# "[" ends a candidate too: each is then read up to the next bracket at most, so the
# scan is linear in the text (one that could span "[cid:" after "[cid:" read 200
# characters on from each: bench/FINDINGS.md 50).
PLACEHOLDER = re.compile(r"\[cid:([^\[\]\s]{1,200})\]", re.IGNORECASE)

# Where a placeholder was removed (a noncharacter: Unicode keeps it for such use), and
# the gap it leaves with the blanks around it: "См. [cid:x] выше" reads "См. выше".
_GONE = "\ufdd0"
_GAP = re.compile(r"(?<![ \t])[ \t]*+(?:\ufdd0[ \t]*+)+")  # from a run's start: linear


def cid_of(header: str | None) -> str:
    """A Content-ID's id as the HTML and the placeholder name it: no <>, any case."""
    return (header or "").strip().strip("<>").strip().lower()


def name_pictures(text: str, names: dict[str, str]) -> str:
    """Each placeholder as the file name of the picture it stands for, "[image001.png]",
    which staff then find among the ticket's files; a placeholder of no picture the mail
    carries by name is removed, and its line with it when it stood alone: the Content-ID
    means nothing to a person."""
    if PLACEHOLDER.search(text) is None:
        return text

    def named(m: re.Match[str]) -> str:
        name = names.get(cid_of(m.group(1)))
        return f"[{name}]" if name else _GONE

    def closed(m: re.Match[str]) -> str:  # one space between words, none at an end
        return " " if m.start() > 0 and m.end() < len(m.string) else ""

    lines = []
    for line in text.split("\n"):
        shown = PLACEHOLDER.sub(named, line)
        if _GONE in shown:
            shown = _GAP.sub(closed, shown)
        if shown.strip() or not line.strip():  # a line of removed placeholders goes too
            lines.append(shown)
    return "\n".join(lines)
