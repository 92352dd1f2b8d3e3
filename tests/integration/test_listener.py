"""The SMTP listener's DATA (aiosmtpd's, with adapters/sessions.LimitedSessions
around it): the bytes stored are the bytes sent, with aiosmtpd's answers for the
limits; large transfers wait for a slot, declared small ones never do."""

from __future__ import annotations

import contextlib
import errno
import os
import smtplib
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maild.adapters.listener import MAX_RCPT, MaildSMTP, SupportHandler
from maild.adapters.spool import Spool
from tests.helpers import free_port

LIMIT = 20_000


class _Server(Controller):
    def factory(self):
        return MaildSMTP(self.handler, data_size_limit=LIMIT, decode_data=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    spool = Spool(tmp_path_factory.mktemp("listener") / "spool")
    keys: list[str] = []
    handler = SupportHandler(spool, lambda a: a == "support@example.com", keys.append)
    ctl = _Server(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield ctl.port, spool, keys
    ctl.stop()


def send(port: int, raw: bytes) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port) as s:
        s.ehlo()
        s.mail("ivan@shop-example.ru")
        s.rcpt("support@example.com")
        try:
            code, _ = s.data(raw)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, b""
    return code, b""


def stored(server, raw: bytes) -> bytes:
    port, spool, keys = server
    before = len(keys)
    code, _ = send(port, raw)
    assert code == 250
    assert len(keys) == before + 1
    return spool.read(keys[-1])


def test_dots_at_line_starts_and_ends_come_through_unchanged(server):
    raw = (
        b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\n"
        b"The end.\r\nAnother end.\r\n. \r\n...\r\n"
    )
    assert stored(server, raw) == raw


def test_empty_body_and_a_message_of_one_line(server):
    assert stored(server, b"Subject: x\r\n\r\n") == b"Subject: x\r\n\r\n"
    assert stored(server, b"x") == b"x\r\n"  # smtplib ends the data with CRLF


def test_size_limit_is_552_and_the_session_goes_on(server):
    port, _spool, keys = server
    line = b"x" * 98 + b"\r\n"
    fits = line * (LIMIT // len(line))
    assert stored(server, fits) == fits
    before = len(keys)
    assert send(port, fits + line * 3)[0] == 552
    assert len(keys) == before  # nothing stored
    assert stored(server, b"after\r\n") == b"after\r\n"


def test_line_over_the_limit_is_500(server):
    port, _spool, keys = server
    before = len(keys)
    assert send(port, b"Subject: long\r\n\r\n" + b"y" * 1200 + b"\r\n")[0] == 500
    assert len(keys) == before


LINE = st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(LINE, max_size=40))
def test_any_lines_are_stored_as_sent(server, lines):
    """Stored byte for byte; a message of blanks only is no message (554, none stored)."""
    raw = b"".join(line + b"\r\n" for line in lines)
    if not raw.strip():
        port, _spool, keys = server
        before = len(keys)
        assert send(port, raw)[0] == 554 and len(keys) == before
        return
    assert stored(server, raw) == raw


class _Limited(Controller):
    """The listener as `maild serve` makes it (make_protocol), with these limits."""

    def __init__(self, handler, limits, lmtp=False, max_size=LIMIT):
        self.limits, self.lmtp, self.max_size = limits, lmtp, max_size
        super().__init__(handler, hostname="127.0.0.1", port=free_port())

    def factory(self):
        from maild.adapters.listener import make_protocol

        return make_protocol(
            self.handler, lmtp=self.lmtp, max_size=self.max_size, hostname="x", limits=self.limits
        )()


class _Client:
    """A raw SMTP session: commands and replies as the bytes on the wire."""

    def __init__(self, port: int) -> None:
        import socket

        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        assert self.reply().startswith(b"220")

    def reply(self, timeout: float = 5) -> bytes:
        """The next reply line; b"" if none came within `timeout` seconds."""

        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buf:
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                return b""
            if not chunk:
                return b""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, line: bytes) -> bytes:
        self.sock.sendall(line + b"\r\n")
        reply = self.reply()
        while reply[3:4] == b"-":  # a multi-line reply: its last line
            reply = self.reply()
        return reply

    def envelope(self, size: int | None) -> None:
        assert self.command(b"EHLO c").startswith(b"250")
        option = b"" if size is None else b" SIZE=%d" % size
        assert self.command(b"MAIL FROM:<ivan@shop-example.ru>" + option).startswith(b"250")
        assert self.command(b"RCPT TO:<support@example.com>").startswith(b"250")

    def close(self) -> None:
        self.sock.close()


