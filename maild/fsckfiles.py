"""`maild fsck`'s look at the files themselves: a commit a crash cut short (its redo
journal, finished on taking the store lock: adapters/redo.py), temp files of
interrupted writes, staging folders of backups that did not finish (each a copy of
the whole store, which `forget` would not reach; --repair removes them, as serve's
start does), and files in tickets/ that are no ticket file (an editor's `1234-5678.json~` or
`.swp`, a `notes.txt`, a ticket file copied into the wrong folder). The store never
reads those, and `maild forget` does not reach them there; --repair moves them to
lost+found/ (same relative path, the UTC time appended), where forget does."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from maild.adapters import redo
from maild.adapters.backupleft import STAGING_PREFIX, is_running, remove_if_dead, stages
from maild.adapters.leftovers import is_temp, leftovers
from maild.adapters.store.rebuild import LOST_FOUND
from maild.adapters.store.ticketfiles import TICKETS, ticket_file_tid
from maild.ops.forgetjournal import journal_path, unfinished
from maild.privileges import user_name
from maild.unreadables import chown_fix

if TYPE_CHECKING:  # fsck calls check_files with itself
    from maild.fsck import Fsck


def check_files(check: Fsck) -> None:
    """Name a commit cut short, leftovers and stray files on `check`; with --repair,
    remove the leftovers and move the strays aside."""
    check_journal(check)
    broken = lock_broken(check.root)
    if broken:  # (not repaired: whatever is in its place may be someone's)
        what, fix = broken
        check.problem(check.root / "lock", f"{what}: the store lock cannot be taken, mail "
                      f"waits unprocessed and nothing is stored (not repaired: {fix})")  # fmt: skip
    _check_forgetting(check)
    for path in leftovers(check.root, locked=check.locked):
        check.problem(path, "temp file of an interrupted write", "removed")
        if check.repair:
            Path(path).unlink(missing_ok=True)
    for path in stages(check.root):  # a running backup's is its own
        if check.wanted(path) and not is_running(path):
            check.problem(path, "staging folder of a backup that did not finish", "removed")
            if check.repair:
                remove_if_dead(path)
    for stray in stray_files(check.root):
        if not check.wanted(stray):
            continue
        check.stray.append(os.path.relpath(stray, check.root))
        check.problem(stray, "not a ticket file", "moved to lost+found/")
        if check.repair:
            move_aside(check.root, stray)


def _check_forgetting(check: Fsck) -> None:
    """A `maild forget` cut short (killed, exit 75) left its note (ops/forgetjournal.py):
    the person's mail may still be queued. Only a forget of the same address finishes
    it; the note keeps a hash of the address, never the address."""
    people = unfinished(check.root)
    if people != 0:
        who = "of one or more people" if people is None else f"of {people} person(s)"
        check.problem(Path(journal_path(check.root)), f"a `maild forget` {who} did not finish "
                      "(not repaired: run `maild forget` again with the same address)")  # fmt: skip


def lock_broken(root: Path) -> tuple[str, str] | None:
    """Why the store's lock file (<storage>/lock) cannot be taken and what to do, or
    None: every writer, serve's processing too, waits on it (a directory in its place,
    one maild's user may not open)."""
    path = root / "lock"
    try:
        st = os.lstat(path)
    except FileNotFoundError:  # made when first taken
        return None
    if stat.S_ISDIR(st.st_mode):
        return "a directory is in its place", f"move it out of {root}"
    if not stat.S_ISREG(st.st_mode):
        return "not a file", f"remove {path}"
    writable = os.access(path, os.W_OK) or bool(os.statvfs(root).f_flag & os.ST_RDONLY)
    if not (os.access(path, os.R_OK) and writable):  # (a read-only mount: read without it)
        return f"{user_name(os.geteuid())} may not open it", chown_fix(root, path)
    return None


def check_journal(check: Fsck) -> None:
    """A redo journal is a commit under way while its writer holds the store lock, no
    problem; the run under the lock (which taking it finished) says whether it was
    one a crash cut short."""
    path = redo.journal_path(os.fspath(check.root))
    if not check.locked:
        if os.path.exists(path):  # under way, or cut short: the locked run tells
            check.problem(path, "a commit under way or cut short")
        return
    redone = check.app.store.lock.finished
    if redone is not None:
        what = f"a commit a crash cut short: finished, {redone} operation(s) redone"
        check.problem(path, what, "finished")


