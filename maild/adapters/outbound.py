"""The durable outbox and the SMTP relay client.

    outbox/queue/<id>.mail   waiting: one line of JSON (the record), then the message
    outbox/sent/<id>.mail    sent: the same file, moved (kept so a re-run never
                             queues it again)
    outbox/sent/sent.log     one line per sent mail: "<id> <sent_at> <attempts>"

One file per mail, written once and moved once: the sender creates and deletes no
file per mail (on ext4 every created file pays for the inodes deleted lately).
Ids are derived from what caused the mail, so queueing is idempotent.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maild.adapters.durable import exists, read_bytes, sync_fs, write_atomic
from maild.adapters.reserve import Reserve
from maild.config import OutboundConfig
from maild.domain.message import is_plain_address
from maild.render import Mail, as_bytes, seven_bit

logger = logging.getLogger("maild.outbox")

RETRY_BASE_SECONDS = 30
PARALLEL_CONNECTIONS = 4  # to the relay, when a pass has enough mail to share
RETRY_MAX_SECONDS = 3600
KEEP_SECONDS = 30  # a relay connection kept open between passes, at most this idle
SYNC_EVERY = 32  # sent records made durable together
KEEP_MAILS = 1024  # mails a pass reads with their records (the rest when sent)
PAUSE_FIRST, PAUSE_MAX = 5.0, 300.0  # back-off of passes that could not record
EXT = ".mail"
SENT_LOG = "sent.log"
_log = logging.getLogger("maild.outbox")


class Outbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.queue = root / "queue"
        self.sent = root / "sent"
        self.queue.mkdir(parents=True, exist_ok=True)
        self.sent.mkdir(parents=True, exist_ok=True)
        # The daemon's sender keeps its relay connections, one per slot, and the
        # threads that use them, open between passes (close() ends them).
        self._clients: dict[int, tuple[smtplib.SMTP, OutboundConfig, float]] = {}
        self._pool: ThreadPoolExecutor | None = None
        # A full disk must not make mail go twice (adapters/reserve.py): why the last
        # pass stopped (None: it did not), when the next may run, and the mails sent
        # whose record could not be written (never sent again by this process).
        self.reserve = Reserve(root / "reserve")
        self.stopped: str | None = None
        self._pause = 0.0
        self._resume_at = 0.0
        self._unrecorded: set[str] = set()

    def _file(self, folder: Path, mail_id: str) -> str:
        """The mail's file in queue/ or sent/, as a string (made per mail queued)."""
        return f"{os.fspath(folder)}/{mail_id}{EXT}"

    def known(self, mail_id: str) -> bool:
        return exists(self._file(self.queue, mail_id)) or exists(self._file(self.sent, mail_id))

    def enqueue(
        self,
        mail_id: str,
        msg: Mail,
        recipients: list[str],
        *,
        tid: str | None = None,
        kind: str = "",
        now: datetime | None = None,
        checked: bool = False,
    ) -> bool:
        """Queue a message durably; False if this id was queued or sent before
        (`checked`: the caller has just asked `known`)."""
        if not recipients or (not checked and self.known(mail_id)):
            return False
        meta = {
            "id": mail_id,
            "tid": tid,
            "kind": kind,
            "from": msg["From"] or "",  # Mail keeps its headers as text
            "sender": _bare(str(msg["From"])),
            "to": recipients,
            "subject": msg["Subject"] or "",
            "message_id": str(msg["Message-ID"]),
            "queued_at": (now or datetime.now(UTC)).isoformat(),
            "attempts": 0,
            "last_error": None,
            "next_try": None,
        }
        write_atomic(self._file(self.queue, mail_id), _pack(meta, as_bytes(msg)))
        return True

    def mark(self, mail_id: str, **fields: Any) -> None:
        """Add fields to a queued message's record (e.g. that the head was alerted)."""
        self._rewrite(self._file(self.queue, mail_id), fields)

    def _rewrite(self, path: str, fields: dict[str, Any]) -> None:
        try:
            meta, raw = _unpack(read_bytes(path))
        except (OSError, ValueError):
            return
        write_atomic(path, _pack({**meta, **fields}, raw))

    def entries(self, mails: dict[str, bytes] | None = None) -> list[dict[str, Any]]:
        """Queued messages, oldest first. `mails`, for a pass that sends them, gets
        the mails not tried yet, by id (up to KEEP_MAILS): their files are read once."""
        out = _records(self.queue, mails)
        out.sort(key=lambda m: (m["queued_at"], m["id"]))
        return out

    def sent_entries(self) -> list[dict[str, Any]]:
        log: dict[str, tuple[str, int]] = {}
        try:
            for line in (self.sent / SENT_LOG).read_text("utf-8").splitlines():
                parts = line.split(" ")
                if len(parts) == 3:
                    log[parts[0]] = (parts[1], int(parts[2]))
        except (OSError, ValueError):
            pass
        out = _records(self.sent)
        for meta in out:
            if meta["id"] in log:
                meta["sent_at"], meta["attempts"] = log[meta["id"]]
        out.sort(key=lambda m: (m.get("sent_at") or "", m["id"]))
        return out

    def rewrite_mail(self, mail_id: str, transform: Any) -> bool:
        """Replace a queued or sent mail by transform(mail) (None: leave it), its
        record kept (credential redaction). True if it was rewritten."""
        for folder in (self.queue, self.sent):
            path = self._file(folder, mail_id)
            try:
                meta, raw = _unpack(read_bytes(path))
            except FileNotFoundError:
                continue
            new = transform(raw)
            if new is None:
                return False
            write_atomic(path, _pack(meta, new))
            return True
        return False

    def raw(self, mail_id: str) -> bytes:
        for folder in (self.queue, self.sent):
            try:
                return _message(read_bytes(self._file(folder, mail_id)))
            except FileNotFoundError:
                continue
        raise FileNotFoundError(mail_id)

    def flush(
        self,
        cfg: OutboundConfig,
        now: datetime | None = None,
        *,
        force: bool = True,
        keep_connection: bool = False,
    ) -> tuple[int, int]:
        """Send what is due (everything when `force`). Returns (sent, failed).

        With `keep_connection` (the daemon) the relay connections stay open for the
        next pass, up to KEEP_SECONDS idle; close() ends them."""
        now = now or datetime.now(UTC)
        with self._flush_lock():
            if not force and time.monotonic() < self._resume_at:
                return 0, 0
            self.stopped = None
            error = self.reserve.ensure()
            if error is not None:
                result = 0, 0
                self._stop(f"cannot keep space for records in {self.root} ({error}): not sending")
            else:
                result = self._flush(cfg, now, force, keep_connection)
            if self.stopped is None:
                self._pause = 0.0
            else:
                self._pause = min(max(self._pause * 2, PAUSE_FIRST), PAUSE_MAX)
                self._resume_at = time.monotonic() + self._pause
            return result

    def _stop(self, why: str) -> None:
        """Stop this pass: something it must record cannot be recorded."""
        if self.stopped is None:
            _log.error("outbox: %s", why)
        self.stopped = self.stopped or why

    def close(self) -> None:
        """Close the relay connections kept open between passes."""
        clients, self._clients = self._clients, {}
        for client, _cfg, _used in clients.values():
            _quit(client)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _relay(self, cfg: OutboundConfig, slot: int | None) -> smtplib.SMTP:
        """A connection to the relay: slot's kept one if still good, else a new one
        (kept in slot when there is one)."""
        if slot is None:
            return _connect(cfg)
        kept = self._clients.pop(slot, None)
        if kept is not None:
            client, used_cfg, used = kept
            if used_cfg == cfg and time.monotonic() - used < KEEP_SECONDS:
                try:
                    if client.noop()[0] == 250:
                        return client
                except (OSError, smtplib.SMTPException):
                    pass
            _quit(client)
        return _connect(cfg)

    @contextmanager
    def _flush_lock(self) -> Iterator[None]:
        """One sender at a time (the daemon and a manual flush), or mail goes twice.
        The lock is the outbox directory itself: a lock file could be deleted."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _flush(
        self, cfg: OutboundConfig, now: datetime, force: bool, keep: bool = False
    ) -> tuple[int, int]:
        mails: dict[str, bytes] = {}
        due = [
            m
            for m in self.entries(mails)
            if (force or not m.get("next_try") or m["next_try"] <= now.isoformat())
            and m["id"] not in self._unrecorded
        ]
        if not due:
            return 0, 0
        # A relay answers each SMTP step in turn; several connections keep it busy.
        # Each chunk has its own; the daemon keeps them (and their threads) for the
        # next passes.
        n_chunks = max(1, min(PARALLEL_CONNECTIONS, len(due) // 8))
        chunks = [due[i::n_chunks] for i in range(n_chunks)]
        if n_chunks == 1:
            return self._send_chunk(cfg, chunks[0], mails, now, 0 if keep else None)
        if keep:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(PARALLEL_CONNECTIONS, "maild-relay")
            pool = self._pool
        else:
            pool = ThreadPoolExecutor(n_chunks, "maild-relay")
        try:
            futures = [
                pool.submit(self._send_chunk, cfg, chunk, mails, now, i if keep else None)
                for i, chunk in enumerate(chunks)
            ]
            results = [f.result() for f in futures]
        finally:
            if pool is not self._pool:
                pool.shutdown(wait=True)
        return sum(r[0] for r in results), sum(r[1] for r in results)

    def _send_chunk(
        self,
        cfg: OutboundConfig,
        due: list[dict[str, Any]],
        mails: dict[str, bytes],
        now: datetime,
        slot: int | None,
    ) -> tuple[int, int]:
        """Send `due` (their mails in `mails`, by id) over one connection: the kept
        one of `slot`, else its own."""
        sent = failed = 0
        try:
            log = os.open(self.sent / SENT_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except OSError as e:
            self._stop(f"cannot open {self.sent / SENT_LOG}: {e.strerror or e}")
            return 0, 0
        try:
            client = self._relay(cfg, slot)
        except (OSError, smtplib.SMTPException) as e:
            os.close(log)
            for meta in due:
                self._failed(meta, f"relay {cfg.host}:{cfg.port}: {_describe(e)}", now)
            return 0, len(due)
        broken = False
        unsynced = 0
        try:
            for meta in due:
                if self.stopped is not None:
                    break
                try:
                    self._deliver(client, meta, mails)
                except smtplib.SMTPRecipientsRefused as e:
                    self._failed(meta, _describe(e), now)
                    failed += 1
                except (OSError, smtplib.SMTPException) as e:
                    self._failed(meta, _describe(e), now)
                    failed += 1
                    if isinstance(e, OSError | smtplib.SMTPServerDisconnected):
                        broken = True
                        break
                else:
                    sent += 1
                    if not self._record(meta, now, log):
                        break
                    unsynced += 1
                    if unsynced >= SYNC_EVERY:
                        unsynced = 0
                        self._sync_sent()
        except BaseException:
            broken = True
            raise
        finally:
            os.close(log)
            if unsynced:
                self._sync_sent()
            if broken or slot is None:
                _quit(client)
            else:
                self._clients[slot] = (client, cfg, time.monotonic())
        return sent, failed

    def _deliver(self, client: smtplib.SMTP, meta: dict[str, Any], mails: dict[str, bytes]) -> None:
        """Hand one mail to the relay (raises what smtplib raises)."""
        data = mails.get(meta["id"]) or _message(read_bytes(self._file(self.queue, meta["id"])))
        options: list[str] = []
        if not data.isascii():  # 8bit text (render._text_part)
            client.ehlo_or_helo_if_needed()
            if client.has_extn("8bitmime"):
                options = ["BODY=8BITMIME"]
            else:
                data = seven_bit(data)
        client.sendmail(meta["sender"], meta["to"], data, options)

    def _sync_sent(self) -> None:
        """Make the records of sent mail durable; a failure stops the pass."""
        try:
            sync_fs(self.sent)
        except OSError as e:
            self._stop(f"cannot sync {self.sent}: {e.strerror or e}")

    def _sent(self, meta: dict[str, Any], now: datetime, log: int) -> None:
        """Record a sent message: move its file to sent/ (a kill -9 after this never
        resends it) and log when. Both are made durable with the others of the
        pass, every SYNC_EVERY messages and at its end. A power loss may resend at
        most those, as the relay's 250 before our record always could. Can be
        called again after it failed (the move is done once)."""
        try:
            os.replace(self._file(self.queue, meta["id"]), self._file(self.sent, meta["id"]))
        except FileNotFoundError:
            if not os.path.exists(self._file(self.sent, meta["id"])):
                raise
        os.write(log, f"{meta['id']} {now.isoformat()} {meta['attempts'] + 1}\n".encode())

    def _record(self, meta: dict[str, Any], now: datetime, log: int) -> bool:
        """Record a mail the relay took; on a failure (a full disk) give up the
        reserve, record it with that space and stop the pass (False). A mail whose
        record cannot be written even so is never sent again by this process."""
        try:
            self._sent(meta, now, log)
            return True
        except OSError as e:
            error = e
        self.reserve.release()
        try:
            self._sent(meta, now, log)
        except OSError as e:
            self._unrecorded.add(meta["id"])
            _log.error("outbox %s: sent, but cannot record it: %s", meta["id"], e)
        self._stop(f"cannot record sent mail in {self.sent}: {error.strerror or error}")
        return False

    def _failed(self, meta: dict[str, Any], error: str, now: datetime) -> None:
        attempts = meta["attempts"] + 1
        delay = min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)
        meta = dict(
            meta,
            attempts=attempts,
            last_error=error,
            last_try=now.isoformat(),
            next_try=(now + timedelta(seconds=delay)).isoformat(),
        )
        try:
            self._rewrite(self._file(self.queue, meta["id"]), meta)
        except OSError as e:
            self._stop(f"cannot record a failed attempt in {self.queue}: {e.strerror or e}")
        # the admin's one line: which mail, to whom, and what the relay said
        logger.warning(
            "%s [TID#%s] %s to %s not sent (attempt %d, next try %s): %s",
            meta.get("message_id") or "<none>",
            meta.get("tid") or "-",
            meta.get("kind") or "mail",
            ", ".join(meta["to"]),
            attempts,
            meta["next_try"],
            error,
        )


def _pack(meta: dict[str, Any], raw: bytes) -> bytes:
    """The record on the file's first line (JSON escapes every newline), then the mail."""
    return json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" + raw


