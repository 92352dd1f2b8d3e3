"""Service levels from the support regulation and their reaction deadlines.

Pure: deadlines are computed from a passed-in start instant and BusinessCalendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from maild.domain.calendar import BusinessCalendar
from maild.domain.plural import ru_count, ru_plural
from maild.domain.records import LevelId

__all__ = ["LEVELS", "Level", "get_level", "reaction_due", "reminder_at", "ru_count", "ru_plural"]


@dataclass(frozen=True)
class Level:
    """One service level: max reaction time in business hours or business days."""

    id: LevelId
    name_ru: str
    hours: int | None
    days: int | None
    commercial: bool
    # the table's «Передача задач в отдел разработки»: "-" for free support (not in the
    # table, consulting and development themselves are any user's and stay allowed)
    to_development: bool = True

    def __post_init__(self) -> None:
        # Exactly one unit, so reaction_due never has to guess which one applies.
        if (self.hours is None) == (self.days is None):
            raise ValueError(f"level {self.id!r}: set exactly one of hours/days")
        amount = self.hours if self.hours is not None else self.days
        if amount is None or amount <= 0:
            raise ValueError(f"level {self.id!r}: reaction time must be positive")

    def reaction_ru(self) -> str:
        """Reaction time as customers read it, e.g. "3 рабочих часа", "24 рабочих дня"."""
        if self.hours is not None:
            return ru_count(self.hours, "рабочий час", "рабочих часа", "рабочих часов")
        assert self.days is not None  # guaranteed by __post_init__
        return ru_count(self.days, "рабочий день", "рабочих дня", "рабочих дней")


# Names and times are copied from the levels table in SPEC.md (regulation text); the
# ids are records.LevelId (tests/unit/test_records.py holds the two equal).
LEVELS: dict[LevelId, Level] = {
    lvl.id: lvl
    for lvl in (
        Level("partner", "Партнерская поддержка", 3, None, True),
        Level("vip", "Коммерческие клиенты: VIP поддержка", 2, None, True),
        Level("operative", "Коммерческие клиенты: оперативная поддержка", 4, None, True),
        Level("standard", "Коммерческие клиенты: стандартная поддержка", 6, None, True),
        Level("free", "Бесплатная поддержка", 24, None, False, to_development=False),
        Level("consulting", "Консультирование по общим вопросам", 40, None, False),
        Level("development", "Разработка", None, 24, False),
    )
}


# A level in a few Russian words, where its full name is too long: the subject of
# the staff notice of a new ticket (its body gives the full name and the id #level takes).
SHORT_RU: dict[LevelId, str] = {
    "partner": "партнерская",  # as the level's name from the regulation
    "vip": "VIP",
    "operative": "оперативная",
    "standard": "стандартная",
    "free": "бесплатная",
    "consulting": "консультирование",
    "development": "разработка",
}


def get_level(level_id: str) -> Level:
    """The level with this id; KeyError naming the known ids otherwise."""
    try:
        return LEVELS[level_id]
    except KeyError:
        known = ", ".join(LEVELS)
        raise KeyError(f"unknown service level {level_id!r}; known levels: {known}") from None


def reaction_due(level: Level | LevelId, start: datetime, calendar: BusinessCalendar) -> datetime:
    """Deadline for the first reaction to a ticket accepted at ``start`` (tz-aware)."""
    lvl = get_level(level) if isinstance(level, str) else level
    if lvl.hours is not None:
        return calendar.add_business_hours(start, lvl.hours)
    assert lvl.days is not None  # guaranteed by Level.__post_init__
    return calendar.add_business_days(start, lvl.days)


def missed(due: datetime, at: datetime) -> bool:
    """The one rule of the deadline's instant: a reaction at ``at`` misses the deadline
    ``due``, and at ``at`` a deadline with no reaction yet is overdue, only after it.
    The regulation gives the reaction "not more than" the level's time, so a reaction
    at the very instant is in time: the SLA report counts it so, and the escalation
    («Просрочена реакция») and every "overdue" go only once the instant is past
    (reminders.py, report.py, status.py, domain/queue.py)."""
    return at > due


def passed(due: str | None, now: datetime) -> bool:
    """Whether the deadline ``due`` (ISO 8601 with offset; None: nothing waits for
    staff) has passed at ``now`` (`missed`): mail to the customer then promises no
    answer by it, it says the answer is late (templates status.txt,
    acknowledgement.txt), and staff's notice of the follow-up that the deadline has
    passed (staff_followup.txt)."""
    return due is not None and missed(datetime.fromisoformat(due), now)


def reminder_at(
    start: datetime, due: datetime, fraction: float, calendar: BusinessCalendar
) -> datetime:
    """When staff are reminded of a deadline: once ``fraction`` (schedule.reminder_fraction;
    its default is in configschema.SCHEMA) of the business time from ``start`` (the
    ticket's creation, or the moment its clock restarted) to ``due`` has passed. The later
    the start, the later the reminder."""
    budget = calendar.business_hours_between(start, due)
    return calendar.add_business_hours(start, budget * fraction)
