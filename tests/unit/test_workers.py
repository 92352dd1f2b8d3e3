"""The daemon's child processes (maild.workers.ChildProcess): requests answered over
a pipe, errors passed back, a dead child started again, and every child exits when
the daemon closes its pipe, however many siblings were forked after it."""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace
from typing import Any

import pytest

from maild.domain.limits import MAX_FAULT_CHARS
from maild.workers import ChildProcess


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
