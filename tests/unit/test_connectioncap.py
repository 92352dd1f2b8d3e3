"""web.connectioncap.Counted: aiohttp's RequestHandler inside the cap hears all the
transport says. A handler not told to pause writing never waits on a reader: a slow
download of a large attachment would be buffered whole in the daemon's memory.
(The cap end to end: tests/integration/test_web_connections.py.)"""

from __future__ import annotations

from maild.web.connectioncap import ConnectionCap


class Handler:
    def __init__(self) -> None:
        self.heard: list[str] = []

    def __getattr__(self, name: str):
        return lambda *args: self.heard.append(name)


def test_a_counted_connection_passes_flow_control_on_and_its_close_frees_its_place():
    handler = Handler()
    cap = ConnectionCap(lambda: handler, 2)
    protocol = cap()
    assert cap.open == 1
    protocol.connection_made(object())  # type: ignore[arg-type]
    protocol.data_received(b"GET / HTTP/1.1\r\n")  # type: ignore[attr-defined]
    protocol.pause_writing()
    protocol.resume_writing()
    protocol.connection_lost(None)
    assert handler.heard == [
        "connection_made",
        "data_received",
        "pause_writing",
        "resume_writing",
        "connection_lost",
    ]
    assert cap.open == 0
