"""The storage's file system as `maild status` judges it: the space left, the files
it can still make (its inodes), and whether it is mounted read-only (a disk the kernel
remounted read-only after errors, a mount made so by hand or by the service's
sandbox). Any of them stops the mail (the listener answers 451, processing waits):
failing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from maild.privileges import read_only

# free bytes under which the storage counts as full: the fault notes `maild status`
# reads are written there too, so a full disk could not say so itself (it stayed
# "healthy")
FULL_BELOW = 1 << 20
# free inodes under which it counts as full too: every spooled mail, ticket, outgoing
# mail and note is a new file, and a file system out of inodes refuses them all
# (ENOSPC) with megabytes free; status judged only the bytes and said "healthy"
FILES_BELOW = 100


def figures(root: Path) -> dict[str, Any]:
    """Space on the storage's file system, as maild's user may use it, and whether
    it is read-only (None: not known)."""
    try:
        st = os.statvfs(root)
    except OSError:
        return {"free_bytes": None, "free_files": None, "read_only": None}
    return read(st, root)


def read(st: os.statvfs_result, root: Path) -> dict[str, Any]:
    """The figures of `root`'s statvfs result `st` (pure)."""
    return {
        "free_bytes": st.f_bavail * st.f_frsize,
        # (a file system without a fixed inode table, btrfs, says 0 of 0: not known)
        "free_files": st.f_favail if st.f_files else None,
        "read_only": bool(st.f_flag & os.ST_RDONLY),
        "path": str(root),
    }


def problems(storage: dict[str, Any]) -> list[str]:
    """What stops the mail on the storage's file system (pure). Read-only, it is said
    alone: no space can be freed there before it is mounted read-write again."""
    if storage.get("read_only"):
        return [f"storage: {read_only(Path(storage['path']))}"]
    free = storage.get("free_bytes")  # (None: not known)
    if free is not None and free < FULL_BELOW:
        return [
            f"storage: its file system is full ({free // 1024} KB free): mail is answered "
            "451 and processing waits until space is freed"
        ]
    files = storage.get("free_files")  # (None: not known)
    if files is not None and files < FILES_BELOW:
        return [
            f"storage: its file system is out of inodes ({files} free, with "
            f"{(free or 0) >> 20} MB): every mail and note is a new file, so mail is "
            "answered 451 and processing waits until files are removed there"
        ]
    return []
