"""The morning queue mailed to each staff member on business days at
`schedule.digest_time` (support timezone); nothing when the queue is empty.

Runs from the periodic tick (and `maild jobs run`): the first run at or after the
time on a business day sends it, and `storage.path/digest.last` keeps it to once
a day across restarts.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, time
from typing import Any

from maild.adapters import daymark
from maild.app import App
from maild.domain.pending import next_due
from maild.domain.queue import Queue, queue_for
from maild.domain.records import Summary
from maild.domain.sla import LEVELS
from maild.domain.ticket import staff_mail_to
from maild.domain.tid import shown_subject
from maild.outgoing import queue_ticketless

log = logging.getLogger("maild.digest")


def quarantined(app: App) -> int | None:
    """Mail held in the quarantine (one JSON file each), or None when there is none."""
    root = app.config.storage_path / "quarantine"
    return sum(1 for _ in root.glob("*.json")) if root.is_dir() else None


def _row(app: App, r: Summary) -> dict[str, Any]:
    return {
        **r,
        "level_name": LEVELS[r["level"]].name_ru if r["level"] in LEVELS else r["level"],
        # empty when nothing waits for staff (answered, taken): the line says so; the
        # nearest of its deadlines and those of customers merged in (as it is ordered)
        "due": app.fmt_time(next_due(r), short=True),
        "subject": shown_subject(r.get("subject")),
    }


def _due_now(app: App, now: datetime) -> str | None:
    """Today's date when the digest is due and not sent yet, else None."""
    due = app.calendar.daily_due(now, hhmm(app.config.schedule.digest_time))
    if due is None:
        return None
    day = due.isoformat()
    return None if daymark.ran_on(app.config.storage_path / "digest.last", day) else day


def hhmm(value: str) -> time | None:
    """A config time "HH:MM" (checked by the config schema) as a time of day; None for
    "off", a daily mail the desk does not want."""
    if value == "off":
        return None
    hh, mm = value.split(":")
    return time(int(hh), int(mm))


def morning_queue(app: App, now: datetime) -> int:
    """Queue each staff member's digest once per business day; returns how many."""
    day = _due_now(app, now)
    if day is None:
        return 0
    rows = app.store.open_summaries()
    held = quarantined(app)
    n = 0
    for staff in staff_mail_to(app.config.support.staff):
        q: Queue = queue_for(staff, rows, now)
        if q.empty:
            continue
        subject, body = app.renderer.text(
            "digest.txt",
            {
                "date": now.astimezone(app.tz).strftime("%d.%m.%Y"),
                "mine": [_row(app, r) for r in q.mine],
                "others": [_row(app, r) for r in q.others],
                "waiting": [_row(app, r) for r in q.waiting],
                "overdue": sum(r["overdue"] for r in (*q.mine, *q.others)),
                "quarantined": held,
            },
        )
        key = hashlib.sha1(f"digest\0{day}\0{staff}".encode()).hexdigest()[:24]
        # a list of tickets: a reply to it is one to the list, on none of them
        first = (*q.mine, *q.others, *q.waiting)[0]["tid"]
        queue_ticketless(app, key, (subject, body), [staff], now, list_of=first)
        n += 1
    daymark.mark(app.config.storage_path / "digest.last", day)
    if n:
        log.info("morning queue queued to %d staff member(s)", n)
    return n
