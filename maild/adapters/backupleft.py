"""What a `maild backup` that did not finish leaves behind, and how a running one is
told from it: its staging folder in the storage (`.backup-<pid>.<ns>/`, hard links
to the whole store, so every person's data) and its partial archive in the backup
folder (`.<archive name>.<pid>.tmp`).

A backup holds a flock on each of the two for as long as it lives (the kernel lets
go when the process ends, however it ends; a pid can be reused, a lock cannot be
inherited by a stranger). So whoever takes the lock finds the backup gone, and
removes the thing while holding it. A backup makes the folder or file first and
locks it then: a cleaner that got in between removed it empty, which the backup
sees (the name no longer leads to what it locked) and makes a new one."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

STAGING_PREFIX = ".backup-"
MANIFEST = "maild-backup.json"  # an archive's first member (backup.write_archive)
_PARTIAL = re.compile(r"^\.(.+)\.(\d+)\.tmp$")
_DATED = re.compile(r"^maild-\d{8}-\d{6}\.tar\.gz$")  # backup's name in a folder

GONE, RUNNING, REMOVED, DENIED = "gone", "running", "removed", "denied"


def _same(fd: int, path: str) -> bool:
    """Whether `path` still names what `fd` has open (not removed by a cleaner)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False


def _claim(path: str, make: Callable[[str], int]) -> int:
    """`make` the folder or file at `path` (its fd), locked; made again if a cleaner
    removed it before the lock was taken. The fd holds the lock."""
    while True:
        fd = make(path)
        fcntl.flock(fd, fcntl.LOCK_EX)  # a cleaner holds it only while it removes
        if _same(fd, path):
            return fd
        os.close(fd)


def _make_folder(path: str) -> int:
    os.mkdir(path, 0o700)  # personal data: the admin's only, as the archive
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:  # removed by a cleaner at once: O_EXCL-like, again
        return _make_folder(path)


@contextlib.contextmanager
def staging_folder(root: Path) -> Iterator[str]:
    """A new staging folder in the storage, locked as this backup's while it runs,
    removed at the end."""
    path = os.path.join(os.fspath(root), f"{STAGING_PREFIX}{os.getpid()}.{time.time_ns()}")
    fd = _claim(path, _make_folder)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)  # after the removal: nobody else removes a locked folder


def partial_archive(tmp: Path) -> int:
    """The archive's temp file, made new (mode 0600) and locked as this backup's: the
    fd to write it through. The lock lasts while any fd dup'ed from it is open."""

    def make(path: str) -> int:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    return _claim(os.fspath(tmp), make)


def _take_lock(path: str, wait: bool = False) -> int | str:
    """An fd of the staging folder or partial archive at `path` that holds its lock
    (its backup is gone), or why there is none: GONE (not there), DENIED (this user
    may not open it), RUNNING (its backup holds the lock; `wait`: until it ends)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return GONE
    except PermissionError:
        return DENIED
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BaseException as e:
        os.close(fd)
        if isinstance(e, BlockingIOError):
            return RUNNING
        raise
    return fd


def remove_if_dead(path: str, wait: bool = False) -> str:
    """Remove the staging folder or partial archive at `path` unless the backup that
    made it still runs (RUNNING; `wait`: until it ends). GONE: not there (any more:
    a backup that ends removes its own); DENIED: another user's, left as it is."""
    fd = _take_lock(path, wait)
    if isinstance(fd, str):
        return fd
    try:
        if not _same(fd, path):
            return GONE
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
        return REMOVED
    finally:
        os.close(fd)


def stages(root: Path) -> list[str]:
    """Every staging folder in the storage, running backups' too, in name order."""
    try:
        with os.scandir(root) as entries:
            found = [
                e.path
                for e in entries
                if e.name.startswith(STAGING_PREFIX) and e.is_dir(follow_symlinks=False)
            ]
    except FileNotFoundError:
        return []
    return sorted(found)


def is_running(path: str) -> bool:
    """Whether the backup that made this folder or file still runs (holds its lock);
    one this process may not open is taken for running (it is not ours to remove)."""
    fd = _take_lock(path)
    if isinstance(fd, str):
        return fd != GONE  # RUNNING, or DENIED
    os.close(fd)
    return False


def stage_pid(path: str) -> str:
    """The pid in a staging folder's name (the backup that made it)."""
    return os.path.basename(path)[len(STAGING_PREFIX) :].partition(".")[0]


def remove_dead_stages(root: Path) -> list[str]:
    """Remove the staging folders of backups that no longer run; their paths."""
    return [p for p in stages(root) if remove_if_dead(p) == REMOVED]


def remove_dead_partials(folder: Path, archive: str) -> list[str]:
    """Remove from the backup folder the partial archives of backups that no longer
    run (`archive`: the name the next one writes, whose partial may be empty yet);
    their paths. Another program's temp file there is left: a partial is known by
    its first member (MANIFEST), or, while still empty, by the name. A folder this
    user may write but not list (a drop folder, mode 0333) is left: a partial there is
    known by no name this user can find (the pid in it is the dead backup's)."""
    removed = []
    try:
        entries = os.scandir(folder)
    except PermissionError:
        return []
    with entries:
        for e in entries:
            m = _PARTIAL.match(e.name)
            if not (m and e.is_file(follow_symlinks=False) and _is_partial(e.path, m[1], archive)):
                continue
            if remove_if_dead(e.path) == REMOVED:
                removed.append(e.path)
    return sorted(removed)


def _is_partial(path: str, name: str, archive: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    if not head:
        return name == archive or bool(_DATED.match(name))
    try:
        tar = zlib.decompressobj(wbits=31).decompress(head, 512)
    except zlib.error:
        return False
    return tar[:100].rstrip(b"\0") == MANIFEST.encode()
