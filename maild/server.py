"""`maild serve`: listeners, IMAP poller, processing worker, outbox sender and
scheduler in one asyncio process. SIGTERM stops it cleanly; SIGHUP is logged
(licenses and groups are read from the store for every message, so they are
always current; other config changes need a restart).

The processing and the outbox sender each run in a child process (ChildProcess),
forked at start: parsing, deciding and rendering are CPU-bound Python, and in the
same process they would share one interpreter lock with the listener and the
sender (every hand-over of that lock costs the listener). Two workers get batches
of spool keys over pipes and answer when they are done; it is the same code
(runner.process_key under one store lock per batch), and the store's lock is what
it always was, across processes. One worker parses its batch while the other holds
the lock, and batches take the lock in the order they were handed out (Turns). The
sender runs an outbox pass when asked (the outbox's flush lock keeps it the only
one sending). If the daemon dies, a child finishes what it is doing, sees the pipe
closed and exits.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from maild import metrics, status
from maild.adapters import systemd
from maild.adapters.leftovers import remove_leftovers
from maild.adapters.listener import SupportHandler, make_protocol
from maild.adapters.sessions import SessionLimits
from maild.app import App
from maild.domain.replyaddr import is_support_address
from maild.faults import Faults, recover
from maild.runner import BatchResult, run_batch

log = logging.getLogger("maild.serve")

OUTBOX_INTERVAL = 5.0  # seconds between outbox passes when nothing new arrived
RESCAN_INTERVAL = 30.0  # pick up mail spooled by `maild ingest` or left pending
STOP_GRACE = 20.0  # seconds to finish in-flight processing on SIGTERM
# Messages processed under one store lock and made durable by one group commit
# (adapters.durable.transaction): at most this many per batch, or as many as were
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
    left, and all that were parsed are processed. (Cutting the locked part short
    instead threw away up to two thirds of a batch's parses under load, and the
    next batch parsed them again.)"""
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


def _run_batch(app: App, request: tuple[int, list[str]], turns: Turns) -> BatchResult:
    seq, keys = request
    return run_batch(app, keys, turns.turn(seq), BATCH_SECONDS, observe=_observe)


_parent_ends: list[Any] = []  # the daemon's ends of its children's pipes


def _child_main(app: App, conn: Any, serve: Callable[[App, Any], Any]) -> None:
    """A child process: requests in, ("ok", answer) out, until the daemon closes
    the pipe."""
    for end in _parent_ends:  # ours and the other children's: else no EOF, ever
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


def _flush_outbox(app: App, _request: Any) -> tuple[int, int]:
    return app.outbox.flush(app.config.outbound, app.now(), force=False, keep_connection=True)


