"""deadline.limited, the wall-clock limit an override's render runs under, and
sandbox.rendered stopping a template of nested loops over literals with it."""

from __future__ import annotations

import signal
import threading
import time

import jinja2
import pytest

from maild import deadline, sandbox
from maild.overrides import describe, where


class Late(Exception):
    pass


def spin() -> None:
    while True:
        pass


def test_work_past_the_limit_is_stopped_inside_it():
    started = time.monotonic()
    with pytest.raises(Late):
        deadline.limited(0.2, spin, Late)
    assert 0.15 < time.monotonic() - started < 1.5  # the limit given, not ten times it


def test_the_previous_handler_is_back_and_the_timer_off_afterwards():
    before = signal.getsignal(signal.SIGALRM)
    assert deadline.limited(0.5, lambda: 42, Late) == 42
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(Late):
        deadline.limited(0.1, spin, Late)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(ZeroDivisionError):  # the work's own error passes as it is
        deadline.limited(0.5, lambda: 1 / 0, Late)
    assert signal.getsignal(signal.SIGALRM) is before


def test_an_alarm_that_comes_once_the_work_is_over_changes_nothing():
    """The alarm may ring between the work's end and the timer's stop: its handler
    then raises nothing (the work is done, its result stands)."""
    handlers: list = []

    def work() -> str:
        handlers.append(signal.getsignal(signal.SIGALRM))
        return "done"

    assert deadline.limited(5, work, Late) == "done"
    handlers[0](signal.SIGALRM, None)  # late: no Late raised


def test_an_alarm_of_someone_elses_is_left_running():
    rang: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: rang.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        assert deadline.limited(0.05, lambda: time.sleep(0.1) or "done", Late) == "done"
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < remaining < 0.3
        time.sleep(remaining + 0.2)
        assert rang == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_the_work_runs_without_a_limit():
    out: list[object] = []

    def work() -> str:
        time.sleep(0.3)
        return "done"

    t = threading.Thread(target=lambda: out.append(deadline.limited(0.05, work, Late)))
    t.start()
    t.join()
    assert out == ["done"]


NESTED = (
    "Subject: x\n\n"
    "{% for a in [0] * 10000 %}{% for b in [0] * 10000 %}{% for c in [1, 2, 3] %}"
    "{% endfor %}{% endfor %}{% endfor %}\n"
)


def test_an_override_of_nested_loops_over_literals_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.3)
    (tmp_path / "confirmation.txt").write_text(NESTED)
    env = sandbox.sandbox(loader=jinja2.FileSystemLoader(str(tmp_path)))
    started = time.monotonic()
    with pytest.raises(sandbox.TooLong) as e:
        sandbox.rendered(env.get_template("confirmation.txt"), {})
    assert time.monotonic() - started < 5
    assert where(tmp_path, "confirmation.txt", e.value) == (tmp_path / "confirmation.txt", 3)
    assert describe(e.value) == (
        "the template took longer than 0.3 seconds to make (loops within loops?) and was stopped"
    )
    assert sandbox.rendered(env.from_string("{% for a in [1, 2] %}{{ a }}{% endfor %}"), {}) == "12"
