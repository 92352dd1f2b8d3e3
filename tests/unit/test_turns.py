"""Worker batches take the store lock in the order the daemon handed them out."""

from __future__ import annotations

import multiprocessing
import time

from maild import workers
from maild.workers import Turns

CTX = multiprocessing.get_context("fork")


def _enter(turns: Turns, seq: int, delay: float, log) -> None:
    time.sleep(delay)
    with turns.turn(seq):
        log.put((seq, time.monotonic()))
        time.sleep(0.05)


def _run(turns: Turns, plan: list[tuple[int, float]]) -> list[int]:
    log = CTX.Queue()
    procs = [CTX.Process(target=_enter, args=(turns, seq, d, log)) for seq, d in plan]
    for p in procs:
        p.start()
    for p in procs:
        p.join(10)
    return [seq for seq, _ in sorted((log.get() for _ in procs), key=lambda e: e[1])]


def test_later_batch_waits_for_the_earlier_one_even_if_ready_first():
    turns = Turns(CTX)
    # batch 1 is ready at once, batch 0 only after 0.3 s; batch 2 in between
    assert _run(turns, [(1, 0.0), (2, 0.1), (0, 0.3)]) == [0, 1, 2]


def test_a_turn_never_taken_delays_the_next_by_turn_wait_only(monkeypatch):
    monkeypatch.setattr(workers, "TURN_WAIT", 0.3)
    turns = Turns(CTX)
    started = time.monotonic()
    assert _run(turns, [(1, 0.0)]) == [1]  # batch 0's worker died: no one takes turn 0
    assert 0.25 < time.monotonic() - started < 5
    assert _run(turns, [(2, 0.0)]) == [2]  # and the turns go on from there
