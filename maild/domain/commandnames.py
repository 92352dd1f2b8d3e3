"""The staff commands' names (NAMES), the other words staff may type for them
(ALIASES), and how a typed "#word" is read as one of them (resolve). What each one's
argument is, and the cheat sheet: commandspec.py, whose REGISTRY has an entry for
each name here. Reading the lines of a reply: commands.py.

Apart from commandspec, whose imports read mail (records, message), so that reading a
mail can tell a command's line: flowed.py never joins one onto the line above it.
"""

from __future__ import annotations

from maild.domain.emphasis import unmarked
from maild.domain.layout import readings

__all__ = ["ALIASES", "INVISIBLE", "NAMES", "SIGNS", "bare", "resolve"]

# Invisible at a line's start (clients, HTML-to-text): BOM, zero widths, LRM/RLM/ALM, SHY
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u200e\u200f\u061c\u00ad"
# What a command line, or a slip of one, opens with (no other line is read for one)
SIGNS = frozenset("#№?\uff03\ufe5f")  # "#", "№", "?", and "＃", "﹟" (halfwidth: "#")


def bare(line: str) -> str:
    """A line as a command is read from it: stripped of blanks and of what clients
    put around it unseen (INVISIBLE) or for emphasis («*#close*»: emphasis.unmarked).
    The one reading of a command line's start: commands.parse_reply and in_quote, and
    flowed.unflow, which never joins such a line onto the one above."""
    return unmarked(line.strip().strip(INVISIBLE).strip(), SIGNS)


# Each command's name, in the order the cheat sheet gives them (commandspec.REGISTRY)
NAMES = (
    "take",
    "wait",
    "close",
    "reopen",
    "level",
    "consulting",
    "development",
    "critical",
    "assign",
    "note",
    "answer",
    "merge",
    "charset",
    "cc",
    "uncc",
    "human",
    "spam",
)

# Other words staff may type instead of a command's name (lower case), Russian or
# Latin; each is read in the Russian layout too, as a name is, and a Russian one in
# the Latin layout («pfrhsnm», «;lfnm»: resolve). Staff see them beside the name
# (commandspec.cheat_sheet), and README's table of commands names them.
ALIASES = {
    "взять": "take",
    "закрыть": "close",
    "открыть": "reopen",
    "ждать": "wait",
    "уровень": "level",
    "консультация": "consulting",
    "разработка": "development",
    "критично": "critical",
    "назначить": "assign",
    "заметка": "note",
    "ответ": "answer",
    "объединить": "merge",
    "кодировка": "charset",
    "спам": "spam",
    "человек": "human",
}


def resolve(word: str) -> str | None:
    """The command a "#word" names, or None: a command's name or an alias, as written
    or typed with the Russian layout left on ("сдщыу" is "close"; a Latin alias, too),
    or a Russian alias typed with the Latin one ("pfrhsnm" is «закрыть»: "close").
    No Latin name or alias is a Russian alias so typed (test_command_typing)."""
    for typed in readings(word):
        name = ALIASES.get(typed, typed)
        if name in NAMES:
            return name
    return None