def _one_slot(tmp_path):
    """A listener with one slot for large DATA, a 1 s timeout and a 5 MB limit:
    (its spool, the keys it spooled, the running listener)."""
    from maild.adapters.sessions import SessionLimits

    spool = Spool(tmp_path / "spool")
    keys: list[str] = []
    handler = SupportHandler(spool, lambda a: a == "support@example.com", keys.append)
    limits = SessionLimits(max_connections=10, timeout=1, max_data_transfers=1)
    ctl = _Limited(handler, limits, max_size=5_000_000)
    ctl.start()
    return spool, keys, ctl


def test_large_transfers_wait_for_a_slot_and_small_mail_never_does(tmp_path):
    """One slot, taken by a transfer past 2 MB of cost (bytes and ~90 a line: ~1.1 MB
    of 100-byte lines) that declared no SIZE. Meanwhile one that declared a SIZE over
    1 MB gets no 354, one without SIZE stops being read past that cost (no answer),
    and waiting longer than smtp.timeout closes neither; small mail, declared or
    not, goes through at once. The slot goes on when the first ends, and every body
    is stored as sent."""
    import threading
    import time

    spool, keys, ctl = _one_slot(tmp_path)
    clients: list[_Client] = []
    big = b"x" * 98 + b"\r\n"
    try:
        clients += (_Client(ctl.port) for _ in range(5))
        first, declared, undeclared, small, small_undeclared = clients
        for c, size in zip(clients, (None, 2_000_000, None, 100, None), strict=True):
            c.envelope(size)
        assert first.command(b"DATA").startswith(b"354")
        first.sock.sendall(big * 12_000)  # 1.2 MB, 2.28 MB to hold: it takes the slot
        # (read past 2 MB of cost: the slot is taken; a fixed wait was too short on a busy machine)
        deadline = time.monotonic() + 10
        while not (ctl.limits._slots is not None and ctl.limits._slots.locked()):
            assert time.monotonic() < deadline, "the first transfer never took the slot"
            time.sleep(0.01)
        declared.sock.sendall(b"DATA\r\n")
        assert undeclared.command(b"DATA").startswith(b"354")
        rest = threading.Thread(target=undeclared.sock.sendall, args=(big * 15_000 + b".\r\n",))
        rest.start()
        for c in (small, small_undeclared):
            assert c.command(b"DATA").startswith(b"354")
            assert c.command(b"small\r\n.").startswith(b"250")
        for _ in range(4):  # 1.6 s of a slow transfer: past the timeout, never idle
            first.sock.sendall(b"first, slowly\r\n")
            time.sleep(0.4)
        assert declared.reply(timeout=0.1) == b"" and undeclared.reply(timeout=0.1) == b""
        assert first.command(b".").startswith(b"250")
        if declared.reply(timeout=1):  # (354: the declared one got the slot first)
            assert declared.command(b"declared\r\n.").startswith(b"250")
            assert undeclared.reply(timeout=10).startswith(b"250")
        else:
            assert undeclared.reply(timeout=10).startswith(b"250")
            assert declared.reply().startswith(b"354")
            assert declared.command(b"declared\r\n.").startswith(b"250")
        rest.join()
    finally:
        for c in clients:
            c.close()
        ctl.stop()
    bodies = sorted(spool.read(k) for k in keys)
    assert bodies == sorted(
        [
            b"small\r\n",
            b"small\r\n",
            big * 12_000 + b"first, slowly\r\n" * 4,
            big * 15_000,
            b"declared\r\n",
        ]
    )


