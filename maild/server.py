"""`maild serve`: listeners, IMAP poller, processing worker, outbox sender and
scheduler in one asyncio process. SIGTERM stops it cleanly; SIGHUP is logged
(licenses and groups are read from the store for every message, so they are
always current; other config changes need a restart).

The processing and the outbox sender each run in a forked child process
(maild.workers); this process accepts mail, hands spool keys to the worker in
batches and asks the sender for outbox passes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from maild import metrics, privileges, serving, status
from maild.adapters import systemd
from maild.adapters.leftovers import clean_at_start
from maild.adapters.tls import tls_problem
from maild.app import App
from maild.checkconfig import NO_AUTHSERV_ID, on_reload, start_warnings
from maild.domain.replyaddr import is_support_address
from maild.faults import Faults, recover
from maild.portcap import CannotListen
from maild.refusals import tell_refused
from maild.runner import BatchResult
from maild.serving import claim_storage, start_imap, start_metrics, start_smtp
from maild.workers import (
    BATCH_MAX,
    ChildProcess,
    WorkerDied,
    flush_outbox,
    process_batch,
)

if TYPE_CHECKING:
    from maild.adapters.listener import SupportHandler

log = logging.getLogger("maild.serve")

OUTBOX_INTERVAL = 5.0  # seconds between outbox passes when nothing new arrived
RESCAN_INTERVAL = 30.0  # pick up mail spooled by `maild ingest` or left pending
STOP_GRACE = 20.0  # seconds to finish in-flight processing on SIGTERM
EX_TEMPFAIL = 75  # another maild serve serves the storage
EX_CONFIG = 78  # the listener's certificate does not load


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.queued: set[str] = set()
        self.process_pool = ThreadPoolExecutor(1, "maild-process")
        self.send_pool = ThreadPoolExecutor(1, "maild-send")
        self.stopping = asyncio.Event()
        self.outbox_wake = asyncio.Event()
        self.imap_stop = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.handler: SupportHandler | None = None
        # none: in this process (MAILD_WORKER_PROCESS=0, for debugging)
        self.worker: ChildProcess | None = None
        self.sender: ChildProcess | None = None
        self.faults = Faults(app)
        # [metrics]: shared memory, made before the children are forked
        self.counters = metrics.Counters() if app.config.metrics.listen else None
        self.resume_at = 0.0  # processing paused until then (monotonic): a fault
        self.parent_ends: list[Any] = []  # this process's ends of its children's pipes
        # what run() started, for _stop
        self.server: asyncio.AbstractServer | None = None
        self.site: Any = None
        self.imap_thread: threading.Thread | None = None
        self.metrics_server: Any = None
        self.scheduler: asyncio.Task | None = None
        self.tasks: list[asyncio.Task[None]] = []

    # -- feeding the worker ------------------------------------------------------
    def enqueue(self, key: str) -> None:
        if key not in self.queued:
            if self.counters is not None:
                self.counters.add("received")
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
    async def _process_loop(self) -> None:
        """Batches of the queue, in arrival order, to the worker (or in this process)."""
        loop = asyncio.get_running_loop()
        worker = self.worker
        here = functools.partial(process_batch, self.app, counters=self.counters)
        run = worker.call if worker is not None else here
        while True:
            while (wait := self.resume_at - time.monotonic()) > 0:  # paused by a fault
                await asyncio.sleep(wait)
            keys = [await self.queue.get()]
            while len(keys) < BATCH_MAX and not self.queue.empty():
                keys.append(self.queue.get_nowait())
            result = BatchResult([])
            try:
                result = await loop.run_in_executor(self.process_pool, run, keys)
            except Exception as e:
                # (a worker that died: the message it was working on is counted by
                # recover, which names each message, and shunted if it keeps killing
                # workers; a traceback only for an error of the code)
                if isinstance(e, WorkerDied):
                    log.error("%s with %d message(s) of the spool: recovering them", e, len(keys))
                else:
                    log.exception("spool %s: unexpected error in the worker", ", ".join(keys))
                if worker is not None and worker.proc is not None:
                    await loop.run_in_executor(None, worker.proc.join, 1)
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

    def _pass(self) -> tuple[int, int, float]:
        if self.sender is not None:
            return self.sender.call(None)
        return flush_outbox(self.app, None)

    def _tell_refused(self) -> int:
        return len(tell_refused(self.app, self.app.now()))

    async def _outbox_loop(self) -> None:
        loop = asyncio.get_running_loop()
        wait = OUTBOX_INTERVAL
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can turn a cancellation
                # that meets its own timeout into a TimeoutError: the loop never stopped
                async with asyncio.timeout(wait):
                    await self.outbox_wake.wait()
            except TimeoutError:
                pass
            self.outbox_wake.clear()
            wait = OUTBOX_INTERVAL
            try:
                sent, failed, paused = await loop.run_in_executor(self.send_pool, self._pass)
                if paused:  # the sender's (outbound.PAUSE_FIRST): next pass as it ends
                    wait = min(paused, wait)
                # tickets to tell, by the one writer (as the jobs); staff's notice goes
                # in the next pass (none when they wait for the list: refusals.py)
                if (
                    failed
                    and self.app.outbox.refused_entries()
                    and await loop.run_in_executor(self.process_pool, self._tell_refused)
                ):
                    self.outbox_wake.set()
            except OSError as e:  # the environment's: one line, the pass runs again
                log.error("outbox pass failed: %s", privileges.describe(e))
                continue
            except WorkerDied as e:  # killed mid-pass (out of memory, kill -9)
                log.error("outbox pass failed: %s; the next pass starts another", e)
                continue
            except Exception:
                log.exception("outbox pass failed")
                continue
            if self.counters is not None:
                self.counters.add("sent", sent)
                self.counters.add("failed", failed)
            if sent or failed:
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
        """Serve until SIGTERM/SIGINT; 0 after a clean stop, 71 (EX_OSERR) when a listener
        cannot start (78 when it may not listen there: portcap). Any other failure to start
        is raised once the children ended (else the exit waited on them for ever)."""
        self.loop = asyncio.get_running_loop()
        if os.environ.get("MAILD_WORKER_PROCESS", "1") != "0":
            self._fork_children()  # first: no threads yet, no signal handlers
        try:
            code = await self._start()
        except BaseException:
            await self._abort()
            raise
        if code is not None:
            await self._abort()
            return code
        systemd.notify("READY=1\nSTATUS=accepting mail")
        here = {"pid": os.getpid(), "since": datetime.now(UTC).isoformat()}
        status.note(self.app.config.storage_path, status.SERVE_NOTE, here)  # till a clean stop
        log.info(
            "maild ready (storage %s, event loop %s)",
            self.app.config.storage_path,
            type(self.loop).__module__.split(".")[0],
        )
        await self.stopping.wait()
        await self._stop()
        return 0

    async def _start(self) -> int | None:
        """All but the children started; the exit code of a listener that cannot."""
        assert self.loop is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.stopping.set)
        self.loop.add_signal_handler(signal.SIGHUP, self._on_hup)
        self._recover()
        try:
            await self._start_smtp()
            await self._start_site()
        except CannotListen as e:
            log.error("%s", e)
            return e.code
        await self._start_optional()
        self._start_tasks()
        return None

    def _fork_children(self) -> None:
        """The processing worker and the outbox sender (maild.workers)."""
        counted = functools.partial(process_batch, counters=self.counters)
        self.worker = ChildProcess(self.app, "maild-worker", counted, self.parent_ends)
        self.sender = ChildProcess(self.app, "maild-sender", flush_outbox, self.parent_ends)
        for child in (self.worker, self.sender):
            child.start()

    def _recover(self) -> None:
        """Warn while authserv_id is unset, a password is readable by all or a key of
        the config replaces a kept one; take up what the last run left: claimed and
        pending mail, temp files."""
        if not self.app.config.support.authserv_id:
            log.warning(NO_AUTHSERV_ID)
        config = self.app.config
        for warning in start_warnings(config):  # as check-config warns of them
            log.warning("%s: %s", self.app.config.path, warning)
        self.faults.take_over()  # the last run's fault is not known to hold now
        # first: a commit a crash cut short is finished (on taking the store lock)
        clean_at_start(self.app.store.locked, config.storage_path)
        recover(self.app, self.faults)  # claimed when the last run died
        self.rescan()  # crash recovery: everything spooled but not processed
        if self.queued:
            log.info("recovering %d spooled message(s) not yet processed", len(self.queued))

    async def _start_smtp(self) -> None:
        """The SMTP or LMTP listener, if configured; CannotListen if it cannot."""
        cfg, app = self.app.config, self.app
        if cfg.smtp is not None:
            self.handler, self.server = await start_smtp(
                cfg.smtp, app.spool, self.is_support, self.enqueue, cfg.storage_path, app.tz
            )

    async def _start_site(self) -> None:
        """The support site (maild.web) on this loop, if configured; CannotListen if
        it cannot."""
        if self.app.config.web is not None:
            from maild.web.server import start_site

            self.site = await start_site(self.app, self)

    async def _start_optional(self) -> None:
        """The IMAP poller, the metrics endpoint and the scheduler, as configured."""
        cfg = self.app.config
        if cfg.imap is not None:
            self.imap_thread = start_imap(cfg, self._deliver_from_imap, self.imap_stop)
        if cfg.metrics.listen and self.counters is not None:
            listen = cfg.metrics.listen
            self.metrics_server = await start_metrics(self.app, self.counters, listen)
        from maild.adapters.scheduler import start_scheduler  # imports all the jobs

        self.scheduler = start_scheduler(self.app, self)

    def _start_tasks(self) -> None:
        """The loops feeding the worker and the sender, and systemd's watchdog."""
        self.tasks = [
            asyncio.create_task(self._process_loop(), name="process"),
            asyncio.create_task(self._outbox_loop(), name="outbox"),
            asyncio.create_task(self._rescan_loop(), name="rescan"),
        ]
        interval = systemd.watchdog_interval()
        if interval:
            self.tasks.append(asyncio.create_task(self._watchdog_loop(interval)))

    async def _stop(self) -> None:
        """No new mail; what is in flight is finished (STOP_GRACE at most), then
        everything started is stopped."""
        assert self.loop is not None
        systemd.notify("STOPPING=1")
        log.info("stopping: no new mail accepted, finishing what is in flight")
        await self._close_doors()
        try:
            await asyncio.wait_for(self.queue.join(), STOP_GRACE)
        except TimeoutError:
            log.warning("stop: %d message(s) left in the spool for next start", self.queue.qsize())
        # the scheduler's too: a run under way still finishes in the worker
        tasks = [*self.tasks, *([self.scheduler] if self.scheduler is not None else [])]
        for t in tasks:
            t.cancel()
        _done, stuck = await asyncio.wait(tasks, timeout=5)
        for t in stuck:
            log.warning("stop: task %s did not end", t.get_name())
        if self.imap_thread is not None:
            await self.loop.run_in_executor(None, self.imap_thread.join, 5)
        self.process_pool.shutdown(wait=True)
        self.send_pool.shutdown(wait=True)
        await self.loop.run_in_executor(None, self._stop_children)
        self.app.outbox.close()
        status.note(self.app.config.storage_path, status.SERVE_NOTE, None)
        log.info("stopped")

    async def _abort(self) -> None:
        """A start that failed: the children ended, what was started stopped."""
        assert self.loop is not None
        await self.loop.run_in_executor(None, self._stop_children)
        for t in [*self.tasks, *([self.scheduler] if self.scheduler is not None else [])]:
            t.cancel()
        await self._close_doors()

    async def _close_doors(self) -> None:
        """No new mail: the listeners, the site and the IMAP poller stopped."""
        if self.handler is not None:
            self.handler.accepting = False
        for listening in (self.server, self.metrics_server):
            if listening is not None:
                listening.close()
        if self.site is not None:
            await self.site.cleanup()
        self.imap_stop.set()

    def _stop_children(self) -> None:
        for child in (self.worker, self.sender):
            if child is not None:
                child.stop()

    def _deliver_from_imap(self, raw: bytes) -> None:
        key = self.app.spool.add(raw)  # raises on failure: the poller keeps the message
        self.enqueue_threadsafe(key)

    def _on_hup(self) -> None:
        """The config checked as a restart reads it, in a thread of its own: not the
        loop's, nor the executor the site's requests share (a hanging resolver)."""
        path = self.app.config.path
        threading.Thread(target=on_reload, args=(path,), name="maild-sighup", daemon=True).start()


def serve(app: App) -> int:
    """`maild serve`: 75 (try again later) while another one serves the storage, 78
    when the listener's certificate or key does not load."""
    problem = tls_problem(app.config.smtp)
    if problem is not None:
        log.error("%s: %s", app.config.path, problem)
        return EX_CONFIG
    if claim_storage(app.config.storage_path) is None:
        return EX_TEMPFAIL
    factory = serving.event_loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(Daemon(app).run())
