"""text/enriched (RFC 1896) and its elder text/richtext (RFC 1341) read as the words
they format: a mail whose only body is one of them (or an alternative holding one
beside no plain or HTML text) still says what its sender wrote. Pure: text in, text out.
"""

from __future__ import annotations

import re

__all__ = ["enriched_to_text"]

# A formatting command: "<bold>", "</bold>", "<param>" (RFC 1896 §2: a name of letters,
# digits and "-", up to 60 characters), and richtext's "<nl>", "<lt>"; "<<" is a "<".
_COMMAND_RE = re.compile(r"<<|<(/?)([A-Za-z0-9-]{1,60})>")
# A param's content is no text (a colour, a font's name): dropped with its commands.
_PARAM_RE = re.compile(r"<param>[^<]*+</param>", re.IGNORECASE)
_BREAKS_RE = re.compile(r"\n+")


def enriched_to_text(text: str, richtext: bool = False) -> str:
    """The words of an enriched (or, ``richtext``, a richtext) body. Enriched text
    folds lines: one line break is a space, n breaks are n - 1 (RFC 1896 §2); in
    richtext every break is a space and only "<nl>" ends a line."""
    text = _PARAM_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if richtext:
        text = _BREAKS_RE.sub(" ", text)
    else:
        text = _BREAKS_RE.sub(lambda m: " " if len(m.group()) == 1 else m.group()[1:], text)

    def command(m: re.Match[str]) -> str:
        if m.group() == "<<":
            return "<"
        name = m.group(2).lower()
        if richtext and not m.group(1) and name in ("nl", "np"):
            return "\n"
        return "<" if richtext and name == "lt" and not m.group(1) else ""

    lines = _COMMAND_RE.sub(command, text).split("\n")
    return "\n".join(line.strip() for line in lines).strip()