def test_a_stalled_transfer_is_closed_and_its_slot_goes_on(tmp_path):
    """A transfer past 2 MB of cost that stops sending is closed after smtp.timeout; nothing
    is stored, and the next large transfer gets the slot."""
    import time

    spool, keys, ctl = _one_slot(tmp_path)
    clients: list[_Client] = []
    big = b"x" * 98 + b"\r\n"
    try:
        stalled = _Client(ctl.port)
        clients.append(stalled)
        stalled.envelope(None)
        assert stalled.command(b"DATA").startswith(b"354")
        stalled.sock.sendall(big * 12_000)
        started = time.monotonic()
        assert stalled.reply(timeout=5) == b""  # closed, without an answer
        assert 0.5 < time.monotonic() - started < 4
        after = _Client(ctl.port)
        clients.append(after)
        after.envelope(None)
        assert after.command(b"DATA").startswith(b"354")
        after.sock.sendall(big * 15_000)
        assert after.command(b".").startswith(b"250")
    finally:
        for c in clients:
            c.close()
        ctl.stop()
    assert [spool.read(k) for k in keys] == [big * 15_000]


@pytest.mark.parametrize("lmtp", [False, True])
def test_greeting_advertises_the_size_limit_and_help_knows_data(tmp_path, lmtp):
    """Clients declare SIZE (what the slots go by) only when the server offers it."""
    from maild.adapters.sessions import SessionLimits

    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, lambda k: None)
    ctl = _Limited(handler, SessionLimits(), lmtp=lmtp)
    ctl.start()
    try:
        client = (smtplib.LMTP if lmtp else smtplib.SMTP)("127.0.0.1", ctl.port)
        code, hello = client.docmd("LHLO" if lmtp else "EHLO", "me")
        assert code == 250 and f"SIZE {LIMIT}".encode() in hello
        assert client.docmd("HELP", "DATA") == (250, b"Syntax: DATA")
        client.quit()
        # the reply's lines arrive in one write: one read holds them all
        with socket.create_connection(("127.0.0.1", ctl.port), timeout=5) as raw:
            raw.recv(1024)  # the greeting
            raw.sendall(b"LHLO me\r\n" if lmtp else b"EHLO me\r\n")
            lines = raw.recv(4096).split(b"\r\n")
            assert lines[-2:] == [b"250 HELP", b""] and len(lines) >= 5
            raw.sendall(b"MAIL FROM:<a@example.com>\r\n")  # the hook named the host
            assert raw.recv(1024).startswith(b"250")
    finally:
        ctl.stop()


def test_recipients_past_100_wait_for_a_later_transaction(server):
    """RFC 5321's 452 for the 101st: the message is spooled once for those accepted."""
    port, spool, keys = server
    before = len(keys)
    with smtplib.SMTP("127.0.0.1", port) as s:
        s.ehlo()
        s.mail("ivan@shop-example.ru")
        codes = [s.rcpt("support@example.com")[0] for _ in range(MAX_RCPT + 5)]
        assert codes == [250] * MAX_RCPT + [452] * 5
        assert s.data(b"Subject: many\r\n\r\nhi\r\n")[0] == 250
    assert len(keys) == before + 1


@contextlib.contextmanager
def _in_data(handler: SupportHandler) -> Iterator[tuple[_Limited, _Client]]:
    """A listener taking up to 50 000 bytes a mail, and a client of it at DATA (354)."""
    from maild.adapters.sessions import SessionLimits

    ctl = _Limited(handler, SessionLimits(max_connections=10, timeout=5), max_size=50_000)
    ctl.start()
    try:
        client = _Client(ctl.port)
        client.envelope(None)
        assert client.command(b"DATA").startswith(b"354")
        yield ctl, client
    finally:
        ctl.stop()


@pytest.mark.parametrize("split", range(5))
def test_a_body_of_too_many_lines_is_refused_at_its_final_dot_and_closed(tmp_path, split):
    """Past 3 times the limit on the wire and 2 MB in cost (bytes and ~90 a line), a
    body is dropped as it comes, answered 552 at its final dot, wherever the chunks split
    that dot, and the connection closed; mail of usual lines is taken."""
    import time

    spool = Spool(tmp_path / "spool")
    keys: list[str] = []
    handler = SupportHandler(spool, lambda a: a == "support@example.com", keys.append)
    with _in_data(handler) as (ctl, costly):
        end = b"\r\n.\r\n"
        costly.sock.sendall(b"Subject: x\r\n" + b"\r\n" * 30_000 + b"tail" + end[:split])
        time.sleep(0.3)  # (the end of the data in a chunk of its own)
        costly.sock.sendall(end[split:])
        reply = costly.reply()
        assert reply == b"552 5.3.4 Message too large to accept: too many lines for its size"
        assert costly.reply() == b""  # and closed
        costly.close()
        usual = _Client(ctl.port)
        usual.envelope(None)
        assert usual.command(b"DATA").startswith(b"354")
        body = b"Subject: y\r\n\r\n" + (b"y" * 76 + b"\r\n") * 600
        usual.sock.sendall(body)
        assert usual.command(b".").startswith(b"250")
        usual.close()
    assert [spool.read(k) for k in keys] == [body]


