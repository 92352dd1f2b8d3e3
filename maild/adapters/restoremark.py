"""The mark of a `maild restore` under way (maild/ops/restore.py): a file at the top of
the storage, made before the first member is extracted and removed after the last
step (its queue held, its files given to their owner). A restore killed in between
(kill -9, the host down) leaves a storage that looks whole but is not: files missing,
its queue not yet held (the old desk may have sent that mail after the backup). Every
command refuses a storage with the mark (layout.check_storage), in one line; a new
restore into it clears it first. The restore holds a lock (flock) on the mark while
it runs, which ends with the process however it ends: held, a restore is running;
free, it did not finish."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from maild.adapters.durable import flock_held, fsync_dir

MARK = ".restore-unfinished"
RUNNING, UNFINISHED = "running", "unfinished"


def begin(target: Path) -> int:
    """Make the mark in `target` (durably, before anything is extracted) and lock it;
    the descriptor that holds the lock, for `finish`."""
    fd = os.open(target / MARK, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        fsync_dir(target)
    except BaseException:
        os.close(fd)
        raise
    return fd


def finish(target: Path, fd: int) -> None:
    """The restore is whole: the mark goes (durably), then its lock."""
    try:
        (target / MARK).unlink(missing_ok=True)
        fsync_dir(target)
    finally:
        os.close(fd)


def state(root: Path) -> str | None:
    """RUNNING (a restore into `root` holds its mark), UNFINISHED (the mark of one that
    did not finish), or None (no mark)."""
    try:
        held = flock_held(os.fspath(root / MARK))
    except OSError:  # (flock's own error: taken as a mark, not as none)
        return UNFINISHED
    if held is None:  # not there, or not to be opened by this user
        return UNFINISHED if os.path.lexists(root / MARK) else None
    return RUNNING if held else UNFINISHED


def refusal(root: Path) -> str | None:
    """Why no command may use `root` as its store: a restore into it is running or did
    not finish (one line); None when there is no mark."""
    found = state(root)
    if found is None:
        return None
    if found == RUNNING:
        return f"storage.path {root}: a maild restore into it is still running; wait for it"
    return (
        f"storage.path {root}: a maild restore into it did not finish (killed?), so it "
        f"is not whole and its queued mail is not held; restore again into it (the "
        f"restore clears it first), with maild serve stopped"
    )
