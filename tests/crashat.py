"""`python -m tests.crashat --config FILE jobs run ...`: maild killed (os._exit, as by
kill -9) once its MAILD_CRASH_AT-th locked section that wrote anything has committed,
for a test that a run stopped there and started again loses and repeats nothing.

MAILD_CRASH_TORN=1 kills it during that commit instead: a crash while the commit
renames its files leaves a prefix of them (maild/adapters/transaction.py), here those
written before its first outgoing mail, and none from there on."""

from __future__ import annotations

import os

from maild.adapters.transaction import Transaction
from maild.cli import run

AT = int(os.environ["MAILD_CRASH_AT"])
TORN = os.environ.get("MAILD_CRASH_TORN") == "1"
_commit = Transaction.commit
_commits = 0


def _commit_then_crash(self: Transaction) -> None:
    global _commits
    if not self:  # a section that wrote nothing
        _commit(self)
        return
    _commits += 1
    if _commits < AT:
        _commit(self)
        return
    if TORN:
        paths = list(self.writes)  # in the order the commit renames them
        cut = next((i for i, p in enumerate(paths) if "/outbox/queue/" in p), len(paths))
        for path in paths[cut:]:
            del self.writes[path]
        self.moves.clear()
    _commit(self)
    os._exit(137)


Transaction.commit = _commit_then_crash  # type: ignore[method-assign]
run()
