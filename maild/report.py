"""The SLA report: per level, did staff react within the level's time? Each ticket's
judgement (in time, breached, open, overdue, the levels they count under, the hours)
is domain/slajudge.judge and filed_under; this module reads the summaries, adds up
and formats.

Each ticket counts under the level of the deadline its first reaction is judged by
(ticket.first_level: the level when that deadline was set), not the level it has now;
its "open" and "overdue" count under the level it has now, whose deadline it waits on.

A ticket is "in time" when its first staff reaction came by its first deadline
(`first_reaction_due`: set at creation, moved when staff pass the ticket to another
level before reacting and before it passed, recomputed from creation when they
correct a closed ticket's level: domain/ticket.py), "breached" when it came later or
is still missing past it. A #close alone that told the customer is a reaction,
recorded as the first one on the ticket (ticket.on_mail_to_customer), so the report
counts it as any other; the notice of #merge is none: a ticket merged before any
reaction is counted where its customer waits on (domain/mergedwait.report_rows). A
ticket opened by automatic mail has no first deadline (domain/sla.unattended) until
the customer's next mail or staff's #level gives it one: till then it is judged by
nothing, counted apart ("no_deadline"), never in time or breached, and not in "open"
either (nor "overdue": it has no deadline to pass): the table's row counts the tickets
judged by a deadline, its footer those that have none, open or not.

Follow-ups (the regulation: the reaction to additional information is due within the
level's time too): each deadline a customer's mail set after the first reaction
(domain/ticket.on_customer_message; more mail before staff react waits on the same
one) counts in "followups" under the level it was set by (a #level transfer before it
ended moves it to the new level's time and row; one brought by #merge keeps its
own, and is judged once where it went on: domain/sla.followups_merged), whatever the
ticket's level when it ended or is now; "followups_in_time" when
the staff reply that ended it came by it, "followups_breached" when it came later
(domain/sla.followup_ended records it on the ticket as it ends: `later_reactions`),
or when it is still pending past it at `now` (domain/sla.followup_outcomes); one still
pending before it is counted in "followups" only. They count with their ticket's day
of arrival (the period), and the reaction hours (median, 90 %) stay the first
reactions'. A ticket stored before maild kept them has none.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from maild.app import App
from maild.domain.mergedwait import report_rows
from maild.domain.sla import FOLLOWUP_KEYS, LEVELS, SHORT_RU, followup_outcomes
from maild.domain.slajudge import JUDGED, filed_under, judge


def _within(values: list[float], q: float) -> float | None:
    """The hours that a share `q` of the tickets stayed within, as the report's legend
    says (the nearest rank, one of the values): interpolated, two tickets of 1 and 10
    hours gave a «90 %» of 9.1 that one of the two exceeded."""
    if not values:
        return None
    return round(sorted(values)[max(math.ceil(q * len(values)), 1) - 1], 2)


def _bucket(level: str) -> dict[str, Any]:
    return {
        "level": level,
        "tickets": 0,
        "in_time": 0,
        "breached": 0,
        "open": 0,
        "overdue": 0,
        "no_deadline": 0,
        **dict.fromkeys(FOLLOWUP_KEYS, 0),
        "_hours": [],
    }


def sla_report(
    app: App, since: date | None = None, until: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The figures at `now` (the daily job's own time; the clock's by default)."""
    now = now or app.now()
    buckets: dict[str, dict[str, Any]] = {}
    for row in app.store.each_summary():
        for r in report_rows(row):  # a merged ticket's wait where it went on
            created = datetime.fromisoformat(r["created_at"])
            local_day = created.astimezone(app.tz).date()
            if (since and local_day < since) or (until and local_day > until):
                continue
            counts, hours = judge(r, created, now, app.calendar)
            for level, keys in filed_under(r, counts):
                for lv in (level, "all"):
                    b = buckets.setdefault(lv, _bucket(lv))
                    for key in keys:
                        b[key] += counts[key]
                    if hours is not None and keys is JUDGED:
                        b["_hours"].append(hours)
            for level, found in followup_outcomes(r, now).items():  # by their own levels
                for lv in (level, "all"):
                    b = buckets.setdefault(lv, _bucket(lv))
                    for key in FOLLOWUP_KEYS:
                        b[key] += found[key]
    levels = []
    for lv in [*LEVELS, "all"]:
        if lv not in buckets:
            continue
        b = buckets[lv]
        hours = b.pop("_hours")
        b["median_reaction_hours"] = _within(hours, 0.5)
        b["p90_reaction_hours"] = _within(hours, 0.9)
        levels.append(b)
    return {
        "generated_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "levels": levels,
    }


