"""The ticket store: TinyDB files laid out so that cost never grows with history.

    tickets/<ab>/<tid>.json   one TinyDB per ticket (tables "ticket", "messages")
    open/<xx>.json            TinyDB of summaries of tickets not closed, in 256 parts
                              by a hash of the TID (xx = 00..ff)
    archive/<YYYY>-W<ww>.json TinyDB of summaries of closed tickets, by creation ISO week
    index/msgid/<ab>/<hash>   Message-ID -> TID of mail received, one small file each
    index/address/<ab>/<hash> per address: first ticket, recent automatic replies
    registry.json             TinyDB of licenses and groups
    lock                      the last locked section's note (_LockNote); the lock
                              itself, one writer across processes, is a flock of
                              the storage directory (it cannot be deleted)

Every write goes through DurableJSONStorage: temp file, fsync, rename; inside a
locked section all writes are one group commit (adapters.durable.transaction).

A batch of mail rewrites the parts of open/ it touched, not all open tickets: with a
few thousand open, rewriting one file of them all cost more than the mail itself, and
with 16 parts a batch still rewrote most of them (1.3 ms per mail at 3,000 open, 3.4
at 10,000; with 256 parts 0.4 and 0.8). Stores made before had one open.json, or 16
parts named 0..f; those files are split into the parts on the first locked use.

The summary files (open/, archive weeks, registry) are kept parsed in memory
between uses (_Parsed), checked against the file's identity on every read and
dropped when another process may have changed them since we held the lock; their
rows are found by TID through an index instead of a TinyDB query scan. The lock
file says which ones changed (_LockNote): every locked section numbers itself one
past the last and, once its commit is durable, lists the summary files it wrote.
A process that held the section just before drops only those; after any other
history (two sections by others, a section that never finished) it drops all.
With two workers taking turns, each one's batch used to read again every summary
file it touched (~0.1 ms a message).

While a thread holds the lock, and no other process held it since this one did,
nothing but that thread's own transaction changes the store's files, and its writes
are only recorded until the locked section ends. So a file looked at once in a
locked section is not looked at again in it: a summary file's identity is checked
once, and an index file (or its absence) read once. A new ticket read its
sender's record three times and looked twice each for a registry, an archive week
and a Message-ID that were not there: seven system calls a message, ~10 µs each.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from maild.adapters.durable import (
    Json,
    current,
    exists,
    pending,
    read_bytes,
    remove,
    write_atomic,
)
from maild.domain.sender import Group, License
from maild.domain.tid import TID_RE

log = logging.getLogger("maild.store")

LEGACY_OPEN = "open.json"  # the summaries of open tickets before open/ had parts

SUMMARY_FIELDS = (
    "tid",
    "status",
    "level",
    "requester",
    "subject",
    "created_at",
    "reaction_due",
    "first_reaction_at",
    "first_reaction_due",
    "critical",
    "assignee",
    "closed_at",
)


class StoreUnavailable(Exception):
    """The store cannot be used right now (lock timeout, disk error): retry later."""


class CorruptFile(StoreUnavailable):
    """A file of the store cannot be read or is not what maild wrote (garbage,
    truncated, unreadable). Listings and jobs skip it (logged with its path); mail
    that needs it waits in the spool (a StoreUnavailable) until `maild fsck
    --repair` or the admin restores it, instead of opening a second ticket."""

    def __init__(self, path: str | Path, why: str, unreadable: bool = False) -> None:
        super().__init__(f"{path}: {why} (run `maild fsck`)")
        self.path = os.fspath(path)
        self.unreadable = unreadable  # its content may be fine: never set aside


def _json_doc(path: str, raw: bytes) -> Any:
    """A TinyDB file's document, or CorruptFile: garbage must not read as empty."""
    try:
        data = json.loads(raw)
    except ValueError as e:  # (a UnicodeDecodeError is one too)
        raise CorruptFile(path, f"not JSON: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptFile(path, "not a table file")
    return data


# per summary file: its table of rows and that table's TID index (_summary_rows)
_tid_index: dict[str, tuple[dict[str, Any], dict[Any, Any]]] = {}


class _Parsed:
    """Parsed summary files kept between uses, a few at a time (LRU).

    An entry is trusted only while the file is the same one (inode, size, mtime)
    and no other process held the store lock since (Store.locked clears the cache
    then). TinyDB gets the cached document itself: it only changes it on the way
    to a write, and every write replaces the entry (or drops it if it fails)."""

    MAX = 320  # the 256 parts of open/, archive weeks, the registry
    # and at most this many bytes of JSON (parsed, 3-5 times that): an archive week of
    # a large store is ~200 KB, and replies to old tickets would otherwise keep up to
    # MAX of them in every process: the byte budget bounds each process's memory
    MAX_BYTES = 8 << 20

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[tuple[int, int, int], Any]] = OrderedDict()
        self.size = 0  # bytes of the files in entries
        self.lock = threading.Lock()
        # a locked section's files checked already (path -> there or not) and its
        # thread and store (see the module's docstring; Store.locked sets them)
        self.checked: dict[str, bool] = {}
        self.holder: tuple[int, str] | None = None
        # the summary files the locked section wrote or removed (for _LockNote)
        self.written: set[str] = set()

    def hold(self, root: str | None) -> None:
        """The calling thread holds the lock of the store at `root` (None: no longer)."""
        with self.lock:
            self.checked.clear()
            self.holder = (threading.get_ident(), f"{root}{os.sep}") if root else None
            if root:
                self.written.clear()

    def _held(self, path: str) -> bool:
        holder = self.holder
        return (
            holder is not None and holder[0] == threading.get_ident() and path.startswith(holder[1])
        )

    @staticmethod
    def stamp(path: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def get(self, path: str) -> Any:
        held = self._held(path)
        if held:
            with self.lock:
                there = self.checked.get(path)
                if there is False:
                    return None
                hit = self.entries.get(path) if there else None
                if hit is not None:
                    self.entries.move_to_end(path)
                    return hit[1]
        stamp = self.stamp(path)
        if stamp is None:
            with self.lock:
                self._drop(path)
                if held:
                    self.checked[path] = False
            return None
        with self.lock:
            hit = self.entries.get(path)
            if hit is not None and hit[0] == stamp:
                self.entries.move_to_end(path)
                if held:
                    self.checked[path] = True
                return hit[1]
        with open(path, "rb") as f:
            raw = f.read()
        data = _json_doc(path, raw) if raw else None
        if data is not None and self.stamp(path) == stamp:
            self.put(path, data, stamp, checked=held)
        return data

    def put(
        self,
        path: str,
        data: Any,
        stamp: tuple[int, int, int] | None = None,
        checked: bool = False,
    ) -> None:
        """Keep `data` as the content of `path` (`checked`: in this locked section)."""
        stamp = stamp or self.stamp(path)
        with self.lock:
            self._drop(path)
            if stamp is None:
                return
            if checked:
                self.checked[path] = True
            self.entries[path] = (stamp, data)
            self.size += stamp[1]
            while len(self.entries) > 1 and (
                len(self.entries) > self.MAX or self.size > self.MAX_BYTES
            ):
                self._drop(next(iter(self.entries)), evict=True)  # least recently used

    def forget(self, path: str) -> None:
        """Drop `path` before it is written or removed (every such change does)."""
        held = self._held(path)
        with self.lock:
            self._drop(path)
            if held:
                self.written.add(path)

    def written_below(self, root: str) -> list[str]:
        """The summary files this section changed, relative to `root`."""
        prefix = f"{root}{os.sep}"
        with self.lock:
            return sorted(p[len(prefix) :] for p in self.written if p.startswith(prefix))

    def drop(self, paths: list[str]) -> None:
        """Drop what another process changed."""
        with self.lock:
            for path in paths:
                self._drop(path, evict=True)

    def _drop(self, path: str, evict: bool = False) -> None:
        self.checked.pop(path, None)
        hit = self.entries.pop(path, None)
        if hit is not None:
            self.size -= hit[0][1]
        if evict:  # (a write forgets the entry but its rows live on, to be put back)
            _tid_index.pop(path, None)

    def clear(self, root: Path) -> None:
        prefix = f"{root}{os.sep}"
        with self.lock:
            for p in [p for p in self.entries if p.startswith(prefix)]:
                self._drop(p, evict=True)


_parsed = _Parsed()


class DurableJSONStorage(Storage):
    """TinyDB storage that never leaves a torn file: write_atomic on every write.

    In a transaction the document itself is recorded (serialised once, at commit)
    and read back by later readers in the same thread. With `cache`, the parsed
    document is kept between uses (summary files, see _Parsed)."""

    def __init__(self, path: str, sync: bool = True, cache: bool = False) -> None:
        self.path = os.fspath(path)
        self.sync = sync
        self.cache = cache

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            value = pending(self.path)
        except FileNotFoundError:
            return None
        if isinstance(value, Json):
            return value.data
        if value is not None:
            return _json_doc(self.path, value) if value else None
        try:
            if self.cache:
                return _parsed.get(self.path)
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:  # unreadable (permissions, I/O error): skipped, not replaced
            raise CorruptFile(self.path, f"unreadable: {e.strerror or e}", True) from None
        return _json_doc(self.path, data) if data else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        _ensure_dir(os.path.dirname(self.path))
        txn = current()
        if txn is not None and self.sync:
            txn.put(self.path, Json(data))
            if self.cache:
                path = self.path
                _parsed.forget(path)
                txn.on_commit(path, lambda: _parsed.put(path, data), lambda: _parsed.forget(path))
            return
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        if self.cache:
            _parsed.forget(self.path)
        write_atomic(self.path, raw, sync=self.sync)
        if self.cache:
            _parsed.put(self.path, data)

    def close(self) -> None:
        pass


def _summary_storage(path: str) -> DurableJSONStorage:
    return DurableJSONStorage(path, cache=True)


def _db(path: str | Path, cached: bool = False, summary: bool = False) -> TinyDB:
    if cached:
        return TinyDB(str(path), storage=CachingMiddleware(DurableJSONStorage))
    if summary:
        return TinyDB(str(path), storage=_summary_storage)
    return TinyDB(str(path), storage=DurableJSONStorage)


_dirs: set[str] = set()


def _ensure_dir(path: str | Path) -> None:
    path = os.fspath(path)
    if path not in _dirs:
        os.makedirs(path, exist_ok=True)
        if len(_dirs) > 4096:
            _dirs.clear()
        _dirs.add(path)


def _summary_rows(db: TinyDB) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A summary file's tables, its table of rows (doc id -> row) and an index of
    that table: TID -> doc id, and the next free doc id.

    The rows are changed in place and the whole document written back, so one
    upsert costs the same with ten open tickets or ten thousand (TinyDB's own
    Table copies the table twice per write and scans it for the next id). The
    index is kept per file for as long as its table object lives (TinyDB replaces the
    object whenever it writes the table itself, and the index is rebuilt), and
    dropped with the file's parsed copy (_Parsed): one table per file at most."""
    tables = db.storage.read() or {}
    table = tables.setdefault(db.default_table_name, {})
    path = db.storage.path
    hit = _tid_index.get(path)
    if hit is None or hit[0] is not table:
        if len(_tid_index) > _Parsed.MAX:
            _tid_index.clear()
        index: dict[str, Any] = {doc["tid"]: k for k, doc in table.items() if "tid" in doc}
        index[_NEXT_ID] = max((int(k) for k in table), default=0) + 1
        hit = (table, index)
        _tid_index[path] = hit
    return tables, table, hit[1]


_NEXT_ID = object()  # the index key of the next free doc id (never a TID)


def _upsert_summary(db: TinyDB, tid: str, summary: dict[str, Any]) -> None:
    tables, table, index = _summary_rows(db)
    key = index.get(tid)
    if key is not None and table.get(key) == summary:
        return
    if key is None:
        key = str(index[_NEXT_ID])
        index[_NEXT_ID] += 1
        index[tid] = key
    table[key] = summary
    db.storage.write(tables)


def _remove_summary(db: TinyDB, tid: str) -> bool:
    """Remove the row of `tid`; False if there was none."""
    tables, table, index = _summary_rows(db)
    key = index.pop(tid, None)
    if key is None:
        return False
    table.pop(key, None)
    db.storage.write(tables)
    return True


def _times(address_record: dict[str, Any]) -> list[datetime]:
    """When automatic replies went to an address, from its record."""
    return [datetime.fromisoformat(t) for t in address_record.get("auto_replies", [])]


def _hash(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()


OPEN_PARTS = 256
_PART_NAMES = frozenset(f"{n:02x}.json" for n in range(OPEN_PARTS))
_SIXTEEN_PART_NAMES = frozenset(f"{n:x}.json" for n in range(16))  # the layout before


def open_part(root: Path, tid: str) -> Path:
    """The file of open/ that holds the summary of `tid` while it is not closed."""
    return root / "open" / f"{zlib.crc32(tid.encode()) % OPEN_PARTS:02x}.json"


def _summary_table(path: Path) -> list[dict[str, Any]]:
    """The rows of a summary file, as its TinyDB would give them (without one)."""
    tables = DurableJSONStorage(str(path), cache=True).read() or {}
    return list(tables.get(TinyDB.default_table_name, {}).values())


def _readable_rows(path: Path) -> list[dict[str, Any]]:
    """A summary file's rows for listings and jobs: a corrupt or unreadable file is
    logged with its path and skipped (its tickets are missing from the listing until
    `maild fsck --repair` rebuilds it; the other tickets are still served)."""
    try:
        rows = _summary_table(path)
    except StoreUnavailable as e:
        log.error("skipping a summary file: %s", e)
        return []
    good = [r for r in rows if isinstance(r, dict) and r.keys() >= _SUMMARY_KEYS]
    if len(good) != len(rows):
        log.error("%s: %d malformed row(s) skipped (run `maild fsck`)", path, len(rows) - len(good))
    return good


_SUMMARY_KEYS = frozenset(("tid", "status", "level", "requester", "created_at"))


class _LockNote:
    """The content of the store's lock file: the last locked section's holder (a
    token per Store object and process), its number, and the summary files it
    changed, relative to the store (None: not known, as while it is under way or
    when it ended without a durable commit).

        <token>
        <number>
        open/3f.json        (one line per file changed)
        .                   (the list is complete)
    """

    MAX_BYTES = 1 << 20  # a longer list is not kept: the next holder drops everything

    def __init__(self, token: bytes, section: int, changed: list[str] | None = None) -> None:
        self.token = token
        self.section = section
        self.changed = changed

    @classmethod
    def read(cls, fd: int) -> _LockNote | None:
        """The note in the lock file; None if there is none or it is not one."""
        lines = os.pread(fd, cls.MAX_BYTES, 0).split(b"\n")
        if len(lines) < 3 or not lines[1].isdigit():
            return None
        changed = None
        if lines[-2:] == [b".", b""]:
            changed = [p.decode("utf-8", "surrogateescape") for p in lines[2:-2]]
        return cls(lines[0], int(lines[1]), changed)

    def write(self, fd: int) -> None:
        parts = [self.token, str(self.section).encode()]
        if self.changed is not None:
            parts += [p.encode("utf-8", "surrogateescape") for p in self.changed] + [b"."]
        data = b"\n".join(parts) + b"\n"
        if len(data) > self.MAX_BYTES:
            data = b"\n".join(parts[:2]) + b"\n"
        # Emptied first: a crash between the two leaves no note (everything is
        # dropped), never the start of this one over the end of the last.
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)  # paths below are built as strings (hot paths)
        for sub in ("tickets", "open", "archive", "index/msgid", "index/address"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self._holder: int | None = None  # the thread in a locked section
        # index files read in this locked section: path -> bytes, or None if absent
        self._seen: dict[str, bytes | None] = {}
        self._layout_checked = False  # old files of open/ split (see _split_legacy_open)
        self._token = f"{os.getpid()}.{time.monotonic_ns()}.{id(self)}".encode()
        self._section: int | None = None  # the number of our last locked section

    def after_fork(self) -> None:
        """In a forked child: a token of its own (the lock tells the two apart) and
        nothing parsed that the parent may change."""
        self._holder = None
        self._token = f"{os.getpid()}.{time.monotonic_ns()}.{id(self)}".encode()
        self._section = None
        _parsed.clear(self.root)

    # -- locking -------------------------------------------------------------
    @contextmanager
    def locked(self, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive across processes; a timeout is a transient failure.

        Everything written inside is one group commit, made durable before the lock
        is released (adapters.durable.transaction). Re-entrant in the same thread:
        the daemon holds it around a batch of messages."""
        if self._holder == threading.get_ident():
            yield
            return
        from maild.adapters.durable import transaction

        # The lock is the storage directory itself: it cannot be deleted or swapped
        # from under a holder, as the file "lock" could (then two writers ran at
        # once and updates were lost). The file only carries the _LockNote, and is
        # opened once the lock is held: a file deleted since is simply a new one.
        dir_fd = os.open(self._root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreUnavailable("the store is locked by another process") from None
                    time.sleep(0.005)
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o640)
            try:
                note = _LockNote(self._token, self._catch_up(_LockNote.read(fd)))
                note.write(fd)  # under way: what it changes is not known yet
                self._holder = threading.get_ident()
                self._seen.clear()
                _parsed.hold(self._root)
                try:
                    if not self._layout_checked:
                        legacy = self._open_files()[1]
                        if legacy:
                            with transaction():
                                self._split_legacy_open(legacy)
                        self._layout_checked = True
                    committed: list[bool] = []
                    with transaction() as txn:
                        txn.on_commit(note, lambda: committed.append(True), lambda: None)
                        yield
                    if committed:
                        note.changed = _parsed.written_below(self._root)
                        with contextlib.suppress(OSError):  # else "under way": safe
                            note.write(fd)
                finally:
                    self._holder = None
                    self._seen.clear()
                    _parsed.hold(None)
            finally:
                os.close(fd)
        finally:
            os.close(dir_fd)  # releases the lock

    def _catch_up(self, last: _LockNote | None) -> int:
        """Drop what we keep parsed that the sections since our last one may have
        changed; the number of this section."""
        mine = self._section
        if last is None or mine is None or last.changed is None:
            _parsed.clear(self.root)  # a first section, or one that never finished
        elif last.token == self._token and last.section == mine:
            pass  # ours was the last section: nothing changed since
        elif last.section == mine + 1:
            _parsed.drop([os.path.join(self._root, p) for p in last.changed])
        else:
            _parsed.clear(self.root)
        # A store without a note (new, or its lock file deleted) numbers its sections
        # from the clock: never one past a number an older holder remembers.
        self._section = last.section + 1 if last is not None else time.time_ns()
        return self._section

    # -- Message-ID index ------------------------------------------------------
    def _index_path(self, kind: str, key: str) -> str:
        h = _hash(key)
        return f"{self._root}/index/{kind}/{h[:2]}/{h}"

    def _read_index(self, path: str) -> bytes | None:
        """An index file's bytes (None: there is none) as this thread's transaction
        will commit them; in a locked section read from disk once."""
        try:
            from_disk = pending(path) is None
        except FileNotFoundError:  # removed by the transaction
            return None
        held = from_disk and self._holder == threading.get_ident()
        if held and path in self._seen:
            return self._seen[path]
        try:
            data: bytes | None = read_bytes(path)  # the transaction's, else the disk's
        except FileNotFoundError:
            data = None
        if held:
            self._seen[path] = data
        return data

    def tid_for_msgid(self, msgid: str) -> str | None:
        """The ticket of mail received with this Message-ID; CorruptFile when its
        index file holds anything but a TID (an empty or garbage entry read as
        "unknown" would make a redelivery a second ticket)."""
        path = self._index_path("msgid", msgid)
        data = self._read_index(path)
        if data is None:
            return None
        tid = data.decode("ascii", "replace").strip()
        if not TID_RE.fullmatch(tid):
            raise CorruptFile(path, "Message-ID index entry is not a TID")
        return tid

    def index_msgid(self, msgid: str, tid: str) -> None:
        path = self._index_path("msgid", msgid)
        if self._read_index(path) is not None:
            return
        _ensure_dir(os.path.dirname(path))
        write_atomic(path, tid.encode())

    # -- per address: first ticket, automatic replies ----------------------------
    def _address(self, address: str) -> dict[str, Any]:
        path = self._index_path("address", address)
        try:
            record = json.loads(self._read_index(path) or b"{}")
        except ValueError:
            record = None
        if not isinstance(record, dict):  # rewritten whole by the next record_*
            log.error("%s: address index entry is corrupt, read as empty", path)
            return {}
        return record

    def _save_address(self, address: str, record: dict[str, Any]) -> None:
        path = self._index_path("address", address)
        _ensure_dir(os.path.dirname(path))
        write_atomic(path, json.dumps(record).encode())

    def sender_first_seen(self, address: str) -> str | None:
        """ISO date of the first ticket from this address, if recorded."""
        return self._address(address).get("first_seen") if address else None

    def record_sender(self, address: str, when: str) -> None:
        if not address:
            return
        record = self._address(address)
        if not record.get("first_seen"):
            self._save_address(address, {**record, "first_seen": when})

    def auto_replies(self, address: str) -> list[datetime]:
        """When automatic replies went to this address lately."""
        return _times(self._address(address))

    def record_auto_reply(self, address: str, when: datetime) -> None:
        record = self._address(address)
        day_ago = when - timedelta(days=1)  # the caps count an hour and a day
        times = [t for t in _times(record) if t > day_ago] + [when]
        self._save_address(address, {**record, "auto_replies": [t.isoformat() for t in times]})

    def mark_for_redaction(self, tid: str, closed_at: str) -> None:
        """Queue a closed ticket for credential redaction (a small dir, not a scan)."""
        path = self.root / "index" / "redact" / tid
        _ensure_dir(path.parent)
        write_atomic(path, closed_at.encode())

    def unmark_redaction(self, tid: str) -> None:
        remove(self.root / "index" / "redact" / tid)

    def pending_redactions(self) -> list[tuple[str, str]]:
        folder = self.root / "index" / "redact"
        if not folder.exists():
            return []
        out = []
        for p in sorted(folder.iterdir()):
            when = p.read_bytes().decode("ascii", "replace").strip()
            try:
                datetime.fromisoformat(when)
            except ValueError:  # left in place: `maild fsck` names it
                log.error("%s: not a time, redaction of this ticket skipped", p)
                continue
            out.append((p.name, when))
        return out

    # -- tickets ---------------------------------------------------------------
    def _ticket_path(self, tid: str) -> str:
        return f"{self._root}/tickets/{tid[:2]}/{tid}.json"

    def ticket_exists(self, tid: str) -> bool:
        return exists(self._ticket_path(tid))

    def load(self, tid: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The ticket and its messages in arrival order, or None."""
        path = self._ticket_path(tid)
        if not exists(path):
            return None
        db = _db(path)
        try:
            docs = db.table("ticket").all()
            if len(docs) != 1 or docs[0].get("tid") != tid:  # (an empty file, too)
                raise CorruptFile(path, "not a ticket file")
            return dict(docs[0]), [dict(m) for m in db.table("messages").all()]
        except (KeyError, TypeError, AttributeError, ValueError) as e:  # not TinyDB's
            raise CorruptFile(path, f"not a ticket file: {e!r}") from None
        finally:
            db.close()

    def save(self, ticket: dict[str, Any], messages: list[dict[str, Any]]) -> None:
        """Write the whole ticket in one durable file replace, then its summary."""
        path = self._ticket_path(ticket["tid"])
        _ensure_dir(os.path.dirname(path))
        db = _db(path, cached=True)
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
        open_db = _db(open_part(self.root, tid), summary=True)
        archive = _db(self._archive_path(loaded[0]), summary=True)
        try:
            _remove_summary(open_db, tid) or _remove_summary(archive, tid)
        finally:
            open_db.close()
            archive.close()
        remove(self._ticket_path(tid))

    def _archive_path(self, ticket: dict[str, Any]) -> str:
        """The ISO week the ticket was created in: a reply to an old ticket rewrites a
        week's summaries (~1/150 of three years), not a month's."""
        year, week, _ = date.fromisoformat(ticket["created_at"][:10]).isocalendar()
        return f"{self._root}/archive/{year}-W{week:02d}.json"

    def _legacy_archive_path(self, ticket: dict[str, Any]) -> str:
        """Where stores made before the week partitions keep it: by creation month."""
        return f"{self._root}/archive/{ticket['created_at'][:7]}.json"

    def _save_summary(self, ticket: dict[str, Any]) -> None:
        """The ticket's row in open/ or its archive week. A summary file found corrupt
        is set aside and rebuilt (see rebuild.set_aside), so that one bad file does
        not stop the mail of every ticket whose row it holds."""
        from maild.adapters.rebuild import set_aside

        for _ in range(3):  # (open part, archive week, legacy month: each once)
            try:
                return self._save_summary_rows(ticket)
            except CorruptFile as e:
                if e.unreadable or "/tickets/" in e.path or not e.path.startswith(self._root):
                    raise
                set_aside(self, Path(e.path))
        return self._save_summary_rows(ticket)

    def _save_summary_rows(self, ticket: dict[str, Any]) -> None:
        summary = {k: ticket.get(k) for k in SUMMARY_FIELDS}
        tid = ticket["tid"]
        open_db = _db(open_part(self.root, tid), summary=True)
        archive = _db(self._archive_path(ticket), summary=True)
        try:
            if ticket["status"] == "closed":
                _upsert_summary(archive, tid, summary)
                _remove_summary(open_db, tid)
            else:
                _upsert_summary(open_db, tid, summary)
                if not _remove_summary(archive, tid):
                    self._remove_legacy_summary(ticket)
        finally:
            open_db.close()
            archive.close()

    def _remove_legacy_summary(self, ticket: dict[str, Any]) -> None:
        legacy = _db(self._legacy_archive_path(ticket), summary=True)
        try:
            if legacy.storage.read() is not None:  # (cached, or known to be absent)
                _remove_summary(legacy, ticket["tid"])
        finally:
            legacy.close()

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Ticket summaries, oldest first; closed ones come from the archive."""
        rows: list[dict[str, Any]] = []
        if status in (None, "new", "open", "waiting"):
            rows += self.open_summaries()
        if status in (None, "closed"):
            for path in sorted((self.root / "archive").glob("*.json")):
                rows += [dict(r) for r in _readable_rows(path)]
        if status:
            rows = [r for r in rows if r["status"] == status]
        rows.sort(key=lambda r: (r["created_at"], r["tid"]))
        return rows

    def archive_files(self) -> list[tuple[date, date, Path]]:
        """The archive's summary files with the span of creation dates each holds
        (first day, day after the last), in order of that span."""
        out = []
        for p in (self.root / "archive").glob("*.json"):
            year, _, part = p.stem.partition("-")
            try:
                if part.startswith("W"):
                    start = date.fromisocalendar(int(year), int(part[1:]), 1)
                    end = start + timedelta(days=7)
                else:
                    start = date(int(year), int(part), 1)
                    end = (start + timedelta(days=32)).replace(day=1)
            except ValueError:
                continue  # not a file of ours
            out.append((start, end, p))
        out.sort()
        return out

    @staticmethod
    def archive_rows(path: Path) -> list[dict[str, Any]]:
        """The summaries in one archive file (see archive_files), read past the
        parsed-file cache: a listing reads each file once (not to be changed)."""
        tables = DurableJSONStorage(str(path)).read() or {}
        return list(tables.get(TinyDB.default_table_name, {}).values())

    def open_summaries(self) -> list[dict[str, Any]]:
        """Summaries of the tickets not closed (in no particular order)."""
        parts, legacy = self._open_files()
        rows: dict[str, dict[str, Any]] = {}
        # files of an older layout, if nothing locked the store since the upgrade, last
        for path in parts + legacy:
            for r in _readable_rows(path):
                rows.setdefault(r["tid"], dict(r))  # a part's row is the newer one
        return list(rows.values())

    def _open_files(self) -> tuple[list[Path], list[Path]]:
        """The parts of open/, and the open summaries' files of older layouts (the 16
        parts named 0..f.json, the single open.json): one listing of open/."""
        parts: list[Path] = []
        old: list[Path] = []
        for p in sorted((self.root / "open").glob("*.json")):
            if p.name in _PART_NAMES:
                parts.append(p)
            elif p.name in _SIXTEEN_PART_NAMES:
                old.append(p)
        single = self.root / LEGACY_OPEN
        return parts, old + ([single] if single.exists() else [])

    def _split_legacy_open(self, paths: list[Path]) -> None:
        """Move the rows of open/'s files of an older layout into the parts, then
        remove those files: one commit of its own. A row already in a part is newer
        and stays (a crash during this commit leaves the files to split again)."""
        for path in paths:
            for row in _summary_table(path):
                part = _db(open_part(self.root, row["tid"]), summary=True)
                try:
                    if row["tid"] not in _summary_rows(part)[2]:
                        _upsert_summary(part, row["tid"], dict(row))
                finally:
                    part.close()
            _parsed.forget(os.fspath(path))
            remove(path)

    # -- removal (maild.ops: retention, forget) ------------------------------------
    def delete_ticket(self, ticket: dict[str, Any]) -> None:
        """Remove a ticket's file, its summary and its redaction mark (inside a
        locked section: one commit). Its spool copies are the caller's."""
        tid = ticket["tid"]
        for path in (
            self._archive_path(ticket),
            self._legacy_archive_path(ticket),
            str(open_part(self.root, tid)),
        ):
            db = _db(path, summary=True)
            try:
                if db.storage.read() is not None:  # (no empty file made)
                    _remove_summary(db, tid)
            finally:
                db.close()
        remove(self._ticket_path(tid))
        remove(self.root / "index" / "redact" / tid)

    def unindex_msgid(self, msgid: str) -> None:
        remove(self._index_path("msgid", msgid))

    def forget_address(self, address: str) -> None:
        """Drop the per-address record (first ticket, automatic replies)."""
        remove(self._index_path("address", address))

    def remove_license(self, key: str) -> bool:
        return self._remove_registered("licenses", Query().key == key)

    def remove_group(self, name: str) -> bool:
        return self._remove_registered("groups", Query().name == name)

    def _remove_registered(self, table: str, cond: Any) -> bool:
        db = self._registry()
        try:
            return bool(db.table(table).remove(cond))
        finally:
            db.close()

    # -- licenses and groups ---------------------------------------------------
    def _registry(self) -> TinyDB:
        return _db(self.root / "registry.json", summary=True)

    def add_license(self, lic: License) -> None:
        doc = asdict(lic)
        doc["emails"] = [e.lower() for e in lic.emails]
        doc["until"] = lic.until.isoformat() if lic.until else None
        db = self._registry()
        try:
            db.table("licenses").upsert(doc, Query().key == lic.key)
        finally:
            db.close()

    def add_group(self, grp: Group) -> None:
        doc = asdict(grp)
        doc["domains"] = [d.lower() for d in grp.domains]
        doc["until"] = grp.until.isoformat() if grp.until else None
        db = self._registry()
        try:
            db.table("groups").upsert(doc, Query().name == grp.name)
        finally:
            db.close()

    def registry(self) -> tuple[list[License], list[Group]]:
        """Licenses and groups; CorruptFile if registry.json is not readable (mail
        waits rather than be given a wrong level)."""
        db = self._registry()
        try:
            return self._registry_items(db)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise CorruptFile(db.storage.path, f"not a registry: {e!r}") from None
        finally:
            db.close()

    def _registry_items(self, db: TinyDB) -> tuple[list[License], list[Group]]:
        lics = [
            License(
                key=d["key"],
                level=d["level"],
                emails=tuple(d["emails"]),
                until=date.fromisoformat(d["until"]) if d.get("until") else None,
                name=d.get("name") or "",
            )
            for d in db.table("licenses").all()
        ]
        grps = [
            Group(
                name=d["name"],
                level=d["level"],
                domains=tuple(d["domains"]),
                until=date.fromisoformat(d["until"]) if d.get("until") else None,
            )
            for d in db.table("groups").all()
        ]
        return lics, grps
