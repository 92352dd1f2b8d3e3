"""`maild fsck [--repair]`: the store checked against the spool and its own tickets.

The spool is the record of what arrived: every processed message (spool/cur) must be
in some ticket, under its Message-ID (or the synthetic id of mail stored as raw
text), or in the quarantine (a ticket's mail, staff's replies too, once staff marked
it #spam). Summaries (open/ parts, archive weeks) and the Message-ID index (with the
keys that lead a letter sent in parts to its ticket: domain/partial.py) are derived
from the ticket files and compared with what they would be. One line per problem;
exit 0 clean, 1 problems found. With --repair, under the store lock: derived files
are rewritten from the tickets (a corrupt one copied to lost+found/ first), a
corrupt ticket file's mail is put back into spool/new, and then the file is set aside
(fsckspool.set_aside_tickets: why a repair killed at any point is safe to run again),
where `maild serve` processes it again into the same TID (the Message-ID index
still names it), as it does the mail of a ticket file lost whole (fsckspool.Waiting:
its index entries are kept); exit 0 when everything found was fixed. Without --repair fsck reads
without the lock, and checks what it found again under it (Fsck.run): a mail serve
stores meanwhile is no problem. Stray files in tickets/ and temp files:
maild/fsckfiles.py; the outbox queue, the block list and the per-address records:
maild/fsckrecords.py; the spool: maild/fsckspool.py; the summaries:
maild/fscksummaries.py.

A problem is reported once, on the file that has it: a corrupt ticket file's
summary row and spool mail are part of its line (and of its repair). Not
repairable, and said so: a ticket file that cannot be read (owner, mode), a message
whose spool copy (its raw text) is gone, a corrupt registry, outbox queue file or
block list.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from maild.adapters.store import CorruptFile
from maild.adapters.store.files import Stamp, stamp
from maild.adapters.store.indexes import key_hash
from maild.adapters.store.rebuild import keep_copy, ticket_tids
from maild.adapters.store.ticketfiles import ticket_path
from maild.app import App
from maild.domain import partial
from maild.domain.forget import PLACEHOLDER
from maild.domain.records import MessageRecord, Ticket
from maild.domain.tid import TID_RE
from maild.fsckattach import Named, check_attachments, kept_files
from maild.fsckfiles import check_access, check_files, lock_broken
from maild.fsckrecords import check_address_records, check_blocklist, check_outbox, read_index
from maild.fsckspool import (
    Waiting,
    check_spool,
    check_spool_copies,
    count_waiting,
    set_aside_tickets,
)
from maild.fscksummaries import check_summaries
from maild.privileges import user_name
from maild.unreadables import chown_fix

# What fsck needs of a message: its id, whether it has a spool_key (received mail),
# the key, whether #merge moved it here, and the key a part of a letter sent in parts
# was indexed under (partial.record_key), which leads the letter's other parts to it,
# and the attachment files it names (fsckattach.kept_files)
Held = tuple[str, bool, str | None, bool, str | None, list[tuple[str, str]]]


def held(m: MessageRecord) -> Held:
    received = "spool_key" in m  # (not after `maild forget`: the key was of the address)
    part = partial.record_key(m) if received and m.get("from") != PLACEHOLDER else None
    key, merged = m.get("spool_key"), bool(m.get("merged_from"))
    return m.get("message_id"), received, key, merged, part, kept_files(m)


@dataclass
class Fsck:
    app: App
    repair: bool
    quick: bool = False  # attachment files: whether they are there, not their content
    problems: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    repairable: int = 0  # problems --repair fixes (a plain fsck says how many)
    lock_broken: bool = False  # the store lock cannot be taken: nothing is repaired
    pending: int = 0  # spooled, not processed yet: not a problem
    held: int = 0  # in spool/claimed/ (a worker's, or one that died: serve takes it back)
    working: dict[int, int] = field(default_factory=dict)  # live pid -> how many it holds
    # what the ticket files say
    tickets: dict[str, Ticket] = field(default_factory=dict)
    # received Message-ID (and a letter's parts key, partial.thread_key) -> TID
    msgids: dict[str, str] = field(default_factory=dict)
    parts: dict[str, set[str]] = field(default_factory=dict)  # parts key -> TIDs holding parts
    all_ids: set[str] = field(default_factory=set)  # every message id in a ticket
    first_seen: dict[str, str] = field(default_factory=dict)  # address hash -> date
    # TIDs of corrupt ticket files -> whether --repair sets the file aside (False:
    # unreadable, left as it is)
    corrupt: dict[str, bool] = field(default_factory=dict)
    # the corrupt files --repair sets aside -> their stamp (store.files.stamp) when found
    aside: dict[Path, Stamp | None] = field(default_factory=dict)
    copies: list[tuple[str, str, str]] = field(default_factory=list)  # TID, Message-ID, key
    keyed: dict[str, tuple[str, str]] | None = None  # key -> TID, Message-ID (fsckspool)
    by_mid: dict[str, list[tuple[str, str]]] | None = None  # (fsckspool.by_message_id)
    stray: list[str] = field(default_factory=list)  # files in tickets/ that are no ticket's
    files: dict[str, list[Named]] = field(default_factory=dict)  # attachment SHA-256 -> whose
    # A plain fsck reads without the store lock (a big store takes long, and serve
    # would wait): what it finds it checks again under the lock, where no write is
    # half done. That run looks only at the files found (`only`, relative paths) and
    # reuses the tickets of the first run (`earlier`) whose files did not change.
    only: set[str] | None = None
    earlier: Fsck | None = None
    locked: bool = False  # run under the store lock
    found: set[str] = field(default_factory=set)  # the files problems were found in
    kept: dict[str, tuple[Ticket, list[Held]]] = field(default_factory=dict)  # TID -> its
    stamps: dict[str, Stamp] = field(default_factory=dict)  # TID -> its file's

    @property
    def root(self) -> Path:
        return self.app.store.root

    def ticket_path(self, tid: str) -> Path:
        return Path(ticket_path(self.root, tid))

    def problem(self, path: Path | str, what: str, fix: str | None = None) -> None:
        rel = os.path.relpath(path, self.root)
        if self.only is not None and rel not in self.only:
            return
        self.found.add(rel)
        self.problems.append(f"{rel}: {what}")
        self.repairable += bool(fix)
        if self.repair and fix:
            self.fixed.append(f"{rel}: {fix}")

    def wanted(self, path: Path | str) -> bool:
        """Whether this run looks at the file (a re-check looks only at those found)."""
        return self.only is None or os.path.relpath(path, self.root) in self.only

    # -- tickets ---------------------------------------------------------------
    def read_tickets(self) -> None:
        moved: dict[str, str] = {}  # Message-ID -> a ticket it was merged into
        for tid in ticket_tids(self.app.store):
            loaded = self.read_ticket(tid)
            if loaded is None:
                continue
            ticket, messages = loaded
            self.tickets[tid] = ticket
            for mid, received, key, merged, part, files in messages:
                self.all_ids.add(mid)
                for sha, name in files:
                    self.files.setdefault(sha, []).append((tid, mid, name, key))
                if received and mid:  # received mail (ours carry a signed id)
                    (moved if merged else self.msgids).setdefault(mid, tid)
                if part:  # a part of a letter sent in parts: its key leads the others
                    (moved if merged else self.msgids).setdefault(part, tid)
                    self.parts.setdefault(part, set()).add(tid)
                if key:  # (None once `maild forget` erased the copy)
                    self.copies.append((tid, mid, key))
            requester = ticket.get("requester")
            if requester and requester != PLACEHOLDER:  # (`maild forget` erased whose)
                key = key_hash(requester)
                day = ticket["created_at"][:10]
                self.first_seen[key] = min(self.first_seen.get(key, day), day)
        # the index names the ticket mail arrived in: #merge leaves it there (mail
        # threading to it follows merged_into); a copy merged elsewhere counts only
        # when that ticket is gone
        for mid, tid in moved.items():
            self.msgids.setdefault(mid, tid)

    def read_ticket(self, tid: str) -> tuple[Ticket, list[Held]] | None:
        """The ticket and what fsck needs of its messages; None when there is none,
        or it is corrupt (a problem then). The first run's, if the file is the same."""
        store = self.app.store
        found = stamp(os.fspath(self.ticket_path(tid)))  # (before reading: a change after is seen)
        if found is not None:
            self.stamps[tid] = found
        earlier = self.earlier
        if earlier and tid in earlier.kept and earlier.stamps.get(tid) == self.stamps.get(tid):
            self.kept[tid] = earlier.kept[tid]
            return self.kept[tid]
        try:
            loaded = store.load(tid)
        except CorruptFile as e:
            path = Path(e.path)
            self.corrupt[tid] = not e.unreadable
            if e.unreadable:
                self.unreadable(e)
                return None
            fix = "set aside (a copy in lost+found/); its mail is re-queued"
            self.problem(path, "corrupt ticket file", fix)
            if self.repair:  # once its mail is re-queued: fsckspool.set_aside_tickets
                self.aside[path] = self.stamps.get(tid)
            return None
        if loaded is None:
            return None
        ticket, records = loaded
        messages = [held(m) for m in records]
        self.kept[tid] = (ticket, messages)
        return self.kept[tid]

    # -- indexes ---------------------------------------------------------------
    def index_files(self, kind: str) -> Iterator[Path]:
        top = self.root / "index" / kind
        if not top.is_dir():
            return
        for sub in sorted(os.listdir(top)):
            folder = top / sub
            if folder.is_dir():
                for name in sorted(os.listdir(folder)):
                    if not name.startswith("."):  # (temp files of a write)
                        yield folder / name

    def check_msgid_index(self) -> None:
        by_path = {self.index_path("msgid", mid): tid for mid, tid in self.msgids.items()}
        keys = {self.index_path("msgid", key): key for key in self.parts}
        for path in self.index_files("msgid"):
            if path in by_path or not self.wanted(path):
                continue
            try:
                value = read_index(self, path)
            except FileNotFoundError:  # removed meanwhile
                continue
            if value is None:
                continue  # (unreadable: said so)
            if not TID_RE.fullmatch(value):
                what = "Message-ID index entry is not a TID"
            elif not self.gone(value) or self.waiting.names(path):
                continue
            else:
                what = f"Message-ID index entry names {value}, a ticket that does not exist"
            self.problem(path, what, "removed")
            if self.repair:
                keep_copy(self.app.store, path)
                self.app.store.files().remove(path)
        for path, tid in by_path.items():
            if not self.wanted(path):
                continue
            try:
                value = read_index(self, path)
            except FileNotFoundError:
                value = None
            else:
                if value is None:
                    continue  # (unreadable: said so)
            if value == tid or value in self.parts.get(keys.get(path, ""), ()):
                continue  # (the parts of one letter in two tickets: either leads)
            what = "missing" if value is None else f"says {value[:20]!r}"
            whose = "the parts of a letter" if path in keys else "a message"
            self.problem(path, f"Message-ID index of {whose} in {tid}: {what}", "rewritten")
            if self.repair:
                if value is not None:
                    keep_copy(self.app.store, path)
                path.parent.mkdir(parents=True, exist_ok=True)
                self.app.store.files().put(path, tid.encode())

    @cached_property  # read only when an entry names no ticket
    def waiting(self) -> Waiting:
        return Waiting(self)

    def gone(self, tid: str) -> bool:
        """No ticket file of this TID, not even a corrupt one, and not a ticket staff
        marked #spam (its index entries stay: they tell its later mail)."""
        return (
            tid not in self.tickets
            and tid not in self.corrupt
            and not os.path.exists(self.ticket_path(tid))
            and not self.app.quarantine.spammed(tid)
        )

    def index_path(self, kind: str, key: str) -> Path:
        h = key_hash(key)
        return self.root / "index" / kind / h[:2] / h

    def check_registry(self) -> None:
        try:
            self.app.store.registry()
        except CorruptFile as e:
            if e.unreadable:  # whole, as far as anyone knows: a backup is not the fix
                self.unreadable(e)
                return
            # not derived from anything: only a backup (or `license add` again) restores it
            why = e.why.removeprefix("not a registry: ")
            fix = "restore it from a backup (not repaired)"
            self.problem(e.path, f"corrupt registry ({why}): {fix}")

    def unreadable(self, e: CorruptFile) -> None:
        """A file maild may not read: its content may be whole, so it is neither set
        aside nor rebuilt. One of another owner was most likely left by an older
        version run as root (which did not switch to the storage's owner)."""
        what = e.why.replace("unreadable:", f"unreadable by {user_name(os.geteuid())}:", 1)
        self.problem(Path(e.path), f"{what} (not repaired: {chown_fix(self.root, e.path)})")

    def run(self) -> Fsck:
        """Check (and repair, under the lock); the run whose findings stand: a plain
        fsck's findings checked again under the lock, where serve writes nothing.
        A store lock that cannot be taken (fsckfiles.lock_broken) is named, and
        nothing is repaired."""
        if lock_broken(self.root):
            self.repair, self.lock_broken = False, True
            self.checks()
            return self
        if self.repair:
            with self.app.store.locked(timeout=120):
                self.locked = True
                self.checks()
            set_aside_tickets(self)  # (a section of its own: after the mail is re-queued)
            count_waiting(self)  # with the mail it re-queued
            return self
        self.checks()
        if not self.problems:
            return self
        again = Fsck(self.app, False, self.quick, only=self.found, earlier=self, locked=True)
        with self.app.store.locked(timeout=120):
            again.checks()
        return again

    def checks(self) -> None:
        self.read_tickets()
        check_summaries(self)
        self.check_msgid_index()
        check_address_records(self)
        self.check_registry()
        check_spool(self)
        check_spool_copies(self)
        check_outbox(self)
        check_blocklist(self)
        check_files(self)
        check_attachments(self)
        check_access(self)  # (last: what the others named is not named again)
