"""`maild status` says at once whether `maild serve` runs: stopped (SIGTERM) or failed
at its start, it said "healthy" for ten minutes, until the scheduler's last run was
old, so `systemctl stop` or a restart into a config error read as healthy to a monitor."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime

from maild import status
from maild.app import App
from maild.config import load
from tests.helpers import ROOT, Daemon, Desk, free_port
from tests.integration.test_serve import wait_until
from tests.integration.test_status import scrape

NOT_RUNNING = "maild serve is not running (no process holds run/serve.lock)"


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def serve_once(desk: Desk) -> subprocess.CompletedProcess:
    """`maild serve` run to its end (a start that fails)."""
    cmd = [sys.executable, "-m", "maild", "--config", str(desk.config), "serve"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, env=env)  # fmt: skip


def assert_not_running(desk: Desk) -> None:
    r = desk.run("status", "--json")
    figures = r.json()
    assert r.code == 2 and figures["state"] == "failing", r.out
    assert figures["serve"] == {"running": False, "pid": None, "error": None, "stopped": False}
    assert figures["serve_crashed"] is None
    # at once: the scheduler ran a moment ago, its 10 minutes are far off
    assert figures["scheduler"]["age"] is not None and figures["scheduler"]["age"] < 600
    [reason] = figures["reasons"]
    assert reason.startswith(NOT_RUNNING), reason
    assert "systemctl start maild" in reason and "maild check-config" in reason
    text = desk.run("status").out
    assert "serve: not running" in text and f"! {reason}" in text, text


def test_status_says_at_once_that_serve_is_not_running(tmp_path, sink):
    mport = free_port()
    desk = Desk(
        tmp_path,
        sink.port,
        smtp={"listen": f"127.0.0.1:{free_port()}"},
        metrics={"listen": f"127.0.0.1:{mport}"},
    )
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        r = desk.run("status", "--json")
        serve = {"running": True, "pid": daemon.proc.pid, "error": None, "stopped": False}
        assert r.json()["serve"] == serve
        assert f"serve: running (pid {daemon.proc.pid})" in desk.run("status").out
        assert scrape(mport)["maild_health"] == 0  # serve's own figures: it runs
        # status and the scrape only asked: the lock is still serve's, a second one
        # does not start
        second = serve_once(desk)
        assert second.returncode == 75 and f"(pid {daemon.proc.pid})" in second.stdout, second
    finally:
        assert daemon.stop() == 0  # SIGTERM, as systemctl stop
    assert_not_running(desk)

    # a restart into a config error: serve exits 78 and the listener's port refuses
    desk.sections["smtp"]["tls_cert"] = str(tmp_path / "maild.pme")  # a typo of .pem
    desk.sections["smtp"]["tls_key"] = str(tmp_path / "maild.key")
    desk.write_config()
    failed = serve_once(desk)
    assert failed.returncode == 78 and "smtp.tls_cert: cannot read" in failed.stdout, failed
    assert refused(Daemon(desk).port)
    assert_not_running(desk)


def test_a_crash_is_still_told_as_a_crash(tmp_path, sink):
    """kill -9 leaves run/serve.json: status names the pid and when it started, as
    before; the line of a serve that is merely not running is not added to it."""
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
    finally:
        daemon.kill()
    r = desk.run("status", "--json")
    figures = r.json()
    assert r.code == 2 and figures["serve_crashed"]["pid"] == daemon.proc.pid, r.out
    assert figures["serve"]["running"] is False
    [reason] = figures["reasons"]
    assert reason.startswith(f"maild serve (pid {daemon.proc.pid}, running since "), reason
    assert "ended without stopping (killed or crashed)" in reason


def test_a_serve_stopped_by_sigstop_is_not_called_running(tmp_path, sink):
    """A `maild serve` stopped (SIGSTOP, `kill -STOP`, a debugger) holds its lock and
    does nothing: its listener answers no mail, its scheduler runs no jobs. Status
    said «serve: running» and healthy for as long as the pause was under its
    thresholds (mail waiting 2 min, the scheduler 10 min). Now failing at once,
    with the command that lets it go on; healthy again once it does."""
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    pid = daemon.proc.pid
    try:
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        os.kill(pid, signal.SIGSTOP)
        try:
            assert wait_until(lambda: desk.run("status").code == 2), desk.run("status").out
            r = desk.run("status", "--json")
            assert r.json()["serve"] == {
                "running": True,
                "pid": pid,
                "error": None,
                "stopped": True,
            }
            [reason] = r.json()["reasons"]
            assert reason.startswith(f"maild serve (pid {pid}) is stopped"), reason
            assert reason.endswith(f"kill -CONT {pid}"), reason
            text = desk.run("status").out
            assert f"serve: stopped (pid {pid})" in text and f"! {reason}" in text, text
        finally:
            os.kill(pid, signal.SIGCONT)
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        assert f"serve: running (pid {pid})" in desk.run("status").out
    finally:
        assert daemon.stop() == 0


def test_a_running_serve_is_not_told_stopped_by_the_fault_note_of_the_last_run(tmp_path):
    """The fault note of a serve that was killed while processing was paused stays when
    the next serve cannot write over it (it started on a full disk): that serve runs,
    and its status (the metrics endpoint's) does not say «maild serve … is not
    running» of the last run's note, failing while serve runs."""
    desk = Desk(tmp_path, free_port())
    app = App(load(desk.config))
    killed = subprocess.Popen(["true"])
    killed.wait()  # its pid: a process gone
    since = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).isoformat()
    root = app.config.storage_path
    note = {"since": since, "error": "disk full", "path": str(root), "pid": killed.pid}
    status.note(root, status.FAULT_FILE, note)
    figures = status.collect(app, serving=True)
    assert status.collect(app)["stale_fault"] == note  # (told while no serve runs)
    assert figures["fault"] is None and figures["stale_fault"] is None
    assert not any("is not running" in r for r in figures["reasons"]), figures["reasons"]
