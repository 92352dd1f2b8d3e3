"""A worker puts back a mail it claimed (spool/claimed/<pid>/ -> spool/new/) after a
fault, without the store lock: when the move falls between the snapshot's reads of
the two folders, the mirror saw the mail in neither, and only the keys seen waiting
before (backup._keep_waiting) keep it in the archive. Made here without a race: the
snapshot's read of spool/new/ is the one made before the move (its mtime as then)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from maild.adapters.durable import write_atomic
from maild.ops.backup import take_snapshot


def test_a_mail_put_back_between_the_reads_of_the_spool_is_in_the_snapshot(tmp_path: Path):
    store = tmp_path / "store"
    spool = store / "spool"
    for folder in ("tmp", "new", "cur", "bad", "attempts", "claimed/4242"):  # as Spool
        (spool / folder).mkdir(parents=True)
    write_atomic(spool / "claimed/4242/1.key", b"a claimed mail", sync=False)
    old = time.time_ns() - 10 * 10**9  # read long after its last change: not read again
    os.utime(spool / "new", ns=(old, old))

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        # the worker puts it back as the snapshot takes the lock; spool/new/ keeps the
        # mtime it had when read: the read that found it empty came before the move
        os.rename(spool / "claimed/4242/1.key", spool / "new/1.key")
        os.utime(spool / "new", ns=(old, old))
        yield

    stage = os.fspath(store / ".backup-1")
    snap = take_snapshot(store, locked, stage)
    assert snap.pending == 1
    assert (Path(stage) / "spool/new/1.key").read_bytes() == b"a claimed mail"
