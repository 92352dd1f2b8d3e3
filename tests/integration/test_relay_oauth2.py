"""The relay login with OAuth2 (XOAUTH2), as Microsoft 365's SMTP AUTH and Gmail take
it: `outbound.oauth2_token_command` prints the token. The relay is a real aiosmtpd
server that takes mail only after AUTH XOAUTH2 with a live token, and answers a dead
one as Google does (a 334 error challenge, then 535)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pytest
from aiosmtpd.smtp import AuthResult

from tests.helpers import Desk, Sink, SinkHandler, make_mail

ACCOUNT = "support@example.com"


@dataclass
class OAuthRelay(SinkHandler):
    live: set[str] = field(default_factory=set)
    tokens: list[str] = field(default_factory=list)  # each login's, as sent

    async def auth_XOAUTH2(self, server, args) -> AuthResult:
        said = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        fields = dict(p.split("=", 1) for p in said.split("\x01") if "=" in p)
        token = fields.get("auth", "").removeprefix("Bearer ")
        self.tokens.append(token)
        if token in self.live and fields.get("user") == ACCOUNT:
            return AuthResult(success=True, auth_data=ACCOUNT)
        error = json.dumps(
            {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        )
        await server.challenge_auth(base64.b64encode(error.encode()).decode(), encode_to_b64=False)
        return AuthResult(success=False, handled=False)


# the relay is on loopback, without TLS, for the test only
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_outbox_logs_in_to_the_relay_with_the_token_its_command_prints(tmp_path):
    relay = OAuthRelay()
    sink = Sink(handler=relay, auth_required=True, auth_require_tls=False).start()
    try:
        token = tmp_path / "token"
        script = tmp_path / "token-command"
        script.write_text(
            "#!/bin/sh\n"
            f'if grep -q FAIL "{token}"; then echo "consent revoked" >&2; exit 2; fi\n'
            f'cat "{token}"\n'
        )
        script.chmod(0o755)
        desk = Desk(
            tmp_path,
            sink.port,
            outbound={"username": ACCOUNT, "oauth2_token_command": f"{script} --scope smtp"},
        )
        token.write_text("token-1\n")
        relay.live.add("token-1")
        assert desk.run("ingest", input=make_mail(msgid="<o1@client.example>")).code == 0
        flushed = desk.run("outbox", "flush", "--json").json()
        assert flushed["sent"] == 3 and flushed["queued"] == 0
        assert len(sink.to("ivan@shop-example.ru")) == 1 and relay.tokens[0] == "token-1"

        relay.live.clear()  # revoked at the provider: mail stays queued, the error said
        assert desk.run("ingest", input=make_mail(msgid="<o2@client.example>")).code == 0
        flushed = desk.run("outbox", "flush", "--json").json()
        assert flushed["sent"] == 0 and flushed["queued"] == 3
        queued = desk.run("outbox", "list", "--json").json()
        assert all("535" in m["last_error"] for m in queued), queued

        token.write_text("FAIL\n")  # the command itself fails
        flushed = desk.run("outbox", "flush", "--json").json()
        assert flushed["sent"] == 0
        queued = desk.run("outbox", "list", "--json").json()
        said = "outbound.oauth2_token_command gave no token (exit 2): consent revoked"
        assert all(said in m["last_error"] for m in queued), queued

        token.write_text("token-2\n")  # renewed: everything goes, once
        relay.live.add("token-2")
        flushed = desk.run("outbox", "flush", "--json").json()
        assert flushed["sent"] == 3 and len(sink.to("ivan@shop-example.ru")) == 2
    finally:
        sink.stop()
