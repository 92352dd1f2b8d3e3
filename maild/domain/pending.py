"""The reaction deadlines a ticket's reminders and escalations are about (reminders.py),
and whether one still waits for staff when that mail is about to go: a reminder queued
while the relay was down must not reach staff after the ticket was answered, closed,
put to waiting or its deadline moved (adapters/outstale.py withdraws it then).

A ticket's deadlines are its own pending one and those of the customers of tickets
merged into it before any reaction, who wait on there (mergedwait): #merge leaves the
survivor its own. Each moment is reminded and escalated once (the marks are per
deadline: pace), as the wait of the merged ticket when one waits on it (a survivor
merged into before it kept its own took the earlier deadline, so its pending deadline
at a merged wait's moment came with that wait). What shows a ticket's deadline (the
morning queue, `ticket list`/`show`, the overdue counts) shows the nearest of them
(`next_due`); the site shows a customer theirs (`due_for`).

Pure: the ticket as it is now is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from maild.domain import mergedwait
from maild.domain.addresses import comparable_address
from maild.domain.mergedwait import MergedWait
from maild.domain.records import aware_time

__all__ = ["Deadline", "deadlines", "due_for", "next_due", "pending_due", "still_pending"]

NEVER = datetime.max.replace(tzinfo=UTC)


class Deadline(NamedTuple):
    """A deadline the reminders and the escalation are about, as stored, the time its
    clock started, and the merged wait it is (None: the ticket's own)."""

    due: str
    start: str
    wait: MergedWait | None


def pending_due(ticket: Mapping[str, Any]) -> str | None:
    """The deadline (as stored) that staff's reaction is due by, or None while nothing
    waits for them: a closed ticket owes none, whatever its record says."""
    due = ticket.get("reaction_due")
    if not due or ticket.get("status") == "closed":
        return None
    return str(due)


def deadlines(ticket: Mapping[str, Any]) -> list[Deadline]:
    """Every deadline of `ticket` (a ticket or its summary) still waiting for staff,
    each moment once, the earliest first: those of the waits merged into it
    (mergedwait.pending), and its own pending one unless a merged wait's is that
    moment (written as the ticket has it: its marks and its mail are keyed so)."""
    own = pending_due(ticket)
    start = ticket.get("reaction_from") or ticket.get("created_at") or own
    if not ticket.get("merged_waits"):  # nearly every ticket: its own, if pending
        return [] if own is None else [Deadline(own, str(start), None)]
    out: list[Deadline] = []
    for w in mergedwait.pending(ticket):
        due = str(mergedwait.due(w))
        due = own if own is not None and _same(due, own) else due
        if not any(_same(due, d.due) for d in out):
            out.append(Deadline(due, w.get("reaction_from") or w["created_at"], w))
    if own is not None and not any(_same(own, d.due) for d in out):
        out.append(Deadline(own, str(start), None))
    return sorted(out, key=lambda d: aware_time(d.due) or NEVER)  # (no time: last)


def next_due(ticket: Mapping[str, Any]) -> str | None:
    """The nearest deadline (as stored) `ticket` waits on for staff (`deadlines`): when
    the next staff reaction is due, to its own customer or one merged in; None while
    nothing waits for staff. A ticket without waits merged in: its own (pending_due)."""
    if not ticket.get("merged_waits"):
        return pending_due(ticket)
    found = deadlines(ticket)
    return found[0].due if found else None


def due_for(ticket: Mapping[str, Any], person: str | None) -> str | None:
    """The deadline (as stored) of `person`'s own wait on `ticket`: a merged ticket's
    customer waits by their merged wait's (mergedwait.wait_of), anyone else by the
    ticket's own pending one, and its requester by the nearer of the two when both
    wait; None when nothing waits for staff on their mail."""
    own, wait = pending_due(ticket), mergedwait.wait_of(ticket, person)
    theirs = mergedwait.due(wait) if wait else None
    if theirs is None:
        return own
    requester = comparable_address(ticket.get("requester") or "")
    if own is None or comparable_address(person or "") != requester:
        return theirs
    return min(own, theirs, key=lambda d: aware_time(d) or NEVER)


def _same(a: str, b: str) -> bool:
    """Two deadlines as stored are one moment (written with other offsets, or the same
    text when either is no time)."""
    x, y = aware_time(a), aware_time(b)
    return a == b if x is None or y is None else x == y


def still_pending(ticket: Mapping[str, Any] | None, about_due: str) -> bool:
    """Whether the deadline `about_due` (a queued mail's "about_due") is one `ticket`
    still waits on (`deadlines`). Compared as times, not text: the same deadline
    written with another offset (support.timezone changed since) is the same deadline.
    A ticket that is gone (None) waits on nothing."""
    if ticket is None:
        return False
    return any(_same(d.due, about_due) for d in deadlines(ticket))
