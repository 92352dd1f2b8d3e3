"""Temp files of interrupted writes: removed at start (`maild serve`) and by
`maild fsck`. A crash between writing a temp file and renaming it leaves the file
behind (1,655 after four kills of the daemon), holding ticket text that no
redaction reaches. A temp file is removed only when the process that wrote it is
gone (its pid is in the name) or it is older than MAX_AGE: a running `maild
ingest` keeps its own. A group commit's temp file (`.tx.tmp`: written only by the
holder of the store lock) is a leftover whenever the caller holds the lock: its
writer has let go of the lock, so it is dead or done, even while its pid is still
there (a worker killed with its group that has not fully exited). The temp files
a redo journal names are never removed (the journal's commit renames them: taking
the store lock finishes it; adapters/redo.py). The staging folder of a backup that
did not finish (a copy of the whole store) goes at the same times:
adapters/backupleft.py."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from maild.adapters.backupleft import STAGING_PREFIX, remove_dead_stages
from maild.adapters.claimers import pid_alive
from maild.adapters.redo import named_temps
from maild.adapters.store.files import StoreUnavailable
from maild.privileges import said

log = logging.getLogger("maild.serve")

MAX_AGE = 3600.0  # seconds: no write takes this long; a pid may have been reused
START_WAIT = 2.0  # seconds serve's start waits for the store lock (others hold it ms)
# adapters.durable.temp_path: .<name>.<pid>.<ns>.tmp; layout: .reply_secret.<pid>.tmp
_TEMP = re.compile(r"^\..+\.(\d+)\.\d+(?:\.tx)?\.tmp$|^\.reply_secret\.(\d+)\.tmp$")
COMMIT_TEMP = ".tx.tmp"  # durable.temp_path's tag for a group commit's temp files
_SPOOL_TMP = re.compile(r"^\d+\.P(\d+)Q")  # spool/tmp/: Maildir names (durable.unique_name)


def temp_files(root: Path) -> list[tuple[str, int | None]]:
    """(path, pid of its writer or None) of every temp file under the store."""
    found = []
    spool_tmp = os.path.join(os.fspath(root), "spool", "tmp")
    for folder, dirs, files in os.walk(root):
        # a backup's staging folder holds links to the store's files, no temp file
        dirs[:] = [d for d in dirs if not d.startswith(STAGING_PREFIX)]
        for name in files:
            if folder == spool_tmp:
                m = _SPOOL_TMP.match(name)
                found.append((os.path.join(folder, name), int(m.group(1)) if m else None))
            elif is_temp(name):
                m = _TEMP.match(name)
                found.append((os.path.join(folder, name), m and int(m.group(1) or m.group(2))))
    return found


def is_temp(name: str) -> bool:
    """A temp file's name (outside spool/tmp/): a write's under way, or one that
    was interrupted (then a leftover)."""
    return name == "reserve.tmp" or (name.endswith(".tmp") and bool(_TEMP.match(name)))


def leftovers(root: Path, now: float | None = None, locked: bool = False) -> list[str]:
    """The temp files of writes that were interrupted: their writer is gone, they
    are older than MAX_AGE, or (`locked`: the caller holds the store lock) they are a
    group commit's. None that a redo journal names."""
    now = time.time() if now is None else now
    found = []
    journaled = named_temps(os.fspath(root))
    for path, pid in temp_files(root):
        if path in journaled:
            continue
        if locked and path.endswith(COMMIT_TEMP):
            found.append(path)
            continue
        try:
            old = now - os.stat(path).st_mtime > MAX_AGE
        except FileNotFoundError:
            continue  # its writer finished meanwhile
        if old or (pid is not None and not pid_alive(pid)):
            found.append(path)
    return found


def remove_leftovers(root: Path, now: float | None = None, locked: bool = False) -> list[str]:
    """Remove the temp files of writes that were interrupted; their paths."""
    removed = []
    for path in leftovers(root, now, locked):
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def clean_at_start(locked: Callable[[float], AbstractContextManager[Any]], root: Path) -> None:
    """`maild serve`'s start: remove the temp files of writes a crash interrupted
    (they may hold ticket text), under the store lock (`locked`: Store.locked) if it
    comes within START_WAIT. Taking it finishes a commit a crash cut short (its redo
    journal); while it is held no commit is under way, so every commit temp file
    left is a leftover. A lock held longer (an admin's `fsck --repair`) does not hold
    up the start: the pid test then, and the journal is finished by the next taker.
    Then the staging folders of backups that did not finish (each a copy of the
    whole store) go; each step is tried and logged apart."""
    try:
        try:
            with locked(START_WAIT):
                removed = remove_leftovers(root, locked=True)
        except StoreUnavailable:
            removed = remove_leftovers(root)
    except (OSError, StoreUnavailable) as e:
        log.error("cannot remove the temp files of interrupted writes: %s", said(e))
        removed = []
    if removed:
        log.info("removed %d temp file(s) of interrupted writes", len(removed))
    try:
        stages = remove_dead_stages(root)
    except OSError as e:
        log.error("cannot remove the staging folders of backups that did not finish: %s", said(e))
        return
    for path in stages:
        log.info("removed %s: the staging folder of a backup that did not finish", path)
