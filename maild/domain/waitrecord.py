"""A merged ticket's wait as the ticket it was merged into keeps it (`merged_waits`):
the record alone, which records declares a ticket with and mergedwait reads."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from maild.domain.levelids import LevelId

__all__ = ["MergedWait"]


class MergedWait(TypedDict):
    """The wait of a ticket merged in before any reaction (times ISO 8601)."""

    tid: str  # the merged ticket
    level: LevelId  # its level when merged (the report: first_reaction_level, else this)
    created_at: str  # when it came: its day is the report's period, its hours from here
    first_reaction_due: str | None  # its own first deadline, the one the wait is judged by
    first_reaction_level: NotRequired[str | None]  # that deadline's level (ticket.first_level)
    first_reaction_from: NotRequired[str]  # its clock's start, after created_at (the hours)
    first_reaction_at: str | None  # the first reaction on the ticket it went on in
    # what its reminders and escalation go by and name (`named`; absent in waits merged
    # before they were kept: its first deadline and arrival, the merged ticket's record)
    reaction_due: NotRequired[str | None]  # the deadline it waited on when merged
    reaction_from: NotRequired[str | None]  # when that deadline's clock started
    requester: NotRequired[str]  # its customer
    subject: NotRequired[str]
