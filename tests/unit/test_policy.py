"""Unit tests for maild.domain.policy: how mail names the desk's times and zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from maild.domain.policy import fmt_time, hours_words, zone_label, zone_words


def test_moscow_is_named_as_the_regulation_names_it_other_zones_by_their_name() -> None:
    assert (zone_label("Europe/Moscow"), zone_words("Europe/Moscow")) == (
        "МСК", "время московское"
    )  # fmt: skip
    assert hours_words("Europe/Moscow") == "по московскому времени"
    zone = "Asia/Yekaterinburg"
    assert (zone_label(zone), zone_words(zone)) == (zone, f"часовой пояс {zone}")
    assert hours_words(zone) == f"по времени часового пояса {zone}"


def test_a_time_is_shown_in_the_desks_zone_whole_or_short() -> None:
    when = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
    moscow = ZoneInfo("Europe/Moscow")
    assert fmt_time(moscow, when) == "25.11.2026 15:30"
    assert fmt_time(moscow, when.isoformat(), short=True) == "25.11 15:30"
    assert fmt_time(ZoneInfo("Asia/Yekaterinburg"), when) == "25.11.2026 17:30"
    assert fmt_time(moscow, None) == ""
