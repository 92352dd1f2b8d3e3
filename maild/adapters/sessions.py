"""Limits of the SMTP/LMTP listener against hostile clients (issue 18, item 7), on
aiosmtpd's public API and asyncio's public Protocol methods.

- At most `smtp.max_connections` sessions at once: one more is answered
  "421 4.7.0 Too many connections" and closed, before aiosmtpd sees it (1,200 idle
  connections used to exhaust the unit's descriptors, and real mail was refused
  with nothing logged). Refusals are logged, at most one line per LOG_EVERY seconds.
- A session that sends nothing for `smtp.timeout` seconds is closed (IdleTimer).
  Every chunk that arrives restarts the timer, during DATA too, so a slow transfer
  that keeps making progress is never cut, a stalled one is. aiosmtpd's own timer
  restarts only when a command arrives, never during DATA, so the listener gives it
  BACKSTOP instead and keeps its own.
- aiosmtpd holds a DATA body in memory until its end. A transfer that may be large
  (its MAIL FROM declared no SIZE, or one over LARGE bytes) waits for one of
  `smtp.max_data_transfers` slots before its 354 and holds it until its answer, so
  few big bodies are in memory at once; declared small mail never waits. A client
  that declares a small SIZE and sends more is bounded only by max_message_size.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import syntax

log = logging.getLogger("maild.listener")

TOO_MANY = b"421 4.7.0 Too many connections, try again later\r\n"
LARGE = 1 << 20  # bytes of DATA a transfer may declare without waiting for a slot
SLOT_WAIT = 3600.0  # seconds a session may wait for a slot (its idle timer is paused)
BACKSTOP = 7 * 86400.0  # aiosmtpd's own timeout where IdleTimer keeps the real one
LOG_EVERY = 10.0  # seconds between two log lines about refused connections


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
        self.refused += 1
        now = time.monotonic()
        if now - self.logged_at >= LOG_EVERY:
            log.warning(
                "421 too many connections (%d open, smtp.max_connections): refused %d, "
                "the last from %s",
                self.open,
                self.refused,
                peer,
            )
            self.refused, self.logged_at = 0, now


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
        log.info("%s sent nothing for %g s (smtp.timeout): closed", peer, self.timeout)
        self.transport.close()

    def cancel(self) -> None:
        self.handle.cancel()


def declared_size(mail_options: list[str]) -> int | None:
    """The SIZE= a MAIL FROM declared (RFC 1870); None without one. aiosmtpd has
    checked that it is a number and within data_size_limit."""
    for option in mail_options:
        key, _, value = option.partition("=")
        if key.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


class LimitedSessions:
    """Mixin for the SMTP/LMTP protocol classes: the connection cap and the idle timer
    (asyncio's public Protocol methods, around aiosmtpd's), and the slots for large
    DATA (a wrapper of aiosmtpd's smtp_DATA)."""

    session_limits: SessionLimits | None = None  # (None: no limits, as aiosmtpd)
    maild_counted = False  # this connection counts against max_connections
    maild_idle: IdleTimer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        limits = self.session_limits
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
        super().connection_lost(error)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self.maild_counted:
            if self.maild_idle is not None:
                self.maild_idle.touch()
            super().data_received(data)  # type: ignore[misc]

    def eof_received(self) -> bool | None:
        if self.maild_counted:
            return super().eof_received()  # type: ignore[misc]
        return None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, after a slot when the body may be large (module doc)."""
        limits = self.session_limits
        envelope = self.envelope  # type: ignore[attr-defined]
        size = declared_size(envelope.mail_options)
        if limits is None or not envelope.rcpt_tos or arg or (size is not None and size <= LARGE):
            await super().smtp_DATA(arg)  # type: ignore[misc]
            return
        slots = limits.slots()
        idle = self.maild_idle
        if idle is not None:
            idle.hold(SLOT_WAIT)  # waiting is not the client's fault
        await slots.acquire()
        try:
            if idle is not None:
                idle.release()
            await super().smtp_DATA(arg)  # type: ignore[misc]
        finally:
            slots.release()
