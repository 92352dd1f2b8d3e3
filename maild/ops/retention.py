"""`[storage] keep_closed_days`: the scheduler deletes tickets closed longer ago.

A ticket is closed after it was created, so one closed before the cut-off was
also created before it: only archive files whose creation span starts before the
cut-off are read. Each ticket goes with its summary, its Message-ID index entries
(a late reply then opens a new ticket instead of pointing at nothing), the spool
copies of its mail and the outbox's files of the mail sent about it (they quote the
customer). At most BATCH tickets a run, a few per locked section, so a first run on
a large old store does not hold up the mail.

Attachment files are stored once by content (attachments/<sha[:2]>/<sha>) and may be
shared by tickets, so a deleted ticket leaves its files behind. Once a day the
scheduler removes the files no ticket file names (`remove_unreferenced`); `forget`
does the same at once for the files of the person it erases. A file is removed only
after a scan under the store lock found no reference: every section that could add
one (a message stores its files under the lock) has committed before that scan.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from maild.adapters import daymark
from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.adapters.store.attachfiles import ATTACHMENTS, attachment_path
from maild.adapters.store.rebuild import ticket_paths
from maild.app import App
from maild.domain import partial
from maild.domain.logid import log_time
from maild.domain.records import Ticket
from maild.privileges import said
from maild.redaction import copy_ids, outbox_id

log = logging.getLogger("maild.retention")

BATCH = 500  # tickets deleted per run (the scheduler runs every minute)
PER_LOCK = 50  # tickets per locked section
SWEPT = "attachments_swept"  # under <storage>/run: the local date of the last sweep

# How a ticket file names an attachment file (records.AttachmentRecord.sha256).
_SHA = re.compile(rb'"sha256":\s*"([0-9a-f]{64})"')
_NAME = re.compile("[0-9a-f]{64}")


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
    moved = _moved_on(app, ticket)
    for m in messages:
        mid = m.get("message_id")
        # every message received is indexed: a staff answer too, stored as mail that
        # went out ("out", kind "staff"); what maild sent is not (its ids are signed)
        received = m.get("direction") == "in" or m.get("kind") == "staff"
        parts = partial.record_key(m) if received else None  # a letter sent in parts
        if mid in moved:  # #merge: its copy lives on in the surviving ticket, and so
            # does threading to it (the index named this ticket, which now goes)
            for key in (mid, parts) if received else ():
                if key:
                    app.store.unindex_msgid(key)
                    app.store.index_msgid(key, ticket["merged_into"])
            continue
        if spool_key := m.get("spool_key"):
            app.spool.discard(spool_key)
        for key in (mid, parts) if received else ():
            if key:
                app.store.unindex_msgid(key)
        sent = m.get("sent_as") or mid  # a staff answer went out under an id of ours
        if m.get("direction") == "out" and sent:  # the customer's text quoted, to anyone
            for mail_id in copy_ids(outbox_id(sent), [*(m.get("to") or ()), *(m.get("cc") or ())]):
                app.outbox.drop_sent(mail_id)
    app.store.delete_ticket(ticket)
    return 1


def _moved_on(app: App, ticket: Ticket) -> set[str]:
    """The Message-IDs of a merged ticket's messages that its surviving ticket holds."""
    into = ticket.get("merged_into")
    survivor = app.store.load(into) if into else None
    if survivor is None:
        return set()
    return {m["message_id"] for m in survivor[1] if m.get("merged_from") == ticket["tid"]}


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
                try:
                    n += _delete(app, tid, cutoff)
                except CorruptFile as e:  # logged; the other tickets are purged
                    log.error("[TID#%s] not deleted: %s", tid, e)
    if n:
        log.info(
            "deleted %d ticket(s) closed before %s (storage.keep_closed_days)",
            n,
            log_time(cutoff, app.tz),
        )
    return n


def _referenced(app: App, ignore: set[str]) -> set[str]:
    """The attachment files that ticket files name (the tickets in `ignore` aside)."""
    found: set[str] = set()
    for tid, path in ticket_paths(app.store):
        if tid in ignore:
            continue
        try:
            with open(path, "rb") as f:
                found.update(m.decode() for m in _SHA.findall(f.read()))
        except FileNotFoundError:
            continue
    return found


def _stored(root: Path, only: Iterable[str] | None) -> dict[str, Path]:
    """Attachment files by name: all of them, or those of `only` that exist."""
    base = root / ATTACHMENTS
    if only is not None:
        paths = {sha: attachment_path(root, sha) for sha in only}
        return {sha: p for sha, p in paths.items() if p.is_file()}
    if not base.is_dir():
        return {}
    return {
        p.name: p
        for sub in base.iterdir()
        if sub.is_dir()
        for p in sub.iterdir()
        if _NAME.fullmatch(p.name)  # not a temp file of a commit under way
    }


def remove_unreferenced(
    app: App,
    only: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    dry_run: bool = False,
) -> int:
    """Remove the attachment files (all, or those named in `only`) that no ticket
    file names, the tickets in `ignore` aside (what a dry run of `forget` would
    erase); how many. A first scan without the lock finds the candidates; the files
    are removed only if a second scan, under the lock, still finds no reference."""
    root = app.config.storage_path
    skip = set(ignore)
    stored = _stored(root, only)
    candidates = set(stored) - _referenced(app, skip) if stored else set()
    if not candidates or dry_run:
        return len(candidates)
    with app.store.locked() as files:
        candidates -= _referenced(app, skip)
        for sha in sorted(candidates):
            files.remove(stored[sha])
    if candidates:
        log.info("removed %d attachment file(s) no ticket refers to", len(candidates))
    return len(candidates)


def once_a_day(
    app: App, now: datetime, job: tuple[str, str], work: Callable[[App, datetime], int]
) -> int:
    """work(app, now) once per local day (the scheduler asks every minute); `job`:
    (the file under <storage>/run keeping the day, what the log calls it); its count.
    Housekeeping: one that fails is logged and tried again the next day."""
    state, what = job
    path = app.config.storage_path / "run" / state
    today = now.astimezone(app.tz).date().isoformat()
    if daymark.ran_on(path, today):
        return 0
    try:
        done = work(app, now)
    except (OSError, StoreUnavailable) as e:  # tomorrow is soon enough
        try:
            daymark.mark(path, today)
        except OSError:  # (a full disk) not marked: it runs again at the next time,
            raise e from None  # as the job's own line says; not "tomorrow" as well
        log.error("%s failed, tried again tomorrow: %s", what, said(e))
        return 0
    daymark.mark(path, today)
    return done


def daily_sweep(app: App, now: datetime) -> int:
    """remove_unreferenced once per local day (the scheduler calls this every minute)."""
    return once_a_day(
        app, now, (SWEPT, "attachment sweep"), lambda app, _now: remove_unreferenced(app)
    )
