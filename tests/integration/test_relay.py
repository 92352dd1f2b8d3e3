"""The relay client (adapters/relay.py) against a real relay (aiosmtpd on
loopback): it says on the wire what smtplib says, offers 8-bit text as
BODY=8BITMIME only to a relay that announces it, and names what was refused."""

from __future__ import annotations

import email
import smtplib
import ssl
import subprocess
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from maild.adapters.relay import (
    Connections,
    connect,
    deliver,
    describe,
    refused_as_too_big,
    refused_for_good,
)
from maild.configtypes import OutboundConfig
from tests.helpers import free_port

TEXT = "Привет, это ответ службы поддержки."
EIGHT_BIT = (
    "From: support@example.com\r\nTo: anna@example.com\r\nSubject: x\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    f"Content-Transfer-Encoding: 8bit\r\n\r\n{TEXT}\r\n"
).encode()


class _Envelopes:
    """Records MAIL and RCPT as the relay parsed them."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | bytes, list[str]]] = []

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


@pytest.fixture
def relay():
    """A relay that records envelopes (and, with decode_data, offers no 8BITMIME)."""
    started: list[Controller] = []

    def start(**kwargs) -> tuple[_Envelopes, OutboundConfig]:
        handler = _Envelopes()
        ctl = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        ctl.start()
        started.append(ctl)
        return handler, OutboundConfig(host="127.0.0.1", port=ctl.port)

    yield start
    for ctl in started:
        ctl.stop()


def test_the_relay_client_says_what_smtplib_says(relay):
    handler, cfg = relay()
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
    for make in (lambda: smtplib.SMTP(cfg.host, cfg.port), lambda: connect(cfg)):
        handler.seen.clear()
        with make() as client:
            for sender, rcpts in envelopes:
                client.sendmail(sender, rcpts, raw, ["BODY=8BITMIME"])
            for data in dotted:
                client.sendmail("support@example.com", ["anna@example.com"], data)
        said.append(list(handler.seen))
    handler.seen.clear()
    with connect(cfg) as client:  # deliver: its own DATA, and BODY=8BITMIME as offered
        for sender, rcpts in envelopes:
            deliver(client, sender, rcpts, raw)
        for data in dotted:
            deliver(client, "support@example.com", ["anna@example.com"], data)
    said.append(list(handler.seen))
    assert said[0] == said[1] == said[2]
    assert said[1][0] == ("MAIL", "support@example.com", [f"SIZE={len(raw)}", "BODY=8BITMIME"])
    assert ("DATA", dotted[0], []) in said[1]  # as written, once the relay undid it


def test_the_relay_client_is_smtplib_itself(relay):
    _handler, cfg = relay()
    client = connect(cfg)
    try:  # its one method of its own reads an answer with bounds (test_relay_odd.py)
        assert type(client).__mro__[1] is smtplib.SMTP
        own = [n for n in vars(type(client)) if callable(getattr(smtplib.SMTP, n, None))]
        assert own == ["getreply"]
    finally:
        client.quit()


class _Sessions(_Envelopes):
    """Records, with each mail, whether it came over TLS and who logged in."""

    async def handle_DATA(self, server, session, envelope):
        self.seen.append(("DATA", session.ssl is not None, [session.auth_data or ""]))
        return "250 OK"


def _logins(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (b"maild", b"relay-pass")
    return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)


def test_the_relay_is_spoken_to_over_starttls_and_logged_in_with_the_password(
    tmp_path, monkeypatch
):
    """outbound.starttls and username/password: the password goes only inside TLS, to
    a relay whose certificate the system trusts (SSL_CERT_FILE stands for the system's
    store here), and the mail goes as the login. A relay that takes mail only so
    (require_starttls, auth_required) is what a provider's submission port is; one
    whose certificate is not trusted is refused before the password is sent."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        + ["-nodes", "-days", "2", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = _Sessions()
    ctl = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=_logins,
    )
    ctl.start()
    cfg = OutboundConfig(
        host="localhost",
        port=ctl.port,
        timeout=5,
        starttls=True,
        username="maild",
        password="relay-pass",
    )
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            connect(cfg)  # the certificate is no one's the system trusts
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with connect(cfg) as client:
            deliver(client, "support@example.com", ["anna@example.com"], EIGHT_BIT)
    finally:
        ctl.stop()
    assert handler.seen[-1] == ("DATA", True, ["maild"])


