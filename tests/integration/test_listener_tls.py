"""STARTTLS on the SMTP listener (`[smtp] tls_cert`, `tls_key`): a listener facing
the internet offers it, mail comes in over it, and a certificate that does not load
is one line naming the key and the file, from check-config and from serve (exit
78). Real `maild serve`, real openssl certificate, smtplib as the sender."""

from __future__ import annotations

import shutil
import smtplib
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import Daemon, Desk, free_port, make_mail
from tests.integration.test_serve import wait_until

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        + ["-nodes", "-days", "2", "-subj", "/CN=localhost"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_mail_comes_in_over_starttls(tmp_path: Path, sink) -> None:
    cert, key = _certificate(tmp_path)
    listen = f"127.0.0.1:{free_port()}"
    desk = Desk(
        tmp_path, sink.port, smtp={"listen": listen, "tls_cert": str(cert), "tls_key": str(key)}
    )
    assert desk.run("check-config").code == 0
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as s:
            s.ehlo()
            assert s.has_extn("starttls")
            s.starttls(context=ssl._create_unverified_context())  # self-signed
            s.ehlo()
            assert s.sock.version() is not None  # the session is TLS from here
            mail = make_mail(sender="ivan@client.example")
            s.sendmail("ivan@client.example", ["support@example.com"], mail)
        [confirmation] = wait_until(lambda: sink.to("ivan@client.example"))
        assert "[TID#" in confirmation.subject
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as s:  # plain, as any MX takes
            mail = make_mail(sender="olga@client.example")
            s.sendmail("olga@client.example", ["support@example.com"], mail)
        assert wait_until(lambda: sink.to("olga@client.example")), "the plain one not confirmed"
    finally:
        daemon.stop()


def test_a_certificate_that_does_not_load_is_one_line_and_serve_exits_78(
    tmp_path: Path,
) -> None:
    cert, key = _certificate(tmp_path)
    (tmp_path / "other").mkdir()
    other_cert, _other_key = _certificate(tmp_path / "other")
    listen = f"127.0.0.1:{free_port()}"
    desk = Desk(tmp_path, free_port(), smtp={"listen": listen, "tls_cert": str(cert)})
    r = desk.run("check-config")
    assert r.code == 78 and "missing key 'smtp.tls_key'" in r.err, r
    desk.sections["smtp"]["tls_key"] = str(tmp_path / "missing.pem")
    desk.write_config()
    r = desk.run("check-config")
    problems = [line for line in r.err.splitlines() if "config error" in line]
    assert r.code == 78 and len(problems) == 1, r
    assert f"smtp.tls_key: cannot read {tmp_path / 'missing.pem'}" in problems[0]
    desk.sections["smtp"].update(tls_cert=str(other_cert), tls_key=str(key))  # not its key
    desk.write_config()
    r = desk.run("check-config")
    problems = [line for line in r.err.splitlines() if "config error" in line]
    assert r.code == 78 and len(problems) == 1, r
    assert "are not a certificate" in problems[0] and str(other_cert) in problems[0]
    desk.in_process = False  # as systemd starts it
    serve = desk.run("serve")
    assert serve.code == 78 and "are not a certificate" in serve.err, serve
    assert "Traceback" not in serve.err


def test_check_config_warns_of_a_listener_for_other_hosts_without_tls(tmp_path: Path) -> None:
    desk = Desk(tmp_path, free_port(), smtp={"listen": f"0.0.0.0:{free_port()}"})
    r = desk.run("check-config")
    assert r.code == 0 and "takes mail from other hosts without STARTTLS" in r.err, r


def test_starttls_sessions_count_once_against_max_connections(tmp_path: Path, sink) -> None:
    """A session that turns to TLS is one connection: aiosmtpd makes the TLS layer
    call connection_made again, and each STARTTLS counted the session a second time,
    never given back, with a second idle timer: after max_connections TLS sessions,
    ended long ago, every new connection was refused 421, mail with it, and each
    ended session was later logged as closed for sending nothing."""
    cert, key = _certificate(tmp_path)
    listen = f"127.0.0.1:{free_port()}"
    smtp = {"listen": listen, "tls_cert": str(cert), "tls_key": str(key)}
    desk = Desk(tmp_path, sink.port, smtp={**smtp, "max_connections": 2, "timeout": 1})
    daemon = Daemon(desk).start()
    try:
        for _ in range(3):
            with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as s:
                s.starttls(context=ssl._create_unverified_context())
                assert s.noop()[0] == 250
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as s:
            mail = make_mail(sender="olga@client.example")
            s.sendmail("olga@client.example", ["support@example.com"], mail)
        time.sleep(1.5)  # past smtp.timeout: no timer of an ended session goes off
        log = daemon.logtext()
        assert "too many connections" not in log and "sent nothing" not in log, log
        s = smtplib.SMTP("127.0.0.1", daemon.port, timeout=10)
        s.starttls(context=ssl._create_unverified_context())
        time.sleep(1.5)  # an idle TLS session is still closed after smtp.timeout
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()
        s.close()
    finally:
        daemon.stop()
    assert daemon.logtext().count("sent nothing") == 1


def test_a_command_sent_with_starttls_is_not_answered_on_a_closed_connection(
    tmp_path: Path, sink
) -> None:
    """A client that sends a command in the same write as STARTTLS, then no TLS
    handshake: the connection ends after smtp.timeout, and the
    command left from before the handshake was answered on it all the same, which
    raised inside the listener: an ERROR with a traceback in the log ("a command
    failed (answered 451)") for a client's doing."""
    cert, key = _certificate(tmp_path)
    listen = f"127.0.0.1:{free_port()}"
    smtp = {"listen": listen, "tls_cert": str(cert), "tls_key": str(key), "timeout": 1}
    desk = Desk(tmp_path, sink.port, smtp=smtp)
    daemon = Daemon(desk).start()
    try:
        with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as c:
            assert c.recv(100).startswith(b"220")
            c.sendall(b"EHLO client.example\r\nSTARTTLS\r\nMAIL FROM:<ivan@client.example>\r\n")
            got = b""
            while chunk := c.recv(4000):
                got += chunk
            assert b"220 Ready to start TLS" in got
        time.sleep(0.3)
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as s:  # the others go on
            mail = make_mail(sender="olga@client.example")
            s.sendmail("olga@client.example", ["support@example.com"], mail)
    finally:
        daemon.stop()
    log = daemon.logtext()
    assert "Traceback" not in log and "ERROR" not in log, log
