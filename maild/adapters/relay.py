"""The SMTP client to the relay, through smtplib's public API (its reading of an
answer aside: Client): connections (kept between the daemon's passes, one per slot),
one mail handed over (MAIL, RCPT and DATA as sendmail sends them), and what the relay
answered, in words for the log."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time

from maild.adapters import oauth2token
from maild.configtypes import OutboundConfig
from maild.domain.addresses import a_labelled
from maild.domain.retry import permanent_for_recipient, too_big
from maild.mime import seven_bit

KEEP_SECONDS = 30  # a relay connection kept open between passes, at most this idle
# The wait for the relay's answer to a whole mail (RFC 5321 4.5.3.2.6: 10 minutes;
# postfix's smtp_data_done_timeout). The relay may have stored the mail before it
# answers (a slow milter, disk or antivirus): a client that gives up sooner sends it
# again on its next try, so outbound.timeout, the wait for each other answer, is not it.
DATA_DONE_SECONDS = 600.0
# What a mail's error begins with when the connection was lost after the whole mail
# went and before the relay's answer (RFC 5321 6.1): the relay may have it, so it is
# tried again after its back-off only, never at once by `outbox flush` (outbound.py)
UNANSWERED = "no answer to the whole mail, and the relay may have it"
# One answer of the relay, all its lines: an EHLO's is under 1 KB (RFC 5321 4.5.3.1.5:
# a reply line is at most 512 octets)
ANSWER_MAX_BYTES = 65536


class Client(smtplib.SMTP):
    """smtplib's client, but an answer is read within the socket's timeout in all and
    ANSWER_MAX_BYTES: smtplib waits the timeout for each read, so a relay that sends a
    byte every few seconds, or a multi-line answer that never ends (each line kept),
    held the sender, and the outbox's lock, for ever. Read as smtplib reads it
    (getreply: its codes and text, -1 for a line without a code); a broken answer
    closes the connection and raises SMTPServerDisconnected, saying why."""

    _unread = b""  # read past the answer's end (a relay answering ahead)
    _unread_of: object = None  # the socket it came from (STARTTLS makes a new one)

    def getreply(self) -> tuple[int, bytes]:
        sock = self.sock
        if sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        if self._unread_of is not sock:
            self._unread, self._unread_of = b"", sock
        wait = sock.gettimeout()
        try:
            lines = self._answer(sock, None if wait is None else time.monotonic() + wait)
        except smtplib.SMTPServerDisconnected:
            self.close()
            raise
        except OSError as e:
            self.close()
            raise smtplib.SMTPServerDisconnected(f"Connection unexpectedly closed: {e}") from e
        finally:
            if self.sock is sock:
                sock.settimeout(wait)
        code = lines[-1][:3]
        if not code.isdigit():  # no SMTP answer: -1 as smtplib, but said whole (not from
            return -1, b"\n".join(line.strip(b" \t\r\n") for line in lines)  # its 5th byte)
        return int(code), b"\n".join(line[4:].strip(b" \t\r\n") for line in lines)

    def _answer(self, sock: socket.socket, deadline: float | None) -> list[bytes]:
        """The lines of one answer, read by `deadline` (monotonic; None: no bound)."""
        lines: list[bytes] = []
        size = 0
        while True:
            end = self._unread.find(b"\n") + 1
            while not end:
                if size + len(self._unread) > ANSWER_MAX_BYTES:
                    raise OSError(f"an answer over {ANSWER_MAX_BYTES} bytes")
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("no whole answer within the timeout")
                    sock.settimeout(left)
                chunk = sock.recv(4096)
                if not chunk:  # (smtplib's words)
                    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
                self._unread += chunk
                end = self._unread.find(b"\n") + 1
            line, self._unread = self._unread[:end], self._unread[end:]
            size += len(line)
            lines.append(line)
            if not line[:3].isdigit() or line[3:4] != b"-":
                return lines


def connect(cfg: OutboundConfig) -> smtplib.SMTP:
    """A new connection to the relay, with STARTTLS and login as configured."""
    client = Client(cfg.host, cfg.port, timeout=cfg.timeout)
    try:
        if cfg.starttls:
            client.starttls(context=ssl.create_default_context())
        if cfg.oauth2_token_command:  # XOAUTH2: Microsoft 365's SMTP AUTH, Gmail's
            _oauth2_login(client, cfg)
        elif cfg.username:
            client.login(cfg.username, cfg.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _oauth2_login(client: smtplib.SMTP, cfg: OutboundConfig) -> None:
    """AUTH XOAUTH2 with the token outbound.oauth2_token_command prints. On a token it
    does not take, the server sends a 334 error challenge: the answer is an empty line,
    then its 535 raises SMTPAuthenticationError."""
    token = oauth2token.fetch(cfg.oauth2_token_command, "outbound.oauth2_token_command")
    response = oauth2token.xoauth2(cfg.username or "", token)
    client.ehlo_or_helo_if_needed()
    client.auth("XOAUTH2", lambda challenge=None: response if challenge is None else "")


def quit_quietly(client: smtplib.SMTP) -> None:
    """End a connection: QUIT if the relay still listens, else just close it."""
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def deliver(client: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> None:
    """Hand one mail to the relay (raises what smtplib raises). `recipients` is one
    address (each recipient gets a copy of their own: outqueue), so a refusal is of
    the whole mail and it is retried whole. 8-bit text
    (mime.text_part) goes as BODY=8BITMIME where the relay offers it, else
    converted to 7 bits (base64 parts). A non-ASCII address (a customer's
    иван@client.example) goes with SMTPUTF8 where the relay offers it, else the
    mail is refused here, before MAIL FROM: smtplib would fail to encode the RCPT
    mid-transaction, and that exception stopped every pass of the outbox. An ASCII
    local part at a non-ASCII domain (boss@окна.рф) needs no SMTPUTF8: without it
    the domain goes in its A-label form (boss@xn--80atjc.xn--p1ai, RFC 5890), the
    one address as ordinary clients send it."""
    options: list[str] = []
    utf8 = [a for a in (sender, *recipients) if not a.isascii()]
    if utf8 or not data.isascii():
        client.ehlo_or_helo_if_needed()
    if utf8 and not client.has_extn("smtputf8"):
        sender, recipients = a_labelled(sender), [a_labelled(r) for r in recipients]
        utf8 = [a for a in (sender, *recipients) if not a.isascii()]
        if utf8:
            why = b"5.6.7 non-ASCII address, and the relay offers no SMTPUTF8 (RFC 6531)"
            raise smtplib.SMTPRecipientsRefused({a: (553, why) for a in utf8})
    if utf8:
        options.append("SMTPUTF8")
    if not data.isascii():
        if client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        else:
            data = seven_bit(data)
    _transaction(client, sender, recipients, data, options)


def _final_reply(client: smtplib.SMTP) -> tuple[int, bytes]:
    """The relay's answer to a whole mail, waited for DATA_DONE_SECONDS at least."""
    sock = client.sock
    if sock is None:  # closed: getreply raises as it would
        return client.getreply()
    wait = sock.gettimeout()
    sock.settimeout(max(wait or 0.0, DATA_DONE_SECONDS))
    try:
        return client.getreply()
    finally:
        if client.sock is sock:  # (getreply closes the connection on a read error)
            sock.settimeout(wait)


