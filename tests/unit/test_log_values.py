"""Times and client addresses in log lines read as an admin reads them: to the
second, in the desk's zone, one format; `127.0.0.1:53632`, not a Python tuple. Before,
«could not since 2026-12-06T18:03:26.017830+00:00» (UTC beside the desk's +03:00),
«next try …740155+03:00», «from ('127.0.0.1', 53632)»."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.logid import log_time, peer_for_log

MSK = ZoneInfo("Europe/Moscow")


def test_a_utc_time_is_said_in_the_desks_zone_to_the_second():
    when = datetime(2026, 12, 6, 18, 3, 26, 17830, tzinfo=UTC)
    assert log_time(when.isoformat(), MSK) == "2026-12-06 21:03:26+03:00"
    assert log_time("2026-12-06T21:07:00.740155+03:00") == "2026-12-06 21:07:00+03:00"
    assert log_time("not a time") == "not a time"


@given(st.datetimes(timezones=st.just(UTC)), st.integers(-12, 12))
def test_any_time_reads_back_as_the_same_second(when, hours):
    zone = timezone(timedelta(hours=hours))
    said = log_time(when, zone)
    assert "." not in said and said.endswith(zone.tzname(None)[3:] or "+00:00")
    assert datetime.fromisoformat(said) == when.replace(microsecond=0)


def test_a_peer_is_host_and_port():
    assert peer_for_log(("127.0.0.1", 53632)) == "127.0.0.1:53632"
    assert peer_for_log(("::1", 25, 0, 0)) == "[::1]:25"
    assert peer_for_log(None) == "an unknown client"
