"""smtp.max_message_size at a real `maild serve`: the message is counted as RFC 1870
counts it and postfix declares it, without the dots DATA doubles, and over LMTP a
refusal after DATA is one reply per recipient (RFC 2033 4.2): postfix waits for each
one, lmtp_data_done_timeout long, then defers the message as maybe sent twice."""

from __future__ import annotations

import smtplib
import socket
import time
from pathlib import Path

from tests.helpers import Daemon, Desk, free_port

LIMIT = 20_000
HEAD = (
    b"From: Ivan <ivan@shop-example.ru>\r\nTo: support@example.com\r\n"
    b"Subject: size\r\nMessage-ID: <%s@client.example>\r\n\r\n"
)
# Every line starts with a dot: 12 bytes of the message, 13 on the wire.
DOTTED_LINE = b".zzzzzzzzz\r\n"


def dotted(msgid: bytes) -> bytes:
    """A message under LIMIT by its count, over it on the wire."""
    head = HEAD % msgid
    raw = head + DOTTED_LINE * ((LIMIT - len(head)) // len(DOTTED_LINE))
    assert len(raw) <= LIMIT < len(raw) + raw.count(b"\r\n.")
    return raw


def plain(msgid: bytes, size: int) -> bytes:
    head = HEAD % msgid
    return head + (b"x" * 98 + b"\r\n") * ((size - len(head)) // 100 + 1)


def stuffed(raw: bytes) -> bytes:
    """`raw` as DATA carries it (RFC 5321 4.5.2), with its end."""
    return (
        b"".join(
            b"." + line if line.startswith(b".") else line for line in raw.splitlines(keepends=True)
        )
        + b".\r\n"
    )


class Session:
    """A raw SMTP/LMTP session: replies as the lines on the wire."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.lines: list[bytes] = []  # every line of the replies read last
        assert self.replies(1)[0].startswith(b"220")

    def replies(self, n: int, wait: float = 5.0) -> list[bytes]:
        """The last lines of the next `n` replies; fewer if no more came in `wait` s."""
        got: list[bytes] = []
        self.lines = []
        self.sock.settimeout(wait)
        while len(got) < n:
            if b"\r\n" not in self.buf:
                try:
                    chunk = self.sock.recv(65536)
                except TimeoutError:
                    return got
                if not chunk:
                    return got
                self.buf += chunk
                continue
            line, self.buf = self.buf.split(b"\r\n", 1)
            self.lines.append(line)
            if line[3:4] != b"-":
                got.append(line)
        return got

    def transaction(self, recipients: list[bytes], raw: bytes, lmtp: bool = True) -> list[bytes]:
        """MAIL, RCPTs, DATA with `raw`, then RSET: every reply after the 354 (to DATA
        one a recipient over LMTP, one over SMTP)."""
        self.sock.sendall(b"MAIL FROM:<ivan@shop-example.ru>\r\n")
        assert self.replies(1)[0].startswith(b"250")
        for rcpt in recipients:
            self.sock.sendall(b"RCPT TO:<%s>\r\n" % rcpt)
            assert self.replies(1)[0].startswith(b"250")
        self.sock.sendall(b"DATA\r\n")
        assert self.replies(1)[0].startswith(b"354")
        self.sock.sendall(stuffed(raw) + b"RSET\r\n")
        # the replies to DATA, the RSET's, and whatever more came soon after
        got = self.replies((len(recipients) if lmtp else 1) + 1)
        return got + self.replies(1, wait=0.3)

    def close(self) -> None:
        self.sock.close()


def serve(tmp_path: Path, sink, protocol: str) -> tuple[Desk, Daemon]:
    smtp = {"listen": f"127.0.0.1:{free_port()}", "protocol": protocol, "max_message_size": LIMIT}
    desk = Desk(tmp_path, sink.port, smtp=smtp)  # its queries (tickets) in this process
    return desk, Daemon(desk).start()


def spooled(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "data" / "spool" / "new").iterdir())


def wait_for_tickets(desk: Desk, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    while not (tickets := desk.tickets()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return tickets


RCPTS = [b"support@example.com", b"support+x@example.com"]


def lhlo(port: int) -> Session:
    lmtp = Session(port)
    lmtp.sock.sendall(b"LHLO mta.example\r\n")
    assert lmtp.replies(1)[0].startswith(b"250")
    assert b"250-SIZE %d" % LIMIT in lmtp.lines  # as before: the limit itself
    return lmtp


def test_lmtp_answers_each_recipient_and_counts_without_dots(tmp_path, sink):
    """One `maild serve` over LMTP: a message over the limit gets one 552 for each
    recipient and is not spooled; one under it by its count that the dots DATA doubles
    put over it on the wire is taken; so is one with a line longer than SMTP's 1000
    (postfix wraps long lines for LMTP; another client may not, and aiosmtpd's "500
    Line too long" was one reply for all recipients)."""
    desk, daemon = serve(tmp_path, sink, "lmtp")
    try:
        lmtp = lhlo(daemon.port)
        replies = lmtp.transaction(RCPTS, plain(b"big", LIMIT + 4000))
        assert [r[:4] for r in replies] == [b"552 ", b"552 ", b"250 "], replies
        time.sleep(0.5)
        assert spooled(tmp_path) == [] and desk.tickets() == []
        replies = lmtp.transaction(RCPTS, dotted(b"dots"))
        assert [r[:4] for r in replies] == [b"250 ", b"250 ", b"250 "], replies
        raw = HEAD % b"long" + b"<p>" + b"y" * 5000 + b"</p>\r\n"
        replies = lmtp.transaction(RCPTS, raw)
        assert [r[:4] for r in replies] == [b"250 ", b"250 ", b"250 "], replies
        lmtp.close()
        deadline = time.monotonic() + 20
        while len(tickets := desk.tickets()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        came = sorted(t["messages"][0]["message_id"] for t in tickets)
        assert came == ["<dots@client.example>", "<long@client.example>"], came
    finally:
        assert daemon.stop() == 0


def test_smtp_counts_the_message_without_dots_and_refuses_once(tmp_path, sink):
    desk, daemon = serve(tmp_path, sink, "smtp")
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.ehlo()
            assert s.esmtp_features["size"] == str(LIMIT)  # as before: the limit itself
            assert s.mail("ivan@shop-example.ru", [f"SIZE={LIMIT + 1}"])[0] == 552
            s.rset()
            assert s.mail("ivan@shop-example.ru", [f"SIZE={LIMIT}"])[0] == 250
            assert s.rcpt("support@example.com")[0] == 250
            assert s.data(dotted(b"dots"))[0] == 250  # smtplib doubles the dots
            s.mail("ivan@shop-example.ru")
            s.rcpt("support@example.com")
            assert s.data(plain(b"big", LIMIT + 4000))[0] == 552
            assert s.rset()[0] == 250  # one reply: the session goes on
        [ticket] = wait_for_tickets(desk)
        came = [m["message_id"] for m in ticket["messages"] if m["direction"] == "in"]
        assert came == ["<dots@client.example>"]
        assert len(desk.tickets()) == 1
    finally:
        assert daemon.stop() == 0


def test_lmtp_answers_aiosmtpds_own_refusals_once_per_recipient_and_logs_them(tmp_path, sink):
    """What aiosmtpd refuses itself at the end of DATA, a line over LMTP's 64 KB and
    a body past a third over the limit from a client that declared no SIZE=, gets
    one reply per recipient as every other answer to DATA (RFC 2033 4.2): its one
    reply left postfix waiting lmtp_data_done_timeout for the other, and the answer
    to the next command (RSET's 250) was read as the second recipient's."""
    desk, daemon = serve(tmp_path, sink, "lmtp")
    try:
        lmtp = lhlo(daemon.port)
        raw = HEAD % b"wide" + b"y" * 70_000 + b"\r\n"
        replies = lmtp.transaction(RCPTS, raw)
        assert [r[:4] for r in replies] == [b"500 ", b"500 ", b"250 "], replies
        replies = lmtp.transaction(RCPTS, plain(b"huge", LIMIT * 2))
        assert [r[:4] for r in replies] == [b"552 ", b"552 ", b"250 "], replies
        lmtp.close()
        time.sleep(0.5)
        assert spooled(tmp_path) == [] and desk.tickets() == []
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext()
    assert "<wide@client.example> from ivan@shop-example.ru refused: 500 Line too long" in log
    assert "<huge@client.example> from ivan@shop-example.ru refused: 552" in log


def test_smtp_answers_aiosmtpds_own_refusals_once_for_all_recipients(tmp_path, sink):
    """Over SMTP a reply to DATA is one, however many recipients (RFC 5321 4.1.1.4):
    one reply a recipient, as LMTP's, would be read by the client as the replies to its
    next commands (here RSET), and the session would go on out of step."""
    desk, daemon = serve(tmp_path, sink, "smtp")
    try:
        smtp = Session(daemon.port)
        smtp.sock.sendall(b"EHLO mta.example\r\n")
        assert smtp.replies(1)[0].startswith(b"250")
        raw = HEAD % b"wide" + b"y" * 1_100 + b"\r\n"  # over SMTP's 1000-byte line
        replies = smtp.transaction(RCPTS, raw, lmtp=False)
        assert [r[:4] for r in replies] == [b"500 ", b"250 "], replies
        replies = smtp.transaction(RCPTS, plain(b"huge", LIMIT * 2), lmtp=False)
        assert [r[:4] for r in replies] == [b"552 ", b"250 "], replies
        smtp.close()
        assert spooled(tmp_path) == [] and desk.tickets() == []
    finally:
        assert daemon.stop() == 0
