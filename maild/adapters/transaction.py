"""Group commit: the writes of a locked section made durable together.

A Transaction (the store lock opens one for every locked section; the daemon holds
one section per batch of messages) records put, remove and move, and shows them to
readers that ask it (read, exists, pending). Its `commit` then makes them durable
with two file-system syncs instead of two fsyncs per file:

1. every new content is written to its temp file, and the redo journal listing the
   operations of 2 and 3 in order (adapters/redo.py), then one sync: all data and
   the journal are on disk;
2. the temp files are renamed over their targets (and removals done) in the order
   the writes were last made, then one sync: all renames are on disk;
3. only then the recorded moves (the spool's new/ -> cur/, "processed"), each made
   durable by an fsync of the two directories; then the journal is deleted.

A crash before the journal is written leaves the old files, never a torn one, and
the spool entries still in new/, so the messages are processed again, idempotently.
A crash (kill -9 or power loss) after it leaves a commit that the next holder of the
store lock finishes from the journal: never a ticket without its summary, redaction
mark or sender record, nor without the outbox mail queued with it (the message would
be a duplicate when processed again, and its derived writes never redone). A commit
of a single operation needs no journal.

The same interface writing at once (Files, Direct) is adapters/durable.py's.
"""

from __future__ import annotations

import os
from typing import Any

from maild.adapters import redo
from maild.adapters.durable import (
    Json,
    StrPath,
    encoded,
    fsync_dir,
    is_there,
    parent_dir,
    paths_in,
    read_bytes,
    sync_fs,
    temp_path,
    unlink_if_exists,
    write_new,
)

_DELETED = object()


