"""Once a day, what no ticket holds and nothing needs any more goes.

Sent mail of no live ticket (outbox/sent/<id>.mail), with `storage.keep_closed_days`
set, once queued that long ago: the morning queue, the SLA reports, the reminders'
and escalations' lists and the lists of refused mail (they name tickets, their
subjects and requesters), «Обращение не найдено» and any other mail whose ticket is
no longer in the store (ops/retention deletes a ticket's own mail with it). The
site's confirmation letters («Подтвердите обращение», an address and its link) go
as soon as their link has expired (sitepending.PENDING_DAYS, a day more for the
link's day), if that is sooner, and with keep_closed_days unset (keep for ever) too:
outsiders decide how many there are. A letter's id names the day its link expires,
so no letter of that id can be queued again once that day is past. Alerts to the head and
staff naming no ticket are kept: the IMAP alert's id names the outage, which may last
longer than keep_closed_days, and its file is what sends it once. Never a queued or
refused mail (drop_sent removes a file of sent/ only). A file's id otherwise can only
come again with the same mail received again that long after: it is then new mail,
as a late reply to a deleted ticket is (README, Operations).

Address records (index/address/) holding nothing but times older than IDLE (no first
ticket's date, which the free-support term counts from): the caps' windows of
automatic replies and staff notices, the reminders' pace, all counting a day back at
most. An address typed into the site's form and never confirmed left one for ever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from maild.adapters.outfile import folder_records
from maild.adapters.sitepending import PENDING_DAYS
from maild.adapters.store import CorruptFile
from maild.adapters.store.addressrec import idle, read_record
from maild.app import App
from maild.domain.caps import WINDOW
from maild.domain.logid import log_time
from maild.domain.records import OutboxEntry, aware_time
from maild.ops.retention import once_a_day

log = logging.getLogger("maild.retention")

PER_LOCK = 500  # files removed per locked section
CONFIRM_PREFIX = "web-confirm-"  # web/confirmletter.letter_id
CONFIRM_LIFE = timedelta(days=PENDING_DAYS + 1)  # its link expired (the day it names, past)
IDLE = 2 * WINDOW  # an address record's times older than this count for nothing


def _gone(
    app: App, meta: OutboxEntry, cuts: tuple[datetime | None, datetime], live: dict[str, Any]
) -> bool:
    """Whether the sent mail of `meta` is due to go (see the module's text); `cuts`:
    (keep_closed_days's cut-off, None when unset: kept for ever; the confirmation
    letters'); `live`: whether each ticket asked about is in the store, or held in
    the quarantine (many mails name one ticket)."""
    queued = aware_time(meta.get("queued_at"))
    if queued is None:
        return False
    cutoff, confirm = cuts
    if meta["id"].startswith(CONFIRM_PREFIX) and meta.get("kind") == "confirmation":
        return queued < (confirm if cutoff is None else max(cutoff, confirm))
    if cutoff is None:
        return False
    tid = meta.get("tid")
    if tid:
        if queued >= cutoff:
            return False
        if tid not in live:
            try:
                live[tid] = app.store.ticket_exists(tid)
            except CorruptFile:  # cannot tell: kept
                live[tid] = True
        return not live[tid]
    if meta.get("kind") == "alert":
        return False
    return queued < cutoff


def remove_sent(app: App, now: datetime) -> int:
    """Remove the sent mail of no live ticket queued before keep_closed_days (the
    site's confirmation letters: once their link expired, if sooner, and with
    keep_closed_days unset too: outsiders make them); how many."""
    days = app.config.storage.keep_closed_days
    # kept while the quarantine may still hold their cause: a mail released from it
    # finds the answers it was sent (outbox.known) and gets none again
    days = days and max(days, app.config.spam.keep_days)
    cutoff = now - timedelta(days=days) if days else None
    # a #spam ticket the quarantine holds entries of is live: a release brings it back
    held = {r["tid"] for r in app.quarantine.entries() if r.get("tid")} if cutoff else ()
    live: dict[str, Any] = dict.fromkeys(held, True)
    cuts = (cutoff, now - CONFIRM_LIFE)
    due = [m["id"] for m in folder_records(app.outbox.sent) if _gone(app, m, cuts, live)]
    for i in range(0, len(due), PER_LOCK):
        with app.store.locked():
            for mail_id in due[i : i + PER_LOCK]:
                app.outbox.drop_sent(mail_id)
    if due:
        log.info("removed %d sent mail(s) of no live ticket from outbox/sent", len(due))
    lines = app.outbox.trim_sent_log()  # (those of tickets' mail retention deleted too)
    if lines:
        log.info("removed %d line(s) of mail no longer in outbox/sent from its sent.log", lines)
    return len(due)


def remove_idle_addresses(app: App, now: datetime) -> int:
    """Remove the address records holding nothing but times older than IDLE; how many.
    Each is read again under the lock before it goes (mail may have counted in it)."""
    before = now - IDLE
    paths = [p for p in app.store.address_files() if _idle(p, before)]
    n = 0
    for i in range(0, len(paths), PER_LOCK):
        with app.store.locked():
            for path in paths[i : i + PER_LOCK]:
                try:
                    n += app.store.drop_if_idle(path, before)
                except CorruptFile:  # maild may not read it: `maild fsck` names it
                    continue
    if n:
        said = log_time(before)
        log.info("removed %d address record(s) holding only times before %s", n, said)
    return n


def _idle(path: str, before: datetime) -> bool:
    """Whether the address record at `path` reads as idle (without the lock)."""
    try:
        with open(path, "rb") as f:
            record, why = read_record(f.read())
    except OSError:  # gone meanwhile, or unreadable: `maild fsck` names it
        return False
    return why is None and idle(record, before)


def daily_sent(app: App, now: datetime) -> int:
    return once_a_day(app, now, ("sent_swept", "sent mail sweep"), remove_sent)


def daily_addresses(app: App, now: datetime) -> int:
    return once_a_day(app, now, ("addresses_swept", "address record sweep"), remove_idle_addresses)
