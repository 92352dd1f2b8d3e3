"""The store's files as TinyDB sees them: durable writes, errors, and the parsed
copies of summary files a Store keeps between uses (FileCache)."""

from __future__ import annotations

import errno
import json
import os
import threading
from collections import OrderedDict
from functools import partial
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from maild.adapters.durable import Json, write_atomic
from maild.adapters.transaction import Transaction

Stamp = tuple[int, int, int]  # a file's identity: inode, size, mtime


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
        self.why = why
        self.unreadable = unreadable  # its content may be fine: never set aside


# Errors of reading a file that are the machine's, not the file's: too many files open
# (the process's limit, the system's), memory short. Passing: the store is unavailable
# for the moment (what needs the file waits and is retried); no `maild fsck` helps.
PASSING = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM})


def unreadable(path: str | Path, e: OSError, why: str | None = None) -> StoreUnavailable:
    """What reading `path` failing with `e` is: CorruptFile (unreadable: `why`, else
    e's words) but for the machine's errors (PASSING), a plain StoreUnavailable."""
    if e.errno in PASSING:
        return StoreUnavailable(f"{os.fspath(path)}: {e.strerror or e} (passing)")
    return CorruptFile(path, f"unreadable: {why or e.strerror or e}", True)


def json_doc(path: str, raw: bytes) -> Any:
    """A TinyDB file's document, or CorruptFile: garbage must not read as empty."""
    try:
        data = json.loads(raw)
    except ValueError as e:  # (a UnicodeDecodeError is one too)
        raise CorruptFile(path, f"not JSON: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptFile(path, "not a table file")
    return data


def stamp(path: str) -> Stamp | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class FileCache:
    """What one Store keeps about its files between uses: parsed summary files (a
    few at a time, LRU), each one's TID index (summaries.rows), and the directories
    known to exist.

    A parsed entry is trusted only while the file is the same one (inode, size,
    mtime) and no other process held the store lock since (the locked section drops
    what others changed). TinyDB gets the cached document itself: it only changes it
    on the way to a write, and every write replaces the entry (or drops it if it
    fails). Inside a locked section (`hold`) a file is looked at once: nothing but
    the holder's own transaction changes the store's files until it ends."""

    MAX = 320  # the 256 parts of open/, archive weeks, the registry
    # and at most this many bytes of JSON (parsed, 3-5 times that): replies to old
    # tickets read many archive weeks, and the budget bounds each process's memory
    MAX_BYTES = 8 << 20
    MAX_DIRS = 4096

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[Stamp, Any]] = OrderedDict()
        self.size = 0  # bytes of the files in entries
        self.lock = threading.Lock()
        # per summary file: its table of rows and that table's TID index
        self.tid_index: dict[str, tuple[dict[str, Any], dict[Any, Any]]] = {}
        self.dirs: set[str] = set()
        # a locked section's files checked already (path -> there or not), its
        # thread and store root, and its transaction (hold sets them)
        self.checked: dict[str, bool] = {}
        self.holder: tuple[int, str] | None = None
        self.tx: Transaction | None = None
        # the summary files the locked section wrote or removed (for the lock note)
        self.written: set[str] = set()

    def ensure_dir(self, path: str) -> None:
        if path not in self.dirs:
            os.makedirs(path, exist_ok=True)
            if len(self.dirs) > self.MAX_DIRS:
                self.dirs.clear()
            self.dirs.add(path)

    def hold(self, root: str | None, tx: Transaction | None = None) -> None:
        """The calling thread holds the lock of the store at `root` (None: no longer)
        and writes the store's files through `tx`, the locked section's transaction."""
        with self.lock:
            self.checked.clear()
            self.holder = (threading.get_ident(), f"{root}{os.sep}") if root else None
            self.tx = tx if root else None
            if root:
                self.written.clear()

    def section_tx(self) -> Transaction | None:
        """The locked section's transaction, if the calling thread holds the lock."""
        holder, tx = self.holder, self.tx
        return tx if holder is not None and holder[0] == threading.get_ident() else None

    def _held(self, path: str) -> bool:
        holder = self.holder
        return (
            holder is not None and holder[0] == threading.get_ident() and path.startswith(holder[1])
        )

    def get(self, path: str) -> Any:
        """The parsed document of `path`, None if there is none."""
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
        now = stamp(path)
        if now is None:
            with self.lock:
                self._drop(path)
                if held:
                    self.checked[path] = False
            return None
        with self.lock:
            hit = self.entries.get(path)
            if hit is not None and hit[0] == now:
                self.entries.move_to_end(path)
                if held:
                    self.checked[path] = True
                return hit[1]
        with open(path, "rb") as f:
            raw = f.read()
        data = json_doc(path, raw) if raw else None
        if data is not None and stamp(path) == now:
            self.put(path, data, now, checked=held)
        return data

    def put(self, path: str, data: Any, at: Stamp | None = None, checked: bool = False) -> None:
        """Keep `data` as the content of `path` (`checked`: in this locked section)."""
        at = at or stamp(path)
        with self.lock:
            self._drop(path)
            if at is None:
                return
            if checked:
                self.checked[path] = True
            self.entries[path] = (at, data)
            self.size += at[1]
            while len(self.entries) > 1 and (
                len(self.entries) > self.MAX or self.size > self.MAX_BYTES
            ):
                self._drop(next(iter(self.entries)), evict=True)  # least recently used

    def forget(self, path: str | Path) -> None:
        """Drop `path` before it is written or removed (every such change does)."""
        path = os.fspath(path)
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
            self.tid_index.pop(path, None)

    def clear(self) -> None:
        with self.lock:
            for p in list(self.entries):
                self._drop(p, evict=True)
            self.tid_index.clear()


