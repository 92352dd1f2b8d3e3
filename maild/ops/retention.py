"""`[storage] keep_closed_days`: the scheduler deletes tickets closed longer ago.

A ticket is closed after it was created, so one closed before the cut-off was
also created before it: only archive files whose creation span starts before the
cut-off are read. Each ticket goes with its summary, its Message-ID index entries
(a late reply then opens a new ticket instead of pointing at nothing) and the
spool copies of its mail. Attachment files are stored once by content and may be
shared with other tickets: they stay. At most BATCH tickets a run, a few per
locked section, so a first run on a large old store does not hold up the mail.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from maild.app import App

log = logging.getLogger("maild.retention")

BATCH = 500  # tickets deleted per run (the scheduler runs every minute)
PER_LOCK = 50  # tickets per locked section


def _due(app: App, cutoff: datetime) -> list[str]:
    """TIDs of tickets closed before `cutoff`, oldest archive files first."""
    day = cutoff.date()
    out: list[str] = []
    for start, _end, path in app.store.archive_files():
        if start >= day:
            break
        for row in app.store.archive_rows(path):
            closed = row.get("closed_at")
            if row.get("status") == "closed" and closed and datetime.fromisoformat(closed) < cutoff:
                out.append(row["tid"])
                if len(out) >= BATCH:
                    return out
    return out


def _delete(app: App, tid: str, cutoff: datetime) -> int:
    """Delete one ticket if it is still closed before the cut-off; spool copies removed."""
    loaded = app.store.load(tid)
    if loaded is None:
        return 0
    ticket, messages = loaded
    closed = ticket.get("closed_at")
    if ticket["status"] != "closed" or not closed or datetime.fromisoformat(closed) >= cutoff:
        return 0
    for m in messages:
        if m.get("spool_key"):
            app.spool.discard(m["spool_key"])
        if m.get("direction") == "in" and m.get("message_id"):
            app.store.unindex_msgid(m["message_id"])
    app.store.delete_ticket(ticket)
    return 1


def purge_closed(app: App, now: datetime) -> int:
    """Delete up to BATCH tickets closed more than keep_closed_days ago."""
    days = app.config.storage.keep_closed_days
    if not days:
        return 0
    cutoff = now - timedelta(days=days)
    tids = _due(app, cutoff)
    n = 0
    for i in range(0, len(tids), PER_LOCK):
        with app.store.locked():
            for tid in tids[i : i + PER_LOCK]:
                n += _delete(app, tid, cutoff)
    if n:
        log.info("deleted %d ticket(s) closed before %s (storage.keep_closed_days)", n, cutoff)
    return n
