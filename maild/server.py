"""`maild serve`: listeners, IMAP poller, processing worker, outbox sender and
scheduler in one asyncio process. SIGTERM stops it cleanly; SIGHUP is logged
(licenses and groups are read from the store for every message, so they are
always current; other config changes need a restart).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from maild.adapters import systemd
from maild.adapters.listener import SupportHandler, make_protocol
from maild.app import App
from maild.domain.replyaddr import is_support_address
from maild.runner import process_key

log = logging.getLogger("maild.serve")

OUTBOX_INTERVAL = 5.0  # seconds between outbox passes when nothing new arrived
RESCAN_INTERVAL = 30.0  # pick up mail spooled by `maild ingest` or left pending
STOP_GRACE = 20.0  # seconds to finish in-flight processing on SIGTERM
# Messages processed under one store lock and made durable by one group commit
# (adapters.durable.transaction): at most this many, or this long, per batch.
BATCH_MAX = 32
BATCH_SECONDS = 0.25


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

    # -- feeding the worker ------------------------------------------------------
    def enqueue(self, key: str) -> None:
        if key not in self.queued:
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
        loop = asyncio.get_running_loop()
        while True:
            keys = [await self.queue.get()]
            while len(keys) < BATCH_MAX and not self.queue.empty():
                keys.append(self.queue.get_nowait())
            left: list[str] = []
            try:
                left = await loop.run_in_executor(self.process_pool, self._process_batch, keys)
            except Exception:
                log.exception("spool %s: unexpected error in the worker", ", ".join(keys))
            finally:
                for key in keys:
                    if key not in left:
                        self.queued.discard(key)
                    self.queue.task_done()
                for key in left:  # over the time budget: next batch
                    self.queue.put_nowait(key)
                self.outbox_wake.set()

    def _process_batch(self, keys: list[str]) -> list[str]:
        """Process spooled messages under one store lock: their writes become durable
        together when the lock is released, and only then are they marked processed
        in the spool. Returns the keys left for the next batch."""
        started = time.monotonic()
        with self.app.store.locked():
            for n, key in enumerate(keys, 1):
                process_key(self.app, key)
                if time.monotonic() - started > BATCH_SECONDS:
                    return keys[n:]
        return []

    async def _outbox_loop(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.app.config.outbound
        while True:
            try:
                await asyncio.wait_for(self.outbox_wake.wait(), OUTBOX_INTERVAL)
            except TimeoutError:
                pass
            self.outbox_wake.clear()
            try:
                sent, failed = await loop.run_in_executor(
                    self.send_pool,
                    lambda: self.app.outbox.flush(
                        cfg, self.app.now(), force=False, keep_connection=True
                    ),
                )
            except Exception:
                log.exception("outbox pass failed")
                continue
            if sent or failed:
                log.info("outbox: sent %d, failed %d", sent, failed)

    async def _rescan_loop(self) -> None:
        while True:
            await asyncio.sleep(RESCAN_INTERVAL)
            self.rescan()

    async def _watchdog_loop(self, interval: float) -> None:
        while True:
            systemd.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    # -- life cycle -----------------------------------------------------------------
    async def run(self) -> int:
        self.loop = loop = asyncio.get_running_loop()
        cfg = self.app.config
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self._on_hup)

        if not cfg.support.authserv_id:
            log.warning(
                "support.authserv_id is not set: mail is trusted by its From line, so anyone "
                "can write as staff or as a licensed customer (see README, Staff identity)"
            )
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
            )
            try:
                server = await loop.create_server(factory, cfg.smtp.host, cfg.smtp.port)
            except OSError as e:
                log.error("cannot listen on %s: %s", cfg.smtp.listen, e.strerror or e)
                return 71  # EX_OSERR
            log.info("listening for %s on %s", cfg.smtp.protocol.upper(), cfg.smtp.listen)

        imap_thread = None
        if cfg.imap is not None:
            from maild.adapters.imap import ImapPoller

            poller = ImapPoller(cfg.imap, self._deliver_from_imap)
            imap_thread = threading.Thread(
                target=poller.run, args=(self.imap_stop,), name="maild-imap", daemon=True
            )
            imap_thread.start()
            log.info("polling IMAP %s:%s/%s", cfg.imap.host, cfg.imap.port, cfg.imap.folder)

        scheduler = self._start_scheduler()
        tasks = [
            asyncio.create_task(self._process_loop(), name="process"),
            asyncio.create_task(self._outbox_loop(), name="outbox"),
            asyncio.create_task(self._rescan_loop(), name="rescan"),
        ]
        interval = systemd.watchdog_interval()
        if interval:
            tasks.append(asyncio.create_task(self._watchdog_loop(interval)))
        systemd.notify("READY=1\nSTATUS=accepting mail")
        log.info("maild ready (storage %s)", cfg.storage_path)

        await self.stopping.wait()
        systemd.notify("STOPPING=1")
        log.info("stopping: no new mail accepted, finishing what is in flight")
        if self.handler is not None:
            self.handler.accepting = False
        if server is not None:
            server.close()
        self.imap_stop.set()
        try:
            await asyncio.wait_for(self.queue.join(), STOP_GRACE)
        except TimeoutError:
            log.warning("stop: %d message(s) left in the spool for next start", self.queue.qsize())
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if imap_thread is not None:
            await loop.run_in_executor(None, imap_thread.join, 5)
        self.process_pool.shutdown(wait=True)
        await loop.run_in_executor(self.send_pool, self.app.outbox.close)
        self.send_pool.shutdown(wait=True)
        log.info("stopped")
        return 0

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


def serve(app: App) -> int:
    return asyncio.run(Daemon(app).run())