def test_a_body_over_the_size_limit_of_usual_lines_is_refused_for_its_size(tmp_path):
    """A body of usual lines past the size limit (60 times it: its cost past 2 MB too)
    is aiosmtpd's 552 for its size, and the session goes on: "too many lines for its
    size" and the close are for a body within the limit in bytes, costly in lines."""
    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, lambda k: None)
    with _in_data(handler) as (_, c):
        c.sock.sendall(b"Subject: big\r\n\r\n" + (b"z" * 76 + b"\r\n") * 40_000)
        reply = c.command(b".")
        assert reply.startswith(b"552") and b"too many lines" not in reply, reply
        assert c.command(b"NOOP").startswith(b"250")  # not closed
        c.close()


def test_refused_connections_are_logged_once_in_ten_seconds_with_how_many(tmp_path, caplog):
    """Past smtp.max_connections each refusal counts, but one log line in LOG_EVERY
    seconds tells them: a flood of connections (each answered 421 at once) would
    otherwise write a journal line each. The next line, once that time is past,
    tells how many were refused since the last."""
    from maild.adapters.sessions import LOG_EVERY, SessionLimits

    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, lambda k: None)
    limits = SessionLimits(max_connections=1, timeout=5)
    ctl = _Limited(handler, limits)
    ctl.start()

    def refused() -> None:
        with socket.create_connection(("127.0.0.1", ctl.port), timeout=5) as s:
            assert s.recv(1024).startswith(b"421 4.7.0")

    def lines() -> list[str]:
        said = (r.getMessage() for r in caplog.records)
        return [line for line in said if "421 too many connections" in line]

    caplog.set_level("WARNING", logger="maild.listener")
    held = _Client(ctl.port)
    try:
        for _ in range(5):
            refused()
        assert len(lines()) == 1 and "refused 1," in lines()[0], lines()
        limits.logged_at -= LOG_EVERY  # (as if that time had gone by)
        refused()
        assert len(lines()) == 2 and "refused 5," in lines()[1], lines()
    finally:
        held.close()
        ctl.stop()


