"""Durable file writes: temp file, fsync, rename, fsync of the directory.

Every file maild promises to keep goes through here, so a crash leaves either the
old content or the new one, never a torn file.

Plain functions (write_atomic, read_bytes, unlink_if_exists, move_durably) act on
the disk now. Group commit: a Transaction (the store lock opens one for every locked
section; the daemon holds one section per batch of messages) records put, remove
and move, and shows them to readers that ask it (read, exists, pending). Its
`commit` then makes them durable with two file-system syncs instead of two fsyncs
per file:

1. every new content is written to its temp file, then one sync: all data is on disk;
2. the temp files are renamed over their targets (and removals done) in the order
   the writes were last made, then one sync: all renames are on disk;
3. only then the recorded moves (the spool's new/ -> cur/, "processed"), each made
   durable by an fsync of the two directories.

A crash before 2 completes leaves the old files, never a torn one (each file is
either the old or the complete new one, as before) and the spool entries still in
new/, so the messages are processed again, idempotently. A crash during 2 leaves a
prefix of the renames on journaling file systems (ext4, XFS commit metadata in
order), which is what the per-file order of effects.apply already relies on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Protocol

# Paths come as Path or str; inside, strings: on Python 3.11 a Path made, printed or
# hashed costs far more, for dozens of paths a message (bench/FINDINGS.md 22).
StrPath = str | os.PathLike[str]

_counter = 0


def unique_name(when_ns: int | None = None) -> str:
    """A Maildir-style unique file name: time (ns), pid, counter, host."""
    global _counter
    _counter += 1
    return f"{when_ns or time.time_ns()}.P{os.getpid()}Q{_counter}.{_host()}"


@functools.lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname().replace("/", "_").replace(":", "_")


def fsync_dir(path: StrPath) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: StrPath, data: bytes, *, sync: bool = True) -> None:
    """Replace `path` with `data` now, so that readers and crashes see all or nothing
    (`sync`: durable before it returns). Inside a locked section, writes that belong
    to its group commit go to its Transaction instead (Transaction.put)."""
    tmp = _temp_path(path)
    _write_new(tmp, data, fsync=sync, target=path)
    try:
        os.replace(tmp, path)
    except BaseException:
        unlink_if_exists(tmp)
        raise
    if sync:
        fsync_dir(_dir(path))


def _temp_path(path: StrPath) -> str:
    folder, name = os.path.split(os.fspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.{time.monotonic_ns()}.tmp")


def _write_new(path: StrPath, data: bytes, *, fsync: bool, target: StrPath | None = None) -> None:
    """Create `path` (it must not exist) holding `data`; on failure nothing is left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    except BaseException as e:
        os.close(fd)
        unlink_if_exists(path)
        if isinstance(e, OSError):  # os.write names no file: the admin read "... device: ?"
            e.filename = e.filename or os.fspath(target or path)  # `path`: target's temp
        raise
    os.close(fd)


def unlink_if_exists(path: StrPath) -> bool:
    """Delete a file now, if it is there; whether it was."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _dir(path: StrPath) -> str:
    return os.path.dirname(os.fspath(path)) or "."


def move_durably(src: StrPath, dst: StrPath) -> None:
    """Rename within one file system now and make the rename itself durable (in a
    transaction: Transaction.move, after everything else it commits is durable)."""
    os.replace(src, dst)
    src_dir, dst_dir = _dir(src), _dir(dst)
    fsync_dir(dst_dir)
    if src_dir != dst_dir:
        fsync_dir(src_dir)


# -- group commit -------------------------------------------------------------------

_DELETED = object()


class Json:
    """A JSON document recorded in a transaction: serialised once, at commit."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def encode(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()


def _bytes(data: bytes | Json) -> bytes:
    return data.encode() if isinstance(data, Json) else data


