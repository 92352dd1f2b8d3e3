"""Unit tests for maild.domain.calendar: Moscow business hours, Russian holidays, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import calendar as calendar_module
from maild.domain.calendar import DAY_END, DAY_START, BusinessCalendar

MSK = ZoneInfo("Europe/Moscow")


def msk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=MSK)


# The worked examples below count in hours of 09:00–18:00, given here: the regulation's
# own hours (DAY_START, DAY_END) may change and leave the arithmetic as it is. The
# properties and the default calendar's own test read DAY_START and DAY_END.
HOURS = {"day_start": time(9), "day_end": time(18)}


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar(**HOURS)


# ---- facts about the installed holidays package that the tests below rely on ----


def test_holidays_ru_knows_transfers_used_in_these_tests() -> None:
    # If a holidays upgrade changes these, the expected deadlines below are stale.
    ru = holidays.RU(years=[2024, 2025, 2026, 2027])
    # Transferred working Saturdays live in the ``weekend_workdays`` attribute.
    assert {date(2024, 12, 28), date(2025, 11, 1), date(2027, 2, 20)} <= ru.weekend_workdays
    # Transferred days off are ordinary entries of the holiday mapping.
    for d in (
        date(2025, 5, 2),
        date(2025, 5, 8),
        date(2025, 6, 13),
        date(2025, 11, 3),
        date(2025, 12, 31),
        date(2026, 1, 9),
        date(2026, 12, 31),
    ):
        assert d in ru, d
        assert d.weekday() < 5
    # New Year holidays: 1–8 January every year.
    for year in (2025, 2026, 2027):
        assert all(date(year, 1, day) in ru for day in range(1, 9))
    assert date(2025, 1, 9) not in ru
    assert date(2027, 1, 11) not in ru


# ---- is_working_day ----


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 3, 11), True),  # ordinary Tuesday
        (date(2025, 3, 15), False),  # Saturday
        (date(2025, 3, 16), False),  # Sunday
        (date(2025, 1, 1), False),  # New Year
        (date(2025, 1, 8), False),  # last day of the January holidays
        (date(2025, 1, 9), True),  # first working day of 2025
        (date(2025, 5, 2), False),  # transferred day off (from 4 Jan)
        (date(2025, 12, 31), False),  # transferred day off (from 5 Jan)
        (date(2025, 11, 1), True),  # transferred working Saturday
        (date(2025, 11, 3), False),  # its paired day off
        (date(2025, 11, 4), False),  # Unity Day
        (date(2024, 12, 28), True),  # working Saturday
        (date(2026, 1, 9), False),  # transferred day off (from 3 Jan 2026)
        (date(2026, 12, 31), False),  # transferred day off (from 4 Jan 2026)
        (date(2027, 1, 11), True),  # first working day of 2027
        (date(2027, 2, 20), True),  # working Saturday 2027
    ],
)
def test_is_working_day(cal: BusinessCalendar, d: date, expected: bool) -> None:
    assert cal.is_working_day(d) is expected


def test_is_working_day_accepts_datetime(cal: BusinessCalendar) -> None:
    assert cal.is_working_day(msk(2025, 11, 1, 12)) is True
    assert cal.is_working_day(msk(2025, 11, 2, 12)) is False


@pytest.mark.parametrize(
    ("year", "working_days"),
    # Official Russian production calendar (5-day week) figures.
    [(2024, 248), (2025, 247), (2026, 247)],
)
def test_whole_year_matches_production_calendar(
    cal: BusinessCalendar, year: int, working_days: int
) -> None:
    hours = cal.business_hours_between(msk(year, 1, 1), msk(year + 1, 1, 1))
    assert hours == working_days * 9


def test_year_lookup_is_cached() -> None:
    calendar_module.ru_year.cache_clear()
    c = BusinessCalendar()
    for offset in range(365):
        c.is_working_day(date(2025, 1, 1) + timedelta(days=offset))
    # A second instance reuses the module-level cache: no new holidays.RU build.
    BusinessCalendar().is_working_day(date(2025, 6, 1))
    assert calendar_module.ru_year.cache_info().misses == 1


# ---- add_business_hours ----


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Normal weekday.
        (msk(2025, 3, 11, 10), 3, msk(2025, 3, 11, 13)),
        (msk(2025, 3, 11, 10), 0.5, msk(2025, 3, 11, 10, 30)),
        # Night before opening: counting starts at 09:00 the same day.
        (msk(2025, 3, 11, 2), 3, msk(2025, 3, 11, 12)),
        # Evening after closing: counting starts next morning.
        (msk(2025, 3, 11, 20), 3, msk(2025, 3, 12, 12)),
        # Saturday and Sunday: Monday morning.
        (msk(2025, 3, 15, 12), 2, msk(2025, 3, 17, 11)),
        (msk(2025, 3, 16, 23, 30), 2, msk(2025, 3, 17, 11)),
        # 17:59 with 2 h: 1 min today, 1 h 59 min tomorrow.
        (msk(2025, 3, 11, 17, 59), 2, msk(2025, 3, 12, 10, 59)),
        # Exactly 09:00 is inside hours.
        (msk(2025, 3, 11, 9), 2, msk(2025, 3, 11, 11)),
        # Exactly 18:00 is closed: counts from the next opening.
        (msk(2025, 3, 11, 18), 1, msk(2025, 3, 12, 10)),
        # Budget ending exactly at closing stays at 18:00 of that day.
        (msk(2025, 3, 11, 9), 9, msk(2025, 3, 11, 18)),
        (msk(2025, 3, 11, 17), 1, msk(2025, 3, 11, 18)),
        (msk(2025, 3, 11, 9), 18, msk(2025, 3, 12, 18)),
        # Friday afternoon crossing a weekend.
        (msk(2025, 3, 14, 17), 2, msk(2025, 3, 17, 10)),
        # Crossing a weekend and a holiday: 12 Jun (Russia Day) + 13 Jun (day off).
        (msk(2025, 6, 11, 15), 24, msk(2025, 6, 18, 12)),
        # 1 May holiday + 2 May transferred day off + weekend.
        (msk(2025, 4, 30, 17), 2, msk(2025, 5, 5, 10)),
        # Transferred working Saturday 1 Nov 2025 is used.
        (msk(2025, 10, 31, 17), 2, msk(2025, 11, 1, 10)),
        # From that Saturday: Sun off, 3 Nov transferred off, 4 Nov Unity Day.
        (msk(2025, 11, 1, 17), 2, msk(2025, 11, 5, 10)),
        # Working Saturday 28 Dec 2024, then the New Year break to 9 Jan 2025.
        (msk(2024, 12, 27, 17), 4, msk(2024, 12, 28, 12)),
        (msk(2024, 12, 28, 17), 2, msk(2025, 1, 9, 10)),
        # 31 Dec 2025 transferred off, 1–8 Jan holidays, 9 Jan 2026 off, weekend.
        (msk(2025, 12, 30, 17), 2, msk(2026, 1, 12, 10)),
        # 31 Dec 2026 (transferred off) evening: 1–8 Jan 2027 holidays, 9–10 weekend.
        (msk(2026, 12, 31, 20), 2, msk(2027, 1, 11, 11)),
        (msk(2026, 12, 30, 17), 3, msk(2027, 1, 11, 11)),
    ],
)
def test_add_business_hours(
    cal: BusinessCalendar, start: datetime, hours: float, expected: datetime
) -> None:
    result = cal.add_business_hours(start, hours)
    assert result == expected
    assert result.tzinfo is MSK
    assert result.utcoffset() == timedelta(hours=3)


def test_add_business_hours_converts_utc_input(cal: BusinessCalendar) -> None:
    # 06:00 UTC = 09:00 Moscow.
    result = cal.add_business_hours(datetime(2025, 3, 11, 6, tzinfo=UTC), 3)
    assert result == msk(2025, 3, 11, 12)
    assert (result.hour, result.tzinfo) == (12, MSK)
    # 22:30 UTC Monday = 01:30 Tuesday in Moscow: counts from Tuesday 09:00.
    late = cal.add_business_hours(datetime(2025, 3, 10, 22, 30, tzinfo=UTC), 1)
    assert late == msk(2025, 3, 11, 10)
    # 16:00 UTC Friday = 19:00 Moscow, already closed there.
    friday = cal.add_business_hours(datetime(2025, 3, 14, 16, tzinfo=UTC), 1)
    assert friday == msk(2025, 3, 17, 10)


def test_add_business_hours_other_zone(cal: BusinessCalendar) -> None:
    ny = ZoneInfo("America/New_York")
    # 02:00 New York (EDT, UTC-4) = 09:00 Moscow.
    assert cal.add_business_hours(datetime(2025, 6, 3, 2, tzinfo=ny), 1) == msk(2025, 6, 3, 10)


def test_add_zero_hours_returns_counting_start(cal: BusinessCalendar) -> None:
    assert cal.add_business_hours(msk(2025, 3, 11, 10), 0) == msk(2025, 3, 11, 10)
    assert cal.add_business_hours(msk(2025, 3, 11, 18), 0) == msk(2025, 3, 12, 9)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_add_business_hours_rejects_bad_hours(cal: BusinessCalendar, hours: float) -> None:
    with pytest.raises(ValueError, match="hours"):
        cal.add_business_hours(msk(2025, 3, 11, 10), hours)


def test_naive_datetime_rejected(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_business_hours(datetime(2025, 3, 11, 10), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.business_hours_between(datetime(2025, 3, 11, 10), msk(2025, 3, 11, 12))


# ---- config overrides ----


def test_extra_day_off() -> None:
    c = BusinessCalendar(extra_days_off=[date(2025, 3, 12)], **HOURS)
    assert not c.is_working_day(date(2025, 3, 12))
    assert c.add_business_hours(msk(2025, 3, 11, 17), 2) == msk(2025, 3, 13, 10)


def test_extra_working_day_on_weekend_and_holiday() -> None:
    c = BusinessCalendar(extra_working_days=[date(2025, 3, 15), date(2025, 5, 2)], **HOURS)
    assert c.is_working_day(date(2025, 3, 15))  # Saturday
    assert c.is_working_day(date(2025, 5, 2))  # transferred day off
    assert c.add_business_hours(msk(2025, 3, 14, 17), 2) == msk(2025, 3, 15, 10)
    assert c.add_business_hours(msk(2025, 4, 30, 17), 2) == msk(2025, 5, 2, 10)


def test_extra_day_off_beats_extra_working_day_and_transfers() -> None:
    c = BusinessCalendar(
        extra_days_off=[date(2025, 3, 15), date(2025, 11, 1)],
        extra_working_days=[date(2025, 3, 15)],
    )
    assert not c.is_working_day(date(2025, 3, 15))
    assert not c.is_working_day(date(2025, 11, 1))  # working Saturday cancelled by config


def test_custom_hours_and_zone() -> None:
    c = BusinessCalendar(tz="Asia/Yekaterinburg", day_start=time(10), day_end=time(19))
    ekb = ZoneInfo("Asia/Yekaterinburg")
    start = datetime(2025, 3, 11, 18, 30, tzinfo=ekb)
    assert c.add_business_hours(start, 1) == datetime(2025, 3, 12, 10, 30, tzinfo=ekb)
    assert c.business_hours_between(start, datetime(2025, 3, 12, 11, tzinfo=ekb)) == 1.5


def test_bad_day_bounds_rejected() -> None:
    with pytest.raises(ValueError, match="before"):
        BusinessCalendar(day_start=time(18), day_end=time(9))
    with pytest.raises(ValueError, match="before"):  # a day without hours
        BusinessCalendar(day_start=time(9), day_end=time(9))
    for start, end in [(time(9, tzinfo=UTC), time(18)), (time(9), time(18, tzinfo=UTC))]:
        with pytest.raises(ValueError, match="naive"):
            BusinessCalendar(day_start=start, day_end=end)


def test_the_previous_working_day_steps_over_days_off() -> None:
    cal = BusinessCalendar()
    assert cal.previous_working_day(date(2026, 11, 25)) == date(2026, 11, 24)  # Wed -> Tue
    assert cal.previous_working_day(date(2026, 11, 30)) == date(2026, 11, 27)  # Mon -> Fri
    # the day after the 4 November holidays of 2025 (Sunday 2 to Tuesday 4 off, and
    # Saturday 1 November a working day in exchange for Monday 3)
    assert cal.previous_working_day(date(2025, 11, 5)) == date(2025, 11, 1)


def test_calendar_slips_are_named_and_real_overrides_are_not() -> None:
    from maild.domain.calendar import override_slips

    wednesday, saturday, new_year = date(2026, 11, 25), date(2026, 11, 28), date(2026, 1, 1)
    thursday = date(2026, 11, 26)
    assert override_slips([wednesday], [saturday]) == []  # what the lists are for
    assert override_slips([new_year, thursday], [wednesday, thursday, saturday]) == [
        "2026-11-26 is in both extra_days_off and extra_working_days: it is a day off",
        "2026-01-01 in extra_days_off is already a day off",
        "2026-11-25 in extra_working_days is already a working day",
    ]


# ---- add_business_days ----


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (msk(2025, 3, 11, 10), 1, msk(2025, 3, 12, 10)),
        (msk(2025, 3, 11, 10), 0, msk(2025, 3, 11, 10)),
        (msk(2025, 3, 14, 15), 1, msk(2025, 3, 17, 15)),  # Friday -> Monday
        (msk(2025, 3, 15, 12), 1, msk(2025, 3, 18, 9)),  # Saturday counts from Mon 09:00
        (msk(2025, 3, 11, 20), 1, msk(2025, 3, 13, 9)),  # evening counts from Wed 09:00
        (msk(2025, 3, 11, 18), 1, msk(2025, 3, 13, 9)),  # 18:00 is already closed
        (msk(2025, 3, 11, 17, 59), 1, msk(2025, 3, 12, 17, 59)),
        # 24 business days (development): 1 Nov working Saturday, 3–4 Nov off.
        (msk(2025, 10, 31, 17), 24, msk(2025, 12, 5, 17)),
        # Across the New Year break 31 Dec 2025 – 11 Jan 2026.
        (msk(2025, 12, 22, 10), 24, msk(2026, 2, 4, 10)),
    ],
)
def test_add_business_days(
    cal: BusinessCalendar, start: datetime, days: int, expected: datetime
) -> None:
    result = cal.add_business_days(start, days)
    assert result == expected
    assert result.tzinfo is MSK


def test_add_business_days_rejects_bad_input(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_business_days(msk(2025, 3, 11, 10), -1)
    with pytest.raises(TypeError):
        cal.add_business_days(msk(2025, 3, 11, 10), 1.5)  # type: ignore[arg-type]


# ---- daily_due ----


NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (msk(2026, 11, 30, 8, 59), None),  # Monday, before 09:00
        (msk(2026, 11, 30, 9), date(2026, 11, 30)),
        (msk(2026, 11, 30, 23, 59), date(2026, 11, 30)),  # still that day's, all day
        (datetime(2026, 11, 30, 6, 0, tzinfo=UTC), date(2026, 11, 30)),  # 09:00 MSK
        (datetime(2026, 11, 30, 5, 59, tzinfo=UTC), None),
        # Friday 20:00 in New York is Saturday 04:00 in Moscow: a day off there.
        (datetime(2026, 12, 4, 20, 0, tzinfo=NY), None),
        # Sunday 22:00 in New York is Monday 06:00 in Moscow, Monday 01:00 is 09:00.
        (datetime(2026, 12, 6, 22, 0, tzinfo=NY), None),
        (datetime(2026, 12, 7, 1, 0, tzinfo=NY), date(2026, 12, 7)),
        (msk(2027, 1, 8, 12), None),  # New Year holidays
        (msk(2027, 2, 20, 12), date(2027, 2, 20)),  # transferred working Saturday
    ],
)
def test_daily_due_is_a_moscow_business_day_from_the_time_on(
    cal: BusinessCalendar, now: datetime, expected: date | None
) -> None:
    assert cal.daily_due(now, time(9)) == expected


# ---- business_hours_between ----


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (msk(2025, 3, 11, 10), msk(2025, 3, 11, 13, 30), 3.5),
        (msk(2025, 3, 11, 13), msk(2025, 3, 11, 10), 0.0),  # b before a
        (msk(2025, 3, 11, 10), msk(2025, 3, 11, 10), 0.0),
        (msk(2025, 3, 11, 0), msk(2025, 3, 12, 0), 9.0),  # whole day
        (msk(2025, 3, 11, 19), msk(2025, 3, 12, 8), 0.0),  # overnight
        (msk(2025, 3, 14, 15), msk(2025, 3, 17, 11), 5.0),  # across a weekend
        (msk(2025, 3, 15, 10), msk(2025, 3, 16, 17), 0.0),  # inside a weekend
        (msk(2025, 3, 10, 9), msk(2025, 3, 17, 9), 45.0),  # one week
        (msk(2025, 4, 30, 17), msk(2025, 5, 5, 10), 2.0),  # across 1–4 May
        (msk(2025, 10, 31, 17), msk(2025, 11, 5, 10), 11.0),  # incl. working Saturday
        (msk(2025, 12, 30, 17), msk(2026, 1, 12, 10), 2.0),  # New Year break
        (msk(2026, 12, 30, 17), msk(2027, 1, 11, 11), 3.0),
    ],
)
def test_business_hours_between(
    cal: BusinessCalendar, a: datetime, b: datetime, expected: float
) -> None:
    assert cal.business_hours_between(a, b) == expected


def test_business_hours_between_mixed_zones(cal: BusinessCalendar) -> None:
    # 06:00 UTC = 09:00 Moscow; 12:00 Moscow.
    assert (
        cal.business_hours_between(datetime(2025, 3, 11, 6, tzinfo=UTC), msk(2025, 3, 11, 12)) == 3
    )


# ---- properties ----

_starts = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([MSK, UTC]),
)
# Property tests run without the example database so they never write into the repo.
_settings = settings(max_examples=150, deadline=None, database=None)


@_settings
@given(start=_starts, hours=st.floats(min_value=0, max_value=120, allow_nan=False))
def test_property_add_then_measure(start: datetime, hours: float) -> None:
    cal = BusinessCalendar()
    due = cal.add_business_hours(start, hours)
    assert cal.business_hours_between(start, due) == pytest.approx(hours, abs=1e-6)
    assert due >= start
    assert due.tzinfo is MSK
    # Inside hours of a working day; a budget ending at closing gives DAY_END exactly.
    assert cal.is_working_day(due.date())
    assert DAY_START <= due.time() <= DAY_END
    if due.time() == DAY_START:
        # the opening only for a zero budget (after rounding to whole microseconds).
        assert timedelta(hours=hours) == timedelta(0)


@_settings
@given(start=_starts, days=st.integers(min_value=0, max_value=30))
def test_property_business_days(start: datetime, days: int) -> None:
    cal = BusinessCalendar()
    due = cal.add_business_days(start, days)
    assert cal.is_working_day(due.date())
    assert DAY_START <= due.time() < DAY_END
    day = (datetime.combine(date.min, DAY_END) - datetime.combine(date.min, DAY_START)) / timedelta(
        hours=1
    )
    assert cal.business_hours_between(start, due) == pytest.approx(days * day, abs=1e-6)


def test_a_year_without_known_transfers_is_named_till_the_config_lists_it() -> None:
    """Russia decrees each year's transferred days off the autumn before; a `holidays`
    release made earlier counts them as working days. 2026 and 2027 are known to the
    release maild requires (0.107); 2098 and 2099 to none yet."""
    from maild.domain.calendar import transfers_known, unknown_year

    assert transfers_known(2026) and transfers_known(2027) and not transfers_known(2099)
    assert unknown_year(date(2026, 12, 5)) is None  # this year and, in December, the next
    assert unknown_year(date(2026, 6, 1)) is None
    assert unknown_year(date(2099, 3, 1)) == 2099
    assert unknown_year(date(2098, 12, 5)) == 2098
    assert unknown_year(date(2099, 3, 1), [date(2099, 5, 10)]) is None  # the admin listed it
    # in December the next year is named too, before its first day comes
    assert unknown_year(date(2099, 12, 1), [date(2099, 5, 10)]) == 2100
    assert unknown_year(date(2099, 11, 30), [date(2099, 5, 10)]) is None


@pytest.mark.parametrize("lang", ["zh_CN.UTF-8", "th_TH.UTF-8", "en_US.UTF-8", "C"])
def test_transfers_known_whatever_the_locale(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    """``holidays`` names days in the locale's language: 2026's transfers (days off
    only, no working Saturday) are known under a Chinese or Thai locale too."""
    from maild.domain.calendar import transfers_known

    for name in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.setenv(name, lang)
    assert transfers_known.__wrapped__(2026) and transfers_known.__wrapped__(2027)
    assert not transfers_known.__wrapped__(2099)
