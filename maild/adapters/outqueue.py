"""The outbox on disk: one file per outgoing mail, its record on the first line.

    outbox/queue/<id>.mail   waiting: one line of JSON (the record), then the message
    outbox/sent/<id>.mail    sent: the same file, moved (kept so a re-run never
                             queues it again)
    outbox/sent/sent.log     one line per sent mail (adapters/outlogs.py)
    outbox/refused/<id>.mail refused by the relay for good (its record's "refused":
                             the relay's answer), until its ticket is told
                             (maild/refusals.py), then moved to sent/ as it is
    outbox/queue/<id>.sent   sent, but its move to sent/ failed: recorded by the next
                             pass, never sent again (mark_sent)
    outbox/sent/refused.log  one line per mail refused for good (outlogs.py)

One file per mail, written once and moved once: the sender creates and deletes no
file per mail (on ext4 every created file pays for the inodes deleted lately).
Ids are derived from what caused the mail, so queueing is idempotent. Each mail has
one envelope recipient (outgoing: one copy per recipient, each under its own id), so
the relay's answer to a transaction is its answer for that recipient: a mail is never
half sent, and a retry never repeats it to someone who has it. What one file holds,
and how its record is read, is adapters/outfile.py.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from maild.adapters import outlogs
from maild.adapters.durable import Direct, Files, make_folders, move_durably
from maild.adapters.outfile import (
    EXT,
    folder_records,
    mail_of,
    pack,
    read_record,
    relength,
    unpack,
)
from maild.domain.addresses import parseaddr
from maild.domain.leftstaff import Members
from maild.domain.outboxrecord import outbox_entry
from maild.domain.records import OutboxEntry, OutboxKind
from maild.render import Mail

log = logging.getLogger("maild.outbox")

SENT_MARK = ".sent"  # queue/<id>.sent: sent, its move to sent/ failed (mark_sent)
MARK_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL


class OutQueue:
    """The queued and sent mail files under `root`, and their records. `files`:
    where a write goes now (Store.files: a locked section's transaction, or the disk)."""

    def __init__(self, root: Path, files: Callable[[], Files] = Direct) -> None:
        self.root = root
        self.files = files
        self.queue = root / "queue"
        self.sent = root / "sent"
        self.refused = root / "refused"
        self.broken: dict[str, str] = {}  # queue files that cannot go: why (log_broken)
        self._said: set[str] = set()
        self.raced: list[OutboxEntry] = []  # sent, found in sent/: withdrawn? (outrace)
        # staff and the head as this process's config names them (App sets it): whom
        # mail is queued to as, kept on its record (domain.leftstaff)
        self.members: Members | None = None
        make_folders(self.queue, self.sent, self.refused)

    def _file(self, folder: Path, mail_id: str) -> str:
        """The mail's file in queue/ or sent/, as a string (made per mail queued)."""
        return f"{os.fspath(folder)}/{mail_id}{EXT}"

    def known(self, mail_id: str) -> bool:
        files, folders = self.files(), (self.queue, self.sent, self.refused)
        return any(files.exists(self._file(folder, mail_id)) for folder in folders)

    def enqueue(
        self,
        mail_id: str,
        msg: Mail,
        recipients: list[str],
        *,
        tid: str | None = None,
        kind: OutboxKind = "",
        now: datetime | None = None,
        checked: bool = False,
        about_due: str | None = None,
        about_dues: dict[str, list[str]] | None = None,
        counted: bool | None = None,
    ) -> bool:
        """Queue a message durably; False if this id was queued or sent before
        (`checked`: the caller has just asked `known`; `about_due`, `about_dues`,
        `counted`: OutboxEntry's). Its
        record keeps whom it goes to as, staff or the head (`members`), if so."""
        if not recipients or (not checked and self.known(mail_id)):
            return False
        meta = outbox_entry(
            mail_id,
            tid=tid,
            kind=kind,
            headers=(  # Mail keeps its headers as text
                msg["From"] or "",
                _bare(str(msg["From"])),
                msg["Subject"] or "",
                str(msg["Message-ID"]),
            ),
            to=recipients,
            queued_at=now or datetime.now(UTC),
            about_due=about_due,
            about_dues=about_dues,
            counted=counted,
            role=self.members.role_of(recipients, kind) if self.members is not None else None,
        )
        self.files().put(self._file(self.queue, mail_id), pack(meta, msg.raw))
        return True

    def mark(self, mail_id: str, **fields: Any) -> None:
        """Add fields to a queued message's record (e.g. that the head was alerted)."""
        self._rewrite(mail_id, fields)

    def _rewrite(self, mail_id: str, fields: Mapping[str, object]) -> None:
        path = self._file(self.queue, mail_id)
        try:
            meta, raw = unpack(path, self.files().read(path))
        except (OSError, ValueError):
            return
        self._put_queued(mail_id, pack({**meta, **fields}, raw))

    def release(self, mail_id: str) -> bool:
        """Take a queued mail's hold off (adapters/outhold.py): it is due now. False
        when it is not held (any more: another release took it off)."""
        path = self._file(self.queue, mail_id)
        try:
            meta, raw = unpack(path, self.files().read(path))
        except (OSError, ValueError):
            return False
        if meta.pop("held", None) is None:
            return False
        self._put_queued(mail_id, pack({**meta, "next_try": None}, raw))
        return True

    def _put_queued(self, mail_id: str, data: bytes) -> None:
        """Write a queued mail's file again unless `withdraw` (under the store lock, not
        the sender's) took it meanwhile: it writes sent/ before removing the file."""
        files, path = self.files(), self._file(self.queue, mail_id)
        files.put(path, data)
        if files.exists(self._file(self.sent, mail_id)):
            files.remove(path)

    def entries(self, mails: dict[str, bytes] | None = None) -> list[OutboxEntry]:
        """Queued messages, oldest first. `mails`, for a pass that sends them, gets
        the mails not tried yet, by id (up to outfile.KEEP_MAILS): their files are read once."""
        self.broken = {}
        out = folder_records(self.queue, mails, self.broken)
        out.sort(key=lambda m: (m["queued_at"], m["id"]))
        return out

    def log_broken(self) -> None:
        """Log the queue files the last listing found broken (without a record, or
        with their mail cut: outfile.folder_records), each once in this process's
        life: the daemon's sender (a pass runs every few seconds; the scheduler's and
        the commands' listings leave the log to it, and a command names them on its
        own output)."""
        for path in sorted(set(self.broken) - self._said):
            self._said.add(path)
            log.error("outbox: %s: %s: its mail cannot be sent (maild fsck names it)",
                      path, self.broken[path])  # fmt: skip

    def queued_records(self) -> list[OutboxEntry]:
        """The queued mails' records as this thread's locked section sees them (what
        it queued itself included): for a change made under the store lock."""
        files = self.files()
        out = []
        for path in files.listed(self.queue):
            if path.endswith(EXT):
                try:
                    out.append(unpack(path, files.read(path))[0])
                except (FileNotFoundError, ValueError):
                    continue
        return out

    def withdraw(self, mail_id: str, fields: dict[str, Any], mail: bytes | None = None) -> bool:
        """Never send a queued mail: its file moves to sent/ with `fields` (why) added
        to its record and no line in the sent log, so it is no longer queued and its
        id is never queued again (`known`). `mail`: what to keep instead of the
        message (b"": nothing). False if it is not queued.

        Made under the store lock, beside a sender that reads the queue under its own
        lock only: a pass that read this mail before the section commits may still
        send it (it is going at that very moment); any later pass does not."""
        files = self.files()
        path = self._file(self.queue, mail_id)
        try:  # (a mail cut short is withdrawn too when it is not kept: maild forget)
            meta, raw = unpack(path, files.read(path), whole=mail is None)
        except (FileNotFoundError, ValueError):
            return False
        kept = pack({**meta, **fields}, raw if mail is None else mail)
        files.put(self._file(self.sent, mail_id), kept)  # first: the id stays known
        files.remove(path)
        return True

    def drop_sent(self, mail_id: str) -> None:
        """Delete a sent mail's file (its ticket is deleted, or it names no live ticket:
        keep_closed_days); its sent log line goes with the next daily sweep
        (outlogs.trim_sent_log). A mail still queued or refused is left as it is."""
        self.files().remove(self._file(self.sent, mail_id))

    def sent_entries(self) -> list[OutboxEntry]:
        log = outlogs.read_sent_log(self.sent)
        out = folder_records(self.sent) + folder_records(self.refused)  # its ticket not told yet
        for meta in out:
            if meta["id"] in log:
                meta["sent_at"], meta["attempts"] = log[meta["id"]]
        out.sort(key=lambda m: (m.get("sent_at") or "", m["id"]))
        return out

    def rewrite_mail(
        self,
        mail_id: str,
        transform: Callable[[bytes], bytes | None],
        record: Callable[[bytes], bytes | None] = lambda line: None,
    ) -> bool:
        """Replace a queued or sent mail by transform(mail) and its first line by
        record(line) (None: leave it) (credential redaction). The line is passed as it
        is, unparsed: the mail of a file whose record is broken is redacted too, and
        the file stays named as broken. True if it was rewritten."""
        files = self.files()
        for folder in (self.queue, self.sent):
            try:
                head, _, raw = files.read(self._file(folder, mail_id)).partition(b"\n")
            except FileNotFoundError:
                continue
            new, line = transform(raw), record(head)
            if new is None and line is None:
                return False
            line = relength(line or head, raw, new or raw)  # (its record's length)
            files.put(self._file(folder, mail_id), line + b"\n" + (new or raw))
            return True
        return False

    def raw(self, mail_id: str) -> bytes:
        for folder in (self.queue, self.sent, self.refused):
            try:
                return mail_of(self.files().read(self._file(folder, mail_id)))
            except FileNotFoundError:
                continue
        raise FileNotFoundError(mail_id)

    def queued_mail(self, mail_id: str, mails: dict[str, bytes]) -> bytes:
        """A queued mail: from `mails` if the pass read it with its record."""
        return mails.get(mail_id) or mail_of(self.files().read(self._file(self.queue, mail_id)))

    def open_sent_log(self) -> int:
        """The sent log, opened for appending (raises OSError)."""
        return outlogs.open_log(self.sent / outlogs.SENT_LOG)

    def move_to_sent(self, meta: OutboxEntry, now: datetime, sent_log: int) -> None:
        """Record a sent message: move its file to sent/ (a kill -9 after this never
        resends it) and log when, in the sent log open as `sent_log`. Not made durable
        here (the sender syncs many at once). Can be called again after it failed
        (the move is done once). Found in sent/ already: withdrawn while it went, or
        moved by a call before; which, outrace.py asks under the store lock (`raced`).
        In neither folder: withdrawn while it went and removed since (its ticket
        deleted): it went, and nothing is left to record."""
        try:
            os.replace(self._file(self.queue, meta["id"]), self._file(self.sent, meta["id"]))
        except FileNotFoundError:
            if not os.path.exists(self._file(self.sent, meta["id"])):
                log.warning("%s [TID#%s] outbox %s: sent, but withdrawn and removed while it "
                            "went: nothing left to record", meta.get("message_id") or "<none>",
                            meta.get("tid") or "-", meta["id"])  # fmt: skip
                self._unmark(meta["id"])
                return
            self.raced.append(meta)
        line = f"{meta['id']} {now.isoformat()} {meta['attempts'] + 1}\n".encode()
        outlogs.append_whole(sent_log, line)
        self._unmark(meta["id"])

    def _unmark(self, mail_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{os.fspath(self.queue)}/{mail_id}{SENT_MARK}")

    def mark_sent(self, mail_id: str) -> None:
        """Mark a queued mail as sent when its move to sent/ failed (a full disk, the
        folder's mode): an empty file beside it, which needs no data block, so that
        the next pass of any process records it instead of sending it again. Logged
        when even that fails: then only this process knows."""
        try:
            os.close(os.open(f"{os.fspath(self.queue)}/{mail_id}{SENT_MARK}", MARK_FLAGS, 0o640))
        except FileExistsError:
            pass
        except OSError as e:
            log.error("outbox %s: cannot mark it sent either (%s): a restart may send it again",
                      mail_id, e.strerror or e)  # fmt: skip

    def marked_sent(self) -> dict[str, tuple[OutboxEntry, datetime]]:
        """The queued mails marked sent (mark_sent), with when (the mark's time)."""
        out = {}
        root = os.fspath(self.queue)
        for name in os.listdir(root):
            if name.endswith(SENT_MARK):
                mail_id = name[: -len(SENT_MARK)]
                try:
                    when = datetime.fromtimestamp(os.stat(f"{root}/{name}").st_mtime, UTC)
                    with open(self._file(self.queue, mail_id), "rb") as f:
                        meta = read_record(mail_id + EXT, f.readline())
                except FileNotFoundError:  # recorded meanwhile: the mark is left over
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(f"{root}/{name}")
                    continue
                if meta is not None:  # else no record: never sent again (entries names it)
                    out[mail_id] = (meta, when)
        return out

    def set_aside(self, meta: OutboxEntry) -> None:
        """Take a queued mail the relay refused for good out of the queue: `meta`
        (with "refused") is written as its record first, then the file moves to
        refused/; a crash between leaves it queued with "refused", and the next pass
        moves it without sending it (raises OSError). The refused log gets its line
        first: a crash before the move logs it again on the next pass (refused_log
        counts each id once), and none is left uncounted."""
        self.update_queued(meta)
        outlogs.log_refused(self.sent, meta)
        try:
            move_durably(self._file(self.queue, meta["id"]), self._file(self.refused, meta["id"]))
        except FileNotFoundError:  # withdrawn meanwhile, or moved by a pass before
            pass

    def refused_log(self) -> dict[str, str]:
        """Mail refused for good, by id: when (outlogs.read_refused_log)."""
        return outlogs.read_refused_log(self.sent)

    def refused_entries(self) -> list[OutboxEntry]:
        """Mail refused for good whose ticket is not told yet, oldest first; a file whose
        mail is not of its record's length (cut short) left out, as the queue's listing
        leaves it (fsck names it): it could not be settled, so it would be told again."""
        found = folder_records(self.refused, broken={})
        return sorted(found, key=lambda m: (m["queued_at"], m["id"]))

    def settle_refused(self, mail_id: str, fields: dict[str, Any]) -> None:
        """A refused mail whose ticket has been told: it moves to sent/ with `fields`
        added to its record and no line in the sent log (as `withdraw`), in the
        caller's locked section, so the telling and the move commit together."""
        files = self.files()
        path = self._file(self.refused, mail_id)
        try:
            meta, raw = unpack(path, files.read(path))
        except (FileNotFoundError, ValueError):
            return
        files.put(self._file(self.sent, mail_id), pack({**meta, **fields}, raw))
        files.remove(path)

    def replace_queued(self, meta: OutboxEntry, raw: bytes) -> None:
        """Write `meta` and the mail `raw` as the queued mail of meta's id (raises
        OSError): a mail sent again in another form (slimmail.without_files)."""
        self._put_queued(meta["id"], pack(meta, raw))

    def update_queued(self, meta: OutboxEntry) -> None:
        """Write `meta` as the record of its queued mail (raises OSError)."""
        self._rewrite(meta["id"], meta)


@functools.lru_cache(maxsize=64)  # the From of outgoing mail is nearly always the same
def _bare(value: str | None) -> str:
    return parseaddr(value or "")[1]