class Files(Protocol):
    """Where a write goes: a Transaction (recorded, durable at its commit) or Direct
    (durable now). Readers ask the same object, so they see its writes."""

    def put(self, path: StrPath, data: bytes | Json) -> None: ...
    def remove(self, path: StrPath) -> None: ...
    def move(self, src: StrPath, dst: StrPath) -> None: ...
    def pending(self, path: StrPath) -> Any: ...
    def read(self, path: StrPath) -> bytes: ...
    def exists(self, path: StrPath) -> bool: ...
    def listed(self, folder: StrPath) -> list[str]: ...


class Direct:
    """Files written now: each write durable before it returns (write_atomic)."""

    def put(self, path: StrPath, data: bytes | Json) -> None:
        write_atomic(path, _bytes(data))

    def remove(self, path: StrPath) -> None:
        unlink_if_exists(path)

    def move(self, src: StrPath, dst: StrPath) -> None:
        """move_durably, unless `src` is gone (as a transaction's commit does)."""
        try:
            move_durably(src, dst)
        except FileNotFoundError:
            if os.path.exists(src):
                raise

    def pending(self, path: StrPath) -> Any:
        return None

    def read(self, path: StrPath) -> bytes:
        return read_bytes(path)

    def exists(self, path: StrPath) -> bool:
        return os.path.exists(path)

    def listed(self, folder: StrPath) -> list[str]:
        """The paths of the files in `folder`, sorted."""
        return sorted(_listdir(folder))


def _listdir(folder: StrPath) -> set[str]:
    root = os.fspath(folder)
    try:
        return {f"{root}/{name}" for name in os.listdir(root)}
    except FileNotFoundError:
        return set()


class Transaction:
    """Writes, removals and moves recorded by the holder of a store lock (StoreLock
    opens one per locked section and commits it), committed together. Paths are
    recorded as strings (os.fspath); readers that ask the transaction see its writes."""

    def __init__(self) -> None:
        self.writes: dict[str, Any] = {}  # path -> bytes | Json | _DELETED, in write order
        self.moves: list[tuple[str, str]] = []
        self.moved: set[str] = set()
        # (after a successful commit, after a failed one): e.g. a cache of parsed files
        self.hooks: dict[Any, tuple[Any, Any]] = {}

    def on_commit(self, key: Any, done: Any, failed: Any) -> None:
        """Call done() once the commit is durable, failed() if it raised (one per key)."""
        self.hooks[key] = (done, failed)

    def put(self, path: StrPath, data: bytes | Json) -> None:
        key = os.fspath(path)
        self.writes.pop(key, None)  # keep the order of the *last* write of each path
        self.writes[key] = data

    def remove(self, path: StrPath) -> None:
        """Delete a file at commit, in order with the writes."""
        key = os.fspath(path)
        self.writes.pop(key, None)
        self.writes[key] = _DELETED

    def move(self, src: StrPath, dst: StrPath) -> None:
        """Rename after everything else of the commit is durable (skipped if `src`
        is gone by then)."""
        self.moves.append((os.fspath(src), os.fspath(dst)))
        self.moved.add(os.fspath(src))

    def _get(self, path: StrPath) -> Any:
        """bytes, a Json, _DELETED, or None when the transaction did not touch it."""
        key = os.fspath(path)
        value = self.writes.get(key)
        if value is not None:
            return value
        if key in self.moved:
            return _DELETED
        return None

    def pending(self, path: StrPath) -> Any:
        """What the transaction holds for `path`: bytes, Json, None (nothing), or
        raises FileNotFoundError when it removed it."""
        value = self._get(path)
        if value is _DELETED:
            raise FileNotFoundError(os.fspath(path))
        return value

    def read(self, path: StrPath) -> bytes:
        """The content as the commit will leave it, else from disk."""
        value = self.pending(path)
        if value is not None:
            return _bytes(value)
        return read_bytes(path)

    def exists(self, path: StrPath) -> bool:
        value = self._get(path)
        if value is _DELETED:
            return False
        return value is not None or os.path.exists(path)

    def listed(self, folder: StrPath) -> list[str]:
        """The paths of the files in `folder` as the commit will leave them (on disk,
        plus those written here, less those removed or moved away here), sorted."""
        root = os.fspath(folder)
        paths = _listdir(root)
        for path, value in self.writes.items():
            if os.path.dirname(path) == root:
                (paths.discard if value is _DELETED else paths.add)(path)
        paths |= {dst for _src, dst in self.moves if os.path.dirname(dst) == root}
        return sorted(paths - self.moved)

    def __bool__(self) -> bool:
        return bool(self.writes or self.moves)

    def discard(self) -> list[str]:
        """Forget all recorded (a section whose body raised); the paths it had written."""
        hooks, self.hooks = self.hooks, {}
        for _done, failed in hooks.values():
            failed()
        paths = list(self.writes)
        self.writes, self.moves, self.moved = {}, [], set()
        return paths

    def commit(self) -> None:
        hooks, self.hooks = self.hooks, {}
        try:
            self._commit()
        except BaseException:
            for _done, failed in hooks.values():
                failed()
            raise
        for done, _failed in hooks.values():
            done()

    def _commit(self) -> None:
        if not self:
            return
        ops = self._write_temps()
        anchor: str | None = None
        for tmp, path in ops:  # 2. in the order the writes were made
            if tmp is None:
                # a file that was not there changed nothing to make durable, and its
                # folder may not exist (the address record of one who never wrote)
                if not unlink_if_exists(path):
                    continue
            else:
                os.replace(tmp, path)
            anchor = anchor or _dir(path)
        if ops and anchor is not None:
            sync_fs(anchor)
        dirs: set[str] = set()
        for src, dst in self.moves:  # 3. e.g. the spool's "processed"
            try:
                os.replace(src, dst)
            except FileNotFoundError:
                continue
            dirs.update((_dir(src), _dir(dst)))
        for d in dirs:
            fsync_dir(d)
        self.writes.clear()
        self.moves.clear()
        self.moved.clear()

    def _write_temps(self) -> list[tuple[str | None, str]]:
        """1. every new content in its temp file, then one sync; the operations
        (temp file or None to delete, target) in write order."""
        ops: list[tuple[str | None, str]] = []
        anchor: str | None = None
        try:
            for path, value in self.writes.items():
                if value is _DELETED:
                    ops.append((None, path))
                    continue
                tmp = _temp_path(path)
                _write_new(tmp, _bytes(value), fsync=False, target=path)
                ops.append((tmp, path))
                anchor = anchor or _dir(path)
            if anchor is not None:
                sync_fs(anchor)  # all new contents on disk
        except BaseException:
            for tmp, _ in ops:
                if tmp is not None:
                    unlink_if_exists(tmp)
            raise
        return ops


