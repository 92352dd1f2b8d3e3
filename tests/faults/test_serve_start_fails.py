"""`maild serve` whose start fails after its worker and sender are forked exits with
the code README gives for the failure (78: a permanent error), its children ended,
run/serve.lock let go. Before, the error line was printed and the process then waited
on its two children for ever (multiprocessing's join at exit, their pipes still open
in it): SIGTERM did not end it, it kept the lock, and systemd, never told READY,
killed and restarted it at each start timeout instead of one failed start with 78.
Run by root (switching to nobody), as the service runs it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers import StorageHold
from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import ENV, _seeded

owned, seeds = safety.owned, safety.seeds  # its fixtures: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

BOUND = 30  # seconds: the start fails at once; the children end on their pipe's EOF


def _serves(config: Path) -> list[int]:
    """The pids of processes of `maild serve` on `config`: the daemon, its children."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:  # ended meanwhile
            continue
        if str(config).encode() in args and b"serve" in args:
            found.append(int(pid))
    return found


def test_a_permanent_error_after_the_fork_exits_78_children_and_lock_gone(owned, seeds):
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    (data / "spool" / "new").chmod(0)  # nobody may not list it: found at recovery
    # a new interpreter: _serves finds its processes by their command line
    p = subprocess.Popen(
        [python, "-m", "maild", "--config", str(desk.config), "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
        cwd="/",
    )
    try:
        err = p.communicate(timeout=BOUND)[1].decode()
    except subprocess.TimeoutExpired:
        p.terminate()  # (it ignored that too: the daemon and its children killed)
        for pid in _serves(desk.config):
            os.kill(pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"maild serve still ran {BOUND} s after its start failed, SIGTERM ignored")
    assert p.returncode == 78, err
    assert "Traceback" not in err, err
    [line] = [x for x in err.splitlines() if "permanent error" in x]
    assert f"Permission denied: {data / 'spool' / 'new'}" in line, line
    assert _serves(desk.config) == []  # no worker or sender left behind
    StorageHold(data).release()  # the lock is free: another serve may start
