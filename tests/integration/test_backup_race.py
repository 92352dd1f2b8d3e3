"""`maild backup` beside the outbox sender, which, while the relay is down, rewrites
each queued mail's file (its tries) by rename without the store lock: every queued
mail is in every snapshot."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time

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
