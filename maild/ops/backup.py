"""`maild backup`: a consistent snapshot of a storage as one .tar.gz (restored by
maild/ops/restore.py), taken while `maild serve` keeps running.

Every file maild keeps is replaced by rename, never changed in place (durable.py),
so a hard link to it is a frozen copy. Under the store lock no ticket, index,
summary or queued mail changes (each locked section is one group commit), so the
snapshot links the whole tree into a staging folder inside the storage while it
holds the lock, releases it, and only then writes the archive at leisure. What
changes without the store lock is read so that nothing is lost:

- spool/new/: the listener adds finished files by rename; mail spooled after the
  snapshot is not in it, and a restored store processes its pending mail on start.
  A worker claims mail (to spool/claimed/<pid>/) and puts it back after a fault
  without the store lock: what was seen waiting is looked for (_keep_waiting).
- outbox/: the sender moves queue/X to sent/X, or to refused/X (refused for good).
  queue/ is linked before refused/ and sent/, so a mail moved in between is found
  there; one found in both counts as moved. While the relay refuses, it rewrites
  queue/X (its tries) by rename: a link made at that instant finds the replaced file
  without a name (ENOENT) though queue/X stands, so the bytes are copied instead.
- the few files written in place (sent.log, spool attempt counters) are copied.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import tarfile
import time
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from maild.adapters.backupleft import (
    MANIFEST,
    STAGING_PREFIX,
    partial_archive,
    remove_dead_partials,
    remove_dead_stages,
    staging_folder,
)
from maild.adapters.durable import fsync_dir

Locker = Callable[[], AbstractContextManager[object]]  # Store.locked
FORMAT = 1
# not part of a snapshot: locks, the listener's unfinished spool files, temp files,
# the running `maild serve`'s pid (a restored store has none running yet), a commit's
# redo journal (its temp files are not in the snapshot: the commit is, once finished)
SKIP_FILES = {"lock", "commit.redo", "outbox/flush.lock", "run/serve.json", "run/serve.lock"}
SKIP_DIRS = {"spool/tmp"}
COPY_DIRS = {"spool/attempts"}  # counters written in place: copied, not linked
COPY_FILES = {"outbox/sent/sent.log", "outbox/sent/refused.log"}


class BackupError(Exception):
    """A snapshot or restore that cannot be done; the message says why, for the admin."""


@dataclass(frozen=True)
class Snapshot:
    files: int
    tickets: int
    queued: int
    pending: int
    seconds_locked: float


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


class _Mirror:
    """Keeps `stage` a mirror of the storage at `src` made of hard links (copies
    for files written in place), folder by folder.

    The first pass links everything without the store lock. A later pass re-reads
    only the folders whose mtime changed since (every file maild replaces or moves
    is a rename into its folder, which changes the folder's mtime) or that were
    changed within GRACE_NS before they were read (a change in the same clock tick
    would not show in the mtime), and relinks what differs by inode. So the pass
    under the store lock costs one stat per folder plus the folders in use, not a
    link per file of the store (bench/FINDINGS.md 70)."""

    GRACE_NS = 1_000_000_000

    def __init__(self, src: str, stage: str) -> None:
        self.src, self.stage = src, stage
        self.read: dict[str, tuple[int, int]] = {}  # folder -> (its mtime, when read)
        self.subdirs: dict[str, list[str]] = {}

    def sync(self, rel: str = "", exclude: tuple[str, ...] = ()) -> None:
        """Make stage/rel the same as src/rel, below it too, except `exclude`."""
        path = os.path.join(self.src, rel)
        try:
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            shutil.rmtree(os.path.join(self.stage, rel), ignore_errors=True)
            return
        last = self.read.get(rel)
        if last is None or last[0] != mtime or last[1] - mtime < self.GRACE_NS:
            self._reread(rel, path, mtime)
        elif rel in COPY_DIRS:  # written in place: the folder's mtime does not say
            for name in os.listdir(os.path.join(self.stage, rel)):
                _copy(os.path.join(path, name), os.path.join(self.stage, rel, name))
        for d in self.subdirs.get(rel, ()):
            sub = os.path.join(rel, d)
            if sub not in exclude:
                self.sync(sub, exclude)

    def _reread(self, rel: str, path: str, mtime: int) -> None:
        read_at = time.time_ns()
        files: dict[str, int] = {}
        subdirs: list[str] = []
        with os.scandir(path) as entries:
            for e in entries:
                name = os.path.join(rel, e.name)
                if e.is_dir(follow_symlinks=False):
                    if not e.name.startswith(STAGING_PREFIX) and name not in SKIP_DIRS:
                        subdirs.append(e.name)
                elif (
                    e.is_file(follow_symlinks=False)
                    and not _is_temp(e.name)
                    and name not in SKIP_FILES
                ):
                    files[e.name] = e.inode()
        self.read[rel] = (mtime, read_at)
        self.subdirs[rel] = subdirs
        target = os.path.join(self.stage, rel)
        os.makedirs(target, exist_ok=True)
        with os.scandir(target) as entries:
            staged = {e.name: e.inode() for e in entries if e.is_file(follow_symlinks=False)}
        copy = rel in COPY_DIRS
        for name in staged.keys() - files.keys():
            os.unlink(os.path.join(target, name))
        for name, inode in files.items():
            if copy or os.path.join(rel, name) in COPY_FILES:
                _copy(os.path.join(path, name), os.path.join(target, name))
            elif staged.get(name) != inode:
                _link(os.path.join(path, name), os.path.join(target, name), name in staged)


def _link(src: str, dst: str, replace: bool) -> None:
    if replace:
        os.unlink(dst)
    try:
        os.link(src, dst)
    except OSError:
        # ENOENT: moved meanwhile (spool done, outbox sent: _copy finds it gone), or
        # replaced by a rename at that instant (the sender writing a queued mail's
        # tries): the file the name led to had no name left when it was linked, while
        # the name stands; opening the name reads the one there now. Others: another
        # file system, a foreign owner. Either way: copy the bytes
        _copy(src, dst)


def _copy(src: str, dst: str) -> None:
    try:
        shutil.copyfile(src, dst)
    except FileNotFoundError:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(dst)


def _drop_sent_from_queue(stage: str) -> None:
    """A mail linked from queue/ and then, moved, from sent/ (or refused/) too was
    sent (or refused for good): keep it once, there, so the restored store does not
    send it again."""
    queue = os.path.join(stage, "outbox/queue")
    for moved in (os.path.join(stage, "outbox/sent"), os.path.join(stage, "outbox/refused")):
        if os.path.isdir(queue) and os.path.isdir(moved):
            for name in set(os.listdir(queue)) & set(os.listdir(moved)):
                os.unlink(os.path.join(queue, name))


def _unclaim(stage: str) -> None:
    """Mail a worker had claimed (spool/claimed/<pid>/) was not processed when the
    store lock was taken: in the snapshot it waits in spool/new/ like other pending
    mail, and no process's claim (or its `.current` note) is restored."""
    claimed = os.path.join(stage, "spool/claimed")
    if not os.path.isdir(claimed):
        return
    new = os.path.join(stage, "spool/new")
    os.makedirs(new, exist_ok=True)
    for pid in os.listdir(claimed):
        folder = os.path.join(claimed, pid)
        for name in os.listdir(folder):
            if not name.startswith("."):
                os.replace(os.path.join(folder, name), os.path.join(new, name))
        shutil.rmtree(folder)


def _count(stage: str, rel: str, suffix: str = "") -> int:
    n = 0
    for _folder, _dirs, files in os.walk(os.path.join(stage, rel)):
        n += sum(1 for f in files if f.endswith(suffix))
    return n


def take_snapshot(root: Path, locked: Locker, stage: str) -> Snapshot:
    """Mirror the storage at `root` into `stage` (a new folder inside it): all of
    it first, then again what changed meanwhile, the store's files under `locked()`
    (the store lock), the outbox's in the order that loses no mail (see the
    module's docstring)."""
    os.makedirs(stage, 0o700, exist_ok=True)  # backup() makes and locks it first
    mirror = _Mirror(os.fspath(root), stage)
    mirror.sync()
    waiting = _waiting(stage)
    with locked():
        started = time.monotonic()
        mirror.sync(exclude=("outbox",))
        seen = waiting | _waiting(stage) | _waiting(os.fspath(root)) | _waiting(os.fspath(root))
        _keep_waiting(os.fspath(root), stage, seen)
        mirror.sync("outbox/queue")
        mirror.sync("outbox/refused")
        mirror.sync("outbox/sent")
        held = time.monotonic() - started
    mirror.sync("outbox", exclude=("outbox/queue", "outbox/refused", "outbox/sent"))
    _drop_sent_from_queue(stage)
    _unclaim(stage)
    return Snapshot(
        files=_count(stage, ""),
        tickets=_count(stage, "tickets", ".json"),
        queued=_count(stage, "outbox/queue", ".mail"),
        pending=_count(stage, "spool/new"),
        seconds_locked=held,
    )


def _waiting(stage: str) -> set[str]:
    """The spool keys waiting in a store (or staged as waiting): in spool/new/ and
    spool/claimed/<pid>/, read in that order. Under the store lock a worker may still
    put back a mail it claimed (claimed/ -> new/, once: it then pauses, claims it again
    and waits for the lock), and only that move, made between the two reads, hides a
    key from a read; so of two reads of the store under the lock one sees every key."""
    keys = set(_names(os.path.join(stage, "spool/new")))
    for pid in _names(os.path.join(stage, "spool/claimed")):
        keys.update(k for k in _names(os.path.join(stage, "spool/claimed", pid)) if k[0] != ".")
    return keys


def _names(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _keep_waiting(src: str, stage: str, seen: set[str]) -> None:
    """A worker claims waiting mail (spool/new -> claimed/<pid>/) before it takes the
    store lock, and puts it back after a fault once it let go of it: a mail that moved
    between the reads of the two folders was in neither. Under the store lock no mail
    stops waiting (it is processed under it), so each mail seen waiting and staged
    nowhere now is looked for where it is and linked into spool/new/."""
    staged = _waiting(stage) | set(_names(os.path.join(stage, "spool/bad")))
    staged.update(n.split(":", 1)[0] for n in _names(os.path.join(stage, "spool/cur")))
    for key in seen - staged:
        for _ in range(1000):  # moved between the look-ups: again
            places = [f"new/{key}", f"bad/{key}", f"cur/{key}:2,S"]
            places += [f"claimed/{p}/{key}" for p in _names(os.path.join(src, "spool/claimed"))]
            if any(_linked(os.path.join(src, "spool", p), stage, key) for p in places):
                break
            if not any(os.path.lexists(os.path.join(src, "spool", p)) for p in places):
                break  # gone for good (forget, retention): nothing to keep


def _linked(path: str, stage: str, key: str) -> bool:
    os.makedirs(os.path.join(stage, "spool/new"), exist_ok=True)
    try:
        os.link(path, os.path.join(stage, "spool/new", key))
    except FileNotFoundError:
        return False
    except FileExistsError:
        pass
    return True


def write_archive(stage: str, dest: Path, snap: Snapshot, now: datetime) -> None:
    """The staged tree as dest (.tar.gz, mode 0600: it holds personal data and the
    reply secret), written to a temp file and renamed: never a torn archive. The
    temp file is locked as this backup's until renamed (backupleft: the next backup
    removes the partial archive of one that was killed)."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "files": snap.files,
        "tickets": snap.tickets,
        "queued": snap.queued,
        "pending": snap.pending,
    }
    fd = partial_archive(tmp)
    lock = os.dup(fd)  # held past the close of `fd`, until the rename
    try:
        with os.fdopen(fd, "wb") as f:
            with tarfile.open(fileobj=f, mode="w:gz", compresslevel=6) as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                for name in sorted(os.listdir(stage)):
                    tar.add(os.path.join(stage, name), arcname=name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException as e:
        _unlink_quietly(tmp)
        if isinstance(e, OSError) and e.filename is None:  # a write names no file
            e.filename = os.fspath(dest)
        raise
    finally:
        os.close(lock)
    try:
        fsync_dir(dest.parent)
    except PermissionError:  # a drop folder (mode 0333): written, never opened, by us
        os.sync()  # the rename made durable all the same (all file systems: rare, once)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _is_backup(path: Path) -> bool:
    """Whether `path` is an archive `backup` wrote (its first member the manifest)."""
    if not path.is_file():
        return False
    try:
        with tarfile.open(path, "r:gz") as tar:
            first = tar.next()
    except (OSError, EOFError, zlib.error, tarfile.TarError):
        return False
    return first is not None and first.name == MANIFEST


def _destination(dest: Path, folder: bool) -> Path:
    """The archive's path: a dated name in `dest` if it is a folder, else `dest`,
    which may replace an archive of an earlier backup but no other file (a config
    file, a mistyped name). `folder`: the admin wrote DEST as one (a trailing /)."""
    if dest.is_dir():
        return dest / f"maild-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz"
    if folder or not dest.parent.is_dir():
        raise BackupError(f"{dest if folder else dest.parent}: no such directory")
    if (dest.exists() or dest.is_symlink()) and not _is_backup(dest):
        raise BackupError(
            f"{dest}: exists and is not a maild backup; not replaced (name a new file or a folder)"
        )
    return dest


def backup(
    root: Path, dest: Path, locked: Locker, *, folder: bool = False
) -> tuple[Snapshot, Path]:
    """Snapshot the storage at `root` into the archive `dest` (in it, if a folder;
    `folder`: it must be one); the figures and the archive's path."""
    dest = _destination(dest, folder)
    if dest.resolve().is_relative_to(root.resolve()):  # the next backup would hold it
        raise BackupError(f"{dest}: inside the storage {root}; write it somewhere else")
    if not os.access(dest.parent, os.W_OK | os.X_OK):  # said before the snapshot's work
        # (a read-only file system is no permission a chown or chmod could give)
        code = errno.EROFS if os.statvfs(dest.parent).f_flag & os.ST_RDONLY else errno.EACCES
        raise OSError(code, os.strerror(code), str(dest.parent))
    # what backups that did not finish left: a copy of the whole store, part of one
    remove_dead_stages(root)
    remove_dead_partials(dest.parent, dest.name)
    with staging_folder(root) as stage:
        snap = take_snapshot(root, locked, stage)
        try:
            write_archive(stage, dest, snap, datetime.now(UTC))
        except OSError as e:  # a staged file is named as the storage's own (its mode)
            staged = os.fspath(e.filename or "")
            if staged.startswith(f"{stage}{os.sep}"):
                e.filename = os.path.join(root, os.path.relpath(staged, stage))
            raise
    return snap, dest
