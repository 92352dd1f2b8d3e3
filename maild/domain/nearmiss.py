"""A "#word" that is one slip of the keyboard from a staff command's name or alias:
"#clsoe", "#cloes", "#закрыь", "#закрыто". On a line of its own under the answer
it is a command mistyped, not the staff member's text (commands.parse_reply stops
the reply for it, as for an unknown "#word" at the top). Pure: words in, a word out.

One slip: a letter left out, one added, one replaced, or two neighbours swapped
(the optimal string alignment distance is 1). A name of four letters or fewer
("#take", "#note", "#spam") counts only two neighbours swapped ("#tkae"): one letter
off it is another word too often ("#make", "#notes", "#scam"), a hashtag; not so a
word mixing alphabets («#nоtes» with a Russian «о», «#спaмм» with a Latin "a").

Two neighbours swapped is the slip prose hardly makes (swapped): of the names' and
aliases' swaps ("clsoe", "ntoe", "закрыьт") the one word known is «тещу», "ntoe" in
the Russian layout (a line "#тещу ..." under the answer stops the reply, and the
staff member is asked), while a letter added, left out or replaced often is one
("#closed", "#ответы", "#заметки"). So a "#word" with words after it is a command
mistyped only when its slip is a swap ("#clsoe вопрос решён").
"""

from __future__ import annotations

from maild.domain.commandspec import ALIASES, COMMANDS
from maild.domain.layout import readings, to_russian_layout
from maild.domain.lookalike import mixed

__all__ = ["SHORT", "latin_typed", "near_command", "one_slip", "swapped"]

# A name this long or shorter is near only by two neighbours swapped.
SHORT = 4


def near_command(word: str) -> str | None:
    """The command name or alias (lower case, as commandspec spells it) that ``word``
    is one slip from, as written or typed with the other layout left on («сдщуы»:
    "cloes", "close"; "pfrhsn": «закрыт», «закрыть»); None when it is none (a known
    name itself included: that is the command, not a slip)."""
    targets = (*COMMANDS, *ALIASES)
    forms = readings(word)
    if any(form in targets for form in forms):  # «cдose»: "close", one key in the
        return None  # other layout; a command, not a slip of one
    # a word mixing alphabets is no hashtag: «#nоtes» (a Russian «о») is a slip of
    # #note as "#notes" is not, whatever the name's length (lookalike.py)
    short = SHORT if not mixed(word) else 0
    for form in forms:
        for target in targets:
            if one_slip(form, target, short):
                return target
    return None


def latin_typed(word: str) -> bool:
    """``word`` is a Russian alias, or one slip from one, typed with the Latin layout
    left on (";lfnm" is «ждать», ";lfn" «ждат»)."""
    russian = to_russian_layout(word.lower())
    return any(russian == a or one_slip(russian, a) for a in ALIASES if not a.isascii())


def swapped(word: str) -> bool:
    """``word`` is a command's name or alias with two neighbouring letters swapped, as
    written or typed with the other layout left on («сдщуы»: "cloes"; "pfrhnsm")."""
    targets = (*COMMANDS, *ALIASES)
    return any(_swapped(form, target) for form in readings(word) for target in targets)


def one_slip(typed: str, target: str, short: int = SHORT) -> bool:
    """``typed`` is ``target`` with one slip, as the module's docstring says (a name of
    ``short`` letters or fewer only by a swap)."""
    if typed == target or abs(len(typed) - len(target)) > 1:
        return False
    if len(target) <= short:
        return _swapped(typed, target)
    return _swapped(typed, target) or _one_edit(typed, target)


def _swapped(a: str, b: str) -> bool:
    """``a`` is ``b`` with two neighbouring letters swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i, j = diff
    return a[i] == b[j] and a[j] == b[i]


def _one_edit(a: str, b: str) -> bool:
    """``a`` is ``b`` with one letter replaced, added or left out."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