def test_8bit_text_goes_as_8bitmime_to_a_relay_that_offers_it(relay):
    handler, cfg = relay()
    with connect(cfg) as client:
        deliver(client, "support@example.com", ["anna@example.com"], EIGHT_BIT)
    [mail, rcpt, data] = handler.seen
    assert mail == ("MAIL", "support@example.com", [f"SIZE={len(EIGHT_BIT)}", "BODY=8BITMIME"])
    assert rcpt == ("RCPT", "anna@example.com", [])
    assert data == ("DATA", EIGHT_BIT, [])


def test_8bit_text_goes_as_base64_to_a_relay_without_8bitmime(relay):
    handler, cfg = relay(decode_data=True)  # aiosmtpd then announces no 8BITMIME
    with connect(cfg) as client:
        deliver(client, "support@example.com", ["anna@example.com"], EIGHT_BIT)
    [mail, _rcpt, (_, wire, _opts)] = handler.seen
    assert "BODY=8BITMIME" not in mail[2]
    assert wire.isascii()
    msg = email.message_from_bytes(wire, policy=default)
    assert msg["Content-Transfer-Encoding"] == "base64"
    assert msg.get_content() == TEXT + "\n"
    assert msg["Subject"] == "x" and msg["To"] == "anna@example.com"


def test_ascii_mail_goes_without_body_option(relay):
    handler, cfg = relay()
    raw = b"Subject: plain\r\n\r\nhello\r\n"
    with connect(cfg) as client:
        deliver(client, "support@example.com", ["anna@example.com"], raw)
    assert handler.seen[0] == ("MAIL", "support@example.com", [f"SIZE={len(raw)}"])


def test_describe_names_each_refused_recipient_and_the_reply():
    refused = smtplib.SMTPRecipientsRefused(
        {
            "a@x.example": (550, b"5.1.1 User unknown"),
            "b@y.example": (452, b"4.2.2 Mailbox full"),
        }
    )
    assert describe(refused) == (
        "a@x.example: 550 5.1.1 User unknown; b@y.example: 452 4.2.2 Mailbox full"
    )
    assert describe(smtplib.SMTPDataError(554, b"5.6.0 No")) == "554 5.6.0 No"
    assert describe(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )


def test_a_reply_held_as_text_is_read_as_the_same_reply_in_bytes():
    # smtplib's exceptions take the relay's reply as bytes or as text (their types say
    # either); one made with text is described and judged, not an AttributeError
    too_big, unknown = "5.3.4 Message size exceeds fixed limit", "5.1.1 <a@x.example>: no"
    assert describe(smtplib.SMTPDataError(552, too_big)) == f"552 {too_big}"
    assert refused_as_too_big(smtplib.SMTPDataError(552, too_big))
    assert refused_for_good(smtplib.SMTPDataError(550, unknown), "a@x.example")
    assert refused_for_good(smtplib.SMTPDataError(550, unknown.encode()), "a@x.example")
    refused = smtplib.SMTPRecipientsRefused({"a@x.example": (550, unknown)})
    assert describe(refused) == f"a@x.example: 550 {unknown}"


def test_a_bare_501_refuses_the_address_at_rcpt_only():
    """maild's RCPT carries no parameter, so a bare 501 to it is the address's syntax
    (refused for good, the address told); a 501 at the end of DATA is of the mail, not
    the address (retried): the recipient stays good."""
    said = b"Syntax: RCPT TO: <address>"
    assert refused_for_good(smtplib.SMTPRecipientsRefused({"a@x": (501, said)}), "a@x")
    assert not refused_for_good(smtplib.SMTPDataError(501, b"Syntax error in headers"), "a@x")


