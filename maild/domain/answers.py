"""Saved answers in a staff reply (`#answer NAME`, answers/NAME.txt): the name as
typed or in the other layout, what the answer may use, and the reply's text with
each filled in. One that cannot be made (an admin's own answer that fails: the renderer
raises AnswerFailed, see maild/overrides.py) is an error that stops the reply, as an
unknown name is: its writer is told, the customer gets nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from maild.domain.commands import ParsedReply
from maild.domain.decision import level_ctx
from maild.domain.greeting import addressable
from maild.domain.layout import from_russian_layout, to_russian_layout
from maild.domain.limits import MAX_LISTED_NAMES, MAX_NAMED, MAX_NAMES_CHARS, cut
from maild.domain.plural import ru_count
from maild.domain.policy import Policy
from maild.domain.records import Ticket
from maild.domain.sla import LEVELS, SHORT_RU

# What a saved answer may use: answer_context's names and the desk's the renderer adds
# (render.desk_context; test_staff_reply holds GIVEN to both). check-config warns of an
# answer that uses any other: every reply with it fails
GIVEN = frozenset(
    ("tid", "level_id", "level_name", "level_short", "reaction", "due", "due_short")
    + ("name", "requester", "support_name", "support_address", "file_rules")
)

# A saved answer as a ticket would have it made, to try one on (`maild answers list`,
# check-config): every name of GIVEN the renderer does not add, so an answer this
# cannot make fails in a reply too
SAMPLE = {
    "tid": "1234-5678",
    "level_id": "standard",
    "level_name": LEVELS["standard"].name_ru,
    "level_short": SHORT_RU["standard"],
    "reaction": LEVELS["standard"].reaction_ru(),
    "due": "",
    "due_short": "",
    "name": "",
    "requester": "client@example.com",
}


class AnswerFailed(Exception):
    """An admin's saved answer, with no shipped one of its name, failed to render:
    `path` (the file that failed, maybe one it includes), `line` when known, `error`."""

    def __init__(self, path: str, line: int | None, error: str) -> None:
        super().__init__(f"{path}: {f'line {line}: ' if line else ''}{error}")
        self.path, self.line, self.error = path, line, error


def answer_context(policy: Policy, ticket: Ticket) -> dict[str, Any]:
    """What a saved answer may use: the ticket's TID, level, deadline, customer name."""
    return {
        **level_ctx(policy, ticket),
        "name": addressable(ticket.get("requester_name")) or "",  # or none: greeting.py
        "requester": ticket["requester"],
    }


def find_answer(policy: Policy, name: str) -> str | None:
    """The saved answer ``name`` names: an answer of that very name first (one named
    "ytn" is "ytn", whatever «нет» there is), else the one it is typed in the other
    layout: a Latin name in the Russian layout («ерфтлы»: "thanks"), a Russian one in
    the Latin layout ("cgfcb,j": «спасибо»); each as typed («,kfujlfh.» is «благодарю»),
    then without the "." or "!" a phone puts after it. None for none, and for two
    (``name`` half in each layout, read as both: typed_alike)."""
    names = policy.answer_names
    # as typed, less the one "." or "!" a phone puts after a word (the keys of «ю», «б»,
    # «ж» end names typed in the Latin layout: «,kfujlfh..»), less all such signs
    phone = name[:-1] if name.endswith((".", "!")) else name
    for typed in dict.fromkeys((name, phone, name.rstrip(".,;!"))):
        if named := _named(names, typed):
            return named
        found = {n for t in _layouts(typed) if (n := _named(names, t))}
        if found:
            return found.pop() if len(found) == 1 else None
    return None


def _named(names: tuple[str, ...], typed: str) -> str | None:
    """The saved answer named ``typed`` in any case: a command's argument comes lower
    case (commandspec), so "thanks" is Thanks.txt, and of Thanks.txt and thanks.txt it
    is thanks; none when only capitals tell two apart (Thanks, THANKS: capitals)."""
    if typed in names:
        return typed
    same = [n for n in names if n.lower() == typed.lower()]
    return same[0] if len(same) == 1 else None


def capitals(names: Iterable[str]) -> list[tuple[str, ...]]:
    """The saved answers' names that differ only in capitals, each group sorted:
    `#answer` reads a name in any case, so it can insert none of them but one all in
    lower case (check-config warns)."""
    seen: dict[str, list[str]] = {}
    for name in sorted(names):
        seen.setdefault(name.lower(), []).append(name)
    return [tuple(group) for group in seen.values() if len(group) > 1]