def _transaction(
    client: smtplib.SMTP, sender: str, recipients: list[str], data: bytes, options: list[str]
) -> None:
    """smtplib's sendmail, step for step through its MAIL, RCPT and DATA commands,
    with its answers and exceptions (any 2yz a success: _positive), but the message
    dot-stuffed by dot_stuffed:
    sendmail runs a regular expression over the whole message, screenshots and all
    (bench/FINDINGS.md 33)."""
    client.ehlo_or_helo_if_needed()
    if not client.does_esmtp:
        options = []
    elif client.has_extn("size"):
        options = [f"size={len(data)}", *options]
    code, reply = _command(client, "mail", "from", sender, options)
    if not _positive(code):
        _abort(client, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for rcpt in recipients:
        code, reply = _command(client, "rcpt", "to", rcpt, [])
        if not _positive(code):
            refused[rcpt] = (code, reply)
        if code == 421:
            client.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abort(client, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = client.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    client.send(dot_stuffed(data))
    try:
        code, reply = _final_reply(client)
    except smtplib.SMTPServerDisconnected as e:  # (a timeout too: Client.getreply)
        raise smtplib.SMTPServerDisconnected(f"{UNANSWERED}: {e}") from e
    if not _positive(code):
        _abort(client, code)
        raise smtplib.SMTPDataError(code, reply)


def _positive(code: int) -> bool:
    """Whether a reply says the step was done: any 2yz, as RFC 5321 4.2.1 asks of a
    client meeting a code it does not know (smtplib's sendmail takes 250 alone, and
    251 to RCPT: a mail whose end a relay answered 299 was sent again)."""
    return 200 <= code <= 299


# An address that smtplib's quoteaddr gives back unchanged in <>: a dot-atom local part
# at a domain, as maild's outbox holds them (or "", the null sender). quoteaddr parses
# every address with the email package (bench/FINDINGS.md 33); any other goes through
# smtplib's mail() and rcpt() (tests/unit/test_relay_envelope.py holds the two equal).
_PLAIN = re.compile(
    r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)?"
)


def _command(
    client: smtplib.SMTP, verb: str, word: str, address: str, options: list[str]
) -> tuple[int, bytes]:
    """MAIL FROM or RCPT TO, as smtplib's mail() and rcpt() say it."""
    if not _PLAIN.fullmatch(address) or "smtputf8" in (o.lower() for o in options):
        return client.mail(address, options) if verb == "mail" else client.rcpt(address, options)
    return client.docmd(verb, f"{word}:<{address}>" + "".join(" " + o for o in options))


def _abort(client: smtplib.SMTP, code: int) -> None:
    """After a refusal: a 421 ends the connection, anything else resets the transaction
    (as sendmail does)."""
    if code == 421:
        client.close()
        return
    try:
        client.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def dot_stuffed(data: bytes) -> bytes:
    """``data`` as DATA sends it: a "." before each line that starts with one (RFC 5321
    4.5.2; a line starts after each LF, as smtplib's regular expression has it), then
    a line break if it has none at its end, and the "." line."""
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + (b".\r\n" if stuffed.endswith(b"\r\n") else b"\r\n.\r\n")


def describe(e: BaseException) -> str:
    """What went wrong, for the admin: each refused recipient with the relay's
    reply, the relay's reply, or the exception."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {_said(reply)}" for rcpt, (code, reply) in e.recipients.items()
        )
    if isinstance(e, smtplib.SMTPResponseException):
        return f"{e.smtp_code} {_said(e.smtp_error)}"
    return f"{type(e).__name__}: {e}"


def refused_as_too_big(e: BaseException) -> bool:
    """Whether `e` is the relay's refusal of the mail for its size (retry.too_big), at
    MAIL FROM (its SIZE) or at the end of DATA."""
    if not isinstance(e, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return False
    return too_big(e.smtp_code, _said(e.smtp_error))


def _said(reply: bytes | str) -> str:
    """A relay's reply as text (smtplib's replies are bytes; an exception made with
    text holds that)."""
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def refused_for_good(e: BaseException, recipient: str) -> bool:
    """Whether `e`, what smtplib raised for a mail to `recipient` alone, is the
    relay's permanent refusal of that address, at RCPT or at DATA (the domain rule:
    retry.permanent_for_recipient); False for anything else, which is retried."""
    at_rcpt = isinstance(e, smtplib.SMTPRecipientsRefused)
    replies: list[tuple[int, bytes | str]]
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        replies = list(e.recipients.values())
    elif isinstance(e, smtplib.SMTPDataError):
        replies = [(e.smtp_code, e.smtp_error)]
    else:
        return False
    return bool(replies) and all(
        permanent_for_recipient(code, _said(reply), recipient, at_rcpt=at_rcpt)
        for code, reply in replies
    )


class Connections:
    """Relay connections kept open between passes, one per slot (each slot is used
    by one thread at a time), each at most KEEP_SECONDS idle."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[smtplib.SMTP, OutboundConfig, float]] = {}

    def get(self, cfg: OutboundConfig, slot: int | None) -> smtplib.SMTP:
        """A connection to the relay: slot's kept one if still good, else a new one
        (None: a connection of its own, not kept)."""
        if slot is None:
            return connect(cfg)
        kept = self._kept.pop(slot, None)
        if kept is not None:
            client, used_cfg, used = kept
            if used_cfg == cfg and time.monotonic() - used < KEEP_SECONDS:
                try:
                    if client.noop()[0] == 250:
                        return client
                except (OSError, smtplib.SMTPException):
                    pass
            quit_quietly(client)
        return connect(cfg)

    def put(
        self, slot: int | None, client: smtplib.SMTP, cfg: OutboundConfig, *, good: bool
    ) -> None:
        """Give back a connection got for `slot`: kept if it is good and has a
        slot, else ended."""
        if good and slot is not None:
            self._kept[slot] = (client, cfg, time.monotonic())
        else:
            quit_quietly(client)

    def close(self) -> None:
        """End every kept connection."""
        kept, self._kept = self._kept, {}
        for client, _cfg, _used in kept.values():
            quit_quietly(client)
