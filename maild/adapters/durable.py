"""Durable file writes: temp file, fsync, rename, fsync of the directory.

Every file maild promises to keep goes through here, so a crash leaves either the
old content or the new one, never a torn file.

The plain functions (write_atomic, read_bytes, unlink_if_exists, move_durably) and
Direct act on the disk now. The writes of a locked section go to its Transaction
instead, the same interface (Files), and are made durable together at its commit
(group commit: adapters/transaction.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import functools
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from maild.domain.limits import figures

# Paths come as Path or str; inside, strings: on Python 3.11 a Path made, printed or
# hashed costs more than a string, and a message touches dozens (bench/FINDINGS.md 22).
StrPath = str | os.PathLike[str]

_counter = 0


def unique_name(when_ns: int | None = None) -> str:
    """A Maildir-style unique file name: time (ns), pid, counter, host."""
    global _counter
    _counter += 1
    return f"{when_ns or time.time_ns()}.P{os.getpid()}Q{_counter}.{_host()}"


def spooled_ns(key: str) -> int | None:
    """When a spool key made by unique_name says its mail was spooled (ns since the
    epoch); None for a name an admin gave a mail copied in (README): of figures int()
    refuses («²»), or more than time_ns() has till 2286 (30 of them overflowed a date)."""
    head = key.split(".", 1)[0]
    return figures(head, 19)


@functools.lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname().replace("/", "_").replace(":", "_")


def fsync_dir(path: StrPath) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as e:  # os.fsync names no file: `maild ingest` said "... error: ?"
        e.filename = e.filename or os.fspath(path)
        raise
    finally:
        os.close(fd)


def write_atomic(path: StrPath, data: bytes, *, sync: bool = True) -> None:
    """Replace `path` with `data` now, so that readers and crashes see all or nothing
    (`sync`: durable before it returns). Inside a locked section, writes that belong
    to its group commit go to its Transaction instead (Transaction.put)."""
    tmp = temp_path(path)
    write_new(tmp, data, fsync=sync, target=path)
    try:
        os.replace(tmp, path)
    except BaseException:
        unlink_if_exists(tmp)
        raise
    if sync:
        fsync_dir(parent_dir(path))


def temp_path(path: StrPath, tag: str = "") -> str:
    """Where a write of `path` goes first: `.<name>.<pid>.<ns>.tmp` beside it, or
    `.<name>.<pid>.<ns>.tx.tmp` for a group commit's (`tag` ".tx": written only by the
    holder of the store lock), the forms adapters/leftovers.py knows."""
    folder, name = os.path.split(os.fspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.{time.monotonic_ns()}{tag}.tmp")


def write_new(path: StrPath, data: bytes, *, fsync: bool, target: StrPath | None = None) -> None:
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


def is_there(path: StrPath) -> bool:
    """Whether `path` is there. False only when it is known not to be; an error that
    leaves it unknown is raised (PermissionError: a folder on the way maild may not
    search, left root's 0700 by a root's `cp -a`), where os.path.exists says False and
    a ticket there would read as none (a second ticket for its customer's reply)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except ValueError:  # a NUL in the name: none such can be there
        return False
    return True


def parent_dir(path: StrPath) -> str:
    """The folder holding `path` ("." for a bare name)."""
    return os.path.dirname(os.fspath(path)) or "."


def move_durably(src: StrPath, dst: StrPath) -> None:
    """Rename within one file system now and make the rename itself durable (in a
    transaction: Transaction.move, after everything else it commits is durable)."""
    os.replace(src, dst)
    src_dir, dst_dir = parent_dir(src), parent_dir(dst)
    fsync_dir(dst_dir)
    if src_dir != dst_dir:
        fsync_dir(src_dir)


class Json:
    """A JSON document recorded in a transaction: serialised once, at commit."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def encode(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()


def encoded(data: bytes | Json) -> bytes:
    """What a write puts in its file: the bytes, or the Json serialised."""
    return data.encode() if isinstance(data, Json) else data


class Files(Protocol):
    """Where a write goes: a Transaction (recorded, durable at its commit) or Direct
    (durable now). Readers ask the same object, so they see its writes."""

    def put(self, path: StrPath, data: bytes | Json, *, last: bool = False) -> None: ...
    def remove(self, path: StrPath) -> None: ...
    def move(self, src: StrPath, dst: StrPath) -> None: ...
    def pending(self, path: StrPath) -> Any: ...
    def read(self, path: StrPath) -> bytes: ...
    def exists(self, path: StrPath) -> bool: ...  # (is_there: raises when unknown)
    def listed(self, folder: StrPath) -> list[str]: ...


class Direct:
    """Files written now: each write durable before it returns (write_atomic)."""

    def put(self, path: StrPath, data: bytes | Json, *, last: bool = False) -> None:
        write_atomic(path, encoded(data))  # (now: `last` is a transaction's)

    def remove(self, path: StrPath) -> None:
        unlink_if_exists(path)

    def move(self, src: StrPath, dst: StrPath) -> None:
        """move_durably, unless `src` is gone (as a transaction's commit does)."""
        try:
            move_durably(src, dst)
        except FileNotFoundError:
            if is_there(src):
                raise

    def pending(self, path: StrPath) -> Any:
        return None

    def read(self, path: StrPath) -> bytes:
        return read_bytes(path)

    def exists(self, path: StrPath) -> bool:
        return is_there(path)

    def listed(self, folder: StrPath) -> list[str]:
        """The paths of the files in `folder`, sorted."""
        return sorted(paths_in(folder))


def paths_in(folder: StrPath) -> set[str]:
    """The paths of the files in `folder` on disk now (none when it is not there)."""
    root = os.fspath(folder)
    try:
        return {f"{root}/{name}" for name in os.listdir(root)}
    except FileNotFoundError:
        return set()


def names_in(folder: StrPath) -> list[str]:
    """os.listdir of `folder`; a missing one has none: a folder of a newer version
    that make_folders could not add to an older store on a read-only disk."""
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def make_folders(*folders: Path) -> None:
    """Make each missing folder (with its parents). On a read-only file system the
    missing ones stay missing: only a command that reads the store gets that far
    there (cli refuses the others), and it reads a missing folder as an empty one."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            if e.errno != errno.EROFS:
                raise


def read_bytes(path: StrPath) -> bytes:
    """The content on disk now (a transaction's pending writes: Transaction.read)."""
    with open(path, "rb") as f:
        return f.read()


_syncfs: Callable[[int], int] | Literal[False] | None = None  # libc's syncfs(2), once looked up


def sync_fs(path: StrPath) -> None:
    """Flush the whole file system holding `path` (data and metadata) to disk:
    one journal commit for many files instead of an fsync per file."""
    global _syncfs
    if _syncfs is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            syncfs = libc.syncfs
            syncfs.argtypes = [ctypes.c_int]
            _syncfs = syncfs
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
            write_new(tmp, data, fsync=len(paths_data) == 1, target=tmp.parent)
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


def flock_held(path: str) -> bool | None:
    """Whether the file at `path` is flocked now, by any process or by another
    descriptor of this one (flock tells open files apart); None when it cannot be
    opened (not there). A shared lock taken to look is let go at once; an error of
    flock other than "held" is raised: the caller decides what it means."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
