"""The reaction deadline a ticket's reminder and escalation are about (reminders.py),
and whether it still waits for staff when that mail is about to go: a reminder queued
while the relay was down must not reach staff after the ticket was answered, closed,
put to waiting or its deadline moved (adapters/outstale.py withdraws it then).

Pure: the ticket as it is now is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from maild.domain.records import aware_time

__all__ = ["pending_due", "still_pending"]


def pending_due(ticket: Mapping[str, Any]) -> str | None:
    """The deadline (as stored) that staff's reaction is due by, or None while nothing
    waits for them: a closed ticket owes none, whatever its record says."""
    due = ticket.get("reaction_due")
    if not due or ticket.get("status") == "closed":
        return None
    return str(due)


def still_pending(ticket: Mapping[str, Any] | None, about_due: str) -> bool:
    """Whether the deadline `about_due` (a queued mail's "about_due") is the one
    `ticket` still waits on. Compared as times, not text: the same deadline written
    with another offset (support.timezone changed since) is the same deadline. A
    ticket that is gone (None) waits on nothing."""
    due = pending_due(ticket) if ticket is not None else None
    if due is None:
        return False
    now, then = aware_time(due), aware_time(about_due)
    return due == about_due if now is None or then is None else now == then