# (header, width) of the table's columns, in the order of _cells
COLUMNS = (
    ("уровень", 16),
    ("обращений", 9),
    ("в срок", 6),
    ("нарушено", 8),
    ("медиана, ч", 10),
    ("90 %, ч", 7),
    ("открыто", 7),
    ("просрочено", 10),
)


def _cells(b: dict[str, Any]) -> list[str]:
    def hours(h: float | None) -> str:
        return "-" if h is None else f"{h:.1f}".replace(".", ",")  # «1,5», as «1,5 МБ»

    return [
        _level_ru(b),
        str(b["tickets"]),
        str(b["in_time"]),
        str(b["breached"]),
        hours(b["median_reaction_hours"]),
        hours(b["p90_reaction_hours"]),
        str(b["open"]),
        str(b["overdue"]),
    ]


# the second table's: the reactions to follow-ups (FOLLOWUP_KEYS), in its own table
# (the first is 87 characters wide; with these three columns it would be 128)
FOLLOWUP_COLUMNS = (
    ("уровень", 16),
    ("доп. сроков", 11),
    ("доп. в срок", 11),
    ("доп. нарушено", 13),
)
FOLLOWUP_TITLE = "Реакция на дополнительную информацию клиента (после первой реакции):"


NO_DEADLINE = (
    "Без срока реакции (открыты автоматическими письмами: рассылки, автоответы; "
    "в таблице не учтены): {}"
)


def _level_ru(b: dict[str, Any]) -> str:
    return "итого" if b["level"] == "all" else SHORT_RU[b["level"]]  # (--json: the ids)


def _row(cells: list[str], columns: tuple[tuple[str, int], ...] = COLUMNS) -> str:
    """The level left-aligned, the figures right-aligned under their headers."""
    out = [f"{cells[0]:<{columns[0][1]}}"]
    out += [f"{c:>{width}}" for c, (_, width) in zip(cells[1:], columns[1:], strict=True)]
    return "  ".join(out)


def _followup_lines(levels: list[dict[str, Any]]) -> list[str]:
    """The second table: each level with follow-ups, and the total; none without any."""
    rows = [b for b in levels if b.get("followups")]
    if not rows:
        return []
    head = _row([name for name, _ in FOLLOWUP_COLUMNS], FOLLOWUP_COLUMNS)
    lines = ["", FOLLOWUP_TITLE, head, "-" * len(head)]
    for b in rows:
        cells = [_level_ru(b), *(str(b[k]) for k in FOLLOWUP_KEYS)]
        lines.append(_row(cells, FOLLOWUP_COLUMNS))
    return lines


def period_ru(since: str | None, until: str | None) -> str:
    """Which tickets the figures count, by the day they came (ISO days, both bounds
    included; None: open), as the head's mail and `maild report sla` name them."""

    def day(iso: str) -> str:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")

    if since and until:
        if since == until:
            return f"Обращения, поступившие {day(since)}"
        return f"Обращения, поступившие с {day(since)} по {day(until)} включительно"
    if until:
        return f"Все обращения, поступившие по {day(until)} включительно"
    if since:
        return f"Обращения, поступившие с {day(since)}"
    return "Все обращения за всё время"


def format_sla(app: App, data: dict[str, Any]) -> str:
    """The table as the head's mail and `maild report sla` show it (desk's time zone),
    under the time it was made and the period it counts; below it, the reactions to
    follow-ups, when there were any."""
    head = _row([name for name, _ in COLUMNS])
    lines = [f"Составлен {app.fmt_time(data['generated_at'])}"]
    lines += [period_ru(data["since"], data["until"]), "", head, "-" * len(head)]
    lines += [_row(_cells(b)) for b in data["levels"]]
    if not data["levels"]:
        lines.append("За этот период обращений нет.")
    unset = next((b["no_deadline"] for b in data["levels"] if b["level"] == "all"), 0)
    if unset:  # not in the table's figures: nothing to judge them by
        lines += ["", NO_DEADLINE.format(unset)]
    return "\n".join(lines + _followup_lines(data["levels"]))
