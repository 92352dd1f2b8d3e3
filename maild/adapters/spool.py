"""The durable spool of raw incoming messages, a Maildir under storage/spool,
shaped like GNU Mailman's switchboard.

    new/<key>              acknowledged, waiting (fsynced before the 250 / exit 0)
    claimed/<pid>/<key>    being processed by process <pid> (claimed by a rename)
    claimed/<pid>/.current the key that process is working on right now
    claimed/<pid>/.lock    flocked by that process for as long as it lives
    cur/<key>:2,S          processed
    bad/<key>              shunted: it crashed processing max_attempts times by itself
    attempts/<key>         how often it failed so far (durable)

A message is acknowledged only after `add` returns. A worker claims it by renaming
it into its own claimed/ folder, so no two processes work on one message; `done`
moves it to cur/ when the commit is durable (a spare copy, no record's, goes), `release`
back to new/ (an error of the environment: nothing is counted). A process that dies leaves
its claims behind: `recover` puts them back and counts an attempt for the one it was
working on, so a message that kills a worker is shunted like one that raises.
Whether the claimer is gone is told by its folder's flock (`claimers.py`), which dies
with it, not by its pid alone: pids are reused (a reboot, a container, any process after
the claimer's end), and a folder of a pid another process has now was held for good.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from maild.adapters.claimers import LOCK, claimer_alive, hold, locked
from maild.adapters.durable import (
    Direct,
    Files,
    make_folders,
    move_durably,
    names_in,
    unique_name,
    unlink_if_exists,
    write_atomic,
    write_many,
)
from maild.adapters.reserve import allocate
from maild.configschema import default
from maild.domain.limits import NAME_MAX, figures

MAX_ATTEMPTS = default("storage", "max_attempts")  # (a Spool opened without the config)
CURRENT = ".current"


def mail_in(folder: str | os.PathLike[str]) -> list[str]:
    """The keys of the mail in a spool folder: a name starting with a dot is none
    (CURRENT, LOCK, a copying tool's temporary: rsync's `.KEY.XXXXXX`, as in a Maildir)."""
    return [n for n in os.listdir(folder) if not n.startswith(".")]


class Spool:
    """The spool at `root`. `files`: where a write goes now (Store.files: inside a
    locked section its transaction, so "processed" is committed with the store)."""

    def __init__(
        self, root: Path, max_attempts: int = MAX_ATTEMPTS, files: Callable[[], Files] = Direct
    ) -> None:
        self.root = root
        self.files = files
        self._root = os.fspath(root)  # per-message paths are built as strings
        self.max_attempts = max_attempts
        make_folders(*(root / sub for sub in ("tmp", "new", "cur", "bad", "attempts", "claimed")))
        self._claims: tuple[int, str] | None = None  # (pid, our claimed/ folder)
        self._current_fd: int | None = None
        self._lock_fd: int | None = None  # our folder's flocked .lock (see claimers.hold)
        # its process (after_fork), pids whose claimed/ it made, .lock fds it holds
        self._owner = os.getpid()
        self._claims_lock = threading.Lock()
        self._made: set[int] = set()
        self._held: list[int] = []

    def after_fork(self) -> None:
        """In a forked child (else on its first claim): a copy of the parent's .lock
        descriptors would keep a dead parent's claims from being taken back, and a
        _claims_lock another thread held at the fork would never be let go."""
        held, self._held = self._held, []
        for fd in held:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._owner = os.getpid()
        self._claims_lock = threading.Lock()
        self._current_fd = self._lock_fd = None

    def add(self, data: bytes, when: datetime | None = None) -> str:
        """Store raw bytes durably; return the spool key (it encodes the arrival
        time, `when` or now). Raises OSError on failure."""
        return self.add_many([data], when)[0]

    def add_many(self, items: list[bytes], when: datetime | None = None) -> list[str]:
        """Store several messages durably with one sync (group commit: the listener
        batches concurrent sessions); their keys in order. All or none is
        acknowledged: raises OSError on failure."""
        keys = [unique_name(int(when.timestamp() * 1e9) if when else None) for _ in items]
        write_many(
            [(self.root / "tmp" / k, data) for k, data in zip(keys, items, strict=True)],
            [self.root / "new" / k for k in keys],
        )
        return keys

    def probe(self, size: int) -> None:
        """Check that add() could take a message of `size` bytes now, spooling none:
        its room in tmp/ (taken, synced, given back) and new/ to rename it into.
        Raises the OSError add() would meet: a full disk, a read-only mount, a mode
        or owner that refuses maild's user, tmp/ gone."""
        path = f"{self._root}/tmp/{unique_name()}"  # (a crash leaves it to leftovers)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            allocate(fd, max(size, 1))  # an empty file needs no block: a full disk makes it
            os.fsync(fd)
        finally:
            os.close(fd)
            unlink_if_exists(path)
        new = f"{self._root}/new"
        if not os.access(new, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), new)

    # -- claims ---------------------------------------------------------------------
    def _claim_dir(self) -> str:
        """This process's claimed/ folder (a forked child gets its own)."""
        pid = os.getpid()
        if self._claims is not None and self._claims[0] == pid:
            return self._claims[1]
        if self._owner != pid:  # a forked child not told (after_fork)
            self.after_fork()
        with self._claims_lock:  # (threads of one process share the folder: made once)
            if self._claims is not None and self._claims[0] == pid:
                return self._claims[1]
            folder = f"{self._root}/claimed/{pid}"
            shared = False  # its .lock held by another Spool of this process: its lock
            try:
                os.makedirs(folder)
            except FileExistsError:
                shared = pid not in self._made and bool(locked(folder))
                if pid not in self._made and not shared:  # an earlier process's of our
                    self._recover_folder(folder)  # pid (pids repeat): its claims go back
                os.makedirs(folder, exist_ok=True)
            self._made.add(pid)
            self._current_fd = None  # the parent's, if any, stays the parent's
            if not shared:  # (else _lock_fd stays None: set so at start and by after_fork)
                self._lock_fd = hold(folder)
                self._held.append(self._lock_fd)
            self._claims = (pid, folder)
        return folder

    def claim(self, key: str) -> bool:
        """Take a waiting message for this process; False if it is not waiting (done,
        shunted or claimed by another process)."""
        try:
            os.rename(f"{self._root}/new/{key}", f"{self._claim_dir()}/{key}")
        except FileNotFoundError:
            return False
        return True

    def working_on(self, key: str) -> None:
        """Note the message this process works on now (no sync: only the death of
        the process, not of the machine, needs to be told apart)."""
        folder = self._claim_dir()
        if self._current_fd is None:
            self._current_fd = os.open(f"{folder}/{CURRENT}", os.O_RDWR | os.O_CREAT, 0o640)
        data = key.encode() + b"\n"  # padded: one write covers the last, longer or not
        os.pwrite(self._current_fd, data.ljust(max(256, len(data))), 0)

    def release(self, key: str) -> bool:
        """Put a claimed message back to wait (an error of the environment); False
        if this process does not hold it (e.g. it is done)."""
        try:
            folder = self._claim_dir()
        except OSError:  # no claimed/ folder of ours could be made: nothing was claimed
            return False  # (`maild ingest` then said its stored mail was not spooled)
        try:
            os.rename(f"{folder}/{key}", f"{self._root}/new/{key}")
        except FileNotFoundError:
            return False
        return True

    def close(self) -> None:
        """Give up this process's claimed/ folder if it holds nothing (`maild ingest`
        at its end: one folder per process would pile up)."""
        if self._claims is None or self._claims[0] != os.getpid():
            return
        folder, lock = self._claims[1], self._lock_fd
        if self._current_fd is not None:
            os.close(self._current_fd)
            self._current_fd = None
        self._claims = self._lock_fd = None
        if mail_in(folder):
            return  # claims left (a failure): recover() takes them when we are gone
        if lock is not None:
            self._held.remove(lock)
            os.close(lock)
        if locked(folder):  # another Spool of this process holds it: its claims' folder
            return
        unlink_if_exists(f"{folder}/{CURRENT}")
        unlink_if_exists(f"{folder}/{LOCK}")
        with contextlib.suppress(OSError):
            os.rmdir(folder)

    def claimed(self) -> list[str]:
        """Keys this process holds claimed."""
        folder = self._claim_dir()
        return mail_in(folder)

    def recover(self) -> list[tuple[str, int, bool]]:
        """Put back the claims of processes that died (claimer_alive: its pid may
        be another process's now); the message each was working on is counted as a
        failed attempt. Returns (key, attempts, shunted) of those."""
        counted = []
        base = f"{self._root}/claimed"
        for name in os.listdir(base):
            folder = f"{base}/{name}"
            pid = figures(name, NAME_MAX)  # (none for «²»: no claim)
            if pid is None or pid == os.getpid() or claimer_alive(folder, pid):
                continue
            counted += self._recover_folder(folder)
        return counted

    def _recover_folder(self, folder: str) -> list[tuple[str, int, bool]]:
        try:
            with open(f"{folder}/{CURRENT}", "rb") as f:
                working = f.read().split(b"\n", 1)[0].decode(errors="replace")
        except FileNotFoundError:
            working = ""
        counted = []
        for key in os.listdir(folder):
            if key.startswith("."):  # .current, .lock (and its temp file)
                continue
            try:
                os.rename(f"{folder}/{key}", f"{self._root}/new/{key}")
            except FileNotFoundError:  # taken back by another process meanwhile
                continue
            if key == working:
                counted.append((key, *self.failed(key)))
        for name in (CURRENT, LOCK, f"{LOCK}.tmp"):
            unlink_if_exists(f"{folder}/{name}")
        try:
            os.rmdir(folder)
        except OSError:
            pass
        return counted

    # -- reading --------------------------------------------------------------------
    def path(self, key: str) -> Path | None:
        """Where the message is now (new/, claimed/, cur/ or bad/), or None."""
        names = [f"new/{key}", f"cur/{key}:2,S", f"bad/{key}"]
        if self._claims is not None and self._claims[0] == os.getpid():
            names.insert(1, f"claimed/{os.getpid()}/{key}")
        for name in names:  # the usual first
            p = self.root.joinpath(name)
            if p.exists():
                return p
        for name in names_in(self.root / "claimed"):  # claimed by another process
            p = self.root / "claimed" / name / key
            if p.exists():
                return p
        return None

    def read(self, key: str) -> bytes:
        mine = self._claims[1] if self._claims and self._claims[0] == os.getpid() else None
        for where in (f"{self._root}/new", mine):  # where it usually is: no look-ups first
            if where is None:
                continue
            try:
                with open(f"{where}/{key}", "rb") as f:
                    return f.read()
            except FileNotFoundError:
                pass
        p = self.path(key)
        if p is None:
            raise FileNotFoundError(key)
        return p.read_bytes()

    def rewrite(self, key: str, data: bytes) -> None:
        """Replace a stored message's bytes (credential redaction)."""
        p = self.path(key)
        if p is not None:
            self.files().put(p, data)

    def discard(self, key: str) -> int:
        """Delete a message's stored copies (retention, forget); how many there were."""
        files = self.files()
        n = 0
        for name in (f"new/{key}", f"cur/{key}:2,S", f"bad/{key}"):
            path = f"{self._root}/{name}"
            if files.exists(path):
                files.remove(path)
                n += 1
        return n

    def is_pending(self, key: str) -> bool:
        """Waiting, or claimed by this process and not yet done (a transaction may
        have moved it)."""
        files = self.files()
        if files.exists(f"{self._root}/new/{key}"):
            return True
        return self._claims is not None and files.exists(f"{self._claim_dir()}/{key}")

    def pending(self) -> Iterator[str]:
        """Keys spooled but not processed yet, oldest first."""
        yield from sorted(mail_in(self.root / "new"))

    def unprocessed(self) -> list[str]:
        """Keys of every message not processed yet, oldest first: those waiting in new/
        and those claimed by a process, which is working on them or died holding them
        (after a crash they stay there until `maild serve` starts and recovers them)."""
        keys = mail_in(self.root / "new")
        claimed = self.root / "claimed"
        for folder in names_in(claimed):
            try:
                keys += mail_in(claimed / folder)
            except (FileNotFoundError, NotADirectoryError):  # given up meanwhile
                continue
        return sorted(keys)

    def done(self, key: str, spare: bool = False) -> None:
        src = f"{self._claim_dir()}/{key}"
        if not os.path.exists(src):
            src = f"{self._root}/new/{key}"  # processed without a claim
        if spare:  # no record names it (runner): it goes
            self.files().remove(src)
        else:  # into cur/ (skipped if gone by then)
            self.files().move(src, f"{self._root}/cur/{key}:2,S")
        unlink_if_exists(f"{self._root}/attempts/{key}")

    # -- failures -------------------------------------------------------------------
    def attempts(self, key: str) -> int:
        try:
            return int((self.root / "attempts" / key).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def failed(self, key: str) -> tuple[int, bool]:
        """Count a failed processing of a waiting message, durably; after
        max_attempts move it to bad/. Returns (attempts, shunted)."""
        attempts = self.attempts(key) + 1
        write_atomic(self.root / "attempts" / key, str(attempts).encode(), sync=True)
        if attempts >= self.max_attempts and (self.root / "new" / key).exists():
            move_durably(self.root / "new" / key, self.root / "bad" / key)
            return attempts, True
        return attempts, False

    def shunted(self) -> list[str]:
        """Keys in bad/, oldest first."""
        return sorted(os.listdir(self.root / "bad"))

    def retry(self, key: str) -> bool:
        """Put a shunted message back to wait, its attempts forgotten."""
        src = self.root / "bad" / key
        if not key or "/" in key or key.startswith(".") or not src.exists():  # (bad/ itself)
            return False
        unlink_if_exists(self.root / "attempts" / key)
        move_durably(src, self.root / "new" / key)
        return True