def stray_files(root: Path) -> list[Path]:
    """Files under tickets/ that are not tickets/NN/NNNN-NNNN.json (NN: the TID's
    first two digits) nor a write's temp file (a running writer's is no stray; an
    interrupted one's is a leftover), in name order. A temp file is known by its
    name: one a writer makes while this walks is no stray either."""
    top = root / TICKETS
    found = []
    for folder, dirs, names in os.walk(top):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            if is_temp(name) or ticket_file_tid(root, folder, name):
                continue
            found.append(Path(path))
    return found


def move_aside(root: Path, path: Path) -> Path:
    """Move `path` to lost+found/ under its relative path and the UTC time (a number
    added if a file of that name is there already)."""
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    base = root / LOST_FOUND / f"{path.relative_to(root)}.{stamp}"
    base.parent.mkdir(parents=True, exist_ok=True)
    dest, n = base, 1
    while dest.exists():
        dest, n = base.with_name(f"{base.name}.{n}"), n + 1
    os.rename(path, dest)
    return dest


def check_access(check: Fsck) -> None:
    """Every folder of the store maild's user may list, enter and write in (a write
    makes its temp file there), every file it may read and write: one left root's
    deep in it (a root's `cp -a` or `tar`: index/msgid/ab, tickets/03, attachments/b7)
    paused processing the first time it was written, and only `maild status` said so.
    Named once (not those the checks before named), with the chown or chmod that mends
    it; not repaired. One walk of the store (a re-check looks only at what it found)."""
    root = os.fspath(check.root)
    write = 0 if os.statvfs(root).f_flag & os.ST_RDONLY else os.W_OK  # (read-only: reads)
    named = {os.path.join(root, rel) for rel in check.found}  # (by the checks before)
    covered: set[str] = set()  # folders named with a `chown -R`: not descended into
    for path, is_dir in _entries(root, check.only, covered):
        need = os.R_OK | write | (os.X_OK if is_dir else 0)
        if not os.access(path, need) and path not in named and os.path.lexists(path):
            fix = _access_fix(check.root, path, is_dir)
            check.problem(path, f"{_barred(path, need, is_dir)} (not repaired: {fix})")
            if fix.startswith("chown -R "):
                covered.add(path)


def _entries(root: str, only: set[str] | None, covered: set[str]) -> Iterator[tuple[str, bool]]:
    """(path, whether a folder) of every file and folder under `root` (a backup's
    staging folder passed: its files are links to the store's), or of `only`'s; a folder
    the caller put in `covered` while it had it is not descended into."""
    if only is not None:
        yield from ((p, os.path.isdir(p)) for p in (os.path.join(root, r) for r in only))
        return
    folders = [root]
    while folders:
        try:
            with os.scandir(folders.pop()) as it:
                found = list(it)
        except OSError:  # one it may not list or enter: named as its parent's entry
            continue
        for e in found:
            is_dir = e.is_dir(follow_symlinks=False)
            yield e.path, is_dir
            if is_dir and not e.name.startswith(STAGING_PREFIX) and e.path not in covered:
                folders.append(e.path)


def _barred(path: str, need: int, is_dir: bool) -> str:
    """What maild's user may not do with `path` (check_access)."""
    ways = [(os.R_OK, "list" if is_dir else "read"), (os.X_OK, "enter"), (os.W_OK, "write")]
    barred = [way for bit, way in ways if need & bit and not os.access(path, bit)]
    return f"{user_name(os.geteuid())} may not {' or '.join(barred)} {'in ' * is_dir}it"


def _access_fix(root: Path, path: str, is_dir: bool) -> str:
    """The chown (another's: to the storage's owner) or chmod that lets maild use it."""
    if not is_dir:
        return chown_fix(root, path)
    owner = root.stat().st_uid
    if os.stat(path).st_uid != owner:
        return f"chown -R {user_name(owner)}: {path}"
    return f"chmod u+rwx {path}"
