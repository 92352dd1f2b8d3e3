"""The SMTP/LMTP edge: accept mail for the support address, spool it, answer.

250 only after the bytes are fsynced in the spool; 451 when spooling fails;
550 for any other recipient (never an open relay); 552 over the size limit, before
anything is stored. aiosmtpd's public API only: this handler's hooks, public
constructor parameters and attributes, and sessions.LimitedSessions around it
(connection cap, idle timer, slots for large DATA).

The size limit (smtp.max_message_size, advertised as SIZE) counts the message as
RFC 1870 does and postfix declares it: without the doubled leading dots of DATA.
aiosmtpd's data_size_limit counts the bytes on the wire, dots included, and answers
552 itself, once, before the handler sees the data: over LMTP that one reply for
several recipients leaves postfix waiting for the others (RFC 2033 4.2) until its
lmtp_data_done_timeout, and a message under the limit by its count could be over on
the wire. So aiosmtpd gets the room dot-stuffing can take (on_the_wire), which still
bounds what a session holds; handle_MAIL and handle_DATA hold the message to the
limit itself, handle_DATA with one reply per recipient over LMTP.

Group commit: messages whose DATA ends while a spool write is syncing wait for
the next one and are written and synced together (Spool.add_many), so concurrent
sessions share a sync instead of queueing for one each; every one of them still
gets its 250 only after its own bytes are on disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from maild.adapters.sessions import BACKSTOP, LimitedSessions, SessionLimits, declared_size
from maild.adapters.spool import Spool
from maild.domain.logid import log_time, message_id_for_log, peer_for_log, printable
from maild.privileges import describe

log = logging.getLogger("maild.listener")

OK = "250 2.0.0 Message accepted for delivery"
NOT_LOCAL = "550 5.1.1 Recipient address rejected: not a support address"
SPOOL_FAILED = "451 4.3.0 Temporary failure storing the message, try again later"
# No MTA sends one; a probe does, and it would be a ticket "from (no sender)" for staff.
EMPTY = "554 5.6.0 The message is empty"
TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
TOO_MANY_RCPT = "452 4.5.3 Too many recipients"
BAD_ARGUMENT = "501 5.5.4 Syntax error in parameters or arguments"
FAILED = "451 4.3.0 Error processing the command, try again later"
# Every accepted recipient is the one support mailbox, and the message is spooled
# once; RFC 5321 4.5.3.1.8's minimum of 100 bounds what a session keeps listing.
MAX_RCPT = 100
NULL_RETURN_PATH = b"Return-Path: <>\r\n"
# Seconds between checks, while mail is answered 451, that the spool would take it
# again: the MTA retries only after minutes to an hour, and `maild status` is not to
# say meanwhile that mail is refused when the cause is gone.
PROBE_EVERY = 5.0
# Longest line aiosmtpd takes in an LMTP DATA (its line_length_limit, which also sizes
# each connection's read buffer: twice this at most): a longer one is answered "500 Line
# too long" once for all recipients. RFC 5321's 1001 stays for SMTP, where one reply is
# right; postfix wraps its lines for LMTP anyway, another client (HTML mail) may not.
LMTP_LINE_LIMIT = 1 << 16  # aiosmtpd's documented value for "no line limit as before"


def on_the_wire(size: int) -> int:
    """The most bytes a message of `size` bytes can take in DATA: each line that
    starts with a dot gets one more, and the shortest such line ("." CRLF) is 3 bytes."""
    return size + size // 3


class GroupCommit:
    """Spool writes of concurrent sessions, batched: one writer at a time, and
    whatever arrived meanwhile goes into its next batch."""

    MAX_BATCH = 64

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.waiting: list[tuple[bytes, asyncio.Future[str]]] = []
        self.writing = False

    async def add(self, data: bytes) -> str:
        """The spool key once `data` is durable; raises OSError if it could not be."""
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting.append((data, fut))
        if not self.writing:
            self.writing = True
            asyncio.get_running_loop().create_task(self._write())
        return await fut

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.waiting:
                batch = self.waiting[: self.MAX_BATCH]
                del self.waiting[: self.MAX_BATCH]
                try:
                    # fsync blocks: off the event loop, so other sessions go on
                    keys = await loop.run_in_executor(
                        None, self.spool.add_many, [data for data, _ in batch]
                    )
                except Exception as e:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(e)
                else:
                    for (_, fut), key in zip(batch, keys, strict=True):
                        if not fut.done():
                            fut.set_result(key)
        finally:
            self.writing = False


def _raised_in(error: BaseException, package: str) -> bool:
    """Whether the innermost frame of ``error``'s traceback runs ``package``'s code."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    name = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
    return name == package or name.startswith(f"{package}.")


