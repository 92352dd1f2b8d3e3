"""`maild ticket list`'s plain table (ops.listing.print_table): the `!` of a ticket
marked critical (README, #critical), and its times in the desk's zone through
TimeFormat's per-hour cache, which must not copy the stored minutes into a zone whose
offset is not whole hours."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.ops.listing import TimeFormat, print_table


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
