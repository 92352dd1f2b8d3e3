"""What an SMTP client or a sender writes reaches the log shown safely: a control
character of a Message-ID or of an envelope address (an escape sequence that
recolours or clears the admin's terminal, a bare line feed) is written as \\xNN,
never as itself. Before, the lines of mail the listener refused (over the size, a
recipient not the desk's) and of mail that could not be spooled carried it raw."""

from __future__ import annotations

import socket
import time

import pytest

from maild.domain.logid import mail_for_log, message_id_for_log
from tests.helpers import Daemon, Desk, free_port, make_mail

ESC = "\x1b"


def test_a_message_id_with_control_characters_is_shown_escaped() -> None:
    raw = b"Message-ID: <a\x1b[31mb\x07@c.example>\r\nSubject: x\r\n\r\nbody\r\n"
    for said in (message_id_for_log(raw), mail_for_log(raw)):
        assert said == "<a\\x1b[31mb\\x07@c.example>", said


def _talk(port: int, lines: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.recv(1000)
        for line in lines:
            s.sendall(line)
            time.sleep(0.1)
            s.recv(1000)


def test_the_listener_logs_envelope_addresses_escaped(tmp_path, sink) -> None:
    smtp = {"listen": f"127.0.0.1:{free_port()}", "max_message_size": 2000}
    desk = Desk(tmp_path, sink.port, smtp=smtp)
    daemon = Daemon(desk).start()
    try:
        big = make_mail(msgid="<big@c.example>", body="x" * 5000)
        big = big.replace(b"<big@c.example>", b"<big\x1b[1m@c.example>")
        _talk(
            daemon.port,
            [
                b"EHLO x\r\n",
                b'MAIL FROM:<"q\x1b[1m"@x.example>\r\n',
                b'RCPT TO:<"r\x1b[2J"@elsewhere.example>\r\n',
                b"RCPT TO:<support@example.com>\r\n",
                b"DATA\r\n",
                big + b"\r\n.\r\n",
                b"QUIT\r\n",
            ],
        )
        time.sleep(0.5)
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext()
    assert ESC not in log, log
    assert '"r\\x1b[2J"@elsewhere.example' in log, log  # the RCPT refused
    [line] = [x for x in log.splitlines() if "<big\\x1b[1m@c.example>" in x]
    assert '"q\\x1b[1m"@x.example' in line and "refused" in line, line


def test_a_mail_refused_for_its_declared_size_is_logged(tmp_path, sink) -> None:
    """postfix declares SIZE= whenever the listener offers it, so a mail over the
    limit is refused at MAIL, before its data: the log said nothing of it, and an
    admin looking for a customer's bounced mail found no line."""
    smtp = {"listen": f"127.0.0.1:{free_port()}", "max_message_size": 2000}
    desk = Desk(tmp_path, sink.port, smtp=smtp)
    daemon = Daemon(desk).start()
    try:
        for size in (50000, 2500):  # past aiosmtpd's room on the wire (2666), and within
            mail = f"MAIL FROM:<ivan@shop.example> SIZE={size}\r\n".encode()
            _talk(daemon.port, [b"EHLO x\r\n", mail])
        time.sleep(0.5)
    finally:
        assert daemon.stop() == 0
    lines = [x for x in daemon.logtext().splitlines() if "ivan@shop.example" in x]
    assert len(lines) == 2, lines
    for line, size in zip(lines, (50000, 2500), strict=True):
        assert f"refused: it declares {size} bytes" in line, line
        assert "max_message_size 2000" in line and "(client 127.0.0.1:" in line, line


@pytest.mark.parametrize("protocol", ["smtp", "lmtp"])
def test_a_declared_size_is_read_in_any_case_and_the_limit_itself_is_taken(
    tmp_path, sink, protocol
) -> None:
    """Over SMTP and over LMTP (postfix's usual way in): «size=» in lower case is a
    SIZE= as well (the listener refuses it alike, and the log says so); a mail that
    declares max_message_size exactly is taken, and no line calls it refused."""
    smtp = {"listen": f"127.0.0.1:{free_port()}", "max_message_size": 2000, "protocol": protocol}
    desk = Desk(tmp_path, sink.port, smtp=smtp)
    daemon = Daemon(desk).start()
    hello = b"LHLO x\r\n" if protocol == "lmtp" else b"EHLO x\r\n"
    try:
        for who, option in (("ivan", "size=2500"), ("olga", "SIZE=2000")):
            _talk(daemon.port, [hello, f"MAIL FROM:<{who}@shop.example> {option}\r\n".encode()])
        time.sleep(0.5)
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext().splitlines()
    [line] = [x for x in log if "ivan@shop.example" in x]
    assert "refused: it declares 2500 bytes" in line, line
    assert not [x for x in log if "olga@shop.example" in x and "refused" in x], log
