"""The reaction deadlines a ticket's reminders and escalations are about (reminders.py),
and whether one still waits for staff when that mail is about to go: a reminder queued
while the relay was down must not reach staff after the ticket was answered, closed,
put to waiting or its deadline moved (adapters/outstale.py withdraws it then).

A ticket's deadlines are its own pending one and those of the customers of tickets
merged into it before any reaction, who wait on there (mergedwait): #merge leaves the
survivor its own. Each moment is reminded and escalated once (the marks are per
deadline: pace), in one mail that names every customer due then: the ticket's own
first, then each merged wait of that moment (a night's mail all starts its deadline at
the opening, so two customers of one level are often due together; the mail named the merged
one alone). A survivor merged into before it kept its own took the earlier deadline
and its clock, so an own deadline at a merged wait's moment that started when that
wait's did came with that wait: it is that wait's alone. What shows a ticket's deadline
(the morning queue, `ticket list`/`show`, the overdue counts) shows the nearest of them
(`next_due`); the site shows a customer theirs (`due_for`).

A queued mail is about deadlines (`about`): a reminder or an escalation about one
ticket its one, a list of them each of its tickets'. It is stale (`stale`), withdrawn
and not sent, once none of them still waits: a list naming one deadline staff still owe
goes whole, as it was written (what it says of the others was so when it was queued).

Pure: the ticket as it is now is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from maild.domain import mergedwait
from maild.domain.addresses import comparable_address
from maild.domain.mergedwait import MergedWait
from maild.domain.records import aware_time

__all__ = [
    "Deadline",
    "about",
    "deadlines",
    "due_for",
    "next_due",
    "pending_due",
    "stale",
    "still_pending",
    "untold",
]

NEVER = datetime.max.replace(tzinfo=UTC)


class Deadline(NamedTuple):
    """A deadline the reminders and the escalation are about, as stored, the time its
    clock started (the earliest of those due then), the merged wait its mail names first
    (None: the ticket's own), and the other merged waits due at that moment, which it
    names too."""

    due: str
    start: str
    wait: MergedWait | None
    also: tuple[MergedWait, ...] = ()


def pending_due(ticket: Mapping[str, Any]) -> str | None:
    """The deadline (as stored) that staff's reaction is due by, or None while nothing
    waits for them: a closed ticket owes none, whatever its record says."""
    due = ticket.get("reaction_due")
    if not due or ticket.get("status") == "closed":
        return None
    return str(due)


def deadlines(ticket: Mapping[str, Any]) -> list[Deadline]:
    """Every deadline of `ticket` (a ticket or its summary) still waiting for staff,
    each moment once, the earliest first, with the waits merged into it due then
    (mergedwait.pending): a moment of its own pending one too is written as the ticket
    has it (its marks and its mail are keyed so)."""
    own = pending_due(ticket)
    start = _own_start(ticket, own)
    if not ticket.get("merged_waits"):  # nearly every ticket: its own, if pending
        return [] if own is None else [Deadline(own, start, None)]
    moments: dict[str, list[MergedWait]] = {}  # each moment's first text: its waits
    for w in mergedwait.pending(ticket):
        due = str(mergedwait.due(w))
        known = (d for d in (own, *moments) if d is not None and _same(d, due))
        moments.setdefault(next(known, due), []).append(w)
    out = [_moment(due, waits, own, start) for due, waits in moments.items()]
    if own is not None and own not in moments:
        out.append(Deadline(own, start, None))
    return sorted(out, key=lambda d: aware_time(d.due) or NEVER)  # (no time: last)


def _moment(due: str, waits: list[MergedWait], own: str | None, start: str) -> Deadline:
    """The deadline at `due` of `waits`, and of the ticket's own (`own`, its clock from
    `start`) when it is that moment, unless it came with one of them (merged before the
    survivor kept its own: started when that wait's did)."""
    starts = [_start(w) for w in waits]
    if due == own and not any(_same(start, s) for s in starts):
        return Deadline(due, _earliest([start, *starts]), None, tuple(waits))
    return Deadline(due, _earliest(starts), waits[0], tuple(waits[1:]))


def untold(ticket: Mapping[str, Any], d: Deadline, told: Callable[[str], bool]) -> Deadline | None:
    """`d`, a deadline of `ticket` (`deadlines`), less the customers `told` says (of a
    TID) already had its mail: a merged customer's that went about them in their own
    ticket before the merge, the ticket's own customer's (its TID) that went before a
    customer never told was merged in at that moment (domain.merge keys those marks
    for them), its clock from the earliest of those left: the mail names who is left;
    None when no one is."""
    waits = [w for w in (*([d.wait] if d.wait else ()), *d.also) if not told(w["tid"])]
    own = d.wait is None and not told(str(ticket.get("tid")))
    if own and len(waits) == len(d.also):
        return d
    starts = [_start(w) for w in waits]
    if own:
        return Deadline(d.due, _earliest([_own_start(ticket, d.due), *starts]), None, tuple(waits))
    if d.wait is not None and len(waits) == len(d.also) + 1:
        return d
    return Deadline(d.due, _earliest(starts), waits[0], tuple(waits[1:])) if waits else None


def _start(w: MergedWait) -> str:
    return str(w.get("reaction_from") or w["created_at"])


def _own_start(ticket: Mapping[str, Any], own: str | None) -> str:
    return str(ticket.get("reaction_from") or ticket.get("created_at") or own)


def _earliest(times: list[str]) -> str:
    return min(times, key=lambda t: aware_time(t) or NEVER)


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


def about(meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The deadlines a queued mail (its outbox record) is about, as (TID, deadline as
    stored): a reminder's or an escalation's one ("tid", "about_due"), a list's those
    of each of its tickets ("about_dues"); none for other mail, for deadline mail
    queued before its record kept them, and for a field of another shape."""
    dues = meta.get("about_dues")
    if dues is not None:
        if not isinstance(dues, dict):
            return []
        return [
            (str(tid), due)
            for tid, some in dues.items()
            if isinstance(some, list)
            for due in some
            if isinstance(due, str)
        ]
    tid, due = meta.get("tid"), meta.get("about_due")
    return [(tid, due)] if isinstance(tid, str) and tid and isinstance(due, str) else []


def stale(dues: list[tuple[str, str]], waits: Callable[[str, str], bool]) -> bool:
    """Whether mail about `dues` (`about`) is stale: it is about some, and none of
    them still waits for staff (`waits`: whether the TID's deadline does, as the ticket
    is stored now: `still_pending`). A list with one still waiting goes whole; asked
    in turn, up to the first that waits."""
    return bool(dues) and not any(waits(tid, due) for tid, due in dues)
