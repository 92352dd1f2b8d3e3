"""At most web.max_connections connections to the site at once, inside a real
`maild serve`: slow uploads held open by the thousand each held memory and a file
descriptor, and at the process's limit of open files mail intake answered 451. One
more is answered 503 and closed at once; a connection closed frees its place. And the
site's listening socket closes with its runner's shutdown (an aiohttp runner alone)."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from maild.web.connectioncap import LISTENING, closes, listen
from tests.helpers import wait_until
from tests.webclient import request, running_site

CAP = 5


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("conns"), web={"max_connections": CAP})


def test_a_connection_past_the_cap_is_answered_503_and_closed(site):
    _desk, daemon, _sink, base = site
    parts = urlsplit(base)
    held = [socket.create_connection((parts.hostname, parts.port), timeout=10) for _ in range(CAP)]
    try:
        for s in held:  # each half a request's headers: an upload begun, slowly
            s.sendall(b"POST /new HTTP/1.1\r\n")
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as one_more:
            answer = b""
            while chunk := one_more.recv(4096):  # closed at once, not at idle_timeout
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert "web: 503 too many connections (5 open, web.max_connections)" in daemon.logtext()
    finally:
        for s in held[1:]:
            s.close()
    # the four closed free their places: a page and the connection still held both go on
    assert wait_until(lambda: request(base + "/new").status == 200, 10)
    held[0].sendall(b"Host: x\r\nContent-Length: 0\r\n\r\n")
    assert held[0].recv(4096).startswith(b"HTTP/1.1 ")
    held[0].close()


def test_the_site_stops_listening_when_its_runner_shuts_down():
    """serve's stop closes the site first (server._close_doors) and then drains its
    work: the listening socket goes with the runner's shutdown (connectioncap.closes),
    so no visitor is taken in meanwhile by an application already shut down."""

    async def stopped() -> None:
        application = web.Application()
        closes(application)
        runner = web.AppRunner(application, handle_signals=False)
        await runner.setup()
        await listen(runner, "127.0.0.1", 0, CAP)
        [server] = application[LISTENING]
        port = server.sockets[0].getsockname()[1]
        await runner.cleanup()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    asyncio.run(stopped())