def _unpack(data: bytes) -> tuple[dict[str, Any], bytes]:
    head, _, raw = data.partition(b"\n")
    return json.loads(head), raw


def _message(data: bytes) -> bytes:
    """The mail of a queue file, without reading its record."""
    return data.partition(b"\n")[2]


def _records(folder: Path, mails: dict[str, bytes] | None = None) -> list[dict[str, Any]]:
    """The records of the mail files in `folder` (their first lines), and into
    `mails` the mails of those not tried yet (see Outbox.entries)."""
    out = []
    root = os.fspath(folder)
    for name in os.listdir(root):
        if name.endswith(EXT):
            try:
                with open(f"{root}/{name}", "rb") as f:
                    meta = json.loads(f.readline())
                    if mails is not None and not meta.get("attempts") and len(mails) < KEEP_MAILS:
                        mails[meta["id"]] = f.read()
            except (FileNotFoundError, ValueError, KeyError):
                # sent or moved meanwhile, or not a record. Not PermissionError: a
                # queue the user cannot read is not "empty" (it says so, with the path)
                continue
            out.append(meta)
    return out


@functools.lru_cache(maxsize=64)  # the From of outgoing mail is nearly always the same
def _bare(value: str | None) -> str:
    from email.utils import parseaddr

    return parseaddr(value or "")[1]


