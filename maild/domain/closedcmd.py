"""Commands that the ticket's state or level does not allow.

#development on free support: the regulation's table of levels gives free support no
«Передача задач в отдел разработки». The command stops the reply, and the staff member
is told so, and that a #level in the same reply (above or below it: the level runs
first, conflicts.in_run_order) changes what the ticket is owed. Moving it to consulting
does not (sender.entitled_level): a free ticket #consulting moved, in this reply or an
earlier one, is refused the same, or free support reached development in two replies.

#take, #wait, #critical or #assign in a reply to a ticket already closed, as follows.

Two staff answer one notice: Anna closes the ticket with her answer (the customer gets
«Обращение закрыто» and the rating request), Boris, who read the notice a minute later,
replies «#take». Run, it opened the ticket again without a word to anyone: the
customer believed it closed, the ticket sat open in the queue. Such a command stops
the reply, as a bad command does, and the staff member is told who closed it and
when, and that «#reopen» opens it again. So does #critical: it marked a closed ticket
urgent, though no queue shows a closed ticket and nobody works on it; and #assign: it
made a staff member responsible for a ticket nobody works on, without a word, and the
assignee's morning queue never showed it (#take, «#assign» of oneself, was refused).

#wait alone (no answer in the reply) on a ticket whose customer has had no answer from
staff: nobody asked the customer anything, yet the ticket waited for their answer,
with no deadline for staff (the head was never told when it passed, while the SLA
report counted it breached), and days later the customer was reminded «мы ждём от вас
ответа» and the ticket closed. It stops the reply, and the staff member is told to
write the question in the same reply. With an answer, #wait waits for the answer to it.
So does #wait alone on a ticket with a customer merged in before any reaction who
waits for staff's first word (mergedwait.pending), however the ticket's own customer
was answered: the ticket read «ждём ответа клиента», and that customer's site
«ожидаем вашего ответа», while their mail waited for staff and its deadline reminded
them. An answer in the same reply reaches them too and ends that wait.

#critical on a ticket already marked critical, #critical нет on one that is not: each
would change nothing, while its writer believed it did (a colleague marked the ticket,
or took the mark off, a minute before; the notice of another ticket answered). It does
not run, and the staff member is told who marked it (or took the mark off) and when; the
rest of the reply goes (staffreply._agreeing): the mark is as they wanted it, and the
answer to a critical ticket is the last thing to hold back. So with #close on a ticket
closed already (by a colleague, or by #wait's job): it did nothing, and said nothing,
when the reply named no mail of the thread (a stale view is told apart: staleview);
the staff member is told who closed it and when, and the answer goes (idle_commands).
So with #reopen on a ticket new or in work: it said nothing, and a new ticket read
«В работе» on the customer's site with nobody at work on it; the staff member is told
it is not closed (a ticket waiting for the customer it opens, as the customer's mail does).
And with #level of the level the ticket has (a colleague set it a minute before):
it said nothing; the staff member is told the ticket has that level already.

Pure: the ticket and its messages in, the errors (Russian) out.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable

from maild.domain import mergedwait
from maild.domain.commands import Command, written
from maild.domain.commandspec import CRITICAL_OFF, LEVEL_SETTERS
from maild.domain.conflicts import in_run_order, is_transfer
from maild.domain.mergedwait import MergedWait
from maild.domain.records import MessageRecord, Ticket
from maild.domain.sender import ENTITLED_LEVELS, entitled_level
from maild.domain.sla import LEVELS
from maild.domain.ticket import awaits_first
from maild.domain.withdrawn import answer_reached

__all__ = [
    "closed_errors",
    "critical_errors",
    "idle_commands",
    "level_errors",
    "unasked_errors",
]

# What each presumes: work starts (someone is to do it), or the ticket waits for the
# customer's answer (the customer would be reminded to answer a ticket they were told
# is closed).
PRESUME_OPEN = frozenset({"take", "wait", "critical", "assign"})

# A ticket #reopen finds open (waiting for the customer it does open: to staff's work)
NOT_CLOSED = frozenset({"new", "open"})


def closed_errors(
    commands: Iterable[Command],
    ticket: Ticket,
    messages: list[MessageRecord],
    fmt_time: Callable[[str], str],
) -> list[str]:
    """One error per #take / #wait / #critical (not #critical нет: a closed ticket's
    mark taken off) / #assign of a reply to a closed ticket that does not also #reopen it; [] for
    a ticket not closed."""
    commands = list(commands)
    if ticket.get("status") != "closed" or any(c.name == "reopen" for c in commands):
        return []
    errors: list[str] = []
    for cmd in commands:
        if cmd.name in PRESUME_OPEN and cmd.arg != CRITICAL_OFF:
            by = _closed_by(ticket, messages, fmt_time)
            errors.append(
                f"{written(cmd)} не выполнена: обращение уже закрыто{by}.\n"
                "    Чтобы открыть его снова, добавьте в ответ строку #reopen."
            )
    return errors


def unasked_errors(
    runs: Iterable[Command], answers: bool, messages: list[MessageRecord], ticket: Ticket
) -> list[str]:
    """The error of a #wait in a reply that sends the customer no answer (``answers``
    False: commands only, a note) on a ticket none of whose ``messages`` is a staff
    answer to the customer: there is nothing they were asked to answer; or on one with
    customers merged in who wait for staff's first word (mergedwait.pending): their
    mail would be left unanswered while the ticket read «ждём ответа клиента». []
    otherwise. ``runs``: the reply's commands that run (conflicts.without_conflicts: a
    #wait a contradicting command cancels, #close, is not there, and that says so)."""
    if answers or not any(c.name == "wait" for c in runs):
        return []
    if waits := mergedwait.pending(ticket):
        return [_merged_unanswered(waits)]
    if any(answer_reached(m) for m in messages):
        return []
    return [
        "#wait не выполнена: клиент ещё не получил от поддержки ни одного ответа, ему\n"
        "    не задано ни одного вопроса, так что ждать от него нечего.\n"
        "    Напишите вопрос клиенту в том же письме, что и строка #wait: вопрос уйдёт\n"
        "    клиенту, а обращение будет ждать его ответа."
    ]


