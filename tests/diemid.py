"""`python -m tests.diemid --config FILE ingest -`: maild killed by SIGKILL, sent to
itself, as it starts processing the mail it spooled: its claim is left in
spool/claimed/<pid>/, as kill -9, the OOM killer or a power loss leave it."""

from __future__ import annotations

import os
import signal

from maild import runner
from maild.cli import run


def _die(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    os.kill(os.getpid(), signal.SIGKILL)


runner.process = _die  # type: ignore[assignment]
run()