class DurableJSONStorage(Storage):
    """TinyDB storage that never leaves a torn file: write_atomic on every write.

    Inside a locked section (the cache's section_tx) the document itself is recorded
    in the section's transaction (serialised once, at commit) and read back from it
    by later readers of the section. With a `cache` and `keep`, the parsed document
    is kept between uses (summary files, see FileCache)."""

    def __init__(
        self, path: str, sync: bool = True, cache: FileCache | None = None, keep: bool = False
    ) -> None:
        self.path = os.fspath(path)
        self.sync = sync
        self.cache = cache
        self.parsed = cache if keep else None  # where the parsed document is kept

    def _tx(self) -> Transaction | None:
        return self.cache.section_tx() if self.cache is not None else None

    def read(self) -> dict[str, dict[str, Any]] | None:
        tx = self._tx()
        try:
            value = tx.pending(self.path) if tx is not None else None
        except FileNotFoundError:
            return None
        if isinstance(value, Json):
            return value.data
        if value is not None:
            return json_doc(self.path, value) if value else None
        try:
            if self.parsed is not None:
                return self.parsed.get(self.path)
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:  # unreadable (permissions, I/O error): skipped, not replaced
            raise unreadable(self.path, e) from None
        return json_doc(self.path, data) if data else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        path, parsed = self.path, self.parsed
        if self.cache is None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        else:
            self.cache.ensure_dir(os.path.dirname(path))
        tx = self._tx()
        if tx is not None and self.sync:
            tx.put(path, Json(data))
            if parsed is not None:
                parsed.forget(path)
                tx.on_commit(path, lambda: parsed.put(path, data), lambda: parsed.forget(path))
            return
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        if parsed is not None:
            parsed.forget(path)
        write_atomic(path, raw, sync=self.sync)
        if parsed is not None:
            parsed.put(path, data)

    def close(self) -> None:
        pass


def open_db(
    path: str | Path, cache: FileCache, *, whole: bool = False, keep: bool = False
) -> TinyDB:
    """A TinyDB on `path`. `whole`: every change is held until close() and written
    then in one durable replace (a ticket file); `keep`: a summary file, its parsed
    document kept in `cache` between uses."""
    storage = partial(DurableJSONStorage, cache=cache, keep=keep)
    if whole:
        return TinyDB(str(path), storage=CachingMiddleware(storage))
    return TinyDB(str(path), storage=storage)