def _merged_unanswered(waits: list[MergedWait]) -> str:
    """The error of a #wait alone while the customers of ``waits`` wait for staff."""
    named = ", ".join(
        w["tid"] + (f" ({w['requester']})" if w.get("requester") else "") for w in waits
    )
    one = len(waits) == 1
    text = (
        f"#wait не выполнена: {'клиент обращения' if one else 'клиенты обращений'} {named},"
        f" {'объединённого' if one else 'объединённых'} с этим,"
        f" {'ещё не получил' if one else 'ещё не получили'} от поддержки ни одного ответа:"
        f" {'его письмо осталось' if one else 'их письма остались'} бы без ответа, а"
        " обращение значилось бы ждущим ответа клиента."
    )
    return "\n".join(
        [
            *textwrap.wrap(text, 80, subsequent_indent="    ", break_on_hyphens=False),
            "    Напишите ответ в том же письме, что и строка #wait: он уйдёт всем клиентам",
            "    обращения, а обращение будет ждать их ответа.",
        ]
    )


def _closed_by(
    ticket: Ticket, messages: list[MessageRecord], fmt_time: Callable[[str], str]
) -> str:
    """« (anna@example.com, 03.12.2026 10:20)»: the last #close of the ticket's
    messages, else when it closed; "" when neither is known."""
    for m in reversed(messages):
        if "#close" in (m.get("commands") or ()):
            return f" ({m['from']}, {fmt_time(m['received_at'])})"
    closed_at = ticket.get("closed_at")
    return f" ({fmt_time(closed_at)})" if closed_at else ""


def level_errors(commands: Iterable[Command], ticket: Ticket) -> list[str]:
    """The error of a #development (or #level development, the same) the level the
    customer is owed (sender.entitled_level; as a #level of the reply to one of the
    levels a license gives, wherever its line stands, leaves it) does not allow; []
    when none. Consulting owes nothing more: a free ticket moved there by this reply
    or an earlier one is free support's still, told in the same words."""
    level = LEVELS[entitled_level(ticket)]
    for cmd in in_run_order(commands):
        if is_transfer(cmd) and not level.to_development:
            typed = "#development" if cmd.name == "development" else "#level development"
            return [
                f"{typed} не выполнена: уровень «{level.name_ru}» не предусматривает"
                " передачу задач в отдел разработки (регламент, таблица уровней).\n"
                "    Если клиенту положен другой уровень, добавьте в ответ строку"
                " #level <уровень>: уровень меняется первым, затем обращение передаётся"
                " в разработку."
            ]
        if cmd.name == "level" and cmd.arg in ENTITLED_LEVELS:
            level = LEVELS[cmd.arg]
    return []


