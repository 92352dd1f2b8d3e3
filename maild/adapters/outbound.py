"""The durable outbox and the SMTP relay client.

    outbox/queue/<id>.eml + <id>.json   waiting (the .json is written last: it commits)
    outbox/sent/<id>.json               sent, kept so a re-run never queues it again

Ids are derived from what caused the mail, so queueing is idempotent.
"""

from __future__ import annotations

import fcntl
import json
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
from maild.config import OutboundConfig
from maild.render import Mail, as_bytes, header_text

RETRY_BASE_SECONDS = 30
PARALLEL_CONNECTIONS = 4  # to the relay, when a pass has enough mail to share
RETRY_MAX_SECONDS = 3600
KEEP_SECONDS = 30  # a relay connection kept open between passes, at most this idle
SYNC_EVERY = 32  # sent records made durable together


class Outbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.queue = root / "queue"
        self.sent = root / "sent"
        self.queue.mkdir(parents=True, exist_ok=True)
        self.sent.mkdir(parents=True, exist_ok=True)
        self._client: smtplib.SMTP | None = None  # kept open between passes (daemon)
        self._client_cfg: OutboundConfig | None = None
        self._client_used = 0.0

    def known(self, mail_id: str) -> bool:
        return exists(self.queue / f"{mail_id}.json") or exists(self.sent / f"{mail_id}.json")

    def enqueue(
        self,
        mail_id: str,
        msg: Mail,
        recipients: list[str],
        *,
        tid: str | None = None,
        kind: str = "",
        now: datetime | None = None,
    ) -> bool:
        """Queue a message durably; False if this id was queued or sent before."""
        if self.known(mail_id) or not recipients:
            return False
        write_atomic(self.queue / f"{mail_id}.eml", as_bytes(msg))
        meta = {
            "id": mail_id,
            "tid": tid,
            "kind": kind,
            "from": header_text(msg["From"]),
            "sender": _bare(str(msg["From"])),
            "to": recipients,
            "subject": header_text(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "queued_at": (now or datetime.now(UTC)).isoformat(),
            "attempts": 0,
            "last_error": None,
            "next_try": None,
        }
        write_atomic(self.queue / f"{mail_id}.json", _dump(meta))
        return True

    def mark(self, mail_id: str, **fields: Any) -> None:
        """Add fields to a queued message's record (e.g. that the head was alerted)."""
        path = self.queue / f"{mail_id}.json"
        try:
            meta = json.loads(read_bytes(path))
        except (OSError, ValueError):
            return
        write_atomic(path, _dump({**meta, **fields}))

    def entries(self) -> list[dict[str, Any]]:
        """Queued messages, oldest first."""
        out = []
        for name in os.listdir(self.queue):
            if name.endswith(".json"):
                try:
                    out.append(json.loads((self.queue / name).read_bytes()))
                except (OSError, ValueError):
                    continue
        out.sort(key=lambda m: (m["queued_at"], m["id"]))
        return out

    def sent_entries(self) -> list[dict[str, Any]]:
        out = []
        for p in self.sent.glob("*.json"):
            try:
                out.append(json.loads(p.read_bytes()))
            except (OSError, ValueError):
                continue
        out.sort(key=lambda m: (m.get("sent_at") or "", m["id"]))
        return out

    def raw(self, mail_id: str) -> bytes:
        for folder in (self.queue, self.sent):
            p = folder / f"{mail_id}.eml"
            if p.exists():
                return p.read_bytes()
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

        With `keep_connection` (the daemon) the relay connection stays open for the
        next pass, up to KEEP_SECONDS idle; close() ends it."""
        now = now or datetime.now(UTC)
        with self._flush_lock():
            return self._flush(cfg, now, force, keep_connection)

    def close(self) -> None:
        """Close a relay connection kept open between passes."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def _relay(self, cfg: OutboundConfig, keep: bool) -> smtplib.SMTP:
        client = self._client
        if client is not None:
            fresh = time.monotonic() - self._client_used < KEEP_SECONDS
            if keep and self._client_cfg == cfg and fresh:
                try:
                    if client.noop()[0] == 250:
                        return client
                except (OSError, smtplib.SMTPException):
                    pass
            self.close()
        client = _connect(cfg)
        if keep:
            self._client, self._client_cfg = client, cfg
        return client

    @contextmanager
    def _flush_lock(self) -> Iterator[None]:
        """One sender at a time (the daemon and a manual flush), or mail goes twice."""
        fd = os.open(self.root / "flush.lock", os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _flush(
        self, cfg: OutboundConfig, now: datetime, force: bool, keep: bool = False
    ) -> tuple[int, int]:
        due = [
            m
            for m in self.entries()
            if force or not m.get("next_try") or m["next_try"] <= now.isoformat()
        ]
        if not due:
            return 0, 0
        # A relay answers each SMTP step in turn; several connections keep it busy.
        # The first chunk uses the kept connection, the others their own.
        n_chunks = max(1, min(PARALLEL_CONNECTIONS, len(due) // 8))
        chunks = [due[i::n_chunks] for i in range(n_chunks)]
        if n_chunks == 1:
            return self._send_chunk(cfg, chunks[0], now, keep)
        with ThreadPoolExecutor(n_chunks, thread_name_prefix="maild-relay") as pool:
            futures = [
                pool.submit(self._send_chunk, cfg, chunk, now, keep and i == 0)
                for i, chunk in enumerate(chunks)
            ]
            results = [f.result() for f in futures]
        return sum(r[0] for r in results), sum(r[1] for r in results)

    def _send_chunk(
        self, cfg: OutboundConfig, due: list[dict[str, Any]], now: datetime, keep: bool
    ) -> tuple[int, int]:
        sent = failed = 0
        try:
            client = self._relay(cfg, keep) if keep else _connect(cfg)
        except (OSError, smtplib.SMTPException) as e:
            for meta in due:
                self._failed(meta, f"relay {cfg.host}:{cfg.port}: {_describe(e)}", now)
            return 0, len(due)
        broken = not keep
        unsynced = 0
        try:
            for meta in due:
                try:
                    data = (self.queue / f"{meta['id']}.eml").read_bytes()
                    client.sendmail(meta["sender"], meta["to"], data)
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
                    self._sent(meta, now)
                    sent += 1
                    unsynced += 1
                    if unsynced >= SYNC_EVERY:
                        sync_fs(self.sent)
                        unsynced = 0
        except BaseException:
            broken = True
            raise
        finally:
            if unsynced:
                sync_fs(self.sent)
            if broken:
                if client is self._client:
                    self.close()
                else:
                    try:
                        client.quit()
                    except (OSError, smtplib.SMTPException):
                        pass
            else:
                self._client_used = time.monotonic()
        return sent, failed

    def _sent(self, meta: dict[str, Any], now: datetime) -> None:
        """Record a sent message. The record is written at once (a kill -9 after this
        never resends it) and made durable with the others of the pass, every
        SYNC_EVERY messages and at its end: one sync instead of five per message.
        A power loss may resend at most those, as the relay's 250 before our record
        always could."""
        meta = dict(meta, sent_at=now.isoformat(), attempts=meta["attempts"] + 1)
        write_atomic(self.sent / f"{meta['id']}.json", _dump(meta), sync=False)
        os.replace(self.queue / f"{meta['id']}.eml", self.sent / f"{meta['id']}.eml")
        (self.queue / f"{meta['id']}.json").unlink(missing_ok=True)

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
        write_atomic(self.queue / f"{meta['id']}.json", _dump(meta))


def _dump(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, ensure_ascii=False, indent=1).encode()


def _bare(value: str | None) -> str:
    from email.utils import parseaddr

    return parseaddr(value or "")[1]


def _describe(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        return f"{e.smtp_code} {e.smtp_error.decode(errors='replace')}"
    return f"{type(e).__name__}: {e}"


def _connect(cfg: OutboundConfig) -> smtplib.SMTP:
    client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    try:
        if cfg.starttls:
            client.starttls(context=ssl.create_default_context())
        if cfg.username:
            client.login(cfg.username, cfg.password or "")
    except BaseException:
        client.close()
        raise
    return client
