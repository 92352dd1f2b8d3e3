"""The store's lock: one writer across processes, a flock of the storage directory,
and the note in the file "lock" that tells the next holder what changed.

Every locked section numbers itself one past the last and, once its commit is
durable, lists the summary files it wrote (LockNote). A process that held the
section just before drops only those from its FileCache; after any other history
(two sections by others, a section that never finished) it drops all."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from maild.adapters import redo
from maild.adapters.durable import Direct, Files
from maild.adapters.store.files import FileCache, StoreUnavailable
from maild.adapters.transaction import Transaction

log = logging.getLogger("maild.store")


class LockNote:
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
    def read(cls, fd: int) -> LockNote | None:
        """The note in the lock file; None if there is none or it is not one."""
        lines = os.pread(fd, cls.MAX_BYTES, 0).split(b"\n")
        # (a section's number, from time_ns() on, has some 20 figures: one of thousands,
        # damaged, was more than int() reads, and every section failed)
        if len(lines) < 3 or not lines[1].isdigit() or len(lines[1]) > 30:
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


# a command run by hand sets it (cli.py): told at once, when it waits for the lock,
# who holds it (holder) and for how long it waits at most (seconds)
on_wait: Callable[[str, float], None] | None = None
WAIT_TOLD_AFTER = 1.0  # seconds: the daemon's sections take less, and are not said


def holder(root: str) -> str:
    """Who holds the store's lock, as its note names them: «another process, pid 1234
    (maild forget ...)», or «another process» (the note's holder ended, or none is there)."""
    try:
        with open(os.path.join(root, "lock"), "rb") as f:
            pid = f.readline().split(b".", 1)[0].decode()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except (OSError, ValueError):
        return "another process"
    if not pid.isdigit() or int(pid) == os.getpid() or not argv:
        return "another process"
    return f"another process, pid {pid} ({_command(argv)})"


def _command(argv: list[str]) -> str:
    """A maild command line as said: from «maild» on, without its --config FILE."""
    names = [os.path.basename(a) for a in argv]
    if "maild" not in names:  # (a script's lines: said on one)
        return " ".join(" ".join(argv).split())[:200]
    said, skip = ["maild"], False
    for a in argv[names.index("maild") + 1 :]:
        if not skip and not a.startswith("--config"):
            said.append(a)
        skip = a == "--config"
    return " ".join(said)[:200]


def _token(owner: object) -> bytes:
    """Who holds a section: process, when, which lock object (one per Store)."""
    return f"{os.getpid()}.{time.monotonic_ns()}.{id(owner)}".encode()


class StoreLock:
    """The locked sections of one Store object, and what holds while one is open.

    While a thread holds the lock, and no other process held it since this object
    did, nothing but that section's transaction (`tx`, opened and committed here)
    changes the store's files, and its writes are only recorded until the section
    ends. So a file looked at once in a section is not looked at again in it
    (`seen`: index files read, path -> bytes or None if absent; the FileCache does
    the same for summary files)."""

    def __init__(self, root: str, cache: FileCache) -> None:
        self.root = root
        self.cache = cache
        self.holder: int | None = None  # the thread in a locked section
        self.seen: dict[str, bytes | None] = {}
        self.token = _token(self)
        self.section: int | None = None  # the number of our last locked section
        self.tx: Transaction | None = None  # the open section's writes
        self.direct = Direct()
        self.finished: int | None = None  # operations redone when our last take of the
        # lock found a commit's journal (redo.finish), else None

    def held_here(self) -> bool:
        return self.holder == threading.get_ident()

    def files(self) -> Files:
        """Where this thread's writes to maild's files go: the open section's
        transaction when this thread holds the lock, else straight to disk."""
        tx = self.tx
        return tx if tx is not None and self.held_here() else self.direct

    def after_fork(self) -> None:
        """In a forked child: a token of its own (the lock tells the two apart) and
        nothing parsed that the parent may change."""
        self.holder = None
        self.tx = None
        self.token = _token(self)
        self.section = None
        self.cache.clear()

    @contextmanager
    def locked(self, timeout: float) -> Iterator[Transaction]:
        """Exclusive across processes; everything written inside through the
        Transaction it gives is one group commit, made durable before the lock is
        released. Re-entrant in one thread (an inner use gets the same Transaction)."""
        if self.held_here() and self.tx is not None:
            yield self.tx
            return
        # The lock is the storage directory itself: it cannot be deleted or swapped
        # from under a holder, as the file "lock" could (then two writers ran at
        # once and updates were lost). The file only carries the LockNote, and is
        # opened once the lock is held: a file deleted since is simply a new one.
        dir_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            self._flock(dir_fd, timeout)
            self._finish()
            fd = os.open(os.path.join(self.root, "lock"), os.O_RDWR | os.O_CREAT, 0o640)
            try:
                with self._section(fd) as tx:
                    yield tx
            finally:
                os.close(fd)
        finally:
            os.close(dir_fd)  # releases the lock

    def _flock(self, dir_fd: int, timeout: float) -> None:
        """Take the lock within `timeout` seconds; a command that waits says so at once
        (on_wait), and the error at the timeout names the holder."""
        began = time.monotonic()
        deadline, told = began + timeout, False
        while True:
            try:
                fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                now = time.monotonic()
                if not told and on_wait is not None and now - began > WAIT_TOLD_AFTER:
                    told = True
                    on_wait(holder(self.root), timeout)
                if now > deadline:
                    raise StoreUnavailable(
                        f"the store is locked by {holder(self.root)}, for over {timeout:g} s: "
                        "try again once it has finished"
                    ) from None
                time.sleep(0.005)

    def _finish(self) -> None:
        """Finish a commit a crash interrupted (its redo journal), before anything of
        the store is read under the lock. Its section's note says "under way", so
        every holder drops what it keeps parsed (_catch_up)."""
        self.finished = redo.finish(self.root)
        if self.finished is not None:
            log.warning(
                "finished a commit that a crash interrupted: %d operation(s) redone",
                self.finished,
            )

    @contextmanager
    def _section(self, fd: int) -> Iterator[Transaction]:
        """One section under the held lock: its note, its transaction, committed at
        the end. A section is all or nothing: when its body raises, what it wrote is
        discarded (and so is what was kept parsed of those files, changed in place
        on the way), so a mail half processed leaves no notice queued for a ticket
        never stored, and is processed again whole."""
        note = LockNote(self.token, self._catch_up(LockNote.read(fd)))
        note.write(fd)  # under way: what it changes is not known yet
        tx = Transaction(self.root)
        self.holder = threading.get_ident()
        self.tx = tx
        self.seen.clear()
        self.cache.hold(self.root, tx)
        try:
            try:
                yield tx
            except BaseException:
                self.tx = None
                self.cache.drop(tx.discard())
                raise
            self.tx = None
            tx.commit()
            note.changed = self.cache.written_below(self.root)
            with contextlib.suppress(OSError):  # else "under way": safe
                note.write(fd)
        finally:
            self.holder = None
            self.seen.clear()
            self.cache.hold(None)

    def _catch_up(self, last: LockNote | None) -> int:
        """Drop what we keep parsed that the sections since our last one may have
        changed; the number of this section."""
        mine = self.section
        if last is None or mine is None or last.changed is None:
            self.cache.clear()  # a first section, or one that never finished
        elif last.token == self.token and last.section == mine:
            pass  # ours was the last section: nothing changed since
        elif last.section == mine + 1:
            self.cache.drop([os.path.join(self.root, p) for p in last.changed])
        else:
            self.cache.clear()
        # A store without a note (new, or its lock file deleted) numbers its sections
        # from the clock: never one past a number an older holder remembers.
        self.section = last.section + 1 if last is not None else time.time_ns()
        return self.section