def critical_errors(
    commands: Iterable[Command],
    ticket: Ticket,
    messages: list[MessageRecord],
    fmt_time: Callable[[str], str],
) -> list[str]:
    """The error of a #critical (however many lines of it) on a ticket already marked
    critical, or of a #critical нет on a ticket that is not; [] otherwise, and for the
    two in one reply (neither runs: conflicts.without_conflicts says so)."""
    wanted = {c for c in commands if c.name == "critical"}
    if len(wanted) != 1:
        return []
    [cmd] = wanted
    on = cmd.arg != CRITICAL_OFF
    if on != bool(ticket.get("critical")):
        return []
    by = _marked_by(messages, written(cmd), fmt_time)
    if on:
        return [
            f"#critical не выполнена: обращение уже отмечено как срочное{by}.\n"
            "    Чтобы снять отметку, добавьте в ответ строку #critical нет."
        ]
    if by:
        return [f"#critical нет не выполнена: отметку «срочное» уже сняли{by}."]
    return ["#critical нет не выполнена: обращение не отмечено как срочное, снимать нечего."]


def idle_commands(
    commands: Iterable[Command],
    ticket: Ticket,
    messages: list[MessageRecord],
    fmt_time: Callable[[str], str],
) -> tuple[tuple[Command, ...], list[str]]:
    """(``commands`` without those that would change nothing: a #critical that
    critical_errors names, a #close of a ticket closed already; the errors that say
    so; a #reopen of a ticket new or in work, NOT_CLOSED; a #level, #consulting or
    #development of the level the ticket has, _same_level). Run ``commands`` as
    conflicts.without_conflicts leaves them."""
    commands = tuple(commands)
    errors = critical_errors(commands, ticket, messages, fmt_time)
    if errors:
        commands = tuple(c for c in commands if c.name != "critical")
    if ticket.get("status") == "closed" and any(c.name == "close" for c in commands):
        by = _closed_by(ticket, messages, fmt_time)
        errors.append(f"#close не выполнена: обращение уже закрыто{by}.")
        commands = tuple(c for c in commands if c.name != "close")
    if ticket.get("status") in NOT_CLOSED and any(c.name == "reopen" for c in commands):
        errors.append("#reopen не выполнена: обращение не закрыто, открывать нечего.")
        commands = tuple(c for c in commands if c.name != "reopen")
    setters = [c for c in commands if c.name in LEVEL_SETTERS]
    # (only all of them: «#level vip» with «#development» on a ticket at development
    # moves it through vip back there; without the second it ended at vip)
    same = setters if all(_same_level(c, ticket) for c in setters) else []
    errors += list(dict.fromkeys(_same_level_error(c, ticket) for c in same))
    return tuple(c for c in commands if c not in same), errors


def _same_level(cmd: Command, ticket: Ticket) -> bool:
    """Whether ``cmd`` sets the level the ticket has, which changes nothing: unless the
    ticket waits for a first deadline it has none of (awaits_first: the same level
    gives it one, ticket.apply_command)."""
    if cmd.name not in LEVEL_SETTERS:
        return False
    level = cmd.arg if cmd.name == "level" else cmd.name
    if level != ticket.get("level"):
        return False
    return not awaits_first(ticket) or ticket.get("status") in ("closed", "waiting")


def _same_level_error(cmd: Command, ticket: Ticket) -> str:
    name = LEVELS[ticket["level"]].name_ru
    return f"{written(cmd)} не выполнена: уровень обращения уже «{name}»."


def _marked_by(messages: list[MessageRecord], typed: str, fmt_time: Callable[[str], str]) -> str:
    """« (anna@example.com, 03.12.2026 10:20)»: the staff reply that left the ticket's
    mark as it is, when the last of its messages to run a #critical ran ``typed``;
    "" when none did (a ticket never marked, a mark #merge brought in)."""
    for m in reversed(messages):
        ran = [c for c in m.get("commands") or () if c.split(" ")[0] == "#critical"]
        if ran:
            return f" ({m['from']}, {fmt_time(m['received_at'])})" if ran[-1] == typed else ""
    return ""
