"""A file's immutable or append-only attribute (chattr +i, +a), which bars writing it
even to root and to its owner whatever its mode: a permission error on it is told as
that attribute and its chattr, not as an owner or a mode to change."""

from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path

FS_IOC_GETFLAGS = 0x80086601  # (linux/fs.h: _IOR('f', 1, long))
FLAGS = ((0x10, "i", "immutable"), (0x20, "a", "append-only"))  # FS_IMMUTABLE_FL ...


def flags(path: Path) -> list[tuple[str, str]]:
    """(chattr letter, name) of each such attribute `path` has; [] when none, or on a
    file system or a file type that keeps none (a FIFO is not opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY)
    except OSError:
        return []
    try:
        got = fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("i", 0))
    except OSError:
        return []
    finally:
        os.close(fd)
    value = struct.unpack("i", got)[0]
    return [(letter, name) for bit, letter, name in FLAGS if value & bit]


def hint(path: Path, whose: str = "it") -> tuple[str, str] | None:
    """(why, in brackets; the fix) when `path` has such an attribute, else None;
    `whose`: how the line names `path` (privileges._hint_at)."""
    found = flags(path)
    if not found:
        return None
    names = " and ".join(name for _, name in found)
    letters = "".join(letter for letter, _ in found)
    return f" ({whose} is {names}: lsattr -d {path})", f"chattr -{letters} {path}"
