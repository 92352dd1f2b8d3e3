"""Commands of one staff reply that contradict each other: «#close» with «#wait»,
«#reopen» or «#development»; two different levels («#level vip», «#level partner»,
«#consulting», «#development»).

Run in order, the last line won: «#close» then «#wait» left the ticket waiting, and the
customer had the rating request of a ticket still in work; «#development» then «#close»
promised an answer of development that no deadline watched any more. Which of the two a
staff member meant no order of lines says, so neither runs: the reply's other commands
and its answer go as they would, and the staff member is told (staff_error.txt).

Commands that agree run whatever their order: «#take» with «#close» (who handled it,
then closed: «#take» runs first), «#wait» with «#take» or «#reopen» (taken, or opened
again, to wait for the customer's answer: «#wait» runs last).

Pure: the reply's commands in, those to run and the errors (Russian) out.
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.commands import Command

__all__ = ["CONFLICTS", "without_conflicts"]

# What each says against «#close» («закрыть обращение и в то же время ...»).
CONFLICTS = {
    "wait": "ждать ответа клиента",
    "reopen": "открыть его снова",
    "development": "передать его в отдел разработки, обещав клиенту срок ответа",
}


def without_conflicts(commands: Iterable[Command]) -> tuple[tuple[Command, ...], list[str]]:
    """(the commands to run, in the order to run them; one error per command that
    contradicts «#close»). With «#close» and any of CONFLICTS, none of them runs (all
    their lines), whatever their order; the other commands run as they stand, but
    «#take» first when the reply closes the ticket (taken, then closed, not opened
    again) and «#wait» last («#wait» above «#take» or «#reopen» still leaves the
    ticket waiting for the customer, as it does below them)."""
    commands = tuple(commands)
    names = {c.name for c in commands}
    first = "take" if "close" in names else None
    commands = (
        *(c for c in commands if c.name == first),
        *(c for c in commands if c.name not in (first, "wait")),
        *dict.fromkeys(c for c in commands if c.name == "wait"),  # once is enough
    )
    commands, errors = _levels_agreeing(commands)
    against = [n for n in CONFLICTS if n in names]
    if "close" not in names or not against:
        return commands, errors
    errors += [
        f"#close и #{n} противоречат друг другу: закрыть обращение и в то же время\n"
        f"    {CONFLICTS[n]}. Не выполнена ни одна из них."
        for n in against
    ]
    dropped = {"close", *against}
    return tuple(c for c in commands if c.name not in dropped), errors


LEVEL_SETTERS = ("level", "consulting", "development")


def _levels_agreeing(commands: tuple[Command, ...]) -> tuple[tuple[Command, ...], list[str]]:
    """«#level vip» with «#level partner», «#consulting» with «#development»: two
    levels, two reaction times promised; the last line won without a word. Neither
    runs (the same level twice is one), and the staff member is told. «#level» with
    «#development» agree: the level the customer is owed, then the transfer
    (closedcmd.level_errors)."""
    setters = [c for c in commands if c.name in LEVEL_SETTERS]
    wanted = dict.fromkeys(c.arg if c.name == "level" else c.name for c in setters)
    if "development" in wanted and "consulting" not in wanted:
        del wanted["development"]
    if len(wanted) < 2:
        return commands, []
    written = ", ".join(f"#{c.name}" + (f" {c.arg}" if c.arg else "") for c in setters)
    error = (
        f"{written} противоречат друг другу: у обращения один уровень обслуживания.\n"
        "    Не выполнена ни одна из них."
    )
    return tuple(c for c in commands if c.name not in LEVEL_SETTERS), [error]
