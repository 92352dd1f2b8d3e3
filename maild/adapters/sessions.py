"""Limits of the SMTP/LMTP listener against hostile clients (issue 18, item 7), on
aiosmtpd's public API and asyncio's public Protocol methods.

- At most `smtp.max_connections` sessions at once: one more is answered
  "421 4.7.0 Too many connections" and closed, before aiosmtpd sees it: idle
  connections cannot take all the unit's descriptors, and refuse real mail with
  nothing logged. Refusals are logged, at most one line per LOG_EVERY seconds.
- A session that sends nothing for `smtp.timeout` seconds is closed (IdleTimer).
  Every chunk that arrives restarts the timer, during DATA too, so a slow transfer
  that keeps making progress is never cut, a stalled one is. aiosmtpd's own timer
  restarts only when a command arrives, never during DATA, so the listener gives it
  BACKSTOP instead and keeps its own.
- aiosmtpd holds a DATA body in memory until its end, each line its own object:
  what a body costs to hold is its bytes and LINE_COST a line. A body past LARGE of
  that cost needs one of `smtp.max_data_transfers` slots to go on (DataTransfer):
  reading from its connection pauses until it has one (the client waits, TCP pushes
  back), and it holds the slot until its answer. A transfer whose MAIL FROM declared
  a SIZE over half LARGE (usual lines cost about twice their bytes) waits for its slot
  before the 354, holding nothing meanwhile; mail under LARGE never waits. So few
  large bodies are in memory at once.
- A body whose cost passes COSTLY times aiosmtpd's data_size_limit plus LARGE while
  its bytes are within that limit (many short lines: no real mail under the size
  limit has so many) is refused: aiosmtpd cannot be told to drop what it holds, so
  the rest is read and dropped here, and at its final dot the client gets TOO_COSTLY
  (once per recipient over LMTP) and the connection is closed, which ends aiosmtpd's
  DATA and frees it.
- What aiosmtpd refuses itself at the end of DATA (a line over its limit, a body
  over its data_size_limit) is answered once per recipient over LMTP, as every
  other answer to DATA (RFC 2033 4.2): its one reply left postfix waiting for the
  others, and read the reply to the next command as the next recipient's. Each
  such refusal is logged with the message's Message-ID.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import syntax

from maild.domain.logid import message_id_for_log, peer_for_log, printable

log = logging.getLogger("maild.listener")

TOO_MANY = b"421 4.7.0 Too many connections, try again later\r\n"
LINE_COST = 90  # bytes of memory aiosmtpd takes a DATA line beyond its own (FINDINGS 19)
LARGE = 2 << 20  # cost a transfer may receive without a slot: ~1 MB of base64 lines
COSTLY = 3  # times data_size_limit: the cost past which a body is refused (module doc)
TOO_COSTLY = b"552 5.3.4 Message too large to accept: too many lines for its size\r\n"
SLOT_WAIT = 3600.0  # seconds a session may wait for a slot (its idle timer is paused)
BACKSTOP = 7 * 86400.0  # aiosmtpd's own timeout where IdleTimer keeps the real one
LOG_EVERY = 10.0  # seconds between two log lines about refused connections
# aiosmtpd's own answers at the end of DATA (module doc)
AIOSMTPD_REFUSALS = ("500 Line too long", "552 Error: Too much mail data")
HEAD_KEPT = 16384  # bytes of a body kept to name its Message-ID in the log


@dataclass
class SessionLimits:
    """Shared by all sessions of one listener (one event loop)."""

    max_connections: int = 500
    timeout: float = 300.0
    max_data_transfers: int = 3
    open: int = 0  # sessions now
    refused: int = 0  # refused since the last log line
    logged_at: float = 0.0
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:  # made in the loop that uses it
            self._slots = asyncio.Semaphore(self.max_data_transfers)
        return self._slots

    def refuse(self, peer: Any) -> None:
        count_refused(self, log, "421 too many connections", "smtp.max_connections", peer)


def count_refused(cap: Any, logger: logging.Logger, words: str, key: str, peer: Any) -> None:
    """One more connection refused past a cap (`cap`: its open, refused and logged_at,
    set by the config key `key`): one log line in LOG_EVERY seconds, with how many."""
    cap.refused += 1
    now = time.monotonic()
    if now - cap.logged_at >= LOG_EVERY:
        logger.warning(
            "%s (%d open, %s): refused %d, the last from %s",
            words,
            cap.open,
            key,
            cap.refused,
            peer_for_log(peer),
        )
        cap.refused, cap.logged_at = 0, now


class IdleTimer:
    """Closes a transport once nothing arrived for `timeout` seconds. `touch` only
    moves the deadline (one clock read per chunk); the timer callback, when it comes
    early, waits again for the rest."""

    def __init__(self, transport: asyncio.BaseTransport, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport = transport
        self.timeout = timeout
        self.deadline = self.loop.time() + timeout
        self.held_until = 0.0  # not idle before this, whatever arrives
        self.handle = self.loop.call_at(self.deadline, self.check)

    def touch(self) -> None:
        self.deadline = self.loop.time() + self.timeout

    def hold(self, seconds: float) -> None:
        """The next `seconds` do not count as idle (a wait that is not the client's)."""
        self.held_until = self.loop.time() + seconds

    def release(self) -> None:
        """The hold is over: idle from now on."""
        self.held_until = 0.0
        self.touch()

    def check(self) -> None:
        deadline = max(self.deadline, self.held_until)
        if self.loop.time() < deadline:
            self.handle = self.loop.call_at(deadline, self.check)
            return
        peer = self.transport.get_extra_info("peername")
        log.info(
            "%s sent nothing for %g s (smtp.timeout): closed", peer_for_log(peer), self.timeout
        )
        self.transport.close()

    def cancel(self) -> None:
        self.handle.cancel()


class DataTransfer:
    """One DATA body's claim on a slot (module doc). `passes` sees every chunk that
    arrives during DATA and adds up its cost: past LARGE without a slot, chunks are
    kept here and reading is paused (asyncio's public pause_reading) until the slot
    comes; then they go on to aiosmtpd in order and reading resumes. Past `most`
    while aiosmtpd still keeps the body (its bytes within `wire`), the body is
    refused (discard)."""

    def __init__(
        self,
        limits: SessionLimits,
        transport: asyncio.Transport,
        idle: IdleTimer | None,
        feed: Callable[[bytes], None],
        wire: int | None = None,  # aiosmtpd's data_size_limit (None: no refusal)
        answers: int = 1,  # replies at the final dot: LMTP's one per recipient
    ) -> None:
        self.slots = limits.slots()
        self.transport = transport
        self.idle = idle
        self.feed = feed  # aiosmtpd's data_received
        self.wire = wire or 0
        self.most = COSTLY * self.wire + LARGE  # (a small limit: memory is no matter)
        self.answers = answers
        self.received = 0  # bytes
        self.lines = 0
        self.tail = b""  # the last bytes seen: a final dot may straddle two chunks
        self.held = False  # this transfer has a slot
        self.refused = False  # past `most`: dropped until its final dot
        self.waiting: asyncio.Task[None] | None = None
        self.kept: list[bytes] = []
        self.head = b""  # the body's first HEAD_KEPT bytes: its Message-ID for the log

    async def claim(self) -> None:
        if self.idle is not None:
            self.idle.hold(SLOT_WAIT)  # waiting is not the client's fault
        await self.slots.acquire()
        self.held = True
        if self.idle is not None:
            self.idle.release()

    def passes(self, data: bytes) -> bool:
        """Whether `data` goes on to aiosmtpd now; if not, it is kept for later, or
        dropped once the body is refused."""
        if self.refused:
            self.discard(data)
            return False
        self.received += len(data)
        self.lines += data.count(b"\n")
        if len(self.head) < HEAD_KEPT:
            self.head += data[: HEAD_KEPT - len(self.head)]
        cost = self.received + LINE_COST * self.lines
        if self.most and cost > self.most and self.received <= self.wire:
            self.refuse(data)
            return False
        self.tail = data[-4:]
        if self.held:
            return True
        if self.waiting is None:
            if cost <= LARGE:
                return True
            self.waiting = asyncio.get_running_loop().create_task(self.resume())
        self.kept.append(data)
        self.transport.pause_reading()
        return False

    def refuse(self, data: bytes) -> None:
        peer = self.transport.get_extra_info("peername")
        log.warning(
            "%s: DATA of %d lines in %d bytes costs too much to hold (over %d times "
            "smtp.max_message_size): refused 552 at its end, then closed",
            peer_for_log(peer),
            self.lines,
            self.received,
            COSTLY,
        )
        self.refused = True
        if self.waiting is not None and not self.held:
            self.waiting.cancel()  # (no slot: dropped, it needs none)
            if self.idle is not None:
                self.idle.release()
            self.transport.resume_reading()
        self.kept = []
        self.discard(data)

    def discard(self, data: bytes) -> None:
        """Drops `data` of a refused body; at its final dot, the answer, and the
        connection closed (aiosmtpd then drops what it holds)."""
        seen = self.tail + data
        if b"\r\n.\r\n" in seen:
            self.transport.write(TOO_COSTLY * self.answers)
            self.transport.close()
        self.tail = seen[-4:]

    async def resume(self) -> None:
        await self.claim()
        kept, self.kept = self.kept, []
        for chunk in kept:
            self.feed(chunk)
        if not self.transport.is_closing():
            self.transport.resume_reading()

    def refused_by_aiosmtpd(self, status: str, sender: str | None) -> str:
        """aiosmtpd's refusal of this body, logged, as the client is to get it."""
        log.info(
            "%s from %s refused: %s",
            message_id_for_log(self.head),
            printable(sender),
            status,
        )
        return "\r\n".join([status] * self.answers)

    def end(self) -> None:
        """The transfer is over (answered, or the connection is gone): the slot back."""
        if self.waiting is not None and not self.waiting.done():
            self.waiting.cancel()
        self.kept = []
        if self.held:
            self.held = False
            self.slots.release()


def declared_size(mail_options: list[str]) -> int | None:
    """The SIZE= a MAIL FROM declared (RFC 1870); None without one, or one that is no
    number in ASCII digits (listener.DeclaredSize reads it before aiosmtpd checks it)."""
    for option in mail_options:
        key, _, value = option.partition("=")
        if key.upper() == "SIZE" and value.isascii() and value.isdigit():
            return int(value)
    return None


class LimitedSessions:
    """Mixin for the SMTP/LMTP protocol classes: the connection cap and the idle timer
    (asyncio's public Protocol methods, around aiosmtpd's), and the slots for large
    DATA (a wrapper of aiosmtpd's smtp_DATA)."""

    session_limits: SessionLimits | None = None  # (None: no limits, as aiosmtpd)
    maild_counted = False  # this connection counts against max_connections
    maild_idle: IdleTimer | None = None
    maild_data: DataTransfer | None = None  # the DATA body now arriving
    maild_lmtp = False  # one answer per recipient at the end of DATA

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        limits = self.session_limits
        if self.maild_counted:
            # STARTTLS: aiosmtpd's TLS layer over this same connection, counted and
            # timed already (the idle timer closes the connection under it)
            super().connection_made(transport)  # type: ignore[misc]
            return
        if limits is None:
            self.maild_counted = True
            super().connection_made(transport)  # type: ignore[misc]
            return
        if limits.open >= limits.max_connections:
            limits.refuse(transport.get_extra_info("peername"))
            transport.write(TOO_MANY)  # type: ignore[attr-defined]
            transport.close()
            return
        limits.open += 1
        self.maild_counted = True
        self.maild_idle = IdleTimer(transport, limits.timeout)
        super().connection_made(transport)  # type: ignore[misc]

    def connection_lost(self, error: Exception | None) -> None:
        if not self.maild_counted:
            return  # refused: aiosmtpd never knew this connection
        self.maild_counted = False
        if self.session_limits is not None:
            self.session_limits.open -= 1
        if self.maild_idle is not None:
            self.maild_idle.cancel()
        if self.maild_data is not None:
            self.maild_data.end()
        super().connection_lost(error)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self.maild_counted:
            if self.maild_idle is not None:
                self.maild_idle.touch()
            if self.maild_data is None or self.maild_data.passes(data):
                super().data_received(data)  # type: ignore[misc]

    async def push(self, status: Any) -> None:  # (aiosmtpd's: str or bytes)
        """aiosmtpd's reply, its own refusals of a DATA body once per recipient
        over LMTP (module doc); none on a connection that has ended (a command the
        client sent with a STARTTLS whose handshake failed: writing raised)."""
        transport = self.transport  # type: ignore[attr-defined]
        if transport is None or transport.is_closing():
            return
        transfer = self.maild_data
        if (
            transfer is not None
            and isinstance(status, str)
            and status.startswith(AIOSMTPD_REFUSALS)
        ):
            sender = self.envelope.mail_from  # type: ignore[attr-defined]
            status = transfer.refused_by_aiosmtpd(status, sender)
        await super().push(status)  # type: ignore[misc]

    def maild_feed(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]

    def eof_received(self) -> bool | None:
        if self.maild_counted:
            if self.maild_data is not None:
                self.maild_data.end()  # nothing more is fed to aiosmtpd's reader
            return super().eof_received()  # type: ignore[misc]
        return None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, with a slot for a large body and a refusal for a costly
        one (module doc)."""
        limits = self.session_limits
        envelope = self.envelope  # type: ignore[attr-defined]
        if limits is None or not envelope.rcpt_tos or arg:
            await super().smtp_DATA(arg)  # type: ignore[misc]
            return
        answers = len(envelope.rcpt_tos) if self.maild_lmtp else 1
        wire = self.data_size_limit  # type: ignore[attr-defined]
        transfer = DataTransfer(
            limits,
            self.transport,  # type: ignore[attr-defined]
            self.maild_idle,
            self.maild_feed,
            wire,
            answers,
        )
        try:
            size = declared_size(envelope.mail_options)
            if size is not None and 2 * size > LARGE:  # (module doc)
                await transfer.claim()
            self.maild_data = transfer
            await super().smtp_DATA(arg)  # type: ignore[misc]
        finally:
            self.maild_data = None
            transfer.end()
