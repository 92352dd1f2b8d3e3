"""The staff commands' names (NAMES), the other words staff may type for them
(ALIASES), and how a typed "#word" is read as one of them (resolve). What each one's
argument is, and the cheat sheet: commandspec.py, whose REGISTRY has an entry for
each name here. Reading the lines of a reply: commands.py.

Apart from commandspec, whose imports read mail (records, message), so that reading a
mail can tell a command's line: flowed.py never joins one onto the line above it.
"""

from __future__ import annotations

from maild.domain.layout import readings

__all__ = ["ALIASES", "NAMES", "resolve"]

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