def test_a_kept_connection_is_reused_within_the_idle_limit_and_ended_on_close(relay):
    _handler, cfg = relay()
    kept = Connections()
    first = kept.get(cfg, 0)
    kept.put(0, first, cfg, good=True)
    assert kept.get(cfg, 0) is first  # still answers NOOP
    kept.put(0, first, cfg, good=False)  # broken: ended, not kept
    second = kept.get(cfg, 0)
    assert second is not first
    kept.put(0, second, cfg, good=True)
    other = OutboundConfig(host=cfg.host, port=cfg.port, timeout=7)
    third = kept.get(other, 0)  # another config: a new connection
    assert third is not second
    kept.put(0, third, other, good=True)
    kept.close()
    assert third.sock is None  # QUIT sent and closed


def test_a_non_ascii_address_is_refused_before_mail_from_by_a_relay_without_smtputf8(relay):
    handler, cfg = relay(enable_SMTPUTF8=False)
    with connect(cfg) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            deliver(client, "support@example.com", ["иван@client.example"], EIGHT_BIT)
        assert "иван@client.example: 553 5.6.7" in describe(refused.value)
        deliver(client, "support@example.com", ["anna@example.com"], EIGHT_BIT)  # still good
    assert [s[1] for s in handler.seen if s[0] == "RCPT"] == ["anna@example.com"]


def test_a_cyrillic_domain_goes_in_a_labels_to_a_relay_without_smtputf8(relay):
    """boss@окна.рф has an ASCII spelling (the domain's A-labels): sent so, not refused;
    иван@окна.рф has none and is refused as before. With SMTPUTF8 both go as they are."""
    handler, cfg = relay(enable_SMTPUTF8=False)
    with connect(cfg) as client:
        deliver(client, "support@example.com", ["boss@окна.рф"], EIGHT_BIT)
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            deliver(client, "support@example.com", ["иван@окна.рф"], EIGHT_BIT)
        assert "иван@окна.рф: 553 5.6.7" in describe(refused.value)
    [mail, rcpt, _data] = handler.seen
    assert rcpt[1] == "boss@xn--80atjc.xn--p1ai" and "SMTPUTF8" not in mail[2]
    handler, cfg = relay(enable_SMTPUTF8=True)
    with connect(cfg) as client:
        deliver(client, "support@example.com", ["boss@окна.рф"], EIGHT_BIT)
    [mail, rcpt, _data] = handler.seen
    assert "SMTPUTF8" in mail[2] and rcpt[1] == "boss@окна.рф"


def test_a_fullwidth_spelling_of_an_ascii_domain_is_refused_not_folded(relay):
    """«v@ｅxample.org» and «v@example。org» have no A-label spelling of their own:
    folded (IDNA 2003) they were mail to v@example.org, past the caps and the block
    list, which count each spelling as another address. Refused as before (5.6.7)."""
    handler, cfg = relay(enable_SMTPUTF8=False)
    with connect(cfg) as client:
        for rcpt in ("v@ｅxample.org", "v@example。org"):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                deliver(client, "support@example.com", [rcpt], EIGHT_BIT)
            assert f"{rcpt}: 553 5.6.7" in describe(refused.value)
    assert handler.seen == []


def test_a_non_ascii_address_goes_with_smtputf8_to_a_relay_that_offers_it(relay):
    handler, cfg = relay(enable_SMTPUTF8=True)
    with connect(cfg) as client:
        deliver(client, "support@example.com", ["иван@client.example"], EIGHT_BIT)
    [mail, rcpt, _data] = handler.seen
    assert "SMTPUTF8" in mail[2] and rcpt[1] == "иван@client.example"


