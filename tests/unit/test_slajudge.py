"""The SLA report's judgement of one ticket (domain/slajudge.py): in time or breached
(an unanswered ticket past its deadline breached), open and overdue now, the level
each counts under (the first deadline's vs the level now), and the business hours from
creation to the first reaction, or waited so far."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from maild.domain.calendar import BusinessCalendar
from maild.domain.slajudge import JUDGED, WAITING, filed_under, judge

MSK = ZoneInfo("Europe/Moscow")
CREATED = datetime(2026, 11, 17, 10, 0, tzinfo=MSK)  # a Tuesday, a working day
DUE = "2026-11-17T14:00:00+03:00"  # four working hours later
CALENDAR = BusinessCalendar()


def at(hour: int, minute: int = 0) -> datetime:
    return CREATED.replace(hour=hour, minute=minute)


def row(**kw: Any) -> dict[str, Any]:
    """A ticket's summary: open, free, its first deadline DUE, pending, no reaction."""
    base = {
        "created_at": CREATED.isoformat(),
        "status": "open",
        "level": "free",
        "first_reaction_due": DUE,
        "reaction_due": DUE,
    }
    return base | kw


def counted(r: dict[str, Any], now: datetime) -> tuple[set[str], float | None]:
    """The keys `judge` counts 1 (none counts more), and its hours."""
    counts, hours = judge(r, CREATED, now, CALENDAR)
    assert set(counts) == {*JUDGED, *WAITING} and set(counts.values()) <= {0, 1}
    return {k for k, n in counts.items() if n}, hours


def test_a_reaction_by_the_deadline_is_in_time_and_its_hours_count_from_creation() -> None:
    r = row(first_reaction_at=at(12).isoformat(), reaction_due=None)
    assert counted(r, at(17)) == ({"tickets", "in_time", "open"}, 2.0)


def test_a_reaction_at_the_very_instant_is_in_time() -> None:
    r = row(first_reaction_at=DUE, reaction_due=None, status="closed")
    assert counted(r, at(17)) == ({"tickets", "in_time"}, 4.0)


def test_a_later_reaction_is_a_breach() -> None:
    r = row(first_reaction_at=at(15, 30).isoformat(), reaction_due=None, status="closed")
    assert counted(r, at(17)) == ({"tickets", "breached"}, 5.5)


def test_times_compare_as_times_whatever_offset_they_were_stored_with() -> None:
    """12:30+04:00 (11:30 Moscow) is before 12:00+03:00, though it sorts after as text."""
    r = row(first_reaction_due="2026-11-17T12:00:00+03:00", reaction_due=None)
    r["first_reaction_at"] = "2026-11-17T12:30:00+04:00"
    assert counted(r, at(17))[0] == {"tickets", "in_time", "open"}


def test_an_unanswered_ticket_past_its_deadline_is_breached_and_overdue() -> None:
    """And counts with the hours it has waited so far, not as quick."""
    assert counted(row(), at(15, 30)) == ({"tickets", "breached", "open", "overdue"}, 5.5)


def test_an_unanswered_ticket_before_its_deadline_is_open_and_judged_by_nothing_yet() -> None:
    assert counted(row(), at(12)) == ({"tickets", "open"}, 2.0)
    assert counted(row(), at(14)) == ({"tickets", "open"}, 4.0)  # at the instant: not yet


def test_a_ticket_closed_unanswered_past_its_deadline_is_breached_without_hours() -> None:
    r = row(status="closed", reaction_due=None)
    assert counted(r, at(15)) == ({"tickets", "breached"}, None)
    assert counted(r, at(12)) == ({"tickets"}, None)  # closed before it: not breached


def test_overdue_is_the_deadline_it_waits_on_now_not_the_first() -> None:
    """Answered in time, then a follow-up's deadline passed: in time, and overdue."""
    r = row(first_reaction_at=at(11).isoformat(), reaction_due="2026-11-17T16:00:00+03:00")
    assert counted(r, at(17))[0] == {"tickets", "in_time", "open", "overdue"}
    assert counted(r, at(15))[0] == {"tickets", "in_time", "open"}


def test_a_ticket_without_a_deadline_is_counted_apart_and_judged_by_nothing() -> None:
    """Opened by automatic mail (sla.unattended): not in time, breached, open, overdue."""
    r = row(first_reaction_due=None, reaction_due=None)
    assert counted(r, at(17)) == ({"no_deadline"}, None)
    assert filed_under(r, judge(r, CREATED, at(17), CALENDAR)[0]) == [("free", JUDGED)]


def test_an_answered_ticket_without_a_deadline_is_still_judged_by_nothing() -> None:
    """Opened by automatic mail, then answered by staff: no deadline to have met or
    breached, and its reaction time is no figure of the report (judged against no
    deadline, the report fell over on it)."""
    r = row(first_reaction_due=None, reaction_due=None, first_reaction_at=at(12).isoformat())
    assert counted(r, at(17)) == ({"no_deadline"}, None)
    assert counted({**r, "status": "closed"}, at(17)) == ({"no_deadline"}, None)


@pytest.mark.parametrize(
    ("status", "filed"),
    [
        ("open", [("free", JUDGED), ("vip", WAITING)]),
        ("closed", [("free", JUDGED)]),  # nothing waits: no row of the level now
    ],
)
def test_judged_by_the_first_deadlines_level_waiting_by_the_level_now(status, filed) -> None:
    r = row(first_reaction_level="free", level="vip", status=status)
    assert filed_under(r, judge(r, CREATED, at(17), CALENDAR)[0]) == filed


def test_a_ticket_stored_before_its_first_level_was_kept_is_judged_by_its_level() -> None:
    r = row(level="vip", status="closed")
    assert filed_under(r, judge(r, CREATED, at(17), CALENDAR)[0]) == [("vip", JUDGED)]


def test_a_ticket_opened_by_automatic_mail_counts_its_hours_from_its_first_deadlines_start():
    """Its clock started at 11:00 (sla.first_deadline), answered at 12:00: one hour."""
    r = row(first_reaction_from=at(11).isoformat(), first_reaction_at=at(12).isoformat())
    assert counted({**r, "status": "closed"}, at(17)) == ({"tickets", "in_time"}, 1.0)
