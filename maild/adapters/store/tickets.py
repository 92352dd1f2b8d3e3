"""Store: the ticket files and their summaries, and the one object through which
the rest of maild reaches the store's indexes, registry and lock."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import cast

from tinydb import TinyDB

from maild.adapters.durable import Files, make_folders
from maild.adapters.store import summaries
from maild.adapters.store.files import CorruptFile, FileCache, open_db, unreadable
from maild.adapters.store.indexes import Indexes
from maild.adapters.store.lock import StoreLock
from maild.adapters.store.rebuild import set_aside
from maild.adapters.store.registry import Registry
from maild.adapters.store.summaries import (
    archive_path,
    month_archive_path,
    open_part,
    readable_rows,
    remove_row,
    summary_of,
    upsert,
)
from maild.adapters.store.ticketfiles import TICKETS, ticket_path
from maild.adapters.transaction import Transaction
from maild.domain.pace import Pace
from maild.domain.recordcheck import ticket_fault
from maild.domain.records import MessageRecord, Status, Summary, Ticket
from maild.domain.sender import Group, License
from maild.privileges import denied_at


class Store:
    """The store at `root`. What it keeps between uses (parsed summary files, index
    reads of a locked section) belongs to this object: `cache`, `lock`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)  # paths below are built as strings (hot paths)
        subs = (TICKETS, "open", "archive", "index/msgid", "index/address")
        make_folders(*(root / sub for sub in subs))
        self.cache = FileCache()
        self.lock = StoreLock(self._root, self.cache)
        self.indexes = Indexes(self._root, self.lock, self.cache)
        self.licenses = Registry(f"{self._root}/registry.json", self.cache)

    def after_fork(self) -> None:
        """In a forked child: nothing of the parent's section or parsed files."""
        self.lock.after_fork()

    def locked(self, timeout: float = 30.0) -> AbstractContextManager[Transaction]:
        """Exclusive across processes; a timeout is a transient failure (StoreLock).
        Re-entrant in the same thread: the daemon holds it around a batch. Gives
        the section's Transaction: the writes that belong to its group commit."""
        return self.lock.locked(timeout)

    def files(self) -> Files:
        """Where this thread writes maild's files: the locked section's transaction
        while it holds the lock, else straight to disk (StoreLock.files)."""
        return self.lock.files()

    # -- tickets ---------------------------------------------------------------
    def _ticket_path(self, tid: str) -> str:
        return ticket_path(self._root, tid)

    def _archive_path(self, ticket: Ticket) -> str:
        return archive_path(self._root, ticket)

    def ticket_exists(self, tid: str) -> bool:
        """Whether ticket `tid` is there; CorruptFile when that cannot be known (_there)."""
        return self._there(self._ticket_path(tid))

    def tid_taken(self, tid: str) -> bool:
        """For a new ticket: `tid` is some ticket's, or may be (its folder maild may
        not search hides one, and would refuse a new one's file): another is drawn."""
        try:
            return self.ticket_exists(tid)
        except CorruptFile:
            return True

    def _there(self, path: str) -> bool:
        """Whether the ticket file `path` is there. When that cannot be known (a folder
        on the way maild may not search: root's 0700, left by a root's `cp -a`), it is
        a file maild may not read (CorruptFile, unreadable): the mail that needs it
        waits, `ticket show` says so, never "no ticket" (a second one for its reply)."""
        try:
            return self.files().exists(path)
        except OSError as e:
            denied = e.errno in (errno.EACCES, errno.EPERM)
            said = denied_at(os.fsdecode(e.filename or path), self.root) if denied else None
            why = f"{e.strerror or e}: {said[1]}" if said else (e.strerror or str(e))
            raise unreadable(path, e, why) from None

    def load(self, tid: str) -> tuple[Ticket, list[MessageRecord]] | None:
        """The ticket and its messages in arrival order, or None (there is none);
        CorruptFile when it cannot be read or is not what maild wrote."""
        path = self._ticket_path(tid)
        if not self._there(path):
            return None
        db = open_db(path, self.cache)
        try:
            docs = db.table("ticket").all()
            if len(docs) != 1 or docs[0].get("tid") != tid:  # (an empty file, too)
                raise CorruptFile(path, "not a ticket file")
            ticket, messages = dict(docs[0]), [dict(m) for m in db.table("messages").all()]
            fault = ticket_fault(ticket, messages)  # what every reader takes for granted
            if fault is not None:
                raise CorruptFile(path, f"not a ticket file: {fault}")
            return cast(Ticket, ticket), cast(list[MessageRecord], messages)  # (so checked)
        except (KeyError, TypeError, AttributeError, ValueError) as e:  # not TinyDB's
            raise CorruptFile(path, f"not a ticket file: {_words(e)}") from None
        finally:
            db.close()

    def merged_into(self, tid: str) -> str | None:
        """#merge: the ticket ``tid`` was merged into; None when it was not, or when
        there is no such ticket (merge.final_target follows a chain of them)."""
        loaded = self.load(tid)
        return loaded[0].get("merged_into") if loaded is not None else None

    def save(self, ticket: Ticket, messages: list[MessageRecord]) -> None:
        """Write the whole ticket in one durable file replace, then its summary."""
        path = self._ticket_path(ticket["tid"])
        self.cache.ensure_dir(os.path.dirname(path))
        db = open_db(path, self.cache, whole=True)
        try:
            db.drop_tables()
            db.table("ticket").insert(ticket)
            db.table("messages").insert_multiple(messages)
        finally:
            db.close()  # CachingMiddleware flushes: one write, one fsync
        self._save_summary(ticket)

    def remove(self, tid: str) -> None:
        """Take a ticket out (staff marked it spam: its mail is in the quarantine)."""
        loaded = self.load(tid)
        if loaded is None:
            return
        open_db_ = self._summary_db(open_part(self.root, tid))
        archive = self._summary_db(self._archive_path(loaded[0]))
        try:
            remove_row(open_db_, self.cache, tid) or remove_row(archive, self.cache, tid)
        finally:
            open_db_.close()
            archive.close()
        self.files().remove(self._ticket_path(tid))

    def delete_ticket(self, ticket: Ticket) -> None:
        """Remove a ticket's file, its summary and its redaction mark (inside a
        locked section: one commit). Its spool copies are the caller's."""
        tid = ticket["tid"]
        for path in (
            self._archive_path(ticket),
            month_archive_path(self._root, ticket),
            str(open_part(self.root, tid)),
        ):
            db = self._summary_db(path)
            try:
                if db.storage.read() is not None:  # (no empty file made)
                    remove_row(db, self.cache, tid)
            finally:
                db.close()
        self.files().remove(self._ticket_path(tid))
        self.indexes.unmark_redaction(tid)

    # -- summaries -------------------------------------------------------------
    def _summary_db(self, path: str | Path) -> TinyDB:
        return open_db(path, self.cache, keep=True)

    def _save_summary(self, ticket: Ticket) -> None:
        """The ticket's row in open/ or its archive week. A summary file found corrupt
        is set aside and rebuilt (see rebuild.set_aside), so that one bad file does
        not stop the mail of every ticket whose row it holds."""
        for _ in range(3):  # (open part, archive week, month file: each once)
            try:
                return self._save_summary_rows(ticket)
            except CorruptFile as e:
                rel = e.path.removeprefix(f"{self._root}/")  # (the store's own path aside)
                if e.unreadable or rel == e.path or rel.startswith(f"{TICKETS}/"):
                    raise
                set_aside(self, Path(e.path))
        return self._save_summary_rows(ticket)

    def _save_summary_rows(self, ticket: Ticket) -> None:
        summary = summary_of(ticket)
        tid = ticket["tid"]
        open_db_ = self._summary_db(open_part(self.root, tid))
        archive = self._summary_db(self._archive_path(ticket))
        try:
            if ticket["status"] == "closed":
                upsert(archive, self.cache, tid, summary)
                remove_row(open_db_, self.cache, tid)
            else:
                upsert(open_db_, self.cache, tid, summary)
                if not remove_row(archive, self.cache, tid):
                    self._remove_month_summary(ticket)
        finally:
            open_db_.close()
            archive.close()

    def _remove_month_summary(self, ticket: Ticket) -> None:
        month = self._summary_db(month_archive_path(self._root, ticket))
        try:
            if month.storage.read() is not None:  # (cached, or known to be absent)
                remove_row(month, self.cache, ticket["tid"])
        finally:
            month.close()

    def summaries(self, status: Status | None = None) -> list[Summary]:
        """Ticket summaries (copies) of one status or all, oldest first: each_summary's."""
        rows = [r.copy() for r in self.each_summary() if status is None or r["status"] == status]
        rows.sort(key=lambda r: (r["created_at"], r["tid"]))
        return rows

    def each_summary(self) -> Iterator[Summary]:
        """Every ticket's summary row once, open ones first, in no particular order:
        one pass that holds one archive file at a time, read past the parsed-file cache
        (the daily report's). All of them at once, or kept parsed, stayed in the
        worker's memory after the report (bench/FINDINGS.md 27)."""
        yield from self.open_summaries()
        for path in summaries.json_files(self.root / "archive"):
            yield from readable_rows(path, None)

    def open_summaries(self) -> list[Summary]:
        """Summaries of the tickets not closed (in no particular order)."""
        rows: dict[str, Summary] = {}
        for path in summaries.open_files(self.root):
            for r in readable_rows(path, self.cache):
                rows.setdefault(r["tid"], r.copy())
        return list(rows.values())

    def archive_files(self) -> list[tuple[date, date, Path]]:
        """The archive's summary files with the span of creation dates each holds
        (first day, day after the last), in order of that span."""
        return summaries.archive_files(self.root)

    @staticmethod
    def archive_rows(path: Path) -> list[Summary]:
        """The summaries in one archive file (see archive_files), read past the
        parsed-file cache: a listing reads each file once (not to be changed)."""
        return summaries.whole_rows(path, summaries.table_rows(path))

    # -- the index files (indexes.Indexes) -------------------------------------
    def tid_for_msgid(self, msgid: str) -> str | None:
        return self.indexes.tid_for_msgid(msgid)

    def index_msgid(self, msgid: str, tid: str) -> None:
        self.indexes.index_msgid(msgid, tid)

    def unindex_msgid(self, msgid: str) -> None:
        self.indexes.unindex_msgid(msgid)

    def sender_first_seen(self, address: str) -> str | None:
        return self.indexes.sender_first_seen(address)

    def record_sender(self, address: str, tid: str, created_at: str) -> None:
        self.indexes.record_sender(address, tid, created_at)

    def new_tickets(self, address: str) -> list[str]:
        return self.indexes.new_tickets(address)

    def auto_replies(self, address: str) -> list[datetime]:
        return self.indexes.auto_replies(address)

    def record_auto_reply(self, address: str, when: datetime) -> None:
        self.indexes.record_auto_reply(address, when)

    def uncount_auto_reply(self, address: str, queued_at: datetime) -> bool:
        return self.indexes.uncount_auto_reply(address, queued_at)

    def desk_confirmations(self, desk: str) -> list[datetime]:
        return self.indexes.desk_confirmations(desk)

    def record_desk_confirmation(self, desk: str, when: datetime, keep: int) -> None:
        self.indexes.record_desk_confirmation(desk, when, keep)

    def staff_notices(
        self, address: str, bucket: str = "unproven"
    ) -> tuple[list[datetime], datetime | None]:
        return self.indexes.staff_notices(address, bucket)

    def record_staff_notice(
        self, address: str, when: datetime, held: bool = False, bucket: str = "unproven"
    ) -> None:
        self.indexes.record_staff_notice(address, when, held, bucket)

    def reminder_pace(self, address: str, kind: str) -> Pace:
        return self.indexes.reminder_pace(address, kind)

    def record_reminder(self, address: str, kind: str, when: datetime, listed: bool) -> None:
        self.indexes.record_reminder(address, kind, when, listed)

    def forget_address(self, address: str) -> None:
        self.indexes.forget_address(address)

    def address_files(self) -> list[str]:
        return self.indexes.address_files()

    def drop_if_idle(self, path: str, before: datetime) -> bool:
        return self.indexes.drop_if_idle(path, before)

    def mark_erased(self, h: str, clock: Callable[[], int]) -> None:
        self.indexes.mark_erased(h, clock)

    def erased_since(self, ns: int) -> set[str]:
        return self.indexes.erased_since(ns)

    def mark_for_redaction(self, tid: str, closed_at: str) -> None:
        self.indexes.mark_for_redaction(tid, closed_at)

    def unmark_redaction(self, tid: str) -> None:
        self.indexes.unmark_redaction(tid)

    def pending_redactions(self) -> list[tuple[str, str]]:
        return self.indexes.pending_redactions()

    # -- licenses and groups (registry.Registry) ---------------------------------
    def registry(self) -> tuple[list[License], list[Group]]:
        return self.licenses.items()

    def add_license(self, lic: License) -> None:
        self.licenses.add_license(lic)

    def add_group(self, grp: Group) -> None:
        self.licenses.add_group(grp)

    def remove_license(self, key: str) -> bool:
        return self.licenses.remove_license(key)

    def remove_group(self, name: str) -> bool:
        return self.licenses.remove_group(name)


def _words(e: Exception) -> str:
    """What was wrong in a ticket file's records, in words (no Python repr)."""
    if isinstance(e, KeyError) and e.args:
        return f"a record has no {e.args[0]}"
    return f"its records are not as maild writes them ({e or type(e).__name__})"
