"""Derived files of the store rebuilt from the ticket files, their source of truth.

Summaries (open/ parts, archive weeks) and the Message-ID index are derived from
tickets/: what the store wrote there can always be written again. A derived file
found corrupt is copied to lost+found/ (for a post-mortem) before it is replaced.
`maild fsck` compares all of them with the tickets; a locked write that meets a
corrupt summary file sets it aside on the spot (set_aside), so that one garbage file
does not stop the mail of every ticket whose row it held.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from maild.adapters.store.files import CorruptFile, StoreUnavailable, open_db
from maild.adapters.store.summaries import open_part, summary_of, upsert
from maild.domain.records import MessageRecord, Ticket
from maild.domain.tid import TID_RE
from maild.privileges import said

if TYPE_CHECKING:  # the Store calls set_aside: only its type is needed here
    from maild.adapters.store.tickets import Store

log = logging.getLogger("maild.store")

LOST_FOUND = "lost+found"


def ticket_paths(store: Store) -> Iterator[tuple[str, str]]:
    """(TID, path) of the ticket files, in name order (a listing: no file is opened)."""
    top = os.path.join(os.fspath(store.root), "tickets")
    for sub in sorted(os.listdir(top)):
        folder = os.path.join(top, sub)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            tid = name[:-5] if name.endswith(".json") else ""
            if TID_RE.fullmatch(tid):
                yield tid, os.path.join(folder, name)


def ticket_tids(store: Store) -> Iterator[str]:
    """TIDs of the ticket files, in name order (a listing: no file is opened)."""
    return (tid for tid, _path in ticket_paths(store))


def load_listed(store: Store, tid: str) -> tuple[Ticket, list[MessageRecord]] | None:
    """A ticket for a listing: a corrupt file is logged and skipped (None)."""
    try:
        return store.load(tid)
    except CorruptFile as e:
        log.error("skipping a ticket file: %s", e)
        return None


def keep_copy(store: Store, path: Path) -> Path | None:
    """Copy a corrupt file to lost+found/ (same relative path, a time suffix). The
    suffix is UTC, as backups' names: the host's own zone made it differ from host to
    host, and on a DST host the hour repeated in autumn could give a second copy the
    first one's name (copied over it)."""
    try:
        rel = path.relative_to(store.root)
    except ValueError:
        return None
    dest = store.root / LOST_FOUND / f"{rel}.{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _copy_private(path, dest)
    except OSError as e:
        log.error("%s: could not keep a copy in %s: %s", path, LOST_FOUND, said(e))
        return None
    return dest


def _copy_private(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` mode 0640, as the store writes its own files, whatever the
    umask: under an admin's 022 `fsck --repair` made copies 0644, a whole ticket
    (the customer's words and addresses) readable by every local user."""
    with open(src, "rb") as f:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(fd, 0o640)  # (a file of that name there already keeps its mode)
            shutil.copyfileobj(f, out)


def set_aside(store: Store, path: Path) -> None:
    """A corrupt summary file met while writing: keep a copy, replace it, and for a
    part of open/ put back the rows of its tickets from their files (the part holds
    ~1/256 of the open tickets: a listing of tickets/ and a few loads). An archive
    week starts again empty; `maild fsck --repair` puts its rows back."""
    copy = keep_copy(store, path)
    store.cache.forget(path)
    store.files().remove(path)
    refilled = refill_open_part(store, path) if path.parent.name == "open" else 0
    log.error(
        "%s was corrupt: set aside (copy: %s), %s",
        path,
        copy or "none",
        f"{refilled} open ticket(s) put back from their files"
        if path.parent.name == "open"
        else "its rows come back with `maild fsck --repair`",
    )


def refill_open_part(store: Store, part: Path) -> int:
    """Upsert the summaries of the open tickets that belong in `part`."""
    n = 0
    db = open_db(part, store.cache, keep=True)
    try:
        for tid in ticket_tids(store):
            if open_part(store.root, tid) != part:
                continue
            try:
                loaded = store.load(tid)
            except StoreUnavailable as e:
                log.error("skipping a ticket file: %s", e)
                continue
            if loaded is not None and loaded[0].get("status") != "closed":
                upsert(db, store.cache, tid, summary_of(loaded[0]))
                n += 1
    finally:
        db.close()
    return n


__all__ = ["CorruptFile", "keep_copy", "load_listed", "set_aside", "summary_of", "ticket_tids"]
