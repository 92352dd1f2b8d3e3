"""#human [ADDRESS]: staff say that a sender maild took for a robot on a ticket
(robots.py, trust.robot_check) is a person, and the mark comes off.

A person who answers our automatic mail quickly three times in a row, with the same
words each time or none (robots.canned_run), looks like another desk's robot: no more
automatic mail to them on that ticket, and no notice to staff of their later mail
(customer.decide_followup). Staff undo that with a reply
holding «#human ADDRESS» (no address: every sender marked on the ticket). The
ticket keeps whom staff vouched for in `humans` (a ticket without the field has
none): robot_check never marks them there again, or their next quick answer would
mark them at once. An address that is not marked is an error told to staff, as
#uncc's are: staff would believe they changed something.

Pure: the ticket in, the ticket and the errors (Russian) out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from maild.domain import automatic
from maild.domain.commands import Command, errors_in_order
from maild.domain.decision import Decision
from maild.domain.records import MessageRecord, Ticket, note_record

__all__ = ["errors", "marked_ctx", "noted", "undo_hint", "vouch", "vouched"]


def vouched(ticket: Ticket, address: str) -> bool:
    """Staff said with #human that ``address`` is a person on this ticket."""
    return address in (ticket.get("humans") or ())


def undo_hint(address: str) -> str:
    """How staff take the mark of a robot off ``address`` (the note, the notice)."""
    return f"«#human {address}»"


def vouch(ticket: Ticket, arg: str | None) -> tuple[Ticket, str | None]:
    """#human [ADDRESS]: (the ticket without the robot mark of ADDRESS, or of every
    sender marked on it without one, and with them in `humans`; a Russian error
    when there is no such mark, the ticket unchanged)."""
    robots = dict(ticket.get("robots") or {})
    address = (arg or "").lower()
    # an address's mail was automatic: staff say a person wrote it (automatic.py)
    person = automatic.vouched(ticket, address)
    if not robots and person is None:
        if address and vouched(ticket, address):
            return ticket, f"#human: отметка «робот» с {address} уже снята ранее"
        return ticket, "#human: в этом обращении нет отправителей, отмеченных как робот"
    if address and address not in robots and person is None:
        earlier = " (отметка снята ранее)" if vouched(ticket, address) else ""
        listed = ", ".join(sorted(robots))
        return ticket, (
            f"#human: {address} не отмечен как робот в этом обращении{earlier}; отмечены: {listed}"
        )
    names = [address] if address in robots else [] if address else sorted(robots)
    if person is not None:
        lifted = sorted(set(automatic.held(ticket)) - set(automatic.held(person)))
        ticket, names = person, [*names, *lifted]
    t: Ticket = {**ticket, "humans": sorted({*(ticket.get("humans") or ()), *names})}
    rest = {a: why for a, why in robots.items() if a not in names}
    if rest:
        t["robots"] = rest
    else:
        t.pop("robots", None)
    if unproven := sorted(set(t.pop("robots_unproven", ())) & set(rest)):
        t["robots_unproven"] = unproven  # (trust.note_robot)
    return t, None


def errors(ticket: Ticket, commands: tuple[Command, ...]) -> list[str]:
    """The errors of a reply's #human lines, each checked after the ones above it."""
    return errors_in_order(ticket, commands, ("human",), lambda t, cmd: vouch(t, cmd.arg))


def noted(decision: Decision, before: Ticket, by: str, at: datetime) -> Decision:
    """``decision`` (a staff reply's) with a note in the ticket for each address its
    #human took the robot mark off (``before``: the ticket as the reply found it)."""
    ticket = decision.ticket
    if ticket is None:
        return decision
    new = sorted(set(ticket.get("humans") or ()) - set(before.get("humans") or ()))
    robots = before.get("robots") or {}
    notes: list[MessageRecord] = [
        note_record(
            sender=by,
            direction="in",
            text=_note(address, by) if address in robots else _opener_note(address, by),
            at=at,
        )
        for address in new
    ]
    if not notes:
        return decision
    return replace(decision, messages=[*decision.messages, *notes])


def _note(address: str, by: str) -> str:
    return (
        f"Отметку «робот» с {address} снял сотрудник {by} (#human): по этому обращению"
        " он снова получает автоматические письма, сотрудники снова получают"
        " уведомления о его письмах; роботом здесь он больше не считается."
    )


def _opener_note(address: str, by: str) -> str:
    """The note of «#human» that says the address whose mail looked automatic is a
    person (automatic.vouched)."""
    return (
        f"Сотрудник {by} указал (#human), что письмо {address} написал человек, хотя оно"
        " выглядело автоматическим: по этому обращению ему снова отправляются уведомления"
        " (работа начата, обращение закрыто и другие)."
    )


def marked_ctx(robot: str | None, sender: str, ticket: Ticket | None) -> dict[str, Any]:
    """What the staff notice of a message says of its sender's robot mark:
    ``robot_marked``, the reason, when this very message got the sender marked (the
    first time: later mail of a known robot makes no notice); None otherwise."""
    known = ticket is not None and sender in (ticket.get("robots") or {})
    return {"robot_marked": robot if robot and not known else None}