def _describe(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {reply.decode(errors='replace')}"
            for rcpt, (code, reply) in e.recipients.items()
        )
    if isinstance(e, smtplib.SMTPResponseException):
        return f"{e.smtp_code} {e.smtp_error.decode(errors='replace')}"
    return f"{type(e).__name__}: {e}"


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


class _Relay(smtplib.SMTP):
    """smtplib.SMTP that writes MAIL FROM and RCPT TO of a bare address as it is:
    smtplib parses every address again (email.utils.parseaddr, ~10 µs each, two
    or more per mail). Anything else goes the smtplib way. DATA doubles the dots
    that start lines with bytes.replace: smtplib's regular expression (^ in
    multiline mode) tries every byte of the mail, 70 µs for a 12 KB one."""

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        if isinstance(msg, str):
            return super().data(msg)
        self.putcmd("data")
        code, repl = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, repl)
        q = msg.replace(b"\n.", b"\n..")
        if q.startswith(b"."):
            q = b"." + q
        if q[-2:] != b"\r\n":
            q += b"\r\n"
        self.send(q + b".\r\n")
        return self.getreply()

    def mail(self, sender: str, options: Any = ()) -> tuple[int, bytes]:
        if not is_plain_address(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:<{sender}>{_options(self, options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Any = ()) -> tuple[int, bytes]:
        if not is_plain_address(recip):
            return super().rcpt(recip, options)
        self.putcmd("rcpt", f"TO:<{recip}>{_options(self, options)}")
        return self.getreply()


def _options(client: smtplib.SMTP, options: Any) -> str:
    return " " + " ".join(options) if options and client.does_esmtp else ""


def _connect(cfg: OutboundConfig) -> smtplib.SMTP:
    client = _Relay(cfg.host, cfg.port, timeout=cfg.timeout)
    try:
        if cfg.starttls:
            client.starttls(context=ssl.create_default_context())
        if cfg.username:
            client.login(cfg.username, cfg.password or "")
    except BaseException:
        client.close()
        raise
    return client
