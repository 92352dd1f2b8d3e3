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


class _Envelopes:
    """Records MAIL and RCPT as the relay parsed them."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, list[str]]] = []

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.seen.append(("MAIL", address, list(options)))
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.seen.append(("RCPT", address, list(options)))
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seen.append(("DATA", envelope.original_content, []))
        return "250 OK"


def test_the_relay_client_says_what_smtplib_says():
    import smtplib

    from aiosmtpd.controller import Controller

    from maild.adapters.outbound import _Relay
    from tests.helpers import free_port

    handler = _Envelopes()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    try:
        raw = b"Subject: x\r\n\r\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n"
        envelopes = [
            ("support@example.com", ["anna@example.com", "boris.b+x@shop-example.ru"]),
            ("Support <support@example.com>", ["Anna <anna@example.com>"]),  # parsed
            ("", ["anna@example.com"]),  # null sender
        ]
        # lines that start with dots (doubled on the wire, and undone by the relay)
        dotted = [
            b".\r\n..\r\n.x\r\n\r\n.\r\nend.\r\n. \r\n",
            b"Subject: y\r\n\r\nno final line break.",
            b"Subject: z\r\n\r\n.\n.bare\n..\r\n",
        ]
        said = []
        for cls in (smtplib.SMTP, _Relay):
            handler.seen.clear()
            with cls("127.0.0.1", ctl.port) as client:
                for sender, rcpts in envelopes:
                    client.sendmail(sender, rcpts, raw, ["BODY=8BITMIME"])
                for data in dotted:
                    client.sendmail("support@example.com", ["anna@example.com"], data)
            said.append(list(handler.seen))
        assert said[0] == said[1]
        assert said[1][0] == ("MAIL", "support@example.com", [f"SIZE={len(raw)}", "BODY=8BITMIME"])
        assert ("DATA", dotted[0], []) in said[1]  # as written, once the relay undid it
    finally:
        ctl.stop()