def test_a_body_refused_while_it_waits_for_a_slot_gives_up_its_wait(tmp_path):
    """A body past 2 MB of cost with no slot free waits for one, its reading paused.
    asyncio's StreamReader under aiosmtpd resumes reading once it has handed on what
    it buffered, so a chunk still comes; one of bare newlines makes the body cost past
    3 times the size limit: refused. It needs no slot any more: the slot freed goes to
    no one, while the rest is dropped and the client gets its 552 at the final dot."""
    import asyncio

    from maild.adapters.sessions import LARGE, TOO_COSTLY, DataTransfer, SessionLimits

    async def run() -> bytes:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        theirs.setblocking(False)
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        limits = SessionLimits(max_data_transfers=1)
        slots = limits.slots()
        await slots.acquire()  # the one slot: another transfer's
        fed: list[bytes] = []
        transfer = DataTransfer(limits, transport, None, fed.append, wire=5_000_000)
        big = b"x" * 98 + b"\r\n"
        assert not transfer.passes(big * (LARGE // 190 + 1))  # past 2 MB of cost
        assert not transport.is_reading()  # waits for the slot
        transport.resume_reading()  # (the StreamReader's, its buffer handed on)
        assert not transfer.passes(b"\r\n" * 200_000)  # 18 MB more: past 17 MB
        slots.release()  # the other transfer is over
        await asyncio.sleep(0.05)
        assert not slots.locked() and not transfer.held and not fed
        transfer.passes(b"rest\r\n.\r\n")
        await asyncio.sleep(0.05)
        answer = theirs.recv(1024)
        transfer.end()
        transport.close()
        theirs.close()
        return answer

    assert asyncio.run(run()) == TOO_COSTLY


def _reply(sock: socket.socket, line: bytes) -> bytes:
    sock.sendall(line + b"\r\n")
    return sock.recv(4096)


@pytest.mark.parametrize("lmtp", [False, True])
def test_a_command_aiosmtpd_cannot_read_is_501_in_one_line_and_the_session_goes_on(
    tmp_path, caplog, lmtp
):
    """`MAIL FROM:<a> SIZE=²` (the listener takes UTF-8 commands): aiosmtpd's check
    takes "²" (str.isdigit) and int() does not: it answered 500 and logged a traceback
    at ERROR. Now 501, one line at WARNING, and the same session's next MAIL is taken."""
    from maild.adapters.sessions import SessionLimits

    keys: list[str] = []
    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, keys.append, lmtp=lmtp)
    ctl = _Limited(handler, SessionLimits(), lmtp=lmtp)
    ctl.start()
    try:
        with socket.create_connection(("127.0.0.1", ctl.port), timeout=10) as s:
            s.recv(1024)
            _reply(s, b"LHLO me" if lmtp else b"EHLO me")
            said = _reply(s, "MAIL FROM:<ivan@shop-example.ru> SIZE=²".encode())
            assert said.startswith(b"501 5.5.4"), said
            assert _reply(s, b"MAIL FROM:<ivan@shop-example.ru>").startswith(b"250")
            assert _reply(s, b"RCPT TO:<support@example.com>").startswith(b"250")
            assert _reply(s, b"DATA").startswith(b"354")
            assert _reply(s, b"Subject: after\r\n\r\nhello\r\n.").startswith(b"250")
    finally:
        ctl.stop()
    assert len(keys) == 1
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]
    [line] = [r.getMessage() for r in caplog.records if "501" in r.getMessage()]
    assert line.startswith("a client's command refused (501): ValueError: "), line


def test_a_failure_of_maild_in_a_command_is_451_so_the_sender_retries(tmp_path, caplog):
    """A command whose handling in maild raised (here: what is told of a mail spooled
    fails) was aiosmtpd's 500, and the sending server bounced the mail. Now 451, with
    the traceback in the log: the sender keeps it and tries again."""

    def fails(key: str) -> None:
        raise RuntimeError("told nothing")

    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, fails)
    ctl = _Server(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    try:
        assert send(ctl.port, b"Subject: x\r\n\r\nhello\r\n")[0] == 451
    finally:
        ctl.stop()
    [failed] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert failed.exc_info and "answered 451" in failed.getMessage()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give spool/tmp to another user")
def test_a_spool_folder_of_another_user_is_named_with_its_fix_not_a_temp_file(tmp_path, caplog):
    """Mail answered 451 because spool/tmp is another user's (a root's `cp -a`): the
    log and `maild status` named the temp file being made, which is never there, as
    Python prints an error (`[Errno 13] Permission denied: '.../spool/tmp/179….vm'`),
    with no fix; `maild ingest` named the folder, its owner and the chown. Now both."""
    storage = tmp_path / "data"
    spool = Spool(storage / "spool")
    os.chown(storage / "spool" / "tmp", 65534, 65534)
    stalls: list[dict | None] = []
    handler = SupportHandler(spool, lambda a: True, lambda k: None, stalled=stalls.append)
    temp = f"{storage}/spool/tmp/1796648600669532837.P1840Q1.vm"

    async def refused(data: bytes) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", temp)

    handler.commit.add = refused
    ctl = _Server(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    try:
        assert send(ctl.port, b"Subject: x\r\nMessage-ID: <p@x>\r\n\r\nhello\r\n")[0] == 451
    finally:
        ctl.stop()
    said = f"Permission denied: {storage}/spool/tmp belongs to nobody, not to root"
    [logged] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert said in logged and f"chown -R root: {storage}" in logged, logged
    assert ".vm" not in logged and "[Errno" not in logged, logged
    error = stalls[-1]["error"]
    assert said in error and ".vm" not in error and "[Errno" not in error, error
