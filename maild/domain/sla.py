"""Service levels from the support regulation and their reaction deadlines.

Pure: deadlines are computed from a passed-in start instant and BusinessCalendar.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from maild.domain.calendar import BusinessCalendar
from maild.domain.followups import Carried, Outcome
from maild.domain.plural import ru_count, ru_plural
from maild.domain.recordcheck import is_level
from maild.domain.records import LevelId, Ticket
from maild.domain.screen import Screening, automatic

__all__ = [
    "FOLLOWUP_KEYS",
    "LEVELS",
    "Level",
    "deadline_fields",
    "deadline_level",
    "first_deadline",
    "followup_ended",
    "followup_outcomes",
    "followup_transferred",
    "followups_merged",
    "get_level",
    "reaction_due",
    "reminder_at",
    "ru_count",
    "ru_plural",
    "unattended",
]


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
    if is_level(level_id):
        return LEVELS[level_id]
    known = ", ".join(LEVELS)
    raise KeyError(f"unknown service level {level_id!r}; known levels: {known}")


def reaction_due(level: Level | str, start: datetime, calendar: BusinessCalendar) -> datetime:
    """Deadline for the first reaction to a ticket accepted at ``start`` (tz-aware)."""
    lvl = get_level(level) if isinstance(level, str) else level
    if lvl.hours is not None:
        return calendar.add_business_hours(start, lvl.hours)
    assert lvl.days is not None  # guaranteed by Level.__post_init__
    # «N рабочих дней»: N working days of business time, so a clock started at an
    # opening (mail or a transfer before DAY_START, after DAY_END, on a day off) ends at the
    # close of the Nth working day, as an hours budget ends at closing, not at the
    # opening of the next one; from inside hours, at the same clock time N days on
    day = datetime.combine(date.min, calendar.day_end) - datetime.combine(
        date.min, calendar.day_start
    )
    return calendar.add_business_hours(start, lvl.days * (day / timedelta(hours=1)))


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


ReminderMoments = Callable[[str, str, float], datetime]
REMINDER_MOMENTS_KEPT = 65536


def reminder_moments(calendar: BusinessCalendar) -> ReminderMoments:
    """reminder_at on `calendar` of a deadline as a summary keeps it (its start and due
    moment in ISO, and the fraction), the last REMINDER_MOMENTS_KEPT of them kept: the
    reminder job asks it of every open ticket every minute. Its owner (App) keeps it,
    so that it lives and dies with the calendar it counts by."""
    return functools.lru_cache(maxsize=REMINDER_MOMENTS_KEPT)(
        functools.partial(_reminder_moment, calendar)
    )


def _reminder_moment(calendar: BusinessCalendar, start: str, due: str, fraction: float) -> datetime:
    return reminder_at(
        datetime.fromisoformat(start), datetime.fromisoformat(due), fraction, calendar
    )


# What the SLA report counts of follow-ups per level (followup_outcomes)
FOLLOWUP_KEYS = ("followups", "followups_in_time", "followups_breached")


class Deadline(TypedDict):
    """A ticket's fields of its pending deadline (deadline_fields)."""

    reaction_due: str | None
    reaction_from: str | None
    reaction_level: str | None


class FirstDeadline(TypedDict):
    """A ticket's fields of its first deadline set after it came (first_deadline)."""

    first_reaction_due: str | None
    first_reaction_level: str | None
    first_reaction_from: str


def first_deadline(ticket: Mapping[str, Any], start: datetime) -> FirstDeadline:
    """The first deadline of a ticket opened by automatic mail (ticket.awaits_first),
    its pending one started at ``start``: its level, and ``start`` itself, from which
    the SLA report counts the hours to the first reaction (slajudge: nothing waited
    for staff before; from the automatic mail, a reaction in an hour read as a day)."""
    return {
        "first_reaction_due": ticket["reaction_due"],
        "first_reaction_level": ticket["level"],
        "first_reaction_from": start.isoformat(),
    }


def deadline_fields(level: str, start: datetime, due: datetime) -> Deadline:
    """A deadline for staff's reaction as a ticket keeps it: when it is due, when its
    clock started, and the level it was set by: a follow-up's is judged by it and
    counted under it, whatever the ticket's level when it ends (followup_ended)."""
    return {
        "reaction_due": due.isoformat(),
        "reaction_from": start.isoformat(),
        "reaction_level": level,
    }


def deadline_level(ticket: Mapping[str, Any]) -> str:
    """The level the ticket's pending deadline was set by (deadline_fields); the
    ticket's level for one set before maild kept it."""
    return str(ticket.get("reaction_level") or ticket["level"])


def is_followup(ticket: Mapping[str, Any]) -> bool:
    """Whether the ticket's pending deadline is a follow-up's: one set after the first
    reaction, by the customer's further mail (the regulation's «дополнительная
    информация»). Before the first reaction the pending deadline is the first one's,
    which the report judges by first_reaction_due (ticket.first_level)."""
    pending = ticket.get("reaction_due") and ticket.get("status") != "closed"
    return bool(pending and ticket.get("first_reaction_at"))


