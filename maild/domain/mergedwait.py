"""A merged ticket's customer still waits: #merge before staff reacted to the merged
ticket moves that wait into the ticket it was merged into, where the SLA report judges it.

The merge notice («Обращение объединено») only says where the conversation goes on: it
is no reaction (ticket.on_mail_to_customer). The customer of the merged ticket waits
until staff react on the surviving ticket (an answer, a #take or #close that tells them),
and that wait is judged once, against the merged ticket's own first deadline, under its
own level and day of arrival: the survivor keeps it in `merged_waits`, one entry per
ticket merged in unreacted, and the report counts each entry as that ticket and the
merged ticket itself no more (report_rows). A ticket reacted to before it was merged
ended its wait there and is counted as it is.

Until then staff are reminded of that wait, and the head told when it passed, as of
any deadline (reminders.py), by mail that names the merged ticket (`named`): its TID,
customer, level and deadline, merged into the survivor, whose tag the subject carries
(a reply goes on there). Its deadline there is the one it waited on when merged
(`due`): its first, unless a transfer after that passed moved it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from maild.domain.addresses import comparable_address
from maild.domain.records import Summary, Ticket
from maild.domain.waitrecord import MergedWait

__all__ = [
    "MergedWait",
    "answered",
    "carried",
    "due",
    "named",
    "pending",
    "report_rows",
    "wait_of",
]


def _pending(waits: Any) -> list[MergedWait]:
    return [w for w in waits or () if not w.get("first_reaction_at")]


def pending(ticket: Mapping[str, Any]) -> list[MergedWait]:
    """The waits merged into `ticket` that staff's reminders and the head's escalation
    are still about: not ended by a reaction there, with a deadline, while the ticket
    is not closed (as its own deadline: pending.pending_due)."""
    if ticket.get("status") == "closed":
        return []
    return [w for w in _pending(ticket.get("merged_waits")) if due(w)]


def wait_of(ticket: Mapping[str, Any], person: str | None) -> MergedWait | None:
    """The pending wait (`pending`) of `person`, the customer of a ticket merged into
    `ticket`, by which they wait there, in either spelling of their domain
    (addresses.comparable_address); None: none. `ticket`'s own requester too: who
    filed both tickets (the usual merge) waits by the merged one's when theirs was
    answered."""
    if not person:
        return None
    mine = comparable_address(person)
    found = (w for w in pending(ticket) if comparable_address(w.get("requester") or "") == mine)
    return next(found, None)


def due(wait: Mapping[str, Any]) -> str | None:
    """The deadline (as stored) a merged wait's reminder and escalation are about."""
    return wait.get("reaction_due") or wait.get("first_reaction_due")


def named(ticket: Ticket, wait: MergedWait) -> Ticket:
    """`ticket` as a reminder or an escalation about `wait` names it: the merged
    ticket, its TID, customer, subject, level and deadline, `merged_into` the ticket it
    goes on in (status and assignee are that ticket's: the work on it is there). The
    mail itself goes from `ticket`: its tag in the subject, a reply lands there."""
    return {
        **ticket,
        "tid": wait["tid"],
        "requester": wait.get("requester", ""),
        "subject": wait.get("subject", ""),
        "level": wait["level"] or ticket["level"],
        "reaction_due": due(wait),
        "merged_into": ticket["tid"],
    }


def carried(source: Ticket, target: Ticket) -> tuple[Ticket, Ticket]:
    """(source, target) once ``source`` is merged into ``target``: the source's wait,
    when staff never reacted to it, and the waits merged into it earlier still pending
    go on in the target; waits the source's reactions ended stay with the source (the
    report counts them there). A source reacted to carries nothing of its own."""
    s: Ticket = {**source}
    moved = _pending(source.get("merged_waits"))
    kept = [w for w in source.get("merged_waits") or () if w not in moved]
    if not source.get("first_reaction_at"):
        own: MergedWait = {
            "tid": source["tid"],
            "level": source.get("level") or "",
            "created_at": source.get("created_at") or "",
            "first_reaction_due": source.get("first_reaction_due"),
            "first_reaction_level": source.get("first_reaction_level") or source.get("level"),
            "first_reaction_at": None,
            "reaction_due": source.get("reaction_due"),
            "reaction_from": source.get("reaction_from") or source.get("created_at"),
            "requester": source.get("requester") or "",
            "subject": source.get("subject") or "",
            # the first deadline's clock (later than created_at: opened by automatic mail)
            "first_reaction_from": source.get("first_reaction_from") or source["created_at"],
        }
        moved.insert(0, own)
    if kept:
        s["merged_waits"] = kept
    else:
        s.pop("merged_waits", None)
    t: Ticket = {**target}
    if moved:
        t["merged_waits"] = [*(target.get("merged_waits") or ()), *moved]
    return s, t


def answered(ticket: Ticket, at: datetime) -> Ticket:
    """Staff reacted on ``ticket`` at ``at``, to all its customers: the waits merged
    into it end now (never before the merged ticket came, as ticket.reacted_at)."""
    waits = ticket.get("merged_waits")
    if not _pending(waits):
        return ticket
    out: list[MergedWait] = []
    for w in waits or ():
        if not w.get("first_reaction_at"):
            came = datetime.fromisoformat(w["created_at"])
            w = {**w, "first_reaction_at": max(came, at).isoformat()}
        out.append(w)
    return {**ticket, "merged_waits": out}


def report_rows(summary: Summary) -> list[Summary]:
    """What the SLA report counts for one summary row: the ticket, unless it was merged
    before any reaction (its wait is counted where it went on), and each wait merged
    into it, as a closed ticket of its level and arrival (closed: the survivor is the
    one open or overdue)."""
    rows: list[Summary] = []
    if not (summary.get("merged_into") and not summary.get("first_reaction_at")):
        rows.append(summary)
    for w in summary.get("merged_waits") or ():
        if not w.get("created_at"):  # (no real ticket lacks it: nothing to date it by)
            continue
        row: Summary = {
            "tid": w["tid"],
            "status": "closed",
            "level": w["level"],
            "requester": "",
            "created_at": w["created_at"],
            "first_reaction_due": w.get("first_reaction_due"),
            "first_reaction_level": w.get("first_reaction_level") or w["level"],
            "first_reaction_at": w.get("first_reaction_at"),
        }
        if "first_reaction_from" in w:  # opened by automatic mail (the hours)
            row["first_reaction_from"] = w["first_reaction_from"]
        rows.append(row)
    return rows
