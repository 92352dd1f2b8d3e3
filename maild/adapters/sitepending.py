"""The «Задать вопрос» submissions kept in storage/web/pending (web/forms.Pending):
<id>.eml, the request as typed (name, address, subject, text) until its link is
clicked, and <id>.json, what finds its ticket once it was. Both go a day after their
link expires: at the next submission (Pending.add) and by the scheduler's job
(jobs.JOBS, "site_pending_expired"), so that on a quiet site, where no one submits
the form for weeks, an unclicked request is not kept for good."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

PENDING_DAYS = 2  # a confirmation link of «Задать вопрос» is valid this long
ORPHAN_AFTER = 3600  # seconds: Pending.add writes the .json a moment after the .eml


def pending_root(storage: Path) -> Path:
    return storage / "web" / "pending"


def sweep(root: Path, now: float) -> int:
    """Remove the files of submissions older than their links (written more than
    PENDING_DAYS + 1 days before `now`, Unix time), and an .eml left with no .json
    (Pending.add killed, or a full disk, between its two writes: no link went) once
    ORPHAN_AFTER old; how many submissions went."""
    cutoff = now - (PENDING_DAYS + 1) * 86400
    gone = set()
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:  # no site, or no submission yet
        return 0
    names = {entry.name for entry in entries}
    for entry in entries:
        stem, _, ext = entry.name.partition(".")
        orphan = ext == "eml" and f"{stem}.json" not in names
        try:
            if entry.stat().st_mtime < (now - ORPHAN_AFTER if orphan else cutoff):
                os.unlink(entry.path)
                gone.add(entry.name.partition(".")[0])
        except FileNotFoundError:  # removed meanwhile (the site's own sweep, `maild forget`)
            continue  # (a folder maild may not write fails the job: the requests stayed)
    return len(gone)


def waiting_bytes(root: Path) -> int:
    """What the submissions waiting for their click hold on disk (their .eml files, the
    requests with their files; a confirmed one keeps only its small .json), in bytes:
    what web.max_pending_mb bounds (web/ask.py)."""
    total = 0
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.name.endswith(".eml"):
                total += entry.stat().st_size
        except OSError:  # removed meanwhile
            continue
    return total


def expire(app_storage: Path, now: datetime) -> int:
    """The scheduler's job: the expired submissions of the site's form go."""
    return sweep(pending_root(app_storage), now.timestamp())
