"""The outbox sender against a real relay (aiosmtpd on loopback): the daemon's
passes keep their relay connections, a connection the relay dropped is
replaced without losing mail, and `outbox list` tells queued from sent mail."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from maild.adapters.outbound import PARALLEL_CONNECTIONS, Outbox
from maild.configtypes import OutboundConfig
from maild.domain.ownside import People
from maild.render import Mail, Renderer
from tests.helpers import Desk, Sink, SinkHandler, dead_port, free_port, make_mail


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


class _RefusesUser3:
    """A relay that refuses user3 and takes every other recipient."""

    def __init__(self) -> None:
        self.peers: set[object] = set()
        self.delivered: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("user3@"):
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.peers.add(session.peer)
        self.delivered.extend(envelope.rcpt_tos)
        return "250 OK"


def test_a_refused_mail_is_retried_later_and_the_rest_go_over_the_same_connection(tmp_path):
    from aiosmtpd.controller import Controller

    from tests.helpers import free_port

    handler = _RefusesUser3()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    outbox = Outbox(tmp_path / "outbox")
    try:
        _queue(outbox, 0, 6)  # one chunk: one connection
        assert outbox.flush(OutboundConfig(host="127.0.0.1", port=ctl.port)) == (5, 1)
    finally:
        ctl.stop()
    assert sorted(handler.delivered) == [f"user{i}@example.org" for i in (0, 1, 2, 4, 5)]
    assert len(handler.peers) == 1
    [left] = outbox.entries()
    assert left["id"] == "mail-3" and left["attempts"] == 1 and left["next_try"]
    assert left["last_error"] == "user3@example.org: 450 4.2.1 Mailbox busy, try later"


def test_sent_mail_is_listed_without_the_error_of_an_earlier_try(tmp_path, sink):
    desk = Desk(tmp_path, dead_port())  # nothing listens there: the first flush fails
    desk.ingest(make_mail())
    assert desk.flush().code == 75
    queued = desk.run("outbox", "list").out
    assert "ConnectionRefusedError" in queued  # queued mail: why it is still there
    records = desk.run("outbox", "list", "--json").json()
    assert {m["from"] for m in records} == {"Служба поддержки <support@example.com>"}  # readable
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()
    assert desk.flush().code == 0
    listed = desk.run("outbox", "list", "--sent").out.splitlines()
    assert len(listed) == 3 and all(line.endswith("  (sent after 2 tries)") for line in listed)
    assert "Error" not in "\n".join(listed)
    [first, *_] = desk.run("outbox", "list", "--sent", "--json").json()
    assert "last_error" in first and first["attempts"] == 2  # the JSON keeps its keys


def test_mail_to_a_non_ascii_address_goes_with_smtputf8_and_the_rest_of_the_outbox_too(
    tmp_path, sink
):
    """The sink offers SMTPUTF8 (aiosmtpd's Controller does by default)."""
    import smtplib

    from tests.helpers import Daemon
    from tests.integration.test_serve import wait_until

    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        eai = (  # an EAI sender: raw UTF-8 in From, as RFC 6532 allows
            "From: Иван <иван@client.example>\r\nTo: support@example.com\r\nSubject: Вопрос\r\n"
            "Message-ID: <eai@client.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\nЗдравствуйте!\r\n"
        ).encode()
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail("bounce@client.example", ["support@example.com"], eai)
            olga = make_mail(sender="olga@shop.example")
            s.sendmail("olga@shop.example", ["support@example.com"], olga)
        assert wait_until(lambda: sink.to("olga@shop.example"))
        [confirmation] = wait_until(lambda: sink.to("иван@client.example"))
        assert "[TID#" in confirmation.subject
        assert wait_until(lambda: len(sink.to("anna@example.com")) == 2)  # both staff notices
        # and every other copy (boris's may still be on its way): the queue empties
        assert wait_until(lambda: desk.run("outbox", "list").out == "outbox is empty\n")
        assert len(sink.to("boris@example.com")) == 2
    finally:
        daemon.stop()


def test_a_clock_stepped_back_does_not_hold_a_retry_back(tmp_path, sink):
    """A mail that failed at 12:00 is tried again 30 s later; when NTP then steps the
    clock back an hour, a pass at 11:01 (by the clock) sends it, rather than waiting
    for the clock to read 12:00:30 again. Not before its time otherwise."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    t0 = datetime(2026, 12, 3, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    outbox = Outbox(tmp_path / "outbox")
    relay = OutboundConfig(host="127.0.0.1", port=sink.port)
    try:
        _queue(outbox, 0, 1)
        assert outbox.flush(OutboundConfig(host="127.0.0.1", port=dead_port()), t0) == (0, 1)
        # the daemon's passes (not forced): the try is planned for 12:00:30
        assert outbox.flush(relay, t0 + timedelta(seconds=10), force=False) == (0, 0)
        assert outbox.flush(relay, t0 - timedelta(minutes=59), force=False) == (1, 0)
    finally:
        outbox.close()
    assert [r.rcpt_tos for r in sink.wait_for(1)] == [["user0@example.org"]]


class _SlowToAnswer(SinkHandler):
    """Stores each mail, then takes `delay` seconds to answer the end of its DATA: a
    relay whose milter or disk is slow."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


def test_a_relay_slow_to_answer_a_whole_mail_gets_it_once(tmp_path):
    """outbound.timeout (30 s by default) was the wait for every answer, the one after
    a whole mail too, where RFC 5321 (4.5.3.2.6) asks for 10 minutes: a relay that
    stored the mail and answered later got it again on every pass, "not sent" each
    time. Here a relay answering after 1 s and a timeout of 0.5 s (its other answers
    come in milliseconds: the margin is for a loaded machine), each of the three mails
    in turn on one connection."""
    sink = Sink(handler=_SlowToAnswer(1.0)).start()
    try:
        desk = Desk(tmp_path, sink.port)
        desk.sections["outbound"]["timeout"] = 0.5
        desk.write_config()
        desk.ingest(make_mail(msgid="<slow@client.example>"))
        flushed = desk.flush()
        assert flushed.code == 0, flushed
        assert desk.flush().code == 0  # nothing left to send again
        ids = [r.msg["Message-ID"] for r in sink.received]
        assert len(ids) == 3 and len(set(ids)) == 3, ids  # confirmation, two notices
    finally:
        sink.stop()


def test_a_mail_sent_or_withdrawn_is_never_queued_again_nor_sent(tmp_path, sink):
    """Its id stays known in sent/ (a message processed again after a crash queues
    its mail again: it must not go twice), and a record the sender writes back after
    a withdrawal took the mail meanwhile (slimmail's smaller mail) does not queue it
    again."""
    outbox = Outbox(tmp_path / "outbox")
    cfg = OutboundConfig(host="127.0.0.1", port=sink.port)
    _queue(outbox, 0, 1)
    assert outbox.flush(cfg) == (1, 0)
    _queue(outbox, 1, 2)
    read_by_a_pass = {m["id"]: m for m in outbox.entries()}
    assert outbox.withdraw("mail-1", {"withdrawn": "blocked"})
    assert outbox.withdraw("mail-2", {"withdrawn": "blocked"})
    # the pass's try of mail-2 was refused as too big: queued again without its files
    outbox.replace_queued({**read_by_a_pass["mail-2"], "attempts": 1}, b"smaller")
    for i in range(3):
        msg = Mail({"From": "support@example.com"}, b"again")
        assert not outbox.enqueue(f"mail-{i}", msg, [f"user{i}@example.org"])
    assert outbox.entries() == [] and outbox.flush(cfg) == (0, 0)
    assert [r.rcpt_tos for r in sink.received] == [["user0@example.org"]]


def test_a_pass_waits_while_another_sender_holds_the_outbox(tmp_path, sink):
    """One sender at a time (the daemon's and `maild outbox flush`), or both send the
    same mail: the lock is the outbox folder's flock."""
    outbox = Outbox(tmp_path / "outbox")
    _queue(outbox, 0, 1)
    fd = os.open(outbox.root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another sender's pass
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(outbox.flush, OutboundConfig(host="127.0.0.1", port=sink.port))
            time.sleep(0.3)
            assert not result.done() and sink.received == []
            os.close(fd)
            fd = -1
            assert result.result(timeout=30) == (1, 0)
    finally:
        if fd >= 0:
            os.close(fd)
    assert len(sink.received) == 1


def _one(outbox: Outbox, to: str) -> None:
    headers = {
        "From": "support@example.com",
        "To": to,
        "Subject": "[TID#1000-0001] Request",
        "Message-ID": "<one@example.com>",
    }
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\nMail\r\n"
    assert outbox.enqueue("mail-1", Mail(headers, raw.encode()), [to], tid="1000-0001")


def test_a_failed_mail_waits_30_seconds_then_twice_as_long_after_each_try(tmp_path):
    """README's back-off (domain/retry.next_try): the first failed try waits 30 s, the
    next a minute; a pass before that leaves the mail alone, so a relay that answers
    «try later» is not asked again at every pass, nor the customer's mail sent twice."""
    relay = Sink(refuse={"ivan@example.org": "450 4.2.1 Mailbox busy, try later"}).start()
    outbox, cfg = Outbox(tmp_path / "outbox"), OutboundConfig(host="127.0.0.1", port=relay.port)
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    try:
        _one(outbox, "ivan@example.org")
        assert outbox.flush(cfg, now) == (0, 1)
        [left] = outbox.entries()
        assert datetime.fromisoformat(left["next_try"]) == now + timedelta(seconds=30)
        assert outbox.flush(cfg, now + timedelta(seconds=29), force=False) == (0, 0)
        later = now + timedelta(seconds=30)
        assert outbox.flush(cfg, later, force=False) == (0, 1)
        [left] = outbox.entries()
        assert left["attempts"] == 2
        assert datetime.fromisoformat(left["next_try"]) == later + timedelta(minutes=1)
        assert relay.handler.tries == {"ivan@example.org": 2}
    finally:
        outbox.close()
        relay.stop()


def test_staff_mail_too_big_with_no_files_to_leave_out_is_retried_by_the_back_off(tmp_path):
    """A mail to staff the relay refuses for its size goes again without its files
    (slimmail); one with none to leave out cannot be made smaller: it fails as any
    try does, counted, its error kept and the next try planned, so it is not tried
    again at every pass unrecorded, with no line for the admin."""
    too_big = "552 5.3.4 Message size exceeds fixed limit"
    relay = Sink(refuse_data={"anna@example.com": too_big}).start()
    outbox, cfg = Outbox(tmp_path / "outbox"), OutboundConfig(host="127.0.0.1", port=relay.port)
    outbox.own = People(["anna@example.com"])
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    try:
        _one(outbox, "anna@example.com")
        assert outbox.flush(cfg, now) == (0, 1)
        [left] = outbox.entries()
        assert left["attempts"] == 1 and too_big in left["last_error"]
        assert datetime.fromisoformat(left["next_try"]) == now + timedelta(seconds=30)
        assert "refused" not in left and "files_left_out" not in left
        assert outbox.flush(cfg, now + timedelta(seconds=10), force=False) == (0, 0)
        assert relay.handler.tries == {"anna@example.com": 1}
    finally:
        outbox.close()
        relay.stop()


def test_staff_mail_refused_for_good_not_for_its_size_is_retried_with_its_files(tmp_path):
    """Only a refusal for its size makes a mail to staff go again without its files: a
    550 for their address (a mailbox moved) is retried by the back-off as it was
    queued, the customer's files in it and no note claiming it was too big."""
    gone = "550 5.1.1 <anna@example.com>: Recipient address rejected"
    relay = Sink(refuse={"anna@example.com": gone}).start()
    outbox, cfg = Outbox(tmp_path / "outbox"), OutboundConfig(host="127.0.0.1", port=relay.port)
    outbox.own = People(["anna@example.com"])
    headers = {"From": "support@example.com", "To": "anna@example.com", "Subject": "Новое"}
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    files = [("manual.pdf", "application/pdf", b"%PDF-1.4 " * 50)]
    raw = head + Renderer.content("Новое обращение.\n", files, "<n1@example.com>")
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    try:
        assert outbox.enqueue("mail-1", Mail(headers, raw), ["anna@example.com"])
        assert outbox.flush(cfg, now) == (0, 1)
        [left] = outbox.entries()
        assert left["attempts"] == 1 and left["next_try"] and "files_left_out" not in left
        assert (outbox.queue / "mail-1.mail").read_bytes().partition(b"\n")[2] == raw
    finally:
        outbox.close()
        relay.stop()


def test_a_mail_tried_before_goes_as_it_was_queued(tmp_path):
    """A mail the relay could not take is read from its file when it goes again (the
    pass keeps only untried mails in memory): what the relay receives is the mail as
    queued, without the record on the file's first line."""
    outbox = Outbox(tmp_path / "outbox")
    _queue(outbox, 0, 1)
    queued = (outbox.queue / "mail-0.mail").read_bytes().partition(b"\n")[2]
    try:
        assert outbox.flush(OutboundConfig(host="127.0.0.1", port=dead_port())) == (0, 1)
        relay = Sink().start()
        try:
            assert outbox.flush(OutboundConfig(host="127.0.0.1", port=relay.port)) == (1, 0)
            [got] = relay.wait_for(1)
        finally:
            relay.stop()
    finally:
        outbox.close()
    assert got.raw.replace(b"\r\n", b"\n") == queued.replace(b"\r\n", b"\n")


def test_a_relay_out_of_reach_is_one_line_for_the_pass_not_one_per_mail(tmp_path, caplog):
    """Every queued mail fails alike when the relay cannot be reached: the admin reads
    one WARNING line for the pass (how many, to whom), each mail still counted and
    planned by its back-off, not a line per mail, a thousand at every pass."""
    outbox = Outbox(tmp_path / "outbox")
    _queue(outbox, 0, 5)
    try:
        with caplog.at_level(logging.WARNING, logger="maild.outbox"):
            cfg = OutboundConfig(host="127.0.0.1", port=dead_port())
            assert outbox.flush(cfg) == (0, 5)
    finally:
        outbox.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "maild.outbox"]
    assert len(lines) == 1 and "5 mail(s) not sent" in lines[0], lines
    assert {m["attempts"] for m in outbox.entries()} == {1}
