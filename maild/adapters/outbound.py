"""The outbox's sender: passes that hand the queued mail (adapters/outqueue.py) to
the relay (adapters/relay.py), record what went, and retry what did not.

A mail the relay took is recorded before the next is sent; a full disk must not
make mail go twice (adapters/reserve.py), so a pass that cannot record stops.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import smtplib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from maild.adapters.durable import Direct, Files, sync_fs
from maild.adapters.outblock import Screen
from maild.adapters.outfile import EXT
from maild.adapters.outlogs import SENT_LOG, trim_sent_log
from maild.adapters.outrace import settle
from maild.adapters.outretry import Retries
from maild.adapters.relay import (
    UNANSWERED,
    Connections,
    deliver,
    describe,
    refused_as_too_big,
    refused_for_good,
)
from maild.adapters.reserve import Reserve
from maild.configtypes import OutboundConfig
from maild.domain.records import OutboxEntry
from maild.domain.retry import try_due
from maild.privileges import said

logger = logging.getLogger("maild.outbox")

PARALLEL_CONNECTIONS = 4  # to the relay, when a pass has enough mail to share
SYNC_EVERY = 32  # sent records made durable together
PAUSE_FIRST, PAUSE_MAX = 5.0, 300.0  # back-off of passes that could not record


# how the error of a mail not sent because the relay could not be reached begins (no
# fault of the mail's: `outbox flush` says it once for all such mails)
UNREACHABLE = "relay "


class Outbox(Retries):
    """The queue on disk and its sender (what becomes of a mail the relay did not
    take: Retries, adapters/outretry.py)."""

    def __init__(self, root: Path, files: Callable[[], Files] = Direct) -> None:
        super().__init__(root, files)
        # The daemon's sender keeps its relay connections, one per slot, and the
        # threads that use them, open between passes (close() ends them).
        self._connections = Connections()
        self._pool: ThreadPoolExecutor | None = None
        # A full disk must not make mail go twice (adapters/reserve.py): when the next
        # pass may run after one `stopped`, and the mails sent unrecorded, by id (never
        # sent again by this process; a pass records them first)
        self.reserve = Reserve(root / "reserve")
        self._pause = 0.0
        self._resume_at = 0.0
        self._unrecorded: dict[str, tuple[OutboxEntry, datetime]] = {}
        self.screen: Screen | None = None  # the block list now (App sets it)

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
        next pass, up to relay.KEEP_SECONDS idle; close() ends them."""
        now = now or datetime.now(UTC)
        if not force and time.monotonic() < self._resume_at:
            return 0, 0
        with self._flush_lock() as locked:
            self.stopped = None if locked else self.stopped
            error = self.reserve.ensure() if locked else None
            if error is not None:
                self._stop(f"cannot keep space for records in {self.root} ({error}): not sending")
            result = (0, 0)
            if self.stopped is None and self._record_unrecorded():
                result = self._flush(cfg, now, force, keep_connection)
            settle(self, self.screen)  # mail withdrawn while it went: recorded as sent
            if self.stopped is None:
                self._pause = 0.0
            else:
                self._pause = min(max(self._pause * 2, PAUSE_FIRST), PAUSE_MAX)
                self._resume_at = time.monotonic() + self._pause
            return result

    def paused_for(self) -> float:
        """Seconds until a pass not forced runs again (0: now): the pause after one
        that could not record."""
        return max(0.0, self._resume_at - time.monotonic())

    def close(self) -> None:
        """Close the relay connections kept open between passes."""
        self._connections.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def trim_sent_log(self) -> int:
        """Drop the sent log's lines of mail whose file is gone from sent/ (retention
        deleted it: outlogs.trim_sent_log), under the sender's lock; how many."""
        with self._flush_lock() as locked:
            if not locked:
                return 0
            ids = {n[: -len(EXT)] for n in os.listdir(self.sent) if n.endswith(EXT)}
            return trim_sent_log(self.sent, ids)

    @contextmanager
    def _flush_lock(self) -> Iterator[bool]:
        """One sender at a time (the daemon and a manual flush), or mail goes twice.
        The lock is the outbox directory itself: a lock file could be deleted. False,
        and the pass stopped, when the directory cannot be opened (its mode)."""
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            self.stopped = None
            self._stop(f"cannot open {self.root}: {e.strerror or e}")
            yield False
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield True
        finally:
            os.close(fd)

    def _record_unrecorded(self) -> bool:
        """Record the mails a pass sent but could not record (this process's, and any
        process's marked in queue/: OutQueue.mark_sent); False (the pass stopped)
        while one still cannot be recorded, or sent/ takes no record at all (its
        mode): sending more would only add mails that go twice."""
        # (recording moves the mail out of queue/ into sent/: both folders take it;
        # a mark in queue/ is all a process has when the move fails, and a queue/
        # that takes none made each pass, and each restart, send the mail again)
        for folder in (self.sent, self.queue):
            if not os.access(folder, os.W_OK | os.X_OK):
                which = "in" if folder == self.sent else "out of"
                refused = PermissionError(errno.EACCES, "not writable", str(folder))
                self._stop(f"cannot record sent mail {which} {folder}: not writable", refused)
                return False
        try:
            unrecorded = {**self.marked_sent(), **self._unrecorded}
            if not unrecorded:
                return True
            log = self.open_sent_log()
            try:
                for mail_id, (meta, sent_at) in unrecorded.items():
                    self.move_to_sent(meta, sent_at, log)
                    self._unrecorded.pop(mail_id, None)
                    logger.info("outbox %s: sent before, recorded now", mail_id)
            finally:
                os.close(log)
        except OSError as e:
            self._stop(f"cannot record sent mail in {self.sent}: {e.strerror or e}", e)
            return False
        self._sync_sent()
        return self.stopped is None

    def _flush(
        self, cfg: OutboundConfig, now: datetime, force: bool, keep: bool = False
    ) -> tuple[int, int]:
        mails: dict[str, bytes] = {}
        due = [
            m
            for m in self.entries(mails)
            if (
                (force and not _unanswered(m)) or try_due(m.get("next_try"), m.get("last_try"), now)
            )
            and m["id"] not in self._unrecorded
        ]
        for meta in [m for m in due if m.get("refused")]:  # a crash before it moved
            self._put_aside(meta)
        due = [m for m in due if not m.get("refused") and not m.get("held")]  # (outhold.py)
        if due and self.screen is not None:  # nor automatic mail to the blocked, nor stale
            due = self.screen.sendable(self, due, self.own)
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
        due: list[OutboxEntry],
        mails: dict[str, bytes],
        now: datetime,
        slot: int | None,
    ) -> tuple[int, int]:
        """Send `due` (their mails in `mails`, by id) over one connection: the kept
        one of `slot`, else its own."""
        try:
            log = self.open_sent_log()
        except OSError as e:
            self._stop(f"cannot open {self.sent / SENT_LOG}: {e.strerror or e}")
            return 0, 0
        try:
            client = self._connections.get(cfg, slot)
        except (OSError, smtplib.SMTPException) as e:
            os.close(log)
            error = f"{UNREACHABLE}{cfg.host}:{cfg.port}: {describe(e)}"
            for meta in due:
                self._failed(meta, error, now, say=False)
            # one line for the chunk: the relay is down, not each mail at fault
            to = sorted({a for meta in due for a in meta["to"]})
            more = f" and {len(to) - 3} more" if len(to) > 3 else ""
            logger.warning(
                "outbox: %s: %d mail(s) not sent, each tried again after its back-off "
                "(to %s%s)", error, len(due), ", ".join(to[:3]), more
            )  # fmt: skip
            return 0, len(due)
        broken = True  # until the chunk is through: an exception ends the connection
        try:
            sent, failed, broken = self._send_over(client, due, mails, now, log)
        finally:
            os.close(log)
            self._connections.put(slot, client, cfg, good=not broken)
        return sent, failed

    def _send_over(
        self,
        client: smtplib.SMTP,
        due: list[OutboxEntry],
        mails: dict[str, bytes],
        now: datetime,
        log: int,
    ) -> tuple[int, int, bool]:
        """Send `due` over `client`, recording each; (sent, failed, whether the
        connection broke). Refused mail is retried later; a connection that broke
        ends the chunk. The records are made durable every SYNC_EVERY and at the end."""
        sent = failed = unsynced = 0
        try:
            for meta in due:
                if self.stopped is not None:
                    break
                try:
                    deliver(client, meta["sender"], meta["to"], self.queued_mail(meta["id"], mails))
                except smtplib.SMTPRecipientsRefused as e:  # the connection is still good
                    self._refused(meta, e, now)
                    failed += 1
                    if client.sock is None:  # unless a 421 ended it (relay._transaction)
                        return sent, failed, True
                    continue
                except OSError as e:  # smtplib's other errors too (SMTPException is one)
                    if refused_for_good(e, meta["to"][0]) or refused_as_too_big(e):  # (RSET sent)
                        self._refused(meta, e, now)
                        failed += 1
                        continue
                    self._failed(meta, describe(e), now)
                    return sent, failed + 1, True
                sent += 1
                if not self._record(meta, now, log):
                    break
                unsynced += 1
                if unsynced >= SYNC_EVERY:
                    unsynced = 0
                    self._sync_sent()
        finally:
            if unsynced:
                self._sync_sent()
        return sent, failed, False

    def _sync_sent(self) -> None:
        """Make the records of sent mail durable; a failure stops the pass. A power
        loss may resend at most the mails since the last sync, as the relay's 250
        before our record always could."""
        try:
            sync_fs(self.sent)
        except OSError as e:
            self._stop(f"cannot sync {self.sent}: {e.strerror or e}")

    def _record(self, meta: OutboxEntry, now: datetime, log: int) -> bool:
        """Record a mail the relay took; on a failure (a full disk) give up the
        reserve, record it with that space and stop the pass (False). A mail whose
        record cannot be written even so is never sent again by this process."""
        try:
            self.move_to_sent(meta, now, log)
            return True
        except OSError as e:
            error = e
        self.reserve.release()
        try:
            self.move_to_sent(meta, now, log)
        except OSError as e:
            self._unrecorded[meta["id"]] = (meta, now)
            logger.error("%s [TID#%s] outbox %s: sent, but cannot record it: %s",
                         meta.get("message_id") or "<none>", meta.get("tid") or "-",
                         meta["id"], said(e))  # fmt: skip
            self.mark_sent(meta["id"])
        self._stop(f"cannot record sent mail in {self.sent}: {error.strerror or error}", error)
        return False


def _unanswered(meta: OutboxEntry) -> bool:
    """Whether a mail's last try ended without the relay's answer to the whole mail
    (relay.UNANSWERED): it may have gone, so `outbox flush` does not send it again
    before its back-off (a timer running flush every minute sent it every minute)."""
    return UNANSWERED in (meta.get("last_error") or "")
