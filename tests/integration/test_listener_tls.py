"""STARTTLS on the SMTP listener (`[smtp] tls_cert`, `tls_key`): a listener facing
the internet offers it, mail comes in over it, and a certificate that does not load
is one line naming the key and the file, from check-config and from serve (exit
78). Real `maild serve`, real openssl certificate, smtplib as the sender."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess
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
