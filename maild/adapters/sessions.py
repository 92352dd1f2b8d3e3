"""Limits of the SMTP/LMTP listener against hostile clients (issue 18, item 7).

- At most `smtp.max_connections` sessions at once: one more is answered
  "421 4.7.0 Too many connections" and closed, before aiosmtpd sees it (1,200 idle
  connections used to exhaust the unit's descriptors, and real mail was refused
  with nothing logged). Refusals are logged, at most one line per LOG_EVERY seconds.
- A session idle for `smtp.timeout` seconds is closed (aiosmtpd's own timeout,
  between commands); during DATA the same timer restarts whenever bytes arrive, so
  a slow transfer that keeps making progress is never cut, a stalled one is.
- A DATA body past LARGE bytes goes to a file in spool/tmp as it arrives (Spill:
  dots removed, line lengths checked on the way), and the spool adopts that file;
  a session holds about LARGE bytes of its body in memory, whatever its size (20
  parallel 25 MB transfers used to take the listener to 792 MB). Besides, at most
  `smtp.max_data_transfers` bodies past LARGE are received at once (the others wait,
  TCP pushes back): disk bandwidth and fsyncs are shared by few.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maild.adapters.durable import unique_name, unlink_if_exists

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


def long_line(data: bytes | bytearray, limit: int) -> bool:
    """A line longer than `limit` bytes with its CRLF (aiosmtpd's line_length_limit).

    Looked at in windows of 1 MB that overlap by `limit` bytes, so a large body is
    not split into lines all at once. A piece cut at a window's edge is part of a
    line, never longer than it: no false alarm, and every long line starts in some
    window that holds `limit` bytes of it."""
    if len(data) < limit - 1:
        return False
    for start in range(0, len(data), LARGE):
        window = data[start : start + LARGE + limit]
        if max(map(len, window.split(b"\r\n"))) > limit - 2:
            return True
    return False


class Spill:
    """A DATA body written to `folder` as it arrives, without the lines' leading dots
    (RFC 5321 4.5.2). A dot is removed where CRLF "." occurs in the stream; the
    last two bytes written are kept as context, so a CRLF "." split between two
    pieces is found too (the very first line starts after a virtual CRLF)."""

    def __init__(self, folder: Path, line_limit: int) -> None:
        self.path = folder / unique_name()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)  # as the spool
        self.file = os.fdopen(fd, "wb")
        self.line_limit = line_limit
        self.context = b"\r\n"
        self.tail = b""  # the last line so far, not yet ended (capped)
        self.long = False  # a line over line_limit was seen
        self.raw_size = 0  # bytes received (with the dots)

    def write(self, raw: bytes | bytearray) -> None:
        self.raw_size += len(raw)
        text = self.context + raw
        self.file.write(text.replace(b"\r\n.", b"\r\n")[2:])
        self.context = bytes(text[-2:])
        lines = self.tail + raw
        self.long = self.long or long_line(lines, self.line_limit)
        cut = lines.rfind(b"\r\n")
        self.tail = bytes((lines[cut + 2 :] if cut >= 0 else lines)[-self.line_limit :])

    def finish(self) -> Path:
        """The file, complete (durability is the spool's: Spool.adopt fsyncs it)."""
        self.file.close()
        return self.path

    def discard(self) -> None:
        """Remove the file unless the spool adopted it (then it is gone from here)."""
        self.file.close()
        unlink_if_exists(self.path)
