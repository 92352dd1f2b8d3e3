"""Durable file writes: temp file, fsync, rename, fsync of the directory.

Every file maild promises to keep goes through here, so a crash leaves either the
old content or the new one, never a torn file.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

_counter = 0


def unique_name(when_ns: int | None = None) -> str:
    """A Maildir-style unique file name: time (ns), pid, counter, host."""
    global _counter
    _counter += 1
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    return f"{when_ns or time.time_ns()}.P{os.getpid()}Q{_counter}.{host}"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace `path` with `data` so that readers and crashes see all or nothing."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(path.parent)


def move_durably(src: Path, dst: Path) -> None:
    """Rename within one file system and make the rename itself durable."""
    os.replace(src, dst)
    fsync_dir(dst.parent)
    if src.parent != dst.parent:
        fsync_dir(src.parent)
