"""The SMTP/LMTP edge: accept mail for the support address, spool it, answer.

250 only after the bytes are fsynced in the spool; 451 when spooling fails;
550 for any other recipient (never an open relay); 552 over the size limit
(aiosmtpd's data_size_limit, checked before anything is stored).

Group commit: messages whose DATA ends while a spool write is syncing wait for
the next one and are written and synced together (Spool.add_many), so concurrent
sessions share a sync instead of queueing for one each; every one of them still
gets its 250 only after its own bytes are on disk.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session, syntax

from maild.adapters.sessions import (
    LARGE,
    SLOT_WAIT,
    DataSlot,
    LimitedSessions,
    SessionLimits,
    Spill,
    long_line,
)
from maild.adapters.spool import Spool
from maild.domain.logid import message_id_for_log

log = logging.getLogger("maild.listener")

OK = "250 2.0.0 Message accepted for delivery"
NOT_LOCAL = "550 5.1.1 Recipient address rejected: not a support address"
SPOOL_FAILED = "451 4.3.0 Temporary failure storing the message, try again later"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"


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


class AiosmtpdNames:
    """aiosmtpd builds its tables of commands, hooks and AUTH mechanisms anew for
    every connection, by scanning dir() of the protocol and of the handler
    (inspect.getmembers): 0.3 ms per session, a sixth of what accepting a message
    costs the listener. The names it looks for are fixed per class: dir() lists
    just those, once per class (tests compare the tables with aiosmtpd's own)."""

    _AIOSMTPD_PREFIXES = ("smtp_", "auth_", "handle_")

    def __dir__(self) -> list[str]:
        cls = type(self)
        names = cls.__dict__.get("_aiosmtpd_names")
        if names is None:
            names = [n for n in dir(cls) if n.startswith(self._AIOSMTPD_PREFIXES)]
            cls._aiosmtpd_names = names
        return names


class SupportHandler(AiosmtpdNames):
    """aiosmtpd handler: RCPT check and durable DATA."""

    def __init__(
        self,
        spool: Spool,
        is_support: Callable[[str], bool],
        on_spooled: Callable[[str], None],
        lmtp: bool = False,
    ) -> None:
        self.spool = spool
        self.is_support = is_support
        self.on_spooled = on_spooled
        self.lmtp = lmtp
        self.accepting = True
        self.commit = GroupCommit(spool)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options
    ) -> str:
        if not self.accepting:
            return SHUTTING_DOWN
        if not self.is_support(address):
            log.info("RCPT %s from %s refused: not a support address", address, session.peer)
            return NOT_LOCAL
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        spill = getattr(envelope, "maild_spill", None)  # a large body, in spool/tmp
        try:
            if spill is not None:
                loop = asyncio.get_running_loop()
                key = await loop.run_in_executor(None, self.spool.adopt, spill)
            else:
                key = await self.commit.add(data)
        except OSError as e:
            log.error(
                "%s spool write failed for mail from %s (answered 451: the sender retries): %s",
                message_id_for_log(data),
                envelope.mail_from,
                e,
            )
            status = SPOOL_FAILED
        else:
            self.on_spooled(key)
            status = OK
        if self.lmtp:  # LMTP answers once per accepted recipient
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status


