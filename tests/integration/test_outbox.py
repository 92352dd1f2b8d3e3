"""The outbox sender against a real relay (aiosmtpd on loopback): the daemon's
passes keep their relay connections, and a connection the relay dropped is
replaced without losing mail."""

from __future__ import annotations

from maild.adapters.outbound import PARALLEL_CONNECTIONS, Outbox
from maild.config import OutboundConfig
from maild.render import Mail
from tests.helpers import Sink


def _queue(outbox: Outbox, first: int, n: int) -> None:
    for i in range(first, first + n):
        headers = {
            "From": "support@example.com",
            "To": f"user{i}@example.org",
            "Subject": f"[TID#1000-{i:04d}] Request",
            "Message-ID": f"<m{i}@example.com>",
        }
        raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + f"\r\nMail {i}\r\n"
        msg = Mail(headers, raw.encode())
        assert outbox.enqueue(f"mail-{i}", msg, [f"user{i}@example.org"], tid=f"1000-{i:04d}")


def test_daemon_passes_reuse_their_relay_connections(tmp_path, sink):
    outbox = Outbox(tmp_path / "outbox")
    cfg = OutboundConfig(host="127.0.0.1", port=sink.port)
    try:
        for p in range(3):  # enough mail per pass for every connection
            _queue(outbox, p * 40, 40)
            assert outbox.flush(cfg, keep_connection=True) == (40, 0)
        received = sink.wait_for(120)
        assert sorted(r.rcpt_tos[0] for r in received) == sorted(
            f"user{i}@example.org" for i in range(120)
        )
        assert len({r.peer for r in received}) == PARALLEL_CONNECTIONS
    finally:
        outbox.close()
    # without keep_connection (`maild outbox flush`) each pass has its own
    _queue(outbox, 200, 40)
    assert outbox.flush(cfg) == (40, 0)
    assert len({r.peer for r in sink.wait_for(160)}) == 2 * PARALLEL_CONNECTIONS
    assert outbox.entries() == []


def test_a_kept_connection_the_relay_dropped_is_replaced(tmp_path):
    relay = Sink().start()
    outbox = Outbox(tmp_path / "outbox")
    cfg = OutboundConfig(host="127.0.0.1", port=relay.port)
    try:
        _queue(outbox, 0, 40)
        assert outbox.flush(cfg, keep_connection=True) == (40, 0)
        relay.stop()  # the kept connections die with it
        relay = Sink(relay.port).start()
        _queue(outbox, 40, 40)
        assert outbox.flush(cfg, keep_connection=True) == (40, 0)
        assert len(relay.wait_for(40)) == 40
        assert outbox.entries() == []
    finally:
        outbox.close()
        relay.stop()
