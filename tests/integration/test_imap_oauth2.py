"""`maild serve` logging in to a real Dovecot with OAuth2 (XOAUTH2), as Microsoft 365
and Google Workspace require: the token comes from the admin's command.

Dovecot checks a token with its oauth2 passdb, asking an introspection endpoint; the
test runs that endpoint (a real HTTP server on loopback) and decides which tokens are
live, as the provider would.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dovecot import DovecotServer, append, messages, require_dovecot, reset_mailbox
from tests.helpers import Daemon, Desk, make_mail
from tests.integration.test_imap_unmoved import DAEMON_PACE  # (retries, the stop)
from tests.integration.test_serve_imap import wait_until

LIVE: set[str] = set()  # the tokens the provider takes now
ASKED: list[str] = []  # what Dovecot asked it about


class _Introspection(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # RFC 7662: token=... in a form
        form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        token = dict(p.split("=", 1) for p in form.split("&") if "=" in p).get("token", "")
        ASKED.append(token)
        live = token in LIVE
        body = json.dumps({"active": live, "username": "alice"} if live else {"active": False})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def oauth_dovecot(tmp_path_factory) -> Iterator[dict[str, Any]]:
    require_dovecot()
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Introspection)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    ext = tmp_path_factory.mktemp("oauth2") / "dovecot-oauth2.conf.ext"
    ext.write_text(
        f"introspection_url = http://127.0.0.1:{http_server.server_address[1]}/introspect\n"
        "introspection_mode = post\nusername_attribute = username\n"
        "active_attribute = active\nactive_value = true\n"
    )
    ext.parent.chmod(0o755)
    ext.chmod(0o644)
    server = DovecotServer(
        extra_conf=(
            "auth_mechanisms = plain login xoauth2 oauthbearer\n"
            "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {ext}\n}}\n"
        )
    )
    try:
        server.start()
        yield server.info()
    finally:
        server.cleanup()
        http_server.shutdown()
        http_server.server_close()


def _desk(tmp_path: Path, sink, dovecot: dict[str, Any]) -> tuple[Desk, Path]:
    """A desk whose IMAP login takes the token its command prints: the first line of
    the file `token` (the command exits 1 with a message when the file says FAIL)."""
    token = tmp_path / "token"
    script = tmp_path / "get-token"
    script.write_text(
        "#!/bin/sh\n"
        f'echo run >> "{tmp_path}/runs"\n'
        f'if grep -q FAIL "{token}"; then echo "refresh token expired" >&2; exit 1; fi\n'
        f'cat "{token}"\n'
    )
    script.chmod(0o755)
    imap = {
        "host": dovecot["host"],
        "port": dovecot["port"],
        "ssl": False,
        "username": "alice",
        "oauth2_token_command": f"'{script}' --account alice",
        "poll_interval": 1,
    }
    return Desk(tmp_path, sink.port, imap=imap), token


def test_serve_logs_in_with_the_token_its_command_prints(tmp_path, sink, oauth_dovecot):
    reset_mailbox(oauth_dovecot, "alice")
    append(oauth_dovecot, "alice", make_mail(msgid="<oauth-1@client.example>"))
    desk, token = _desk(tmp_path, sink, oauth_dovecot)
    token.write_text("token-of-today\n")
    LIVE.clear()
    LIVE.add("token-of-today")
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        assert wait_until(lambda: desk.tickets())
        assert wait_until(lambda: sink.to("ivan@shop-example.ru"))
        assert wait_until(lambda: len(messages(oauth_dovecot, "alice", "Processed")) == 1)
    finally:
        assert daemon.stop() == 0
    assert "token-of-today" in ASKED
    assert "token-of-today" not in daemon.logtext()  # a token is never logged
    assert (tmp_path / "runs").read_text().count("run") >= 1


def test_a_failing_command_is_retried_and_a_dead_token_is_a_refused_login(
    tmp_path, sink, oauth_dovecot
):
    reset_mailbox(oauth_dovecot, "alice")
    append(oauth_dovecot, "alice", make_mail(msgid="<oauth-2@client.example>"))
    desk, token = _desk(tmp_path, sink, oauth_dovecot)
    token.write_text("FAIL\n")
    LIVE.clear()
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        assert wait_until(lambda: "refresh token expired" in daemon.logtext())
        log = daemon.logtext()
        assert "imap.oauth2_token_command gave no token (exit 1)" in log
        assert "Traceback" not in log and not desk.tickets()
        token.write_text("token-of-yesterday\n")  # the command works; the token is dead
        assert wait_until(lambda: "refuses the login of alice" in daemon.logtext(), 30)
        assert "imap.oauth2_token_command prints" in daemon.logtext()
        status = desk.run("status")
        assert status.code == 2 and "refuses the login of alice" in status.out
        assert len(messages(oauth_dovecot, "alice", "INBOX")) == 1 and not desk.tickets()
    finally:
        assert daemon.stop() == 0
    LIVE.add("token-of-yesterday")  # renewed at the provider: the next start logs in
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        assert wait_until(lambda: desk.tickets())
    finally:
        assert daemon.stop() == 0
