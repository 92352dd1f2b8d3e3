"""The ways mail and requests come into `maild serve`, each started from its config
section: the SMTP/LMTP listener, the IMAP poller and the metrics endpoint (the
support site is maild.web.server). A failure to start is logged here; the daemon
decides whether it can run without it."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from maild import metrics, status
from maild.adapters.spool import Spool
from maild.adapters.tls import server_context
from maild.app import App
from maild.configtypes import Config, SmtpConfig
from maild.portcap import CannotListen

if TYPE_CHECKING:
    from maild.adapters.listener import SupportHandler

log = logging.getLogger("maild.serve")


async def start_smtp(
    smtp: SmtpConfig,
    spool: Spool,
    is_support: Callable[[str], bool],
    enqueue: Callable[[str], None],
    root: Path,
    tz: tzinfo | None = None,
) -> tuple[SupportHandler, asyncio.AbstractServer]:
    """The listener: mail to a support address is spooled and its key enqueued; while
    the spool fails (answered 451), run/listener_stalled.json says so for `maild status`.
    CannotListen if it cannot listen. The listener's modules (aiosmtpd) are imported
    here, by a daemon that listens, not by every maild process."""
    from maild.adapters.listener import SupportHandler, make_protocol
    from maild.adapters.sessions import SessionLimits

    lmtp = smtp.protocol == "lmtp"
    status.note(root, status.LISTENER_STALLED, None)

    def stalled(stall: dict | None) -> None:
        status.note(root, status.LISTENER_STALLED, stall)

    handler = SupportHandler(spool, is_support, enqueue, lmtp=lmtp, stalled=stalled, tz=tz)
    factory = make_protocol(
        handler,
        lmtp=lmtp,
        max_size=smtp.max_message_size,
        hostname=socket.getfqdn(),
        limits=SessionLimits(smtp.max_connections, smtp.timeout, smtp.max_data_transfers),
        tls=server_context(smtp),  # loadable: serve checked it (tls_problem)
    )
    try:
        server = await asyncio.get_running_loop().create_server(factory, smtp.host, smtp.port)
    except OSError as e:
        raise CannotListen("", smtp.listen, e) from None
    log.info("listening for %s on %s", smtp.protocol.upper(), smtp.listen)
    return handler, server


class Intervals(TypedDict, total=False):
    """What start_imap may shorten of ImapPoller's intervals (seconds)."""

    contact_every: float
    fetch_retry: float
    move_retry: float


def start_imap(
    cfg: Config,
    deliver: Callable[[bytes], None],
    stop: threading.Event,
    **intervals: Unpack[Intervals],
) -> threading.Thread:
    """The IMAP poller, in a thread of its own until `stop` is set; during a long
    round it notes contact and the backlog every `contact_every` seconds, and a
    message the server keeps failing to give (tried every `fetch_retry` seconds), or
    one spooled that it does not move (tried every `move_retry` seconds): `intervals`
    may shorten them (ImapPoller's defaults otherwise). The IMAP modules (imapclient)
    are imported here, by a daemon that polls, not by every maild process."""
    from maild.adapters.imap import ImapPoller

    assert cfg.imap is not None
    root = cfg.storage_path
    # a refusal noted by an earlier run is not known to hold for this one's config
    status.note(root, status.IMAP_REFUSED, None)
    status.note(root, status.IMAP_STALLED, None)
    status.note(root, status.IMAP_BACKLOG, None)
    status.note(root, status.IMAP_UNFETCHED, None)
    status.note(root, status.IMAP_UNMOVED, None)
    status.note(root, status.IMAP_FAILED, None)
    started = {"at": datetime.now(UTC).isoformat(), "pid": os.getpid()}
    status.note(root, status.IMAP_STARTED, started)  # jobs.imap_alert: since when it tries
    poller = ImapPoller(
        cfg.imap,
        deliver,
        contact=lambda: status.mark(root, status.IMAP_MARK),
        refused=lambda refusal: status.note(root, status.IMAP_REFUSED, refusal),
        stalled=lambda stall: status.note(root, status.IMAP_STALLED, stall),
        backlog=lambda backlog: status.note(root, status.IMAP_BACKLOG, backlog),
        failure=lambda failure: status.note(root, status.IMAP_FAILED, failure),
        unfetched=lambda unfetched: status.note(root, status.IMAP_UNFETCHED, unfetched),
        unmoved=lambda unmoved: status.note(root, status.IMAP_UNMOVED, unmoved),
        **intervals,
    )
    thread = threading.Thread(target=poller.run, args=(stop,), name="maild-imap", daemon=True)
    thread.start()
    log.info("IMAP %s:%s/%s: fetching mail", cfg.imap.host, cfg.imap.port, cfg.imap.folder)
    return thread


async def start_metrics(app: App, counters: metrics.Counters, listen: str) -> asyncio.Server | None:
    """The Prometheus endpoint; None (logged) if it cannot listen: the daemon runs
    on without it (mail goes on), and run/metrics_failed.json tells `maild status`."""
    host, port = listen.rsplit(":", 1)
    root = app.config.storage_path
    try:
        server = await metrics.serve_metrics(app, counters, host.strip("[]"), int(port))
    except OSError as e:
        failed = CannotListen("", listen, e)
        log.error("metrics: %s", failed)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"since": since, "listen": listen, "error": str(failed), "pid": os.getpid()}
        status.note(root, status.METRICS_FAILED, record)
        return None
    status.note(root, status.METRICS_FAILED, None)
    log.info("metrics: Prometheus text format on http://%s/metrics", listen)
    return server


def claim_storage(root: Path) -> int | None:
    """This process's hold on the storage as its one `maild serve`: an open descriptor
    of run/serve.lock under a POSIX record lock, kept till the process ends. Its forked
    children do not inherit it: once the daemon is gone a new one may start while they
    finish their batch (under the store's own lock). None, logged, when another serve
    holds it: a second one (started by hand, or on another config naming the same
    storage) started beside it and, stopping, removed the first one's run/serve.json,
    so that status no longer saw the first one crash."""
    run = root / "run"
    run.mkdir(exist_ok=True)
    fd = os.open(run / "serve.lock", os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: held
        os.close(fd)
        other = status.read_note(root, status.SERVE_NOTE) or {}
        pid = f" (pid {other['pid']})" if other.get("pid") else ""
        log.error("another maild serve%s serves the storage %s: this one does not start", pid, root)
        return None
    return fd


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (MAILD_UVLOOP=0: asyncio's own).

    uvloop's event loop and transports are in C, and the listener's CPU goes
    largely to them (bench/FINDINGS.md 17). It runs the same asyncio code: the
    tests pass on both. None means asyncio's default."""
    if os.environ.get("MAILD_UVLOOP", "1") == "0":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