class BlockData:
    """DATA read in blocks, not line by line: aiosmtpd's own smtp_DATA awaits every
    line (a 12 KB mail has about 170), which cost the listener more than the rest of
    a session. The answers are aiosmtpd's: 552 over data_size_limit, 500 for a line
    over line_length_limit (both after the whole DATA is read), and the dots are
    removed as RFC 5321 4.5.2 says."""

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        slot = DataSlot(self.session_limits)  # type: ignore[attr-defined]
        spill: Spill | None = None
        try:
            data, spill, too_much = await self._read_data(slot)
            if data is None:  # the connection ended
                return
            if too_much:
                await self.push("552 Error: Too much mail data")
                self._set_post_data_state()
                return
            if long_line(data, self.line_length_limit) or (spill and spill.long):
                await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
                self._set_post_data_state()
                return
            if spill is not None:  # the body is in its file: the handler adopts it
                self.envelope.maild_spill = spill.finish()  # type: ignore[attr-defined]
                content = b""
            else:
                content = _undot(data)
            del data
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
        finally:
            slot.release()
            if spill is not None:
                spill.discard()  # (gone already if the spool adopted it)
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _read_data(self, slot: DataSlot) -> tuple[bytearray | None, Spill | None, bool]:
        """(DATA up to and without the final ".CRLF", or its end when the rest went
        to a Spill; the Spill; whether it exceeded the size limit); None for the
        data if the connection ended first. Every chunk that arrives restarts the
        session's timeout; past LARGE bytes the body waits for a slot and goes to
        a file (sessions.py)."""
        spill: Spill | None = None
        try:
            data, too_much = await self._read_into(slot, spills := [])
        except BaseException:
            for s in spills:
                s.discard()
            raise
        spill = spills[0] if spills else None
        if (data is None or too_much) and spill is not None:
            spill.discard()
            spill = None
        return data, spill, too_much

    async def _read_into(
        self, slot: DataSlot, spills: list[Spill]
    ) -> tuple[bytearray | None, bool]:
        reader = self._reader
        limit = self.data_size_limit
        buf = bytearray()
        dropped = 0  # bytes discarded once over the limit (the rest is drained)
        while True:
            try:
                buf += await reader.readuntil(b".\r\n")
                ended = True
            except asyncio.LimitOverrunError as e:  # more than the reader's limit
                buf += await reader.read(e.consumed)
                ended = False
            except asyncio.IncompleteReadError:
                return None, False
            self._reset_timeout()  # progress: a slow transfer is not idle
            if len(buf) > LARGE:  # all but the last 5 bytes (the end mark may be there)
                if not slot.held:
                    self._reset_timeout(SLOT_WAIT)  # waiting is not the client's fault
                    await slot.claim()
                    self._reset_timeout()
                spilled = spills[0].raw_size if spills else 0
                if limit and dropped + spilled + len(buf) > limit + 3:
                    dropped += spilled + len(buf) - 5  # over the limit: drained, not kept
                    for spill in spills:
                        spill.discard()
                    spills.clear()
                else:
                    if not spills:
                        folder = self.event_handler.spool.root / "tmp"
                        spills.append(Spill(folder, self.line_length_limit))
                    spills[0].write(buf[:-5])
                del buf[:-5]
            if not ended:
                continue
            if (buf == b".\r\n" and not dropped and not spills) or buf.endswith(b"\r\n.\r\n"):
                break  # a line holding only a dot; else a dot ended some line
            if limit and dropped + len(buf) > limit + 3 and len(buf) > 5:
                dropped += len(buf) - 5
                del buf[:-5]
        taken = dropped + (spills[0].raw_size if spills else 0)
        if limit and taken + len(buf) - 3 > limit:
            return bytearray(), True
        del buf[-3:]
        if spills:
            spills[0].write(buf)
            return bytearray(), False
        return buf, False


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# <local@domain> of dot-atoms: what nearly every MAIL FROM and RCPT TO carries
_SIMPLE_PATH = re.compile(rf"<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>")


class SimplePaths:
    """MAIL FROM and RCPT TO paths of the form <local@domain> (dot-atoms) read with
    one regular expression. aiosmtpd's _getaddr defines a typing.Protocol class on
    every call and runs the email package's header parser: 75 µs, twice a message.
    Its answer is the same (a property test compares them); any other path, with
    comments, quotes, a source route or non-ASCII, still goes to aiosmtpd."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        m = _SIMPLE_PATH.match(arg)
        rest = arg[m.end() :] if m else ""
        if rest[:1] in (" ", "\t"):
            rest = rest.lstrip()  # as the email package's FWS: all whitespace after one
        if m is None or rest.startswith("("):  # a comment after the path
            return super()._getaddr(arg)  # type: ignore[misc]
        addr = m.group(1)
        limit = self.local_part_limit  # type: ignore[attr-defined]
        if limit and len(addr.rpartition("@")[0]) > limit:
            return None, None
        return addr, rest


def _undot(data: bytearray) -> bytes:
    """DATA without the lines' leading dots (transparency, RFC 5321 4.5.2): one copy
    when no line starts with a dot, as nearly always."""
    if data[:1] != b"." and b"\r\n." not in data:
        return bytes(data)
    return bytes((b"\r\n" + data).replace(b"\r\n.", b"\r\n")[2:])


class OneWriteReplies:
    """The multi-line EHLO and LHLO replies sent in one write. aiosmtpd pushes each
    of their lines on its own (six here): six sends, and the client wakes up for
    each. The lines and their order are aiosmtpd's."""

    _held: list[bytes] | None = None

    async def _in_one_write(self, command: Callable[[str], Awaitable[None]], arg: str) -> None:
        self._held = []
        try:
            await command(arg)
        finally:
            held, self._held = self._held, None
        if held:
            await self.push(b"".join(held)[:-2])

    async def push(self, status: str | bytes) -> None:
        if self._held is None:
            await super().push(status)  # type: ignore[misc]
            return
        if isinstance(status, str):
            status = status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii")  # type: ignore[attr-defined]
        self._held.append(status + b"\r\n")


class MaildSMTP(AiosmtpdNames, LimitedSessions, SimplePaths, BlockData, OneWriteReplies, SMTP):
    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str) -> None:
        await self._in_one_write(super().smtp_EHLO, hostname)


class MaildLMTP(AiosmtpdNames, LimitedSessions, SimplePaths, BlockData, OneWriteReplies, LMTP):
    @syntax("LHLO hostname")
    async def smtp_LHLO(self, arg: str) -> None:
        await self._in_one_write(super().smtp_LHLO, arg)


def make_protocol(
    handler: SupportHandler,
    *,
    lmtp: bool,
    max_size: int,
    hostname: str,
    limits: SessionLimits | None = None,
) -> Callable[[], SMTP]:
    cls = MaildLMTP if lmtp else MaildSMTP
    limits = limits or SessionLimits()

    def factory() -> SMTP:
        proto = cls(
            handler,
            data_size_limit=max_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="maild",
            timeout=limits.timeout,
        )
        proto.session_limits = limits
        return proto

    return factory
