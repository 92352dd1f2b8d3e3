"""The forked children of `maild serve`: the processing worker and the outbox sender
(ChildProcess).

Parsing, deciding and rendering are CPU-bound Python: in the daemon's process they
would share one interpreter lock with the listener and the sender (every hand-over
of that lock costs the listener). The worker gets batches of spool keys over a pipe,
in arrival order, and answers when it is done; it is the same code as `maild ingest`
(runner.process_key under the store's lock, which keeps it apart from the CLI's
writes across processes). One worker: the store lock lets one batch decide at a
time, so a second worker could only parse ahead, which buys no throughput and costs
CPU per message (bench/FINDINGS.md 8). The sender runs
an outbox pass when asked (the outbox's flush lock keeps it the only one sending).
If the daemon dies, a child finishes what it is doing, sees the pipe closed and
exits.
"""

from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from maild import metrics, status
from maild.app import App
from maild.domain.limits import MAX_FAULT_CHARS, cut
from maild.runner import BatchResult, run_batch

log = logging.getLogger("maild.serve")

PR_SET_NAME = 15  # <linux/prctl.h>

# The modules maild imports where they are first used rather than at start, which
# the daemon's threads may then do at any time: Russia's calendar (maild.domain.calendar,
# where the cache holds no answer: adapters.cache) and chardet (domain.charset).
FIRST_USE = ("holidays.countries.russia", "chardet")

# Messages processed under one store lock and made durable by one group commit
# (the section's adapters.transaction.Transaction): at most this many per batch, or as
# many as were parsed in this long (process_batch).
BATCH_MAX = 128
BATCH_SECONDS = 0.5


def process_batch(
    app: App, keys: list[str], counters: metrics.Counters | None = None
) -> BatchResult:
    """The worker's request: process spooled messages under one store lock
    (runner.run_batch). Their writes become durable together when the lock is
    released, and only then are they marked processed in the spool. The time budget
    (BATCH_SECONDS) is spent on parsing, before the lock: the keys not parsed when it
    runs out are left for the next batch (`left`), and all that were parsed are
    processed (cutting the locked part short instead would throw parses away).
    `counters`: the daemon's metrics ([metrics] on), counted per message."""
    observe = functools.partial(_observe, counters) if counters is not None else None
    return run_batch(app, keys, BATCH_SECONDS, observe=observe)


def _observe(counters: metrics.Counters, seconds: float, decision: Any) -> None:
    """The metrics of one processed message."""
    counters.observe(seconds)
    if decision is not None and decision.outcome == "new":
        counters.add("opened")


def _child_main(
    app: App, conn: Any, serve: Callable[[App, Any], Any], parent_ends: list[Any]
) -> None:
    """A child process: requests in, ("ok", answer) out, until the daemon closes
    the pipe."""
    for end in parent_ends:  # ours and the other children's: else no EOF, ever
        end.close()
    name_process(multiprocessing.current_process().name)
    signal.set_wakeup_fd(-1)  # the parent's asyncio wake-up pipe is not ours
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # the daemon says when to stop: EOF
    app.store.after_fork()
    app.spool.after_fork()
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
                reply = ("error", cut(f"{type(e).__name__}: {e}", MAX_FAULT_CHARS))
            try:
                conn.send(reply)
            except OSError:
                break
    finally:
        app.outbox.close()  # the relay connections kept open by the sender


def flush_outbox(app: App, _request: Any) -> tuple[int, int, float]:
    """The sender's request: one outbox pass, keeping the relay connection open; a
    queue file it cannot send is named in the log (once). (sent, failed, seconds
    until the sender's pause ends: a pass asked before then sends nothing)."""
    result = app.outbox.flush(app.config.outbound, app.now(), force=False, keep_connection=True)
    app.outbox.log_broken()
    _note_stopped(app, app.outbox.stopped)
    return *result, app.outbox.paused_for()


_noted: dict[str, str | None] = {"why": None}  # this process's last note of a stop


def _note_stopped(app: App, why: str | None) -> None:
    """run/outbox_stopped.json while this sender's passes send nothing because they
    cannot record what they send (`maild status`: failing), gone once one runs: the
    log's line alone left status «healthy» with the outbox stopped for good."""
    if why == _noted["why"]:
        return
    _noted["why"] = why
    since = datetime.now(UTC).isoformat()
    record = {"why": why, "since": since, "pid": os.getpid()} if why else None
    status.note(app.config.storage_path, status.OUTBOX_STOPPED, record)


def name_process(name: str) -> None:
    """`name` (its first 15 bytes) in ps and top, not "python". Through prctl, not
    /proc/self/comm: once root's maild has switched to the storage's owner the
    kernel makes the process non-dumpable, and its /proc files are root's."""
    import ctypes  # only here: the CLI's commands never need it

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the name stays
        pass


class WorkerDied(RuntimeError):
    """A child process ended (killed, out of memory) before it answered."""


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
        if threading.active_count() > 1:
            # A child forked while another thread imports a module imported on first
            # use (FIRST_USE) would inherit that import's lock, held for ever: a child
            # started again imports them after that thread, here. The first children
            # are forked before any thread starts.
            for name in FIRST_USE:
                importlib.import_module(name)

        self._close_pipe()
        if self.proc is not None and self.proc.exitcode is not None:  # a dead one's sentinel
            self.proc.close()  # closed now, not when the garbage collector finds it
            self.proc = None
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
            raise WorkerDied(f"{self.name} died: {e or type(e).__name__}") from None
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