def followup_ended(before: Mapping[str, Any], after: Ticket, at: datetime) -> Ticket:
    """``after`` (the ticket once a staff reply at ``at`` ran) with the outcome of the
    follow-up deadline ``before`` (the ticket as the reply found it) waited on, when the
    reply ended it (nothing waits for staff now: an answer, a #take that told them,
    #close, #wait with its question): in time at its very instant too (`missed`),
    counted under the level it was set by. A reply that only moved it (#level) ends
    nothing."""
    brought = carried(before)
    if not (is_followup(before) or brought) or after.get("reaction_due"):
        return after
    ended: Ticket = {**after}
    ended.pop("merged_followups", None)
    for f in brought:  # (those #merge brought in: followups_merged)
        ended = _counted(ended, f["level"], not missed(datetime.fromisoformat(f["due"]), at))
    if not is_followup(before):
        return ended
    if before.get("reaction_judged"):  # (counted when it was transferred)
        ended.pop("reaction_judged", None)
        return ended
    in_time = not missed(datetime.fromisoformat(before["reaction_due"]), at)
    return _counted(ended, deadline_level(before), in_time)


def carried(ticket: Mapping[str, Any]) -> list[Carried]:
    """The follow-ups' deadlines #merge brought into ``ticket`` beside its pending one
    (followups_merged), while it waits for staff."""
    if not ticket.get("reaction_due") or ticket.get("status") == "closed":
        return []
    return list(ticket.get("merged_followups") or ())


def _own(ticket: Mapping[str, Any]) -> list[Carried]:
    """The ticket's pending follow-up's deadline as one carried, unless already judged."""
    if not is_followup(ticket) or ticket.get("reaction_judged"):
        return []
    return [{"tid": ticket["tid"], "due": ticket["reaction_due"], "level": deadline_level(ticket)}]


def followups_merged(source: Ticket, target: Ticket, t: Ticket) -> tuple[Ticket, Ticket]:
    """(source, ``t``) once ``source`` is merged into ``target`` (``t``: the target as
    merged, its pending deadline the earlier of the two when staff reacted to the
    source: merge._own_due). Each customer mail's follow-up deadline pending on either
    is judged once, under its own level, by the reaction that ends ``t``'s wait: the
    one that became ``t``'s pending deadline as ``t``'s own (followup_ended), the others
    (``merged_followups``: the source's where the target is not yet reacted to, whose
    pending deadline is its first one, judged as such; the later of two) beside it.
    Before, the source's was judged nowhere: the source closed, the target's first
    reaction judged by its own first deadline."""
    s: Ticket = {**source}
    s.pop("merged_followups", None)
    out: Ticket = {**t}
    brought = [*carried(target), *carried(source)]
    took = t.get("reaction_due") != target.get("reaction_due")
    if took and target.get("first_reaction_at"):  # the source's is the target's own now
        brought += _own(target)
        out["reaction_judged"] = source.get("reaction_judged")
        if not out["reaction_judged"]:
            out.pop("reaction_judged", None)
    else:
        brought += _own(source)
    if brought:
        out["merged_followups"] = brought
    else:
        out.pop("merged_followups", None)
    return s, out


def followup_transferred(ticket: Ticket, at: datetime) -> Ticket:
    """``ticket`` as staff pass it to another level at ``at``, before its pending
    deadline moves to the new level's time: a follow-up's that had passed is judged
    now, breached under the level it was set by (the head had its escalation), and its
    end counts nothing more (``reaction_judged``), as the first deadline stays where
    it was once passed (ticket.first_moves_on_transfer)."""
    due = ticket["reaction_due"]  # (a follow-up's is pending: set)
    if not is_followup(ticket) or due is None or ticket.get("reaction_judged"):
        return ticket
    if not missed(datetime.fromisoformat(due), at):
        return ticket
    return {**_counted(ticket, deadline_level(ticket), False), "reaction_judged": True}


def _counted(ticket: Ticket, level: str, in_time: bool) -> Ticket:
    counts = dict(ticket.get("later_reactions") or {})
    was = counts.get(level) or Outcome(in_time=0, breached=0)
    one: Outcome = {"in_time": was.get("in_time", 0), "breached": was.get("breached", 0)}
    one["in_time" if in_time else "breached"] += 1
    return {**ticket, "later_reactions": counts | {level: one}}


def followup_outcomes(row: Mapping[str, Any], now: datetime) -> dict[str, dict[str, int]]:
    """What the SLA report counts of a ticket's follow-ups at ``now`` (``row``: its
    summary), by level (FOLLOWUP_KEYS): those that ended (`later_reactions`), and the
    pending one under the level it was set by: breached once its deadline passed, as a
    first reaction still missing is; counted, not yet judged, before."""
    out: dict[str, dict[str, int]] = {}

    def add(level: str, in_time: int, breached: int, waiting: int = 0) -> None:
        b = out.setdefault(level, dict.fromkeys(FOLLOWUP_KEYS, 0))
        b["followups"] += in_time + breached + waiting
        b["followups_in_time"] += in_time
        b["followups_breached"] += breached

    for level, done in (row.get("later_reactions") or {}).items():
        add(level, done.get("in_time", 0), done.get("breached", 0))
    for f in [*_own(row), *carried(row)]:  # pending: the ticket's, those #merge brought
        late = passed(f["due"], now)
        add(f["level"], 0, int(late), int(not late))
    return out


def unattended(scr: Screening) -> str | None:
    """Why a new ticket's first mail starts no reaction deadline: its automatic sign
    (screen.automatic_signs: a newsletter's Precedence: bulk, another desk's
    Auto-Submitted, an out-of-office), or None: a person's mail, one that only asks for
    no automatic answer (``quiet``) included, and a site's form (``form``: From
    noreply@, the visitor in Reply-To), whose robot's address is its only sign. A
    follow-up is asked the same (customer.decide_followup): one that would start no
    deadline opening a ticket neither reopens one nor starts a deadline in it."""
    return None if scr.form else automatic(scr)
