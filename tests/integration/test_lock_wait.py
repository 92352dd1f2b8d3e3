"""A command run by hand while another process holds the store lock says so on
stderr at once (after a second: the daemon's sections are shorter), naming the
holder, and goes on once the lock is free; at the timeout the error names the holder
and says to try again. The holder is a real second process holding the real lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from maild import config
from maild.adapters.store import StoreUnavailable
from maild.app import App
from tests.helpers import ROOT, Desk, Result

# holds the lock until its stdin is closed (the test has seen what it waits for), or
# at most argv[2] seconds
HOLD = r"""
import select, sys
from maild import config
from maild.app import App
app = App(config.load(sys.argv[1]))
with app.store.locked():
    print("held", flush=True)
    select.select([sys.stdin], [], [], float(sys.argv[2]))
"""
HOLD_AT_MOST = 10.0  # seconds: a test that sees nothing in this time fails


def _holding(desk: Desk, seconds: float) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    h = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(desk.config), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert h.stdout is not None and h.stdout.readline() == b"held\n"
    return h


def _let_go(holder: subprocess.Popen[bytes]) -> None:
    if holder.stdin is not None and not holder.stdin.closed:
        holder.stdin.close()


def test_a_command_says_at_once_it_waits_and_for_whom(tmp_path: Path, sink) -> None:
    desk = Desk(tmp_path, sink.port)
    holder = _holding(desk, HOLD_AT_MOST)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "maild", "--config", str(desk.config), "block", "add", "x@y.ru"]
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert p.stderr is not None
        line = p.stderr.readline().decode()
        # said while the lock is held (the holder still runs), not once it is free
        held_then = holder.poll() is None
        _let_go(holder)
        assert p.wait(60) == 0  # once the holder let go
    finally:
        _let_go(holder)
        holder.wait(30)
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (holder.stdout, p.stdout, p.stderr):
            if f is not None:
                f.close()
    assert held_then, "said while it waits, not when the lock is free"
    assert f"the store is locked by another process, pid {holder.pid} (" in line
    assert "waiting for it, up to 30 s" in line


def test_the_timeout_names_the_holder(tmp_path: Path, sink) -> None:
    desk = Desk(tmp_path, sink.port)
    holder = _holding(desk, HOLD_AT_MOST)
    app = App(config.load(desk.config))
    try:
        with pytest.raises(StoreUnavailable) as e, app.store.locked(timeout=0.2):
            pass
    finally:
        _let_go(holder)
        holder.wait(30)
        assert holder.stdout is not None
        holder.stdout.close()
    said = str(e.value)
    assert f"locked by another process, pid {holder.pid} (" in said
    assert "for over 0.2 s: try again once it has finished" in said


def test_a_note_left_by_this_very_process_names_no_holder(tmp_path: Path) -> None:
    """The lock's note names the last holder: when that was this process (its own
    last section; another process took the lock and has not written its note yet),
    the wait and the timeout say «another process», never this one's pid and command
    (a `maild serve` told it waits for «pid N (maild serve)», itself)."""
    from maild.adapters.store.lock import holder

    (tmp_path / "lock").write_bytes(f"{os.getpid()}.1.2\n5\nopen/3f.json\n.\n".encode())
    assert holder(str(tmp_path)) == "another process"


def test_the_holder_s_command_is_said_without_its_config_file() -> None:
    """«maild forget ...» as the admin typed it, less `--config FILE` in either spelling
    (a path says nothing of what holds the lock, and the value is not a word of it)."""
    from maild.adapters.store.lock import _command

    argv = ["/usr/bin/python3", "/usr/local/bin/maild", "--config", "/etc/maild/a.toml"]
    assert _command([*argv, "forget", "a@b.ru"]) == "maild forget a@b.ru"
    assert _command([*argv[:2], "--config=/etc/maild/a.toml", "fsck"]) == "maild fsck"


def test_a_command_that_waits_says_so_once(tmp_path: Path, monkeypatch) -> None:
    """The wait is said once, not again at each retry of the lock (every 5 ms: a
    screen of the same line until the holder let go or the timeout)."""
    import threading

    from maild.adapters.store import Store, lock

    told: list[str] = []
    monkeypatch.setattr(lock, "WAIT_TOLD_AFTER", 0.0)
    monkeypatch.setattr(lock, "on_wait", lambda who, _timeout: told.append(who))
    store, failed = Store(tmp_path), []

    def waits() -> None:
        began = time.monotonic()
        try:
            with store.locked(timeout=0.2):
                pass
        except StoreUnavailable:
            failed.append(f"{time.monotonic() - began < 1.5}")  # in time: not later

    with store.locked():  # held by this thread: the other waits for it
        thread = threading.Thread(target=waits)
        thread.start()
        thread.join()
    assert failed == ["True"] and told == ["another process"]


def test_a_short_wait_is_not_said(tmp_path: Path, monkeypatch) -> None:
    """A wait shorter than WAIT_TOLD_AFTER (a daemon's section) says nothing."""
    import threading

    from maild.adapters.store import Store, lock

    told: list[str] = []
    monkeypatch.setattr(lock, "on_wait", lambda who, _timeout: told.append(who))
    store, entered = Store(tmp_path), threading.Event()

    def waits() -> None:
        with store.locked(timeout=5):
            entered.set()

    with store.locked():
        thread = threading.Thread(target=waits)
        thread.start()
        time.sleep(0.05)  # it waits that long
    thread.join()
    assert entered.is_set() and told == []


def test_a_command_that_gives_up_waiting_for_the_lock_exits_75(desk, monkeypatch) -> None:
    """The store still locked when a command's wait ends: 75 (a temporary failure:
    running it again later helps; a cron job or a script retries), in one line — not
    1, which says the command failed for good (a corrupt file's)."""
    desk.make_store()
    said = "the store is locked by another process, for over 30 s: try again once it has finished"

    def locked(*_args: object) -> int:
        raise StoreUnavailable(said)

    monkeypatch.setattr("maild.cli.dispatch", locked)
    r = desk.run("block", "add", "x@y.ru")
    assert (r.code, r.err) == (75, f"maild: store unavailable: {said}\n")


def test_ctrl_c_while_a_command_waits_ends_it_with_1_and_no_traceback(desk, monkeypatch) -> None:
    """An admin who presses Ctrl-C while a command waits for the lock (or runs long):
    the command ends with 1 and says nothing more, no Python traceback."""
    desk.make_store()

    def interrupted(*_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("maild.cli.dispatch", interrupted)
    try:
        r: object = desk.run("block", "add", "x@y.ru")
    except KeyboardInterrupt:  # (out of main: the test fails rather than pytest stopping)
        r = "KeyboardInterrupt out of main()"
    assert r == Result(1, "", ""), r


def test_ingest_does_not_say_it_waits(desk, monkeypatch) -> None:
    """An MTA's pipe (`maild ingest`) waits for the lock in silence: what it writes to
    stderr goes into the MTA's log and bounce as the one line of why it failed, and a
    wait is no failure (`serve` likewise: its log says what it does)."""
    desk.make_store()
    from maild.adapters.store import lock

    def waits(*_args: object) -> int:  # as the store does when the lock is held
        if lock.on_wait is not None:
            lock.on_wait("another process", 30.0)
        return 0

    monkeypatch.setattr("maild.cli.dispatch", waits)
    assert desk.run("ingest", "-", input=b"From: a@b.example\n\nhi\n") == Result(0, "", "")
    said = desk.run("block", "add", "x@y.ru").err  # a command typed by hand says so
    assert said.startswith("maild: the store is locked by another process: waiting"), said
