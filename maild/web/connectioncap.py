"""At most web.max_connections connections to the site at once: one more is answered
503 and closed at once, before anything of it is read. Slow uploads held open by the
thousand (8,000 used 518 MB) each held a file descriptor too, and at the process's
limit of open files mail intake answered 451 and tickets could not be read.

The cap wraps aiohttp's public protocol factory (the runner's `server`) in a server of
asyncio's own (no aiohttp site): each connection is its RequestHandler inside a Counted
protocol, counted from its accept (so the
connections accepted together meet one another's count) to its close."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from maild.adapters.sessions import count_refused

log = logging.getLogger("maild.web")

TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 10\r\n"
    b"Connection: close\r\n\r\n"
)


async def listen(runner: web.AppRunner, host: str | None, port: int, limit: int) -> None:
    """Listen on host:port for the site, its connections made by ConnectionCap from the
    runner's public protocol factory (`runner.server`); the listening socket is closed
    when the runner shuts the application down (its on_shutdown, set by `closes`)."""
    server = await asyncio.get_running_loop().create_server(
        ConnectionCap(runner.server, limit), host, port
    )
    runner.app[LISTENING].append(server)


LISTENING = web.AppKey("listening", list)


def closes(application: web.Application) -> None:
    """Make `application` close what `listen` opened when it shuts down (before its
    runner closes the connections still open)."""
    application[LISTENING] = []

    async def close(application: web.Application) -> None:
        for server in application[LISTENING]:
            server.close()

    application.on_shutdown.append(close)


class ConnectionCap:
    """The site's protocol factory: aiohttp's `server`, at most `limit` at once."""

    def __init__(self, server: Any, limit: int) -> None:
        self.server, self.limit = server, limit
        self.open = 0  # connections now
        self.refused = 0  # refused since the last log line
        self.logged_at = 0.0

    def __call__(self) -> asyncio.Protocol:
        if self.open >= self.limit:
            return Refused(self)
        self.open += 1
        return Counted(self, self.server())

    def refuse(self, peer: Any) -> None:
        count_refused(self, log, "web: 503 too many connections", "web.max_connections", peer)


class Refused(asyncio.Protocol):
    """A connection past the cap: 503, closed."""

    def __init__(self, cap: ConnectionCap) -> None:
        self.cap = cap

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.cap.refuse(transport.get_extra_info("peername"))
        transport.write(TOO_MANY)  # type: ignore[attr-defined]
        transport.close()


class Counted(asyncio.Protocol):
    """A connection within the cap: all the transport says goes to `handler`
    (aiohttp's RequestHandler); its close frees its place."""

    def __init__(self, cap: ConnectionCap, handler: Any) -> None:
        self.cap, self.handler = cap, handler
        self.counted = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received()

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted:
            self.counted = False
            self.cap.open -= 1
        self.handler.connection_lost(exc)
