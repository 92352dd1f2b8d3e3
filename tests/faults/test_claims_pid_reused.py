"""Mail claimed by a process that died is taken back although its pid is another
process's now (pids are reused: after a reboot, in a container, by any process once
the claimer died). The claimer holds a lock on its spool/claimed/<pid>/ folder for as
long as it lives; before, only its pid was looked at, and such mail was held for good
while `maild fsck` said a running maild was processing it. Real processes: a `maild
ingest` killed by SIGKILL as it processed its mail, its claim folder then named by
the pid of an unrelated live process (as a reused pid leaves it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT, Daemon, Desk, make_mail

CLAIMER = """
import sys
from pathlib import Path
from maild.adapters.spool import Spool
spool = Spool(Path(sys.argv[1]))
assert spool.claim(sys.argv[2])
print("claimed", flush=True)
sys.stdin.read()  # till the test closes stdin
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _claimed(desk: Desk) -> Path:
    return desk.root / "data" / "spool" / "claimed"


def _killed_mid_ingest(desk: Desk, raw: bytes) -> Path:
    """The claim folder a `maild ingest` killed while processing `raw` left."""
    cmd = [sys.executable, "-m", "tests.diemid", "--config", str(desk.config), "ingest", "-"]
    p = subprocess.run(cmd, input=raw, capture_output=True, env=_env(), timeout=60)
    assert p.returncode == -signal.SIGKILL, p.stderr
    (folder,) = list(_claimed(desk).iterdir())  # (the first ingest gave its own up)
    assert any(not n.name.startswith(".") for n in folder.iterdir())
    return folder


def test_mail_of_a_dead_claimer_whose_pid_is_reused_is_taken_back(desk):
    desk.ingest(make_mail(msgid="<first@c.example>"))
    folder = _killed_mid_ingest(desk, make_mail(sender="k@shop.example", msgid="<k@c.example>"))
    other = subprocess.Popen(["sleep", "600"])  # an unrelated process has the pid now
    try:
        reused = folder.rename(folder.parent / str(other.pid))
        r = desk.run("fsck")
        assert r.code == 0, r.out + r.err
        assert "being processed by a running maild" not in r.out
        assert r.out.splitlines()[-1].endswith("; 1 in spool/claimed/ (serve takes them back)")
        daemon = Daemon(desk).start()
        try:
            deadline = time.monotonic() + 20
            while len(desk.tickets()) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            assert daemon.stop() == 0
    finally:
        other.kill()
        other.wait()
    assert sorted(t["requester"] for t in desk.tickets()) == [
        "ivan@shop-example.ru",
        "k@shop.example",
    ]
    assert "a process died working on it, attempt 1" in daemon.logtext()
    assert not reused.exists()


def test_mail_a_running_claimer_holds_is_left_to_it(desk):
    """The lock tells a live claimer: its mail is neither taken back by serve nor
    called left behind by fsck."""
    desk.ingest(make_mail(msgid="<first@c.example>"))
    key = f"{time.time_ns()}.P1Q1.host"
    spool = desk.root / "data" / "spool"
    (spool / "new" / key).write_bytes(make_mail(sender="k@shop.example", msgid="<k@c.example>"))
    cmd = [sys.executable, "-c", CLAIMER, str(spool), key]
    claimer = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_env(), text=True
    )
    try:
        assert claimer.stdout.readline() == "claimed\n"
        r = desk.run("fsck")
        assert r.out.splitlines()[-1].endswith(
            f"; 1 in spool/claimed/ being processed by a running maild (pid {claimer.pid})"
        ), r.out
        # serve takes back what dead claimers left as it starts, before it says ready
        # (then again only every server.RESCAN_INTERVAL, 30 s): no wait after
        daemon = Daemon(desk).start()
        assert daemon.stop() == 0
        assert (_claimed(desk) / str(claimer.pid) / key).exists()
        assert len(desk.tickets()) == 1
    finally:
        claimer.stdin.close()
        claimer.wait(timeout=10)
        claimer.stdout.close()


def test_a_claim_folder_named_by_a_figure_int_refuses_is_no_claim(desk):
    """A folder «²» in spool/claimed/ (a digit to isdigit(), not to int()) was a
    ValueError as serve started: it did not start. It is no claim of a process, as a
    folder of another name is, and is left as it is."""
    desk.ingest(make_mail(msgid="<first@c.example>"))
    odd = _claimed(desk) / "²"
    odd.mkdir()
    (odd / f"{time.time_ns()}.P1Q1.host").write_bytes(make_mail(msgid="<k@c.example>"))
    r = desk.run("fsck")
    assert "Traceback" not in r.err and "ValueError" not in r.err, r.err
    daemon = Daemon(desk).start()
    assert daemon.stop() == 0
    assert odd.is_dir() and "ValueError" not in daemon.logtext()
