"""The durable spool of raw incoming messages, a Maildir under storage/spool.

A message is acknowledged only after `add` returns: its bytes are fsynced in
`new/`. Processing claims nothing; it is idempotent, and `done` moves the file to
`cur/` (flag S) so that recovery on start only sees what was never finished.
After MAX_ATTEMPTS failed processings a message moves to `bad/`, still kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from maild.adapters.durable import (
    current,
    exists,
    fsync_dir,
    move_durably,
    unique_name,
    unlink_if_exists,
    write_many,
)

MAX_ATTEMPTS = 5


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)  # per-message paths are built as strings
        for sub in ("tmp", "new", "cur", "bad", "attempts"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def add(self, data: bytes, when: datetime | None = None) -> str:
        """Store raw bytes durably; return the spool key (it encodes the arrival
        time, `when` or now). Raises OSError on failure."""
        return self.add_many([data], when)[0]

    def add_many(self, items: list[bytes], when: datetime | None = None) -> list[str]:
        """Store several messages durably with one sync (group commit: the listener
        batches concurrent sessions); their keys in order. All or none is
        acknowledged: raises OSError on failure."""
        keys = [unique_name(int(when.timestamp() * 1e9) if when else None) for _ in items]
        write_many(
            [(self.root / "tmp" / k, data) for k, data in zip(keys, items, strict=True)],
            [self.root / "new" / k for k in keys],
        )
        return keys

    def adopt(self, tmp: Path) -> str:
        """Take a message written to a file in tmp/ (a large DATA body, received
        into it as it arrived) into new/ durably; its key. Raises OSError."""
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        key = unique_name()
        os.rename(tmp, f"{self._root}/new/{key}")
        fsync_dir(f"{self._root}/new")
        return key

    def path(self, key: str) -> Path | None:
        """Where the message is now (new/, cur/ or bad/), or None."""
        for name in (f"new/{key}", f"cur/{key}:2,S", f"bad/{key}"):  # the usual first
            p = self.root.joinpath(name)
            if p.exists():
                return p
        return None

    def read(self, key: str) -> bytes:
        try:  # where it usually is: one open, no look-ups first
            with open(f"{self._root}/new/{key}", "rb") as f:
                return f.read()
        except FileNotFoundError:
            pass
        p = self.path(key)
        if p is None:
            raise FileNotFoundError(key)
        return p.read_bytes()

    def rewrite(self, key: str, data: bytes) -> None:
        """Replace a stored message's bytes (credential redaction)."""
        from maild.adapters.durable import write_atomic

        p = self.path(key)
        if p is not None:
            write_atomic(p, data)

    def is_pending(self, key: str) -> bool:
        return exists(f"{self._root}/new/{key}")  # a transaction may have moved it

    def pending(self) -> Iterator[str]:
        """Keys spooled but not processed yet, oldest first."""
        yield from sorted(os.listdir(self.root / "new"))

    def done(self, key: str) -> None:
        src = f"{self._root}/new/{key}"
        # (a transaction's commit skips a move whose file is gone)
        if current() is not None or os.path.exists(src):
            move_durably(src, f"{self._root}/cur/{key}:2,S")
        unlink_if_exists(f"{self._root}/attempts/{key}")

    def failed(self, key: str) -> int:
        """Count a failed processing; after MAX_ATTEMPTS move it to bad/. Returns attempts."""
        counter = self.root / "attempts" / key
        try:
            attempts = int(counter.read_text() or 0) + 1
        except (FileNotFoundError, ValueError):
            attempts = 1
        counter.write_text(str(attempts))
        if attempts >= MAX_ATTEMPTS and (self.root / "new" / key).exists():
            move_durably(self.root / "new" / key, self.root / "bad" / key)
        return attempts
