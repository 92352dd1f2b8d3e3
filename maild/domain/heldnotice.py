"""A staff reply that holds the notice it answers unquoted: the client set the notice
under a header maild does not know, and the reply's own text cannot be told from it
(holds_notice). commands.py re-exports both names: a reply's lines are read there.
"""

from __future__ import annotations

from maild.domain.commandspec import EARLIER_SHEET, REGISTRY, cheat_sheet
from maild.domain.staffquote import OTHER_TEXT_RE, TEXT_END_RE, TEXT_START_RE, for_customer

__all__ = ["UNSEPARATED", "holds_notice"]

# A reply whose own text cannot be told from the notice it quotes (holds_notice).
UNSEPARATED = (
    "ваш текст не удалось отделить от цитаты уведомления: почтовая программа вставила\n"
    "    его без «>» и без шапки, которую maild узнаёт («От:», «Отправлено:», «Кому:»;\n"
    "    «... пишет:»; «-----Original Message-----»). Чтобы клиент не получил строк\n"
    "    уведомления, не отправлено ничего. Ответьте ещё раз, удалив цитату уведомления\n"
    "    (или включив цитирование с «>» в настройках почтовой программы)."
)


def holds_notice(text: str) -> bool:
    """True if what of a staff reply would reach the customer (staffquote.for_customer)
    holds a line that only support's staff mail has: a line of the command cheat sheet
    (every staff notice ends with it, templates/commands.txt) or a text marker (the
    customer's or another's).
    Then the client set the notice unquoted under a header that is not recognised
    (a UI language maild does not know), and the reply's own text cannot be told
    from the notice: nothing of it may go."""
    # (a notice sent before the sheet showed the aliases has the bare usage)
    bare = [(spec.usage, spec.help) for spec in REGISTRY.values()]
    lines = (*cheat_sheet(), *bare, *EARLIER_SHEET)
    sheet = {" ".join(f"{usage} {help}".split()) for usage, help in lines}
    markers = (TEXT_START_RE, TEXT_END_RE, OTHER_TEXT_RE)  # each opens with "---"
    for line in for_customer(text).splitlines():
        s = " ".join(line.split())
        if s in sheet or s.startswith("---") and any(r.fullmatch(s) for r in markers):
            return True
    return False