class SupportHandler:
    """aiosmtpd handler: RCPT check and durable DATA."""

    def __init__(
        self,
        spool: Spool,
        is_support: Callable[[str], bool],
        on_spooled: Callable[[str], None],
        lmtp: bool = False,
        stalled: Callable[[dict[str, Any] | None], None] | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.spool = spool
        self.is_support = is_support
        self.on_spooled = on_spooled
        self.lmtp = lmtp
        self.accepting = True
        self.commit = GroupCommit(spool)
        # `stalled` hears that mail is answered 451 because the spool fails ({"since",
        # "error", "pid"}: `maild status`), and None once a message is spooled again
        # or the spool would take the last refused one (checked every PROBE_EVERY s)
        self.stalled = stalled
        self.tz = tz  # the desk's zone, for the times of the log
        self.stall: dict[str, Any] | None = None
        self.refused_size = 0  # bytes of the last message answered 451
        self._probing: asyncio.Task[None] | None = None

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """EHLO (and LMTP's LHLO) as aiosmtpd composed it, sent in one write: aiosmtpd
        pushes each line of the reply on its own, a send and a wake-up of the client
        per line. The 5-argument hook sets the session's host name itself. SIZE is
        the limit by the message's count, not aiosmtpd's count on the wire."""
        session.host_name = hostname
        limit = getattr(server, "max_message_size", None)
        if limit is not None:
            responses = [f"250-SIZE {limit}" if r.startswith("250-SIZE ") else r for r in responses]
        return ["\r\n".join(responses)]

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """MAIL as aiosmtpd takes it, and a declared SIZE over the limit refused
        before the data comes (aiosmtpd checks SIZE against its room on the wire)."""
        limit = getattr(server, "max_message_size", None)
        size = declared_size(mail_options)
        if limit is not None and size is not None and size > limit:
            return TOO_BIG
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self.accepting:
            return SHUTTING_DOWN
        if not self.is_support(address):
            who = peer_for_log(session.peer)
            log.info("RCPT %s from %s refused: not a support address", printable(address), who)
            return NOT_LOCAL
        if len(envelope.rcpt_tos) >= MAX_RCPT:  # the client sends the rest later
            return TOO_MANY_RCPT
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        limit = getattr(server, "max_message_size", None)
        if limit is not None and len(data) > limit:
            log.info(
                "%s from %s refused: %d bytes, over smtp.max_message_size",
                message_id_for_log(data),
                printable(envelope.mail_from),
                len(data),
            )
            status = TOO_BIG
        elif not data.strip():
            status = EMPTY
        else:
            if not envelope.mail_from or envelope.mail_from == "<>":
                # A null reverse path (DSNs, auto-replies: RFC 3834 3.3) is the one
                # envelope fact the pipeline reads: as the final delivery we record it
                # where a delivery agent does (RFC 5321 4.4), on top, and screening
                # never answers it.
                data = NULL_RETURN_PATH + data
            status = await self.accept(data, envelope.mail_from)
        if self.lmtp:  # LMTP answers once per accepted recipient
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status

    async def handle_exception(self, error: Exception) -> str:
        """The reply to a command that raised (aiosmtpd's hook). What aiosmtpd raised
        reading a client's command (`MAIL FROM:<a@b.ru> SIZE=²`: str.isdigit takes "²",
        int() does not) is the client's: 501, one line in the log. What maild's own code
        raised is maild's: its traceback, and 451, so the sending server keeps the mail
        and tries again. aiosmtpd's own answer was 500 for both (a bounce of the mail),
        with a traceback at ERROR for a client's typo."""
        if _raised_in(error, "aiosmtpd"):
            log.warning("a client's command refused (501): %s: %s", type(error).__name__, error)
            return BAD_ARGUMENT
        log.error("a command failed (answered 451: the sender retries)", exc_info=error)
        return FAILED

    async def accept(self, data: bytes, mail_from: str | None) -> str:
        """The reply to a message: accepted once it is in the spool, else try later."""
        try:
            key = await self.commit.add(data)
        except OSError as e:
            # as ingest says it: a temp file is never there, so its folder, with the fix
            why = describe(e, self.spool.root.parent)
            log.error(
                "%s spool write failed for mail from %s (answered 451: the sender retries): %s",
                message_id_for_log(data),
                printable(mail_from),
                why,
            )
            self.refused_size = len(data)
            self._stalled(why)
            return SPOOL_FAILED
        self.on_spooled(key)
        self._stalled(None)
        return OK

    def _stalled(self, error: str | None) -> None:
        if error is None:
            if self.stall is None:
                return
            since = log_time(self.stall["since"], self.tz)
            log.info("the spool takes mail again (it could not since %s)", since)
            self.stall = None
        else:
            since = self.stall["since"] if self.stall else datetime.now(UTC).isoformat()
            self.stall = {"since": since, "error": error, "pid": os.getpid()}
            if self._probing is None or self._probing.done():
                self._probing = asyncio.get_running_loop().create_task(self._probe())
        if self.stalled is not None:
            self.stalled(self.stall)

    async def _probe(self) -> None:
        """While mail is answered 451: would the spool take the last refused message
        now? Once it would, the stall ends, with no mail coming in to show it."""
        loop = asyncio.get_running_loop()
        while self.stall is not None:
            await asyncio.sleep(PROBE_EVERY)
            if self.stall is None:
                return  # a message was spooled meanwhile
            try:
                await loop.run_in_executor(None, self.spool.probe, self.refused_size)
            except OSError:
                continue  # still: status says so, with the error the mail met
            self._stalled(None)


class DeclaredSize:
    """A MAIL whose SIZE= is over smtp.max_message_size is logged: postfix declares
    the size whenever SIZE is offered, so that mail is refused there (552), before
    its data and Message-ID, by handle_MAIL or, past the room on the wire, by
    aiosmtpd itself, which logs nothing of it."""

    max_message_size: int | None = None

    async def smtp_MAIL(self, arg: str) -> None:
        limit = self.max_message_size
        size = declared_size(arg.rpartition(">")[2].split())
        if limit is not None and size is not None and size > limit:
            address = arg.partition(":")[2].rpartition(">")[0].strip().removeprefix("<")
            who = peer_for_log(self.session.peer)  # type: ignore[attr-defined]
            log.info(
                "mail from %s (client %s) refused: it declares %d bytes (SIZE=), over "
                "smtp.max_message_size %d",
                *(printable(address), who, size, limit),
            )
        await super().smtp_MAIL(arg)  # type: ignore[misc]


class MaildSMTP(DeclaredSize, LimitedSessions, SMTP):
    """aiosmtpd's SMTP with the listener's limits."""

    max_message_size: int | None = None  # SupportHandler's limit (None: aiosmtpd's alone)


class MaildLMTP(DeclaredSize, LimitedSessions, LMTP):
    """aiosmtpd's LMTP with the listener's limits."""

    max_message_size: int | None = None
    line_length_limit = LMTP_LINE_LIMIT
    maild_lmtp = True


def make_protocol(
    handler: SupportHandler,
    *,
    lmtp: bool,
    max_size: int,
    hostname: str,
    limits: SessionLimits | None = None,
    tls: ssl.SSLContext | None = None,
) -> Callable[[], SMTP]:
    """The protocol factory for asyncio's create_server: one MaildSMTP/MaildLMTP per
    connection, sharing `limits`, taking messages up to `max_size` bytes (module doc);
    offering STARTTLS with `tls` (adapters/tls.py), to senders that want it: mail in
    clear is still taken, as on any MX."""
    cls = MaildLMTP if lmtp else MaildSMTP
    limits = limits or SessionLimits()

    def factory() -> SMTP:
        proto = cls(
            handler,
            data_size_limit=on_the_wire(max_size),
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="maild",
            timeout=BACKSTOP,  # the idle timer of LimitedSessions is the real one
            tls_context=tls,
            require_starttls=False,
        )
        proto.session_limits = limits
        proto.max_message_size = max_size
        return proto

    return factory
