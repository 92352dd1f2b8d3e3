"""Unit tests for maild.domain.sla: the levels table, Russian wording and reaction deadlines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.calendar import BusinessCalendar
from maild.domain.sla import (
    LEVELS,
    Level,
    get_level,
    reaction_due,
    reminder_at,
    ru_count,
    ru_plural,
)

MSK = ZoneInfo("Europe/Moscow")


def msk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=MSK)


# The deadlines below are worked in hours of 09:00–18:00, given here: the regulation's
# own hours (calendar.DAY_START, DAY_END) may change and leave these sums as they are.
HOURS = {"day_start": time(9), "day_end": time(18)}


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar(**HOURS)


# ---- the table (SPEC.md "Service levels") ----


@pytest.mark.parametrize(
    ("level_id", "name_ru", "hours", "days", "commercial"),
    [
        ("partner", "Партнерская поддержка", 3, None, True),
        ("vip", "Коммерческие клиенты: VIP поддержка", 2, None, True),
        ("operative", "Коммерческие клиенты: оперативная поддержка", 4, None, True),
        ("standard", "Коммерческие клиенты: стандартная поддержка", 6, None, True),
        ("free", "Бесплатная поддержка", 24, None, False),
        ("consulting", "Консультирование по общим вопросам", 40, None, False),
        ("development", "Разработка", None, 24, False),
    ],
)
def test_levels_table(
    level_id: str, name_ru: str, hours: int | None, days: int | None, commercial: bool
) -> None:
    level = get_level(level_id)
    assert level is LEVELS[level_id]
    assert (level.id, level.name_ru, level.hours, level.days, level.commercial) == (
        level_id,
        name_ru,
        hours,
        days,
        commercial,
    )


def test_levels_ids_and_order() -> None:
    assert list(LEVELS) == [
        "partner",
        "vip",
        "operative",
        "standard",
        "free",
        "consulting",
        "development",
    ]
    assert {lid for lid, lvl in LEVELS.items() if lvl.commercial} == {
        "partner",
        "vip",
        "operative",
        "standard",
    }


@pytest.mark.parametrize(
    ("level_id", "text"),
    [
        ("partner", "3 рабочих часа"),
        ("vip", "2 рабочих часа"),
        ("operative", "4 рабочих часа"),
        ("standard", "6 рабочих часов"),
        ("free", "24 рабочих часа"),
        ("consulting", "40 рабочих часов"),
        ("development", "24 рабочих дня"),
    ],
)
def test_reaction_ru(level_id: str, text: str) -> None:
    assert get_level(level_id).reaction_ru() == text


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, "many"),
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (25, "many"),
        (101, "one"),
        (111, "many"),
        (112, "many"),
        (122, "few"),
    ],
)
def test_ru_plural(n: int, form: str) -> None:
    assert ru_plural(n, "one", "few", "many") == form
    assert ru_plural(-n, "one", "few", "many") == form  # «-21 час» as «21 час»


def test_ru_count_groups_digits_only_when_asked() -> None:
    assert ru_count(1021, "день", "дня", "дней") == "1021 день"
    assert ru_count(1021, "день", "дня", "дней", grouped=True) == "1\u00a0021 день"


def test_reaction_ru_singular_forms() -> None:
    assert Level("x", "X", 1, None, False).reaction_ru() == "1 рабочий час"
    assert Level("y", "Y", None, 21, False).reaction_ru() == "21 рабочий день"
    assert Level("z", "Z", None, 5, False).reaction_ru() == "5 рабочих дней"


def test_level_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_level("vip").hours = 1  # type: ignore[misc]


@pytest.mark.parametrize(("hours", "days"), [(None, None), (2, 3), (0, None), (None, -1)])
def test_level_validates_reaction_time(hours: int | None, days: int | None) -> None:
    with pytest.raises(ValueError):
        Level("bad", "Плохой", hours, days, False)


def test_get_level_unknown() -> None:
    with pytest.raises(KeyError) as excinfo:
        get_level("gold")
    message = excinfo.value.args[0]
    assert "'gold'" in message
    assert "partner" in message and "development" in message


# ---- reaction_due ----


@pytest.mark.parametrize(
    ("level_id", "start", "expected"),
    [
        # Tuesday 10:00, ordinary week.
        ("partner", msk(2025, 3, 11, 10), msk(2025, 3, 11, 13)),
        ("vip", msk(2025, 3, 11, 10), msk(2025, 3, 11, 12)),
        ("operative", msk(2025, 3, 11, 10), msk(2025, 3, 11, 14)),
        ("standard", msk(2025, 3, 11, 10), msk(2025, 3, 11, 16)),
        # 24 h = 8 (Tue) + 9 (Wed) + 7 (Thu).
        ("free", msk(2025, 3, 11, 10), msk(2025, 3, 13, 16)),
        # 40 h from Monday 09:00: four full days (36 h) + 4 h on Friday.
        ("consulting", msk(2025, 3, 10, 9), msk(2025, 3, 14, 13)),
        # 24 business days, with the 1 Nov working Saturday and 3–4 Nov off.
        ("development", msk(2025, 10, 31, 17), msk(2025, 12, 5, 17)),
        # 17:59 with 2 h: 1 min today, the rest next morning.
        ("vip", msk(2025, 3, 11, 17, 59), msk(2025, 3, 12, 10, 59)),
        # Friday evening: Monday.
        ("partner", msk(2025, 3, 14, 19), msk(2025, 3, 17, 12)),
        # Free support over a weekend: 8 (Fri) + 9 (Mon) + 7 (Tue).
        ("free", msk(2025, 3, 14, 10), msk(2025, 3, 18, 16)),
        # New Year 2026/27: 31 Dec transferred off, 1–8 Jan holidays, 9–10 weekend.
        ("standard", msk(2026, 12, 31, 20), msk(2027, 1, 11, 15)),
    ],
)
def test_reaction_due(
    cal: BusinessCalendar, level_id: str, start: datetime, expected: datetime
) -> None:
    assert reaction_due(level_id, start, cal) == expected
    assert reaction_due(get_level(level_id), start, cal) == expected


@pytest.mark.parametrize(
    "start",
    [
        msk(2026, 12, 7, 8, 30),  # Monday before opening
        msk(2026, 12, 7, 9),  # Monday at opening
        msk(2026, 12, 4, 18),  # Friday at closing
        msk(2026, 12, 5, 12),  # Saturday
    ],
)
def test_development_from_an_opening_ends_with_the_24th_working_day(
    cal: BusinessCalendar, start: datetime
) -> None:
    """The regulation's «24 рабочих дня» counted from Monday 7 December 2026's opening
    are 7 December .. 18 January 2027 (31 Dec and 1-8 Jan off): the deadline is the
    close of 18 January, not the opening of the 25th working day (19 January), the
    same instant in business time that the customer was told a day later."""
    due = reaction_due("development", start, cal)
    assert due == msk(2027, 1, 18, 18)
    assert cal.business_hours_between(start, due) == 24 * 9


def test_reaction_due_from_utc(cal: BusinessCalendar) -> None:
    # 14:30 UTC = 17:30 Moscow: 30 min today, 2.5 h tomorrow.
    due = reaction_due("partner", datetime(2025, 3, 11, 14, 30, tzinfo=UTC), cal)
    assert due == msk(2025, 3, 12, 11, 30)
    assert due.tzinfo is MSK


def test_reaction_due_unknown_level(cal: BusinessCalendar) -> None:
    with pytest.raises(KeyError, match="unknown service level"):
        reaction_due("gold", msk(2025, 3, 11, 10), cal)


def test_reaction_due_uses_calendar_overrides() -> None:
    c = BusinessCalendar(extra_days_off=[datetime(2025, 3, 12).date()], **HOURS)
    assert reaction_due("vip", msk(2025, 3, 11, 17), c) == msk(2025, 3, 13, 10)


# ---- the staff reminder at 75 % of the reaction time ----


def test_reminder_at_three_quarters_of_the_business_time(cal: BusinessCalendar) -> None:
    start = msk(2026, 11, 23, 10)  # Monday
    assert reminder_at(start, msk(2026, 11, 23, 14), 0.75, cal) == msk(2026, 11, 23, 13)


def test_reminder_counts_business_hours_across_a_weekend(cal: BusinessCalendar) -> None:
    # Fri 16:00 + 6 business hours = Mon 13:00; 75 % of 6 h = 4.5 h: Mon 11:30
    start, due = msk(2026, 11, 27, 16), msk(2026, 11, 30, 13)
    assert reaction_due("standard", start, cal) == due
    assert reminder_at(start, due, 0.75, cal) == msk(2026, 11, 30, 11, 30)


def test_reminder_from_a_later_start_is_later(cal: BusinessCalendar) -> None:
    due = msk(2026, 11, 25, 18)
    early = reminder_at(msk(2026, 11, 23, 9), due, 0.75, cal)
    late = reminder_at(msk(2026, 11, 24, 9), due, 0.75, cal)
    assert early < late < due


# ---- properties of every level's deadline ----

_arrivals = st.datetimes(
    min_value=datetime(2025, 12, 1),
    max_value=datetime(2028, 1, 31),  # 2028: a year whose transfers are not yet decreed
    timezones=st.sampled_from([MSK, UTC, ZoneInfo("America/New_York")]),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    arrival=_arrivals,
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)),
    level_id=st.sampled_from(list(LEVELS)),
)
def test_property_a_deadline_is_the_levels_business_time_after_arrival(
    cal: BusinessCalendar, arrival: datetime, later: timedelta, level_id: str
) -> None:
    """Whatever the arrival (a night, a weekend, the New Year days, any zone): the
    deadline is never before it, lies in business hours of a working day (18:00, the
    close, included), is the level's time of business hours after it (a day: 9 h), and a
    later mail is never due sooner than an earlier one."""
    level = get_level(level_id)
    due = reaction_due(level, arrival, cal)
    assert due >= arrival
    assert cal.is_working_day(due.date())
    assert time(9) < due.time() <= time(18)
    amount = level.hours if level.hours is not None else (level.days or 0) * 9
    assert cal.business_hours_between(arrival, due) == pytest.approx(amount, abs=1e-6)
    assert reaction_due(level, arrival + later, cal) >= due
