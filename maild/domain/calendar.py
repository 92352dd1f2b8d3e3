"""Business-time calendar: working days and hours (Moscow by default) for SLA deadlines.

Pure: no I/O and no clock; every instant is passed in as a tz-aware datetime.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import MAXYEAR, MINYEAR, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_END",
    "DAY_START",
    "BusinessCalendar",
    "YearDays",
    "override_slips",
    "ru_year",
    "transfers_known",
    "unknown_year",
]

# The regulation's business hours, Monday to Friday (working days below): the one place
# they are set. Deadlines count them, and every text that states them (the
# confirmation, the site's footer) is given them from the calendar (policy.business_hours).
DAY_START = time(9)
DAY_END = time(18)

# a year's days off and its weekend days that are working days (transfers)
YearDays = tuple[frozenset[date], frozenset[date]]


@lru_cache(maxsize=64)
def ru_year(year: int) -> YearDays:
    """Russian days off and transferred working weekend days that fall in ``year``.

    Shared by all calendar instances: building ``holidays.RU`` costs about a
    millisecond per year, far too much for the per-message hot path.
    """
    # Imported on first use: importing any country imports all of them (~0.2 s), which
    # commands that compute no deadline (ticket show, outbox list, ...) need not pay.
    # The country's class itself, not `holidays.RU`: that is a lazy loader importing
    # it under a lock of its own. Most processes never get here: adapters.cache keeps
    # the answers. `maild serve` imports it before it forks a child again while threads
    # run (maild.workers), so no child can inherit an import lock held by a thread.
    from holidays.countries.russia import RU

    # A transfer listed under one year may name a date in a neighbouring year
    # (``holidays`` then files that weekend workday under the listing year), so
    # build the neighbours too and keep only the dates that belong to ``year``.
    years = [y for y in (year - 1, year, year + 1) if MINYEAR <= y <= MAXYEAR]
    ru = RU(years=years)
    # ``ru`` contains public holidays *and* transferred days off ("Day off
    # (substituted from ...)"); ``weekend_workdays`` holds the Saturdays/Sundays
    # that became working days in exchange.
    days_off = frozenset(d for d in ru if d.year == year)
    weekend_workdays = frozenset(d for d in ru.weekend_workdays if d.year == year)
    return days_off, weekend_workdays


@lru_cache(maxsize=8)
def transfers_known(year: int) -> bool:
    """Whether the `holidays` release knows ``year``'s transferred days off. Russia's
    government decrees them each autumn for the next year, and nearly every year has
    some (all of 1995-2027 but 1998 and 2004): a year with none is most likely one the
    release came out before. The names are asked in English: ``holidays`` names them
    in the language of the locale (zh_CN, th) otherwise."""
    from holidays.countries.russia import RU

    ru = RU(years=[year], language="en_US")
    substituted = any("substitut" in n.lower() for n in ru.values())
    return substituted or any(d.year == year for d in ru.weekend_workdays)


def unknown_year(
    today: date,
    listed: Iterable[date] = (),
    known: Callable[[int], bool] = transfers_known,
) -> int | None:
    """A year whose deadlines may fall on the wrong days: this one, or from December
    the next, when ``holidays`` knows no transfers for it (``known``: transfers_known,
    or the same kept between processes) and the config (``listed``: [calendar]'s extra
    days) names no day of it; else None."""
    years = [today.year, today.year + 1] if today.month == 12 else [today.year]
    named = {d.year for d in listed}
    return next((y for y in years if y not in named and not known(y)), None)


def override_slips(
    days_off: Iterable[date],
    working_days: Iterable[date],
    days: Callable[[int], YearDays] = ru_year,
) -> list[str]:
    """[calendar] days that contradict each other or change nothing, typed by hand from
    the decree: a day in both lists (the day off wins), a day off that already is one,
    a working day that already is one (the day meant was most likely another)."""
    plain = BusinessCalendar(days=days)  # Russia's calendar alone, without the overrides
    off, working = sorted(set(days_off)), sorted(set(working_days))
    out = [
        f"{d} is in both extra_days_off and extra_working_days: it is a day off"
        for d in off
        if d in working
    ]
    out += [
        f"{d} in extra_days_off is already a day off" for d in off if not plain.is_working_day(d)
    ]
    out += [
        f"{d} in extra_working_days is already a working day"
        for d in working
        if d not in off and plain.is_working_day(d)
    ]
    return out


class BusinessCalendar:
    """Working days and hours in one time zone, with Russian holidays and config overrides.

    Arithmetic is done on wall-clock time in the calendar zone, so a working day
    is always ``day_end - day_start`` long (Europe/Moscow has no DST anyway).
    A budget that runs out exactly at closing time ends at ``day_end`` of that
    day, not at ``day_start`` of the next working day.
    """

    def __init__(
        self,
        tz: str = "Europe/Moscow",
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        day_start: time | None = None,  # DAY_START
        day_end: time | None = None,  # DAY_END
        days: Callable[[int], YearDays] = ru_year,
        known: Callable[[int], bool] = transfers_known,
    ) -> None:
        day_start = DAY_START if day_start is None else day_start
        day_end = DAY_END if day_end is None else day_end
        if day_start.tzinfo is not None or day_end.tzinfo is not None:
            raise ValueError("day_start/day_end must be naive wall-clock times")
        if day_start >= day_end:
            raise ValueError(f"day_start {day_start} must be before day_end {day_end}")
        self.tz = ZoneInfo(tz)
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self.day_start = day_start
        self.day_end = day_end
        self.days = days  # ru_year, or the same kept between processes (adapters.cache)
        self.known = known  # transfers_known, or the same kept so
        # Per-instance memo: the overrides make answers instance-specific, and
        # deadline walks ask about the same few dates over and over.
        self._working: dict[date, bool] = {}

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(tz={self.tz.key!r}, day_start={self.day_start}, "
            f"day_end={self.day_end}, extra_days_off={len(self.extra_days_off)}, "
            f"extra_working_days={len(self.extra_working_days)})"
        )

    # ---- days ---------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` has business hours (Mon–Fri minus holidays, plus transferred workdays)."""
        if isinstance(d, datetime):
            # A datetime is a date subclass; hashing it would miss the memo and
            # the override sets, so reduce it to its calendar date.
            d = d.date()
        cached = self._working.get(d)
        if cached is not None:
            return cached
        if d in self.extra_days_off:  # config day off beats everything
            result = False
        elif d in self.extra_working_days:  # config working day beats weekend/holiday
            result = True
        else:
            days_off, weekend_workdays = self.days(d.year)
            result = d in weekend_workdays if d.weekday() >= 5 else d not in days_off
        self._working[d] = result
        return result

    def _next_working_day(self, d: date) -> date:
        """First working day strictly after ``d``."""
        # Terminates: holidays and overrides are finite, so some weekday is free.
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, d: date) -> date:
        """Last working day strictly before ``d``: the day of the once-a-day job before
        ``d``'s, so a job counting "since the last run" spans the days off between."""
        # Terminates as _next_working_day does: some earlier weekday is free.
        d -= timedelta(days=1)
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def daily_due(self, now: datetime, at: time | None) -> date | None:
        """The working day whose once-a-day job at wall-clock ``at`` is due at ``now``:
        ``now``'s date in the calendar zone when that is a working day and ``at`` has
        come, else None (and always for no ``at``: a job the desk turned off). Due from
        ``at`` until the day ends, not only at ``at``: a daemon started, or a machine
        resumed, later that day still owes the job."""
        local = self._local(now)
        if at is None or not self.is_working_day(local.date()) or local.time() < at:
            return None
        return local.date()

    # ---- conversions --------------------------------------------------------

    def _local(self, dt: datetime) -> datetime:
        """``dt`` as naive wall-clock time in the calendar zone."""
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware, got naive {dt!r}")
        return dt.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz)

    def _open(self, d: date) -> datetime:
        return datetime.combine(d, self.day_start)

    def _close(self, d: date) -> datetime:
        return datetime.combine(d, self.day_end)

    def _counting_start(self, local: datetime) -> datetime:
        """Where the clock starts for ``local``: itself inside hours, else the next opening.

        Exactly ``day_end`` is outside hours (the interval is [start, end)).
        """
        d = local.date()
        if self.is_working_day(d):
            if local < self._open(d):
                return self._open(d)
            if local < self._close(d):
                return local
        return self._open(self._next_working_day(d))

    # ---- arithmetic ---------------------------------------------------------

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` business hours after ``start`` (tz-aware, calendar zone).

        Counting starts at ``start`` if it is inside business hours, otherwise
        at the next opening. ``hours == 0`` returns that counting start.
        """
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite non-negative number, got {hours!r}")
        # timedelta keeps whole microseconds, so the walk below is exact.
        remaining = timedelta(hours=hours)
        cursor = self._counting_start(self._local(start))
        while True:
            close = self._close(cursor.date())
            available = close - cursor
            # "<=" makes a budget ending exactly at closing return day_end today.
            if remaining <= available:
                return self._aware(cursor + remaining)
            remaining -= available
            cursor = self._open(self._next_working_day(cursor.date()))

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """``days`` whole working days after ``start``, at the same clock time.

        ``start`` is first moved to its counting start (next opening if it is
        outside business hours), so the result is always inside business hours.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, got {days!r}")
        if days < 0:
            raise ValueError(f"days must be non-negative, got {days}")
        cursor = self._counting_start(self._local(start))
        d = cursor.date()
        for _ in range(days):
            d = self._next_working_day(d)
        return self._aware(datetime.combine(d, cursor.time()))

    def business_hours_between(self, a: datetime, b: datetime) -> float:
        """Business hours elapsed from ``a`` to ``b`` (0.0 if ``b <= a``)."""
        la, lb = self._local(a), self._local(b)
        if b <= a:  # compare the instants, not wall-clock readings
            return 0.0
        total = timedelta()
        d = la.date()
        last = lb.date()
        while d <= last:
            if self.is_working_day(d):
                lo = max(la, self._open(d))
                hi = min(lb, self._close(d))
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total / timedelta(hours=1)
