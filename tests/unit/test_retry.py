"""Unit tests for maild.domain.retry: the outbox's back-off and when a try is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.retry import next_try, try_due

LAST = datetime(2026, 12, 3, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def test_back_off_doubles_up_to_an_hour():
    waits = [next_try(n, LAST) - LAST for n in (1, 2, 3, 8, 1000)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 3600, 3600)]


@given(
    attempts=st.integers(min_value=1, max_value=40),
    since=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    zone=st.sampled_from([UTC, ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York")]),
)
def test_a_try_is_due_after_its_back_off_or_when_the_clock_went_back(attempts, since, zone):
    """``since`` is the clock's reading now minus at the last try: due once the back-off
    has passed, whatever offset the times were written with; a negative reading (the
    clock stepped back since the last try) cannot measure it: due at once."""
    planned = next_try(attempts, LAST)
    now = LAST + since
    due = try_due(planned.astimezone(zone).isoformat(), LAST.astimezone(zone).isoformat(), now)
    assert due == (now >= planned or since < timedelta(0))
    assert try_due(None, None, now)
