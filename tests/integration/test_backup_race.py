"""`maild backup` beside the outbox sender, which, while the relay is down, rewrites
each queued mail's file (its tries) by rename without the store lock: every queued
mail is in every snapshot."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from maild.adapters.durable import write_atomic
from maild.ops.backup import take_snapshot

QUEUED = 2  # few: each is rewritten often, as the sender's retries do to a long queue
SENDER = """
import sys
from maild.adapters.durable import write_atomic
folder, names, tries = sys.argv[1], sys.argv[2:], 0
while True:
    tries += 1
    for n in names:
        write_atomic(f"{folder}/{n}", b'{"attempts":%d}\\nmail' % tries, sync=False)
"""


def test_a_queued_mail_rewritten_during_the_snapshot_is_in_it(tmp_path):
    # linking a name that a rename replaces at that instant fails with ENOENT (the
    # file it led to has no name left): the mail was taken for "sent meanwhile" and
    # left out, and the restored store never sent it (1 CI run in many)
    store = tmp_path / "store"
    queue = store / "outbox" / "queue"
    queue.mkdir(parents=True)
    names = [f"m{i}.mail" for i in range(QUEUED)]
    for n in names:
        write_atomic(queue / n, b'{"attempts":0}\nmail', sync=False)
    sender = subprocess.Popen([sys.executable, "-c", SENDER, os.fspath(queue), *names])
    missing: list[str] = []
    snapshots = 0
    try:
        while (queue / names[-1]).read_bytes().startswith(b'{"attempts":0}'):
            time.sleep(0.01)  # the sender has begun
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not missing:
            stage = os.fspath(store / f".backup-{snapshots}")
            take_snapshot(store, contextlib.nullcontext, stage)  # the sender takes no lock
            missing = sorted(set(names) - set(os.listdir(f"{stage}/outbox/queue")))
            shutil.rmtree(stage)
            snapshots += 1
    finally:
        sender.kill()
        sender.wait()
    assert not missing, f"snapshot {snapshots}: queued mail missing: {missing}"


WORKER = """
import fcntl, os, sys, time
store, key = sys.argv[1], sys.argv[2]
spool, lock = f"{store}/spool", os.open(store, os.O_RDONLY | os.O_DIRECTORY)
while True:  # a worker's batches, each meeting a fault: claim, the locked section,
    os.rename(f"{spool}/new/{key}", f"{spool}/claimed/4242/{key}")
    fcntl.flock(lock, fcntl.LOCK_EX)
    time.sleep(0.002)
    fcntl.flock(lock, fcntl.LOCK_UN)
    time.sleep(0.0003)  # the fault told
    os.rename(f"{spool}/claimed/4242/{key}", f"{spool}/new/{key}")  # put back
    time.sleep(0.001)  # the pause after a fault (1 s and more in maild serve)
"""


@contextlib.contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """As Store.locked: flock of the storage directory."""
    fd = os.open(store, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_mail_a_worker_claims_or_puts_back_during_the_snapshot_is_in_it(tmp_path):
    # a worker claims waiting mail (spool/new -> spool/claimed/<pid>/) before it takes
    # the store lock, and puts it back after a fault once it let go of it: a mail that
    # moved between the snapshot's reads of the two folders was in neither
    store = tmp_path / "store"
    spool = store / "spool"
    for folder in ("tmp", "new", "cur", "bad", "attempts", "claimed/4242"):  # as Spool
        (spool / folder).mkdir(parents=True)
    write_atomic(spool / "new" / "1.key", b"a waiting mail", sync=False)
    for n in range(2000):  # processed mail, read between new/ and claimed/
        (spool / "cur" / f"{n}:2,S").touch()
    worker = subprocess.Popen([sys.executable, "-c", WORKER, os.fspath(store), "1.key"])
    lost = 0
    snapshots = 0
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and not lost:
            stage = os.fspath(store / f".backup-{snapshots}")
            snap = take_snapshot(store, lambda: store_lock(store), stage)
            lost = snap.pending != 1
            shutil.rmtree(stage)
            snapshots += 1
    finally:
        worker.kill()
        worker.wait()
    assert not lost, f"snapshot {snapshots}: the waiting mail is missing"
