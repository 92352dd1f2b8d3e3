"""The daemon's child processes (maild.workers.ChildProcess): requests answered over
a pipe, errors passed back, a dead child started again, and every child exits when
the daemon closes its pipe, however many siblings were forked after it."""

from __future__ import annotations

import json
import os
import signal
import time
from types import SimpleNamespace
from typing import Any

import pytest

from maild import metrics, workers
from maild.app import App
from maild.config import load
from maild.domain.limits import MAX_FAULT_CHARS
from maild.workers import ChildProcess
from tests.helpers import Desk, dead_port, make_mail


def _app() -> Any:
    """What a child touches of the App: the store and the spool after fork, the
    outbox at exit."""
    return SimpleNamespace(
        store=SimpleNamespace(after_fork=lambda: None),
        spool=SimpleNamespace(after_fork=lambda: None),
        outbox=SimpleNamespace(close=lambda: None),
    )


def _serve(_app: Any, request: Any) -> Any:
    if request == "fail":
        raise ValueError("no")
    if request == "slow":  # busy past the daemon's wait for it to stop
        time.sleep(30)
    if request == "fail long":  # an error whose words hold what it met: a record's JSON
        raise UnicodeEncodeError("utf-8", '{"text":"' + "Здравствуйте " * 900, 9, 10, "no")
    return (os.getpid(), request * 2)


@pytest.fixture
def children():
    started: list[ChildProcess] = []
    yield started
    for child in started:
        child.stop(timeout=5)


def test_a_child_answers_and_passes_errors_back(children):
    ends: list[Any] = []
    child = ChildProcess(_app(), "maild-test-1", _serve, ends)
    children.append(child)
    child.start()
    pid, answer = child.call(21)
    assert answer == 42 and pid == child.proc.pid
    with pytest.raises(RuntimeError, match="ValueError"):
        child.call("fail")
    assert child.call(1)[1] == 2  # still serving


def test_an_error_passed_back_is_cut(children):
    """The error a child passes back (the daemon's log line and fault, the alert to
    head and staff) says its first limits.MAX_FAULT_CHARS characters: its repr said
    the whole object, 11 KB of a customer's mail in every retry's line and the alert."""
    child = ChildProcess(_app(), "maild-test-1", _serve, [])
    children.append(child)
    child.start()
    with pytest.raises(RuntimeError, match="^UnicodeEncodeError: 'utf-8' codec") as e:
        child.call("fail long")
    assert len(str(e.value)) <= MAX_FAULT_CHARS


def test_a_dead_child_is_started_again_on_the_next_call(children):
    """...and the dead one's pipe is closed: each restart kept one more open in the
    daemon, and every later child inherited them all; so is its process's sentinel.
    (Its own descriptors, not a count of the process's: other threads of a test run
    open and close some meanwhile.)"""
    ends: list[Any] = []
    child = ChildProcess(_app(), "maild-test-1", _serve, ends)
    children.append(child)
    child.start()
    for _ in range(3):
        dead, end, first = child.proc, child.conn, child.proc.pid
        os.kill(first, signal.SIGKILL)
        dead.join(5)
        pid, _ = child.call(1)
        assert pid != first
        assert end.closed and end not in ends  # nor inherited by the children after it
        with pytest.raises(ValueError, match="closed"):  # its Process closed: its sentinel
            dead.sentinel  # noqa: B018
    assert ends == [child.conn]


def test_every_child_exits_on_eof_with_siblings_forked_after_it(children):
    ends: list[Any] = []
    first = ChildProcess(_app(), "maild-test-1", _serve, ends)
    second = ChildProcess(_app(), "maild-test-2", _serve, ends)
    children.extend([first, second])
    first.start()
    second.start()  # holds a copy of first's parent end unless it closed it
    assert len(ends) == 2
    first.stop(timeout=5)
    assert first.proc.exitcode == 0  # left on EOF, not killed after the timeout
    assert ends == [second.conn]
    second.stop(timeout=5)
    assert second.proc.exitcode == 0 and ends == []


def test_a_child_busy_past_the_timeout_is_killed_when_the_daemon_stops(children):
    """`stop` waits `timeout` for a child to finish what it does, then kills it: a
    child stuck in one request (a relay that never answers) kept `maild serve` from
    ever stopping, and systemd waited for it."""
    child = ChildProcess(_app(), "maild-test-1", _serve, [])
    children.append(child)
    child.start()
    child.conn.send("slow")
    time.sleep(0.2)  # it is in the request now
    started = time.monotonic()
    child.stop(timeout=0.5)
    assert time.monotonic() - started < 10
    assert child.proc.exitcode == -signal.SIGKILL


def test_the_note_of_a_stopped_sender_keeps_its_start_and_goes_when_it_sends(tmp_path):
    """run/outbox_stopped.json says since when the sender's passes send nothing (`maild
    status`: failing): a pass still stopped keeps that time, and the note goes once a
    pass runs. Rewritten by each pass, it named the last pass, not the stop's start;
    left behind, status said sending stopped long after it went again."""
    (tmp_path / "run").mkdir()
    app: Any = SimpleNamespace(config=SimpleNamespace(storage_path=tmp_path))
    note = tmp_path / "run" / "outbox_stopped.json"
    workers._note_stopped(app, None)  # (what an earlier test of this process noted)
    workers._note_stopped(app, "cannot record")
    since = json.loads(note.read_text())["since"]
    time.sleep(0.01)
    workers._note_stopped(app, "cannot record")
    assert json.loads(note.read_text())["since"] == since
    workers._note_stopped(app, None)
    assert not note.exists()


def test_a_message_counts_as_a_ticket_opened_only_when_it_opened_one():
    """maild_tickets_opened_total counts the messages that opened a ticket: a follow-up
    appended to one, a duplicate, mail quarantined or held, or one whose processing
    decided nothing, opens none (each counted once as processed)."""
    counters = metrics.Counters()
    for outcome in ("new", "appended", "duplicate", "quarantined", "spam", "held", None):
        decision = SimpleNamespace(outcome=outcome) if outcome else None
        workers._observe(counters, 0.01, decision)
    values = counters.snapshot()
    assert values[metrics.NAMES.index("opened")] == 1
    assert values[len(metrics.NAMES) + len(metrics.BUCKETS)] == 7  # the histogram's count


def test_the_daemons_sender_waits_for_a_failed_mails_next_try(tmp_path):
    """The daemon's passes (every few seconds and at each wake-up) are not forced: a
    mail the relay failed waits for its next try (only `maild outbox flush`, forced,
    tries it before then). Forced, every pass tried every failed mail again."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail())
    app = App(load(desk.config))
    workers.flush_outbox(app, None)
    tried = {m["id"]: m["attempts"] for m in app.outbox.entries()}
    assert tried and set(tried.values()) == {1}
    workers.flush_outbox(app, None)
    assert {m["id"]: m["attempts"] for m in app.outbox.entries()} == tried
    app.outbox.close()