class ChildProcess:
    """A forked child serving one kind of request (the processing worker, the
    outbox sender); `call` blocks, so the daemon calls it in a thread. A child
    that died is started again on the next call."""

    def __init__(self, app: App, name: str, serve: Callable[[App, Any], Any]) -> None:
        self.app = app
        self.name = name
        self.serve = serve
        self.ctx = multiprocessing.get_context("fork")
        self.proc: Any = None
        self.conn: Any = None

    def start(self) -> None:
        self._close_pipe()
        parent, child = self.ctx.Pipe()
        _parent_ends.append(parent)
        self.proc = self.ctx.Process(
            target=_child_main,
            args=(self.app, child, self.serve),
            name=self.name,
            daemon=False,
        )
        self.proc.start()
        child.close()
        self.conn = parent

    def call(self, request: Any) -> Any:
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
            _parent_ends.remove(self.conn)
            self.conn = None

    def stop(self, timeout: float = 30) -> None:
        self._close_pipe()
        if self.proc is not None:
            self.proc.join(timeout)
            if self.proc.is_alive():
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.join()


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.queued: set[str] = set()
        self.process_pool = ThreadPoolExecutor(WORKERS, "maild-process")
        self.send_pool = ThreadPoolExecutor(1, "maild-send")
        self.stopping = asyncio.Event()
        self.outbox_wake = asyncio.Event()
        self.imap_stop = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.handler: SupportHandler | None = None
        # none: in this process (MAILD_WORKER_PROCESS=0, for debugging)
        self.workers: list[ChildProcess] = []
        self.sender: ChildProcess | None = None
        self.batches = 0  # batch numbers, in the order batches are handed out
        self.faults = Faults(app)
        self.resume_at = 0.0  # processing paused until then (monotonic): a fault
        self.turns: Turns | None = None

    # -- feeding the worker ------------------------------------------------------
    def enqueue(self, key: str) -> None:
        if key not in self.queued:
            metrics.add("received")
            self.queued.add(key)
            self.queue.put_nowait(key)

    def enqueue_threadsafe(self, key: str) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.enqueue, key)

    def rescan(self) -> None:
        for key in self.app.spool.pending():
            self.enqueue(key)

    def is_support(self, address: str) -> bool:
        """The support address or one of its plus-addresses (support+tag@)."""
        return is_support_address(address, self.app.config.support.address)

    # -- tasks --------------------------------------------------------------------
    async def _process_loop(self, worker: ChildProcess | None) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while (wait := self.resume_at - time.monotonic()) > 0:  # paused by a fault
                await asyncio.sleep(wait)
            keys = [await self.queue.get()]
            while len(keys) < BATCH_MAX and not self.queue.empty():
                keys.append(self.queue.get_nowait())
            seq, self.batches = self.batches, self.batches + 1
            result = BatchResult([])
            try:
                if worker is not None:
                    result = await loop.run_in_executor(self.process_pool, worker.call, (seq, keys))
                else:
                    result = await loop.run_in_executor(
                        self.process_pool, run_batch, self.app, keys, None, BATCH_SECONDS
                    )
            except Exception as e:
                # (a worker that died: the message it was working on is counted by
                # recover, and shunted if it keeps killing workers)
                log.exception("spool %s: unexpected error in the worker", ", ".join(keys))
                if worker is not None and worker.proc is not None:
                    await loop.run_in_executor(None, worker.proc.join, 1)
                    if self.turns is not None and not worker.proc.is_alive():
                        self.turns.skip(seq)  # its turn will never end: the next need not wait
                recover(self.app, self.faults)
                result = BatchResult(list(keys), fault=(f"the worker failed: {e}", ""))
            finally:
                shunted = self.faults.after(result)
                self._requeue(keys, result, shunted)
                self.outbox_wake.set()

    def _requeue(self, keys: list[str], result: BatchResult, shunted: list[str]) -> None:
        """Done keys leave the queue; the rest go back in arrival order, after the
        back-off when processing failed."""
        left = set(result.left)
        if result.fault is not None:
            left.update(keys)
            self.resume_at = time.monotonic() + self.faults.delay()
        else:
            left.update(k for k, _ in result.failed)
        left.difference_update(shunted)
        for key in keys:
            if key not in left:
                self.queued.discard(key)
            self.queue.task_done()
        if not left:
            return
        waiting = [self.queue.get_nowait() for _ in range(self.queue.qsize())]
        for key in sorted(left.union(waiting)):  # keys begin with their arrival time
            self.queue.put_nowait(key)
        for _ in waiting:
            self.queue.task_done()

    def _flush_outbox(self) -> tuple[int, int]:
        if self.sender is not None:
            return self.sender.call(None)
        return _flush_outbox(self.app, None)

    async def _outbox_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can turn a
                # cancellation that meets its own timeout into a TimeoutError, and
                # this loop would then never stop
                async with asyncio.timeout(OUTBOX_INTERVAL):
                    await self.outbox_wake.wait()
            except TimeoutError:
                pass
            self.outbox_wake.clear()
            try:
                sent, failed = await loop.run_in_executor(self.send_pool, self._flush_outbox)
            except Exception:
                log.exception("outbox pass failed")
                continue
            if sent or failed:
                metrics.add("sent", sent)
                metrics.add("failed", failed)
                log.info("outbox: sent %d, failed %d", sent, failed)

    async def _rescan_loop(self) -> None:
        while True:
            await asyncio.sleep(RESCAN_INTERVAL)
            recover(self.app, self.faults)  # claims of processes that died (`maild ingest`)
            self.rescan()

    async def _watchdog_loop(self, interval: float) -> None:
        while True:
            systemd.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    # -- life cycle -----------------------------------------------------------------
    async def run(self) -> int:
        self.loop = loop = asyncio.get_running_loop()
        cfg = self.app.config
        if cfg.metrics.listen:
            metrics.enable()  # shared memory: before the children are forked
        if os.environ.get("MAILD_WORKER_PROCESS", "1") != "0":
            # fork first: no threads yet, no signal handlers
            self.turns = Turns(multiprocessing.get_context("fork"))
            run = functools.partial(_run_batch, turns=self.turns)
            self.workers = [
                ChildProcess(self.app, f"maild-worker-{n}", run) for n in range(1, WORKERS + 1)
            ]
            self.sender = ChildProcess(self.app, "maild-sender", _flush_outbox)
            for child in (*self.workers, self.sender):
                child.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self._on_hup)

        if not cfg.support.authserv_id:
            log.warning(
                "support.authserv_id is not set: staff mail counts only as a reply to a staff "
                "notice (signed reply address), licenses are granted by the From line alone "
                "(see README, Trust)"
            )
        recover(self.app, self.faults)  # claimed when the last run died
        self._remove_leftovers()
        self.rescan()  # crash recovery: everything spooled but not processed
        if self.queued:
            log.info("recovering %d spooled message(s) not yet processed", len(self.queued))

        server = None
        if cfg.smtp is not None:
            lmtp = cfg.smtp.protocol == "lmtp"
            self.handler = SupportHandler(self.app.spool, self.is_support, self.enqueue, lmtp=lmtp)
            factory = make_protocol(
                self.handler,
                lmtp=lmtp,
                max_size=cfg.smtp.max_message_size,
                hostname=socket.getfqdn(),
                limits=SessionLimits(
                    cfg.smtp.max_connections, cfg.smtp.timeout, cfg.smtp.max_data_transfers
                ),
            )
            try:
                server = await loop.create_server(factory, cfg.smtp.host, cfg.smtp.port)
            except OSError as e:
                log.error("cannot listen on %s: %s", cfg.smtp.listen, e.strerror or e)
                self._stop_children()
                return 71  # EX_OSERR
            log.info("listening for %s on %s", cfg.smtp.protocol.upper(), cfg.smtp.listen)

        site = None
        if cfg.web is not None:  # the support site (maild.web), on this loop
            from maild.web.server import start_site

            site = await start_site(self.app, self)
            if site is None:
                self._stop_children()
                return 71  # EX_OSERR

        imap_thread = None
        if cfg.imap is not None:
            from maild.adapters.imap import ImapPoller

            poller = ImapPoller(
                cfg.imap,
                self._deliver_from_imap,
                contact=lambda: status.mark(cfg.storage_path, status.IMAP_MARK),
            )
            imap_thread = threading.Thread(
                target=poller.run, args=(self.imap_stop,), name="maild-imap", daemon=True
            )
            imap_thread.start()
            log.info("IMAP %s:%s/%s: fetching mail", cfg.imap.host, cfg.imap.port, cfg.imap.folder)

        metrics_server = None
        if cfg.metrics.listen:
            host, port = cfg.metrics.listen.rsplit(":", 1)
            try:
                metrics_server = await metrics.serve_metrics(self.app, host.strip("[]"), int(port))
            except OSError as e:
                log.error("metrics: cannot listen on %s: %s", cfg.metrics.listen, e.strerror or e)
            else:
                log.info("metrics: Prometheus text format on http://%s/metrics", cfg.metrics.listen)
        scheduler = self._start_scheduler()
        tasks = [
            *(
                asyncio.create_task(self._process_loop(w), name=f"process-{n}")
                for n, w in enumerate(self.workers or [None])
            ),
            asyncio.create_task(self._outbox_loop(), name="outbox"),
            asyncio.create_task(self._rescan_loop(), name="rescan"),
        ]
        interval = systemd.watchdog_interval()
        if interval:
            tasks.append(asyncio.create_task(self._watchdog_loop(interval)))
        systemd.notify("READY=1\nSTATUS=accepting mail")
        log.info(
            "maild ready (storage %s, event loop %s)",
            cfg.storage_path,
            type(loop).__module__.split(".")[0],
        )

        await self.stopping.wait()
        systemd.notify("STOPPING=1")
        log.info("stopping: no new mail accepted, finishing what is in flight")
        if self.handler is not None:
            self.handler.accepting = False
        for listening in (server, metrics_server):
            if listening is not None:
                listening.close()
        if site is not None:
            await site.cleanup()
        self.imap_stop.set()
        try:
            await asyncio.wait_for(self.queue.join(), STOP_GRACE)
        except TimeoutError:
            log.warning("stop: %d message(s) left in the spool for next start", self.queue.qsize())
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for t in tasks:
            t.cancel()
        _done, stuck = await asyncio.wait(tasks, timeout=5)
        for t in stuck:
            log.warning("stop: task %s did not end", t.get_name())
        if imap_thread is not None:
            await loop.run_in_executor(None, imap_thread.join, 5)
        self.process_pool.shutdown(wait=True)
        self.send_pool.shutdown(wait=True)
        await loop.run_in_executor(None, self._stop_children)
        self.app.outbox.close()
        log.info("stopped")
        return 0

    def _remove_leftovers(self) -> None:
        """Temp files of writes a crash interrupted (they may hold ticket text)."""
        try:
            removed = remove_leftovers(self.app.config.storage_path)
        except OSError as e:
            log.error("cannot remove the temp files of interrupted writes: %s", e)
            return
        if removed:
            log.info("removed %d temp file(s) of interrupted writes", len(removed))

    def _stop_children(self) -> None:
        for child in (*self.workers, self.sender):
            if child is not None:
                child.stop()

    def _deliver_from_imap(self, raw: bytes) -> None:
        key = self.app.spool.add(raw)  # raises on failure: the poller keeps the message
        self.enqueue_threadsafe(key)

    def _on_hup(self) -> None:
        log.info(
            "SIGHUP: licenses and groups are always current; "
            "restart the service to apply config changes"
        )

    def _start_scheduler(self):
        try:
            from maild.adapters.scheduler import start_scheduler
        except ImportError:
            return None
        return start_scheduler(self.app, self)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (MAILD_UVLOOP=0: asyncio's own).

    The listener's CPU went half to asyncio's Python event loop and transports
    (py-spy); uvloop's, in C, took about a fifth off the listener's CPU per message
    (bench/FINDINGS.md, item 17). It runs the same asyncio code: the tests pass on
    both. None means asyncio's default."""
    if os.environ.get("MAILD_UVLOOP", "1") == "0":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def serve(app: App) -> int:
    factory = event_loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(Daemon(app).run())
