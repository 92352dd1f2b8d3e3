"""Limits of the SMTP/LMTP listener against hostile clients (issue 18, item 7).

- At most `smtp.max_connections` sessions at once: one more is answered
  "421 4.7.0 Too many connections" and closed, before aiosmtpd sees it (1,200 idle
  connections used to exhaust the unit's descriptors, and real mail was refused
  with nothing logged). Refusals are logged, at most one line per LOG_EVERY seconds.
- A session idle for `smtp.timeout` seconds is closed (aiosmtpd's own timeout,
  between commands); during DATA the same timer restarts whenever bytes arrive, so
  a slow transfer that keeps making progress is never cut, a stalled one is.
- DATA bodies are held in memory while they arrive (aiosmtpd gives the handler the
  whole content; spooling to disk as it arrives would mean replacing its session
  internals). Memory is bounded instead: a body past LARGE bytes needs one of
  `smtp.max_data_transfers` slots to go on reading (the client waits, TCP pushes
  back), and holds it until the message is spooled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("maild.listener")

TOO_MANY = b"421 4.7.0 Too many connections, try again later\r\n"
LARGE = 1 << 20  # bytes of DATA a session may hold without a slot
SLOT_WAIT = 3600.0  # seconds a session may wait for a slot (its own timeout is paused)
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


class DataSlot:
    """One DATA transfer's claim on a slot for a large body (released once)."""

    def __init__(self, limits: SessionLimits | None) -> None:
        self.limits = limits or SessionLimits(max_data_transfers=1 << 30)
        self.held = False

    async def claim(self) -> None:
        if not self.held:
            await self.limits.slots().acquire()
            self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.limits.slots().release()


class LimitedSessions:
    """Mixin for the SMTP/LMTP protocol classes: the connection cap (asyncio's public
    Protocol methods, before aiosmtpd's)."""

    session_limits: SessionLimits | None = None  # (None: no limits, as aiosmtpd)
    maild_counted = False  # this connection counts against max_connections

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
        super().connection_made(transport)  # type: ignore[misc]

    def connection_lost(self, error: Exception | None) -> None:
        if not self.maild_counted:
            return  # refused: aiosmtpd never knew this connection
        self.maild_counted = False
        if self.session_limits is not None:
            self.session_limits.open -= 1
        super().connection_lost(error)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self.maild_counted:
            super().data_received(data)  # type: ignore[misc]

    def eof_received(self) -> bool | None:
        if self.maild_counted:
            return super().eof_received()  # type: ignore[misc]
        return None
