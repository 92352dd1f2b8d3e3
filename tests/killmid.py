"""`python -m tests.killmid --config FILE ingest -`: maild killed by SIGKILL, sent to
itself, right after its group commit renamed a temp file over the first target whose
path holds MAILD_KILL_AFTER_RENAME (e.g. "/tickets/"): the other renames of that
commit (summary, indexes, the mail it queued) and its moves are not done, as a kill -9
of the process group or a power loss between two renames leaves them
(maild/adapters/transaction.py)."""

from __future__ import annotations

import os
import signal

from maild.cli import run

AT = os.environ["MAILD_KILL_AFTER_RENAME"]
_replace = os.replace


def _replace_then_kill(src, dst, **kwargs) -> None:  # type: ignore[no-untyped-def]
    _replace(src, dst, **kwargs)
    name = os.path.basename(os.fspath(src))
    if name.startswith(".") and name.endswith(".tmp") and AT in os.fspath(dst):
        os.kill(os.getpid(), signal.SIGKILL)


os.replace = _replace_then_kill  # type: ignore[assignment]
run()
