"""Commands of one staff reply that contradict each other: «#close» with «#wait»,
«#reopen» or «#development»; two different levels («#level vip», «#level partner»,
«#consulting», «#development»); «#critical» with «#critical нет» (marked urgent, and
the mark taken off); two different «#merge» targets (a merge is never undone), two
different «#assign» (one staff member holds a ticket), «#spam» with «#spam домен»
(the sender blocked, or the whole domain), «#cc X» with «#uncc X» (added, and taken
off).

Run in order, the last line won: «#close» then «#wait» left the ticket waiting, and the
customer had the rating request of a ticket still in work; «#development» then «#close»
promised an answer of development that no deadline watched any more. Which of the two a
staff member meant no order of lines says, so neither runs: the reply's other commands
and its answer go as they would, and the staff member is told (staff_error.txt).

Commands that agree run whatever their order: «#take» with «#close» (who handled it,
then closed: «#take» runs first), «#wait» with «#take» or «#reopen» (taken, or opened
again, to wait for the customer's answer: «#wait» runs last), «#level» with
«#development» (the level the customer is owed, then the transfer: «#development»
runs after it; run in line order, «#development» above «#level vip» ended at vip and
the customer was told of VIP support, the transfer lost without a word).

Pure: the reply's commands in, those to run and the errors (Russian) out.
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.addresses import comparable_address
from maild.domain.commands import Command, written
from maild.domain.commandspec import CRITICAL_OFF, LEVEL_SETTERS

__all__ = ["CONFLICTS", "in_run_order", "is_transfer", "shown", "without_conflicts"]

# What each says against «#close» («закрыть обращение и в то же время ...»).
CONFLICTS = {
    "wait": "ждать ответа клиента",
    "reopen": "открыть его снова",
    "development": "передать его в отдел разработки, обещав клиенту срок ответа",
}

# Commands of which a ticket takes one: two different lines of one, and why they
# contradict each other («... противоречат друг другу: ...»).
ONE_OF = {
    "merge": "обращение объединяется только с одним\n    обращением, а объединение нельзя отменить",
    "assign": "у обращения один ответственный\n    сотрудник",
    "spam": "заблокировать только отправителя или весь\n    его домен",
}


def without_conflicts(commands: Iterable[Command]) -> tuple[tuple[Command, ...], list[str]]:
    """(the commands to run, in the order to run them (in_run_order); one error per
    command that contradicts «#close»). With «#close» and any of CONFLICTS, none of
    them runs (all their lines), whatever their order; nor do two different levels,
    nor «#critical» with «#critical нет», nor two different «#merge», «#assign» or
    «#spam», nor «#cc X» with «#uncc X»."""
    commands = in_run_order(commands)
    names = {c.name for c in commands}
    commands, errors = _levels_agreeing(commands)
    commands, errors = _critical_agreeing(commands, errors)
    for name in ONE_OF:
        commands, errors = _one_agreeing(commands, errors, name)
    commands, errors = _cc_agreeing(commands, errors)
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


def in_run_order(commands: Iterable[Command]) -> tuple[Command, ...]:
    """The reply's commands in the order they run: as they stand, but «#take» first when
    the reply closes the ticket (taken, then closed, not opened again), «#wait» last
    («#wait» above «#take» or «#reopen» still leaves the ticket waiting for the
    customer, as it does below them), and of the levels the transfer to development
    last (the level owed, then the transfer, as closedcmd.level_errors judges it)."""
    commands = tuple(commands)
    first = "take" if any(c.name == "close" for c in commands) else None
    commands = (
        *(c for c in commands if c.name == first),
        *(c for c in commands if c.name not in (first, "wait")),
        *dict.fromkeys(c for c in commands if c.name == "wait"),  # once is enough
    )
    # the level setters keep their places among the other commands; in those places
    # the transfers come after the others (sorted is stable)
    setters = iter(sorted((c for c in commands if c.name in LEVEL_SETTERS), key=is_transfer))
    return tuple(next(setters) if c.name in LEVEL_SETTERS else c for c in commands)


def is_transfer(command: Command) -> bool:
    """«#development» or «#level development»: the ticket passed to development."""
    return command.name == "development" or (
        command.name == "level" and command.arg == "development"
    )


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


def _critical_agreeing(
    commands: tuple[Command, ...], errors: list[str]
) -> tuple[tuple[Command, ...], list[str]]:
    """«#critical» with «#critical нет»: the ticket marked urgent and the mark taken
    off; the last line won without a word. Neither runs (any of their lines), and the
    staff member is told, after ``errors``."""
    marks = {c.arg != CRITICAL_OFF for c in commands if c.name == "critical"}
    if len(marks) < 2:
        return commands, errors
    error = (
        "#critical и #critical нет противоречат друг другу: отметить обращение как\n"
        "    срочное и в то же время снять эту отметку. Не выполнена ни одна из них."
    )
    return tuple(c for c in commands if c.name != "critical"), [*errors, error]


def _one_agreeing(
    commands: tuple[Command, ...], errors: list[str], name: str
) -> tuple[tuple[Command, ...], list[str]]:
    """Two different lines of ``name`` (ONE_OF: «#merge 1111-1111» with «#merge
    2222-2222», «#assign anna@» with «#assign boris@», «#spam» with «#spam домен»): the
    last line won, or the first, without a word. None of them runs (the same line twice
    is one), and the staff member is told, after ``errors``."""
    lines = [c for c in commands if c.name == name]
    if len({(c.arg or "").lower() for c in lines}) < 2:
        return commands, errors
    typed = ", ".join(dict.fromkeys(shown(c) for c in lines))
    error = f"{typed} противоречат друг другу: {ONE_OF[name]}. Не выполнена ни одна из них."
    return tuple(c for c in commands if c.name != name), [*errors, error]


def shown(command: Command) -> str:
    """A command as the staff member reads it: «#spam домен», the word the cheat sheet
    shows, not the record's «#spam domain»."""
    return "#spam домен" if command == Command("spam", "domain") else written(command)


def _cc_agreeing(
    commands: tuple[Command, ...], errors: list[str]
) -> tuple[tuple[Command, ...], list[str]]:
    """«#cc X» with «#uncc X»: added and taken off in one reply, which ran both in line
    order and said nothing. Neither runs (no line of either naming X), and the staff
    member is told, after ``errors``; #cc and #uncc of others run."""
    kinds: dict[str, set[str]] = {}
    for c in commands:
        if c.name in ("cc", "uncc") and c.arg:
            kinds.setdefault(comparable_address(c.arg), set()).add(c.name)
    both = sorted(a for a, k in kinds.items() if len(k) == 2)
    if not both:
        return commands, errors
    errors = [*errors, *(_cc_error(commands, a) for a in both)]
    named = [c for c in commands if c.name in ("cc", "uncc") and c.arg]
    dropped = {c for c in named if comparable_address(c.arg or "") in both}
    return tuple(c for c in commands if c not in dropped), errors


def _cc_error(commands: tuple[Command, ...], address: str) -> str:
    """The error of «#cc X» with «#uncc X», X as the first of them typed it."""
    typed = next(c.arg for c in commands if c.arg and comparable_address(c.arg) == address)
    return (
        f"#cc {typed} и #uncc {typed} противоречат друг другу: добавить участника\n"
        "    и в то же время убрать его. Не выполнена ни одна из них."
    )
