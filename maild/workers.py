"""The forked children of `maild serve`: two processing workers and the outbox
sender (ChildProcess), and the order in which the workers' batches take the store
lock (Turns).

Parsing, deciding and rendering are CPU-bound Python: in the daemon's process they
would share one interpreter lock with the listener and the sender (every hand-over
of that lock costs the listener). Two workers get batches of spool keys over pipes
and answer when they are done; it is the same code (runner.process_key under one
store lock per batch), and the store's lock is what it always was, across
processes. One worker parses its batch while the other holds the lock, and batches
take the lock in the order they were handed out (Turns). The sender runs an outbox
pass when asked (the outbox's flush lock keeps it the only one sending). If the
daemon dies, a child finishes what it is doing, sees the pipe closed and exits.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from maild import metrics
from maild.app import App
from maild.runner import BatchResult, run_batch

log = logging.getLogger("maild.serve")

# Messages processed under one store lock and made durable by one group commit
# (the section's adapters.durable.Transaction): at most this many per batch, or as many as were
# parsed in this long (process_batch).
BATCH_MAX = 128
BATCH_SECONDS = 0.5
# Worker processes: one parses its batch while the other holds the store lock.
WORKERS = 2
TURN_WAIT = 10.0


def process_batch(app: App, keys: list[str], turn: Any = None) -> list[str]:
    """Process spooled messages under one store lock (runner.run_batch): their
    writes become durable together when the lock is released, and only then are
    they marked processed in the spool. Returns the keys left for the next batch
    (over BATCH_SECONDS).

    They are parsed first, without the lock, while another worker may hold it;
    `turn` (Turns.turn) then makes batches take the lock in the order they were
    handed out, so a message is never decided before one that came earlier.
    The time budget is spent on parsing: the keys not parsed when it runs out are
    left, and all that were parsed are processed (cutting the locked part short
    instead would throw parses away, and the next batch would parse them again)."""
    return run_batch(app, keys, turn, BATCH_SECONDS, observe=_observe).left


def _observe(seconds: float, decision: Any) -> None:
    """The metrics of one processed message (no-ops unless [metrics] is on)."""
    metrics.observe(seconds)
    if decision is not None and decision.outcome == "new":
        metrics.add("opened")


class Turns:
    """Batch numbers shared by the worker processes: batch n takes the store lock
    after batch n-1 released it. A worker that died holding a turn delays the
    next one TURN_WAIT seconds at most (the store lock still keeps them apart).

    The number is a shared integer that waiters poll (0.2 ms, growing to 5 ms):
    no lock or condition a killed worker could leave held. (A multiprocessing
    Condition hung the daemon for good when a worker was killed while waiting on
    it: notify_all waits for every sleeper it wakes, the dead one included.)"""

    def __init__(self, ctx: Any) -> None:
        self.next = ctx.Value("q", 0, lock=False)  # an aligned 64-bit word: atomic

    @contextmanager
    def turn(self, seq: int) -> Iterator[None]:
        """Wait (TURN_WAIT at most) until batch `seq` may take the store lock; the
        turn passes to the next batch when the block ends."""
        deadline = time.monotonic() + TURN_WAIT
        pause = 0.0002
        while self.next.value < seq and time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.005)
        try:
            yield
        finally:
            self.skip(seq)

    def skip(self, seq: int) -> None:
        """Batch `seq` is over (or will never run: its worker died)."""
        self.next.value = max(self.next.value, seq + 1)


def run_batch_in_turn(app: App, request: tuple[int, list[str]], turns: Turns) -> BatchResult:
    """A worker's request: batch number `seq` of `keys`, taking the lock in its turn."""
    seq, keys = request
    return run_batch(app, keys, turns.turn(seq), BATCH_SECONDS, observe=_observe)


def _child_main(
    app: App, conn: Any, serve: Callable[[App, Any], Any], parent_ends: list[Any]
) -> None:
    """A child process: requests in, ("ok", answer) out, until the daemon closes
    the pipe."""
    for end in parent_ends:  # ours and the other children's: else no EOF, ever
        end.close()
    try:  # "maild-worker-1" in ps and top, not "python"
        with open("/proc/self/comm", "w") as f:
            f.write(multiprocessing.current_process().name[:15])
    except OSError:
        pass
    signal.set_wakeup_fd(-1)  # the parent's asyncio wake-up pipe is not ours
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # the daemon says when to stop: EOF
    app.store.after_fork()
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                break
            try:
                reply: tuple[str, Any] = ("ok", serve(app, request))
            except Exception as e:
                log.exception("unexpected error in %s", multiprocessing.current_process().name)
                reply = ("error", repr(e))
            try:
                conn.send(reply)
            except OSError:
                break
    finally:
        app.outbox.close()  # the relay connections kept open by the sender


def flush_outbox(app: App, _request: Any) -> tuple[int, int]:
    """The sender's request: one outbox pass, keeping the relay connection open."""
    return app.outbox.flush(app.config.outbound, app.now(), force=False, keep_connection=True)


class ChildProcess:
    """A forked child serving one kind of request (the processing worker, the
    outbox sender); `call` blocks, so the daemon calls it in a thread. A child
    that died is started again on the next call.

    `parent_ends` is the daemon's list of its ends of all its children's pipes,
    shared by the children it starts: each child closes them all, or a pipe would
    never see EOF when the daemon closes its end."""

    def __init__(
        self, app: App, name: str, serve: Callable[[App, Any], Any], parent_ends: list[Any]
    ) -> None:
        self.app = app
        self.name = name
        self.serve = serve
        self.parent_ends = parent_ends
        self.ctx = multiprocessing.get_context("fork")
        self.proc: Any = None
        self.conn: Any = None

    def start(self) -> None:
        self._close_pipe()
        parent, child = self.ctx.Pipe()
        self.parent_ends.append(parent)
        self.proc = self.ctx.Process(
            target=_child_main,
            args=(self.app, child, self.serve, self.parent_ends),
            name=self.name,
            daemon=False,
        )
        self.proc.start()
        child.close()
        self.conn = parent

    def call(self, request: Any) -> Any:
        """Send `request` and wait for the child's answer (RuntimeError if it failed)."""
        if self.proc is None or not self.proc.is_alive():
            if self.proc is not None:
                log.error("%s died (exit %s): starting another", self.name, self.proc.exitcode)
            self.start()
        try:
            self.conn.send(request)
            status, value = self.conn.recv()
        except (EOFError, OSError) as e:
            raise RuntimeError(f"{self.name} died: {e}") from None
        if status != "ok":
            raise RuntimeError(value)
        return value

    def _close_pipe(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.parent_ends.remove(self.conn)
            self.conn = None

    def stop(self, timeout: float = 30) -> None:
        """Close the pipe (the child exits when done) and wait; kill it after `timeout`."""
        self._close_pipe()
        if self.proc is not None:
            self.proc.join(timeout)
            if self.proc.is_alive():
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.join()
