"""What changes in a storage while `maild backup` mirrors it is read in the order and
at the times that lose nothing (maild/ops/backup.py), made here without a race: a
change in the clock tick of a folder's first read is read again under the store
lock, and a mail the sender moves from the queue to sent/ between the snapshot's
reads of the two folders is in the archive (as sent, once)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from maild.adapters.durable import write_atomic
from maild.ops import backup
from maild.ops.backup import take_snapshot


def test_a_change_in_the_clock_tick_of_the_first_read_is_in_the_snapshot(tmp_path: Path):
    store = tmp_path / "store"
    folder = store / "tickets" / "12"
    folder.mkdir(parents=True)
    write_atomic(folder / "1234-5678.json", b'{"status": "open"}', sync=False)
    tick = folder.stat().st_mtime_ns

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        # changed by the time the lock is taken, in the tick the first read saw
        write_atomic(folder / "1234-5678.json", b'{"status": "closed"}', sync=False)
        os.utime(folder, ns=(tick, tick))
        yield

    stage = tmp_path / "store" / ".backup-1"
    take_snapshot(store, locked, os.fspath(stage))
    assert (stage / "tickets/12/1234-5678.json").read_bytes() == b'{"status": "closed"}'


@pytest.mark.parametrize("to", ["sent", "refused"])
def test_a_mail_moved_from_the_queue_between_the_reads_is_in_the_snapshot_once(
    tmp_path: Path, monkeypatch, to
):
    store = tmp_path / "store"
    for folder in ("queue", "sent", "refused"):
        (store / "outbox" / folder).mkdir(parents=True)
    write_atomic(store / "outbox/queue/m1.mail", b"a queued mail", sync=False)
    under_lock: list[str] = []
    sync = backup._Mirror.sync

    def reading(self, rel="", exclude=()):
        sync(self, rel, exclude)
        if under_lock == ["locked"] and rel in ("outbox/queue", f"outbox/{to}"):
            under_lock.append(rel)  # the first of the two read: the sender moves it now
            os.rename(store / "outbox/queue/m1.mail", store / f"outbox/{to}/m1.mail")

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        under_lock.append("locked")
        yield

    monkeypatch.setattr(backup._Mirror, "sync", reading)
    stage = store / ".backup-1"
    snap = take_snapshot(store, locked, os.fspath(stage))
    assert len(under_lock) == 2  # moved between the reads
    assert (stage / f"outbox/{to}/m1.mail").read_bytes() == b"a queued mail"
    assert not (stage / "outbox/queue/m1.mail").exists() and snap.queued == 0


def test_what_belongs_to_the_running_desk_is_not_in_the_snapshot(tmp_path: Path):
    """The running `maild serve`'s note (pid) and locks, a commit's redo journal, the
    listener's unfinished spool files: a restored storage has no serve running, and
    its `maild status` would tell of one that ended without stopping."""
    store = tmp_path / "store"
    kept = ["tickets/12/1234-5678.json", "spool/new/1.key", "outbox/sent/sent.log"]
    left = ["lock", "commit.redo", "outbox/flush.lock", "run/serve.json", "run/serve.lock"]
    left += ["spool/tmp/2.key", "tickets/12/.1234-5678.json.tmp"]
    for name in kept + left:
        (store / name).parent.mkdir(parents=True, exist_ok=True)
        (store / name).write_bytes(b"x")
    stage = store / ".backup-1"
    take_snapshot(store, contextlib.nullcontext, os.fspath(stage))
    assert [n for n in kept + left if (stage / n).exists()] == kept


def test_the_logs_written_in_place_are_as_they_were_at_the_snapshot(tmp_path: Path):
    """sent.log and refused.log grow in place (not by rename): a line the sender adds
    after the snapshot, while the archive is written, is not in it; the mail it names
    is in the archive's queue, held after a restore, and logged again when it goes."""
    store = tmp_path / "store"
    (store / "outbox" / "sent").mkdir(parents=True)
    for log in ("sent.log", "refused.log"):
        (store / "outbox/sent" / log).write_bytes(b"m0 sent\n")
    stage = store / ".backup-1"
    take_snapshot(store, contextlib.nullcontext, os.fspath(stage))
    for log in ("sent.log", "refused.log"):
        with open(store / "outbox/sent" / log, "ab") as f:
            f.write(b"m1 sent after the snapshot\n")
        assert (stage / "outbox/sent" / log).read_bytes() == b"m0 sent\n", log
