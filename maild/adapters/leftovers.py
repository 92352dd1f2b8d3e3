"""Temp files of interrupted writes: removed at start (`maild serve`) and by
`maild fsck`. A crash between writing a temp file and renaming it leaves the file
behind (1,655 after four kills of the daemon), holding ticket text that no
redaction reaches. A temp file is removed only when the process that wrote it is
gone (its pid is in the name) or it is older than MAX_AGE: a running `maild
ingest` keeps its own. The staging folder of a backup that did not finish (a copy
of the whole store) goes at the same times: adapters/backupleft.py."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from maild.adapters.backupleft import STAGING_PREFIX, remove_dead_stages
from maild.adapters.spool import pid_alive

MAX_AGE = 3600.0  # seconds: no write takes this long; a pid may have been reused
# adapters.durable.temp_path: .<name>.<pid>.<ns>.tmp; layout: .reply_secret.<pid>.tmp
_TEMP = re.compile(r"^\..+\.(\d+)\.\d+\.tmp$|^\.reply_secret\.(\d+)\.tmp$")
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


def leftovers(root: Path, now: float | None = None) -> list[str]:
    """The temp files of writes that were interrupted: their writer is gone, or they
    are older than MAX_AGE."""
    now = time.time() if now is None else now
    found = []
    for path, pid in temp_files(root):
        try:
            old = now - os.stat(path).st_mtime > MAX_AGE
        except FileNotFoundError:
            continue  # its writer finished meanwhile
        if old or (pid is not None and not pid_alive(pid)):
            found.append(path)
    return found


def remove_leftovers(root: Path, now: float | None = None) -> list[str]:
    """Remove the temp files of writes that were interrupted; their paths."""
    removed = []
    for path in leftovers(root, now):
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def remove_at_start(root: Path, log: logging.Logger) -> None:
    """`maild serve` starting: remove what interrupted writes left (temp files may
    hold ticket text) and the staging folders of backups that did not finish (each
    a copy of the whole store); say so in `log`."""
    try:
        removed = remove_leftovers(root)
        stages = remove_dead_stages(root)
    except OSError as e:
        log.error("cannot remove the temp files of interrupted writes: %s", e)
        return
    if removed:
        log.info("removed %d temp file(s) of interrupted writes", len(removed))
    for path in stages:
        log.info("removed %s: the staging folder of a backup that did not finish", path)
