"""`maild ticket list`'s plain table (ops.listing.print_table): the `!` of a ticket
marked critical (README, #critical), and its times in the desk's zone through
TimeFormat's per-hour cache, which must not copy the stored minutes into a zone whose
offset is not whole hours; and `--since` over the archive's week files."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.ops.listing import Filter, TimeFormat, print_table, rows


def _row(tid: str, critical: bool) -> dict[str, object]:
    return {
        "tid": tid,
        "status": "open",
        "level": "standard",
        "created_at": "2026-11-25T12:30:00+00:00",
        "reaction_due": None,
        "requester": "olga@client.ru",
        "subject": "Касса",
        "critical": critical,
    }


def test_a_critical_ticket_is_marked_with_an_exclamation_mark() -> None:
    """README: a ticket marked #critical shows `!` in `ticket list`; the others a blank."""
    out = io.StringIO()
    rows = [_row("A-1", True), _row("A-2", False)]
    assert print_table(rows, TimeFormat(ZoneInfo("UTC")), out) == 2
    _header, urgent, plain = out.getvalue().splitlines()
    assert urgent.startswith("A-1       !open") and plain.startswith("A-2        open")


@given(
    st.sampled_from(["Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "Europe/Moscow"]),
    st.integers(0, 2 * 365 * 24 * 60),
)
def test_a_time_reads_as_the_desks_zone_says_in_any_offset(zone: str, minutes: int) -> None:
    """A desk in India (+05:30) or Nepal (+05:45): 15:10 UTC is 20:40 there, not the
    20:10 that the hour worked out once and the stored minutes copied would give."""
    tz = ZoneInfo(zone)
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    fmt = TimeFormat(tz)
    fmt(at.replace(minute=0).isoformat())  # the hour cached first, as a listing does
    local = at.astimezone(tz)
    assert fmt(at.isoformat()) == local.strftime("%d.%m.%Y %H:%M")


class Archived:
    """What `ticket list --status closed` reads of a store: one archive week file."""

    def __init__(self, summaries: list[dict[str, Any]]) -> None:
        self.summaries = summaries

    def archive_files(self) -> list[tuple[date, date, str]]:
        return [(date(2026, 11, 23), date(2026, 11, 30), "2026-W48.json")]

    def archive_rows(self, _path: str) -> list[dict[str, Any]]:
        return list(self.summaries)


def test_since_lists_the_closed_tickets_of_a_week_it_falls_inside() -> None:
    """--since skips only the archive files that end by that day: a week that begins
    before it and ends after it holds tickets created since (skipped by the file's
    first day, `ticket list --since` named none of that week's)."""
    made = [
        {**_row("A-1", False), "status": "closed", "created_at": "2026-11-24T10:00:00+00:00"},
        {**_row("A-2", False), "status": "closed", "created_at": "2026-11-27T10:00:00+00:00"},
    ]
    f = Filter(status="closed", since=date(2026, 11, 26))
    assert [r["tid"] for r in rows(Archived(made), f)] == ["A-2"]