class Transaction:
    """Writes, removals and moves recorded by the holder of a store lock (StoreLock
    opens one per locked section and commits it), committed together. Paths are
    recorded as strings (os.fspath); readers that ask the transaction see its writes."""

    def __init__(self, root: str | None = None) -> None:
        self.root = root  # the store's: where the redo journal goes (None: no journal)
        self.writes: dict[str, Any] = {}  # path -> bytes | Json | _DELETED, in write order
        self.moves: list[tuple[str, str]] = []
        self.moved: set[str] = set()
        # paths renamed after all other writes: keys a reader without the store lock
        # looks up first (the Message-ID index: "stored"), so what they lead to is there
        self.last: set[str] = set()
        # (after a successful commit, after a failed one): e.g. a cache of parsed files
        self.hooks: dict[Any, tuple[Any, Any]] = {}

    def on_commit(self, key: Any, done: Any, failed: Any) -> None:
        """Call done() once the commit is durable, failed() if it raised (one per key)."""
        self.hooks[key] = (done, failed)

    def put(self, path: StrPath, data: bytes | Json, *, last: bool = False) -> None:
        """`last`: renamed after every other write of the commit (see self.last)."""
        key = os.fspath(path)
        self.writes.pop(key, None)  # keep the order of the *last* write of each path
        self.writes[key] = data
        (self.last.add if last else self.last.discard)(key)

    def remove(self, path: StrPath) -> None:
        """Delete a file at commit, in order with the writes."""
        key = os.fspath(path)
        self.writes.pop(key, None)
        self.writes[key] = _DELETED
        self.last.discard(key)  # (a write put `last` before it is gone with it)

    def move(self, src: StrPath, dst: StrPath) -> None:
        """Rename after everything else of the commit is durable (skipped if `src`
        is gone by then)."""
        self.moves.append((os.fspath(src), os.fspath(dst)))
        self.moved.add(os.fspath(src))

    def _get(self, path: StrPath) -> Any:
        """bytes, a Json, _DELETED, or None when the transaction did not touch it."""
        key = os.fspath(path)
        value = self.writes.get(key)
        if value is not None:
            return value
        if key in self.moved:
            return _DELETED
        return None

    def pending(self, path: StrPath) -> Any:
        """What the transaction holds for `path`: bytes, Json, None (nothing), or
        raises FileNotFoundError when it removed it."""
        value = self._get(path)
        if value is _DELETED:
            raise FileNotFoundError(os.fspath(path))
        return value

    def read(self, path: StrPath) -> bytes:
        """The content as the commit will leave it, else from disk."""
        value = self.pending(path)
        if value is not None:
            return encoded(value)
        return read_bytes(path)

    def exists(self, path: StrPath) -> bool:
        value = self._get(path)
        if value is _DELETED:
            return False
        return value is not None or is_there(path)

    def listed(self, folder: StrPath) -> list[str]:
        """The paths of the files in `folder` as the commit will leave them (on disk,
        plus those written here, less those removed or moved away here), sorted."""
        root = os.fspath(folder)
        paths = paths_in(root)
        for path, value in self.writes.items():
            if os.path.dirname(path) == root:
                (paths.discard if value is _DELETED else paths.add)(path)
        paths |= {dst for _src, dst in self.moves if os.path.dirname(dst) == root}
        return sorted(paths - self.moved)

    def __bool__(self) -> bool:
        return bool(self.writes or self.moves)

    def discard(self) -> list[str]:
        """Forget all recorded (a section whose body raised); the paths it had written."""
        hooks, self.hooks = self.hooks, {}
        for _done, failed in hooks.values():
            failed()
        paths = list(self.writes)
        self.writes, self.moves, self.moved, self.last = {}, [], set(), set()
        return paths

    def commit(self) -> None:
        hooks, self.hooks = self.hooks, {}
        try:
            self._commit()
        except BaseException:
            for _done, failed in hooks.values():
                failed()
            raise
        for done, _failed in hooks.values():
            done()

    def _commit(self) -> None:
        if not self:
            return
        ops, journal = self._write_temps()
        anchor: str | None = None
        for tmp, path in ops:  # 2. in the order the writes were made
            if tmp is None:
                # a file that was not there changed nothing to make durable, and its
                # folder may not exist (the address record of one who never wrote)
                if not unlink_if_exists(path):
                    continue
            else:
                os.replace(tmp, path)
            anchor = anchor or parent_dir(path)
        if ops and anchor is not None:
            sync_fs(anchor)
        dirs: set[str] = set()
        for src, dst in self.moves:  # 3. e.g. the spool's "processed"
            try:
                os.replace(src, dst)
            except FileNotFoundError:
                continue
            dirs.update((parent_dir(src), parent_dir(dst)))
        for d in dirs:
            fsync_dir(d)
        if journal is not None:
            # made durable by the next commit's first sync, before its renames
            os.unlink(journal)
        self.writes.clear()
        self.moves.clear()
        self.moved.clear()
        self.last.clear()

    def _in_order(self) -> list[tuple[str, Any]]:
        """The writes in the order they were last made, those put `last` after the rest."""
        return sorted(self.writes.items(), key=lambda item: item[0] in self.last)

    def _write_temps(self) -> tuple[list[tuple[str | None, str]], str | None]:
        """1. every new content in its temp file, the redo journal when the commit
        has more than one operation, then one sync; the operations (temp file or None
        to delete, target) in write order, and the journal's path."""
        ops: list[tuple[str | None, str]] = []
        root = self.root if len(self.writes) + len(self.moves) > 1 else None
        entries: list[redo.Op] = []
        journal: str | None = None
        anchor: str | None = None
        try:
            for path, value in self._in_order():
                if value is _DELETED:
                    ops.append((None, path))
                    if root is not None:
                        entries.append(redo.delete_op(root, path))
                    continue
                tmp = temp_path(path, ".tx")
                data = encoded(value)
                write_new(tmp, data, fsync=False, target=path)
                ops.append((tmp, path))
                if root is not None:
                    entries.append(redo.rename_op(root, tmp, path, data))
                anchor = anchor or parent_dir(path)
            if root is not None and ops:
                entries += [redo.move_op(root, src, dst) for src, dst in self.moves]
                journal = redo.write(root, entries)
                anchor = anchor or root
            if anchor is not None:
                sync_fs(anchor)  # all new contents (and the journal) on disk
        except BaseException:
            for temp, _ in ops:
                if temp is not None:
                    unlink_if_exists(temp)
            if journal is not None:
                unlink_if_exists(journal)
            raise
        return ops, journal