def read_bytes(path: StrPath) -> bytes:
    """The content on disk now (a transaction's pending writes: Transaction.read)."""
    with open(path, "rb") as f:
        return f.read()


_syncfs = None


def sync_fs(path: StrPath) -> None:
    """Flush the whole file system holding `path` (data and metadata) to disk:
    one journal commit for many files instead of an fsync per file."""
    global _syncfs
    if _syncfs is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            _syncfs = libc.syncfs
            _syncfs.argtypes = [ctypes.c_int]
        except (OSError, AttributeError):
            _syncfs = False
    if _syncfs is False:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs: {os.strerror(err)}", os.fspath(path))
    finally:
        os.close(fd)


def write_many(paths_data: list[tuple[Path, bytes]], final: list[Path]) -> None:
    """Write new files durably as a group: each to its temp path, one sync, rename
    each to its final path, fsync of the final directories. For the spool."""
    done: list[Path] = []
    try:
        for tmp, data in paths_data:
            # one file: its own fsync is cheaper than a syncfs
            _write_new(tmp, data, fsync=len(paths_data) == 1, target=tmp.parent)
            done.append(tmp)
        if len(paths_data) > 1:
            sync_fs(paths_data[0][0].parent)
        for (tmp, _), dst in zip(paths_data, final, strict=True):
            os.rename(tmp, dst)
    except BaseException:
        for tmp in done:
            unlink_if_exists(tmp)
        raise
    for d in {p.parent for p in final}:
        fsync_dir(d)