class _Refusing(_Envelopes):
    """Refuses MAIL from bad@ (550) and busy@ (451), RCPT to nobody@ (550) and
    closing@ (421), and DATA holding "BIG" (552) or "GONE" (421); forwards RCPT to
    moved@ (251); records RSET."""

    async def handle_MAIL(self, server, session, envelope, address, options):
        if address.startswith("bad@"):
            return "550 5.7.1 sender refused"
        if address.startswith("busy@"):
            return "451 4.7.1 too many messages, try again later"
        return await super().handle_MAIL(server, session, envelope, address, options)

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if address.startswith("closing@"):
            return "421 4.4.5 too many connections"
        said = await super().handle_RCPT(server, session, envelope, address, options)
        return "251 2.1.5 user not local; will forward" if address.startswith("moved@") else said

    async def handle_RSET(self, server, session, envelope):
        self.seen.append(("RSET", "", []))
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"BIG" in envelope.original_content:
            return "552 5.3.4 message too big"
        if b"GONE" in envelope.original_content:
            return "421 4.3.2 shutting down"
        return await super().handle_DATA(server, session, envelope)


class _QueueFull(SMTP):
    """Answers DATA for mail to full@ with postfix's 451 instead of 354: the relay
    has not taken the mail, and what follows would be read as commands."""

    async def smtp_DATA(self, arg):
        if any(r.startswith("full@") for r in self.envelope.rcpt_tos):
            await self.push("451 4.3.0 Error: queue file write error")
            return
        await super().smtp_DATA(arg)


class _RefusingRelay(Controller):
    def factory(self):
        return _QueueFull(self.handler, **self.SMTP_kwargs)


def test_deliver_refuses_and_resets_as_sendmail_does():
    """Each refusal raises what sendmail raises, with its arguments, and leaves the
    connection as sendmail leaves it (reset and still good, or closed after a 421).
    A 4xx is a refusal too (the mail is tried again, not taken as sent or refused for
    good), a 251 is a recipient taken, and a DATA not answered 354 sends no mail."""
    handler = _Refusing()
    ctl = _RefusingRelay(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    cfg = OutboundConfig(host="127.0.0.1", port=ctl.port)
    cases = [
        ("bad@example.com", ["anna@example.com"], b"Subject: a\r\n\r\nx\r\n"),
        ("support@example.com", ["nobody@example.com"], b"Subject: b\r\n\r\nx\r\n"),
        ("support@example.com", ["nobody@x.ru", "anna@x.ru"], b"Subject: c\r\n\r\nx\r\n"),
        ("support@example.com", ["anna@example.com"], b"Subject: d\r\n\r\nBIG\r\n"),
        ("support@example.com", ["anna@example.com"], b"Subject: e\r\n\r\nGONE\r\n"),
        ("busy@example.com", ["anna@example.com"], b"Subject: f\r\n\r\nx\r\n"),
        ("support@example.com", ["moved@example.com"], b"Subject: g\r\n\r\nx\r\n"),
        ("support@example.com", ["closing@example.com"], b"Subject: h\r\n\r\nx\r\n"),
        ("support@example.com", ["full@example.com"], b"Subject: i\r\n\r\nQUIT\r\n"),
    ]
    try:
        outcomes = []
        for send in (
            lambda c, s, r, d: c.sendmail(s, r, d),
            deliver,
        ):
            handler.seen.clear()
            got = []
            for sender, rcpts, data in cases:
                client = connect(cfg)
                try:
                    send(client, sender, rcpts, data)
                    got.append(("sent", None))
                except smtplib.SMTPException as e:
                    got.append((type(e).__name__, e.args))
                alive = client.sock is not None and client.noop()[0] == 250
                got.append(("connection good", alive))
                client.close()
            outcomes.append((got, list(handler.seen)))
    finally:
        ctl.stop()
    assert outcomes[0] == outcomes[1]
    got = outcomes[1][0]
    assert got[6] == ("SMTPDataError", (552, b"5.3.4 message too big"))
    assert ("RSET", "", []) in outcomes[1][1]
    assert got[9] == ("connection good", False)  # closed after the 421
    assert got[10][0] == "SMTPSenderRefused" and got[10][1][0] == 451
    assert got[12] == ("sent", None)  # 251: forwarded
    assert got[14][0] == "SMTPRecipientsRefused" and got[15] == ("connection good", False)
    assert got[16] == ("SMTPDataError", (451, b"4.3.0 Error: queue file write error"))
