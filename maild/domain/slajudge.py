"""The SLA report's judgement of one ticket (maild/report.py reads the summaries and
formats the figures): whether its first reaction came in time or the deadline was
breached, an unanswered ticket past its deadline counted as breached; whether it is
open and overdue now; under which level each of those counts; and the business hours
to its first reaction, counted from its creation (or, opened by automatic mail, from
when its first deadline started: `first_reaction_from`, sla.first_deadline).

Pure: the ticket's summary (records.Summary, or a merged ticket's row where its
customer waits on: mergedwait.report_rows), `now` and the business calendar are
passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from maild.domain.calendar import BusinessCalendar
from maild.domain.pending import next_due
from maild.domain.sla import missed, passed
from maild.domain.ticket import first_level

__all__ = ["JUDGED", "WAITING", "filed_under", "judge"]

# judged by the first deadline (the level it was set by): "tickets" those that have one,
# "no_deadline" those opened by automatic mail without one (sla.unattended)
JUDGED = ("tickets", "in_time", "breached", "no_deadline")
# waiting now (the level it has now, whose deadline it waits on)
WAITING = ("open", "overdue")


def judge(
    r: Mapping[str, Any], created: datetime, now: datetime, calendar: BusinessCalendar
) -> tuple[dict[str, int], float | None]:
    """What one ticket's summary `r` (created at `created`) adds to the report's figures
    at `now`: the counts of JUDGED and WAITING, and the business hours from its creation
    to its first reaction, or of an open one with none yet the hours it has waited so
    far (None: not counted). Asked once per ticket: the hours are most of the report's
    time (1.6 s at 100k tickets)."""
    counts = dict.fromkeys((*JUDGED, *WAITING), 0)
    hours = None
    # opened by automatic mail: from when its first deadline started (ticket.first_deadline)
    start = r.get("first_reaction_from")
    created = max(created, datetime.fromisoformat(start)) if start else created
    due = r.get("first_reaction_due")
    reacted = r.get("first_reaction_at")
    # opened by automatic mail and never given a deadline (sla.unattended): not judged
    counts["tickets" if due else "no_deadline"] = 1
    if due and reacted:
        at = datetime.fromisoformat(reacted)
        hours = calendar.business_hours_between(created, at)
        # as times, not text: stored with the offset of support.timezone when they were
        # written, the two may differ (the zone changed), and "12:30+04:00" is before
        # "12:00+03:00"
        in_time = not missed(datetime.fromisoformat(due), at)
        counts["in_time" if in_time else "breached"] += 1
    elif due and passed(due, now):  # no reaction, and its deadline has passed
        counts["breached"] += 1
    if due and not reacted and r["status"] != "closed":
        # still waiting: at least this long (the median and 90 % of answered tickets
        # alone told the head a desk was quick while most of its tickets waited)
        hours = calendar.business_hours_between(created, max(created, now))
    if due and r["status"] != "closed":  # (one without a deadline: in the footer's count)
        counts["open"] += 1
        # the nearest of its deadlines and those of the customers merged into it
        if passed(next_due(r), now):
            counts["overdue"] += 1
    return counts, hours


Filed = list[tuple[str, tuple[str, ...]]]  # (a level, the keys counted under it)


def filed_under(r: Mapping[str, Any], counts: Mapping[str, int]) -> Filed:
    """Under which level each of a ticket's counts (`judge`) goes: (level, its keys).
    JUDGED (and the hours) under the level of its first deadline, which its first
    reaction is judged by (ticket.first_level), not its level now; WAITING under the
    level it has now, whose deadline it waits on: only when it is open (a level with
    nothing judged nor waiting shows no row)."""
    out: Filed = [(first_level(r), JUDGED)]
    if any(counts[k] for k in WAITING):
        out.append((r["level"], WAITING))
    return out
