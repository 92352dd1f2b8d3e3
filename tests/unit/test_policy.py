"""Unit tests for maild.domain.policy: how mail names the desk's times and zone, and
who of support's side is the head."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from maild.domain.policy import fmt_time, hours_words, zone_label, zone_words
from tests.unit.test_decide import POLICY


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


def test_the_head_on_staff_too_is_staff_and_no_head_makes_nobody_the_head() -> None:
    """support.head named on support.staff too is a staff member: his reply runs its
    commands and reaches the customer, where the head's mail does neither. With no
    support.head (""), no sender is the head, not even one with no address."""
    both = dataclasses.replace(POLICY, staff=("anna@example.com",), head="anna@example.com")
    assert not both.is_head("anna@example.com")
    assert both.claims_staff("anna@example.com", automated=False)
    head = dataclasses.replace(both, head="head@example.com")
    assert head.is_head("head@example.com") and not head.claims_staff("head@example.com", False)
    nobody = dataclasses.replace(both, head="")
    assert not nobody.is_head("") and not nobody.is_head("anna@example.com")