def _layouts(name: str) -> tuple[str, str]:
    """``name`` (lower case) read in the other layout: its Cyrillic as the Latin keys,
    its Latin keys as the Russian, in lower case after it: Shift held for «СПАСИБО»
    types "CGFCB<J", and "<" lower-cased is still "<", «Б» on the Russian layout."""
    return from_russian_layout(name), to_russian_layout(name).lower()


def typed_alike(names: Iterable[str]) -> list[tuple[str, ...]]:
    """The saved answers' names that are typed with the same keys, one layout's and
    the other's ("ytn" and «нет»), each group sorted: `#answer ytn` inserts "ytn"
    always, never «нет» typed with the Latin layout left on (check-config warns)."""
    keys: dict[str, list[str]] = {}
    for name in sorted(names):
        keys.setdefault(from_russian_layout(name.lower()), []).append(name)
    # names alike but for capitals are capitals' to tell
    return [tuple(g) for g in keys.values() if len({n.lower() for n in g}) > 1]


def known(names: tuple[str, ...]) -> str:
    """The saved answers' names as an error of `#answer` lists them: the first
    limits.MAX_LISTED_NAMES of them that fit limits.MAX_NAMES_CHARS, each whole, and a
    count of the rest, whom the cheat sheet at the mail's foot names (commands.txt).
    Listed all, a desk of 150 names had its error cut at limits.MAX_ERROR_CHARS, in the
    middle of a name."""
    if not names:
        return "(нет ни одного)"
    shown: list[str] = []
    size = 0
    for n in names[:MAX_LISTED_NAMES]:
        size += len(n) + 2
        if shown and size > MAX_NAMES_CHARS:
            break
        shown.append(n)
    more = len(names) - len(shown)
    if not more:
        return ", ".join(shown)
    rest = ru_count(more, "ответ", "ответа", "ответов")
    return f"{', '.join(shown)} и ещё {rest} (все названы в конце письма)"


def _unknown(policy: Policy, name: str) -> str:
    """The error of an `#answer` whose name names no saved answer, or two. A long name
    is named by its first limits.MAX_NAMED characters: one of 8 MB made an 11.5 MB mail;
    the names it could be, as `known` lists them."""
    known_names = known(policy.answer_names)
    same = [n for n in policy.answer_names if n.lower() == name.lower()]
    typed = cut(name, MAX_NAMED)
    if len(same) > 1:
        return (
            f"#answer: «{typed}» — так названы несколько ответов, они различаются только"
            f" заглавными буквами: {known(tuple(same))}; одному из них нужно другое имя"
            " (файлы ответов правит администратор)"
        )
    both = [n for n in _layouts(name) if n != name]
    if len(both) == 2 and all(_named(policy.answer_names, n) for n in both):
        return (
            f"#answer: «{typed}» — в одной раскладке «{both[0]}», в другой «{both[1]}»;"
            " напишите имя ответа в одной раскладке"
        )
    return f"#answer: нет сохранённого ответа «{typed}»; есть: {known_names}"


def filled(policy: Policy, reply: ParsedReply, ticket: Ticket) -> tuple[str, list[str]]:
    """(the reply's text with its saved answers filled in, errors): an unknown name or
    an answer that cannot be made is an error, and then the text is "". Each answer
    goes in once, where its first line stands, as a command twice is one: 40,000 lines
    of `#answer request_info` (880 KB) made a 27.8 MB mail to the customer."""
    typed = dict.fromkeys(c.arg or "" for c in reply.commands if c.name == "answer")
    found = {n: find_answer(policy, n) for n in typed}
    errors = [_unknown(policy, n) for n, name in found.items() if name is None]
    if errors:
        return "", errors
    ctx = answer_context(policy, ticket)
    texts = {}
    for n in typed:
        try:
            texts[n] = policy.render_answer(found[n] or n, ctx).rstrip("\n") + "\n"
        except AnswerFailed as e:
            at = f", строка {e.line}" if e.line else ""
            errors.append(
                f"#answer {n}: сохранённый ответ не удаётся составить: {e.path}{at}: {e.error}."
                " Ответ нужно исправить (файл правит администратор); до тех пор напишите"
                " текст ответа сами, без #answer"
            )
    inserted: set[str | None] = set()

    def once(n: str) -> str:  # «ерфтлы» after «thanks» is thanks again
        first = found[n] not in inserted
        inserted.add(found[n])
        return texts[n] if first else ""

    return ("", errors) if errors else (reply.fill(once), [])
