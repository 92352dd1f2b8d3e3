"""The store's layout of ticket files (adapters/store/ticketfiles.py) is the one the
Store writes to, `maild fsck` looks in and calls no stray."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from maild.adapters.store.ticketfiles import ticket_file_tid, ticket_path
from maild.fsckfiles import check_access, check_files, lock_broken, move_aside, stray_files


def test_a_ticket_file_where_the_layout_puts_it_is_no_stray_and_elsewhere_is(tmp_path: Path):
    placed = [Path(ticket_path(tmp_path, tid)) for tid in ("1234-5678", "9900-0001")]
    misplaced = tmp_path / "tickets" / "56" / "1234-5678.json"  # another TID's folder
    other = tmp_path / "tickets" / "12" / "notes.json"
    for path in (*placed, misplaced, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    assert placed[0] == tmp_path / "tickets" / "12" / "1234-5678.json"
    assert stray_files(tmp_path) == sorted([misplaced, other])
    for path, tid in zip(placed, ("1234-5678", "9900-0001"), strict=True):
        assert ticket_file_tid(tmp_path, os.fspath(path.parent), path.name) == tid
    assert ticket_file_tid(tmp_path, os.fspath(misplaced.parent), misplaced.name) is None


def test_a_writes_temp_file_in_tickets_is_no_stray(tmp_path: Path):
    """A ticket's temp file (durable.temp_path: .<name>.<pid>.<ns>.tmp) is a write under
    way or a leftover fsck names as such: not «not a ticket file», which --repair would
    move aside from under its writer's rename."""
    folder = tmp_path / "tickets" / "12"
    folder.mkdir(parents=True)
    (folder / ".1234-5678.json.4242.1700000000000000000.tmp").write_text("{}")
    (folder / "1234-5678.json.tmp").write_text("{}")  # no writer's name: a stray
    assert stray_files(tmp_path) == [folder / "1234-5678.json.tmp"]


def test_a_stray_moved_aside_never_takes_the_place_of_one_moved_before(tmp_path: Path):
    """lost+found/ keeps every stray: a name taken (the same file moved in the same
    second, again and again) gets the next free number, not the first one's again."""
    stray = tmp_path / "tickets" / "12" / "notes.txt"
    stray.parent.mkdir(parents=True)
    now = datetime.now(UTC)
    kept = []
    for second in range(-1, 3):  # whichever second move_aside reads
        stamp = f"{now + timedelta(seconds=second):%Y%m%dT%H%M%SZ}"
        base = tmp_path / "lost+found" / "tickets" / "12" / f"notes.txt.{stamp}"
        base.parent.mkdir(parents=True, exist_ok=True)
        for path in (base, base.with_name(f"{base.name}.1")):
            path.write_text(path.name)
            kept.append(path)
    stray.write_text("the stray")
    dest = move_aside(tmp_path, stray)
    assert dest.read_text() == "the stray" and not stray.exists()
    assert all(path.read_text() == path.name for path in kept)


def test_a_lock_that_is_no_file_is_named(tmp_path: Path):
    """A fifo or a socket at <storage>/lock is no lock file a writer can take: fsck
    names it and how to mend it."""
    os.mkfifo(tmp_path / "lock")
    assert lock_broken(tmp_path) == ("not a file", f"remove {tmp_path / 'lock'}")


def test_fsck_without_repair_names_a_leftover_and_keeps_it(tmp_path: Path):
    """A plain `maild fsck` changes nothing: the temp file of an interrupted write is
    named, and removed only by --repair."""
    said: list[str] = []
    check = SimpleNamespace(root=tmp_path, locked=False, repair=False, stray=[],
                            problem=lambda path, what, fix=None: said.append(what),
                            wanted=lambda path: True)  # fmt: skip
    temp = tmp_path / "tickets" / "12" / ".1234-5678.json.99999999.1.tmp"
    temp.parent.mkdir(parents=True)
    temp.write_text("{}")
    old = time.time() - 7 * 86400
    os.utime(temp, (old, old))
    check_files(check)
    assert said == ["temp file of an interrupted write"] and temp.exists()
    check.repair = True
    check_files(check)
    assert not temp.exists()


def _check(root: Path, said: list[str], wanted=lambda path: True) -> SimpleNamespace:
    return SimpleNamespace(root=root, locked=False, repair=False, stray=[], wanted=wanted,
                           problem=lambda path, what, fix=None: said.append(what))  # fmt: skip


def test_the_recheck_names_no_stray_it_was_not_asked_about(tmp_path: Path):
    """fsck's re-check under the lock looks only at the files the first run found
    (`wanted`): a stray file it was not asked about is neither named nor listed in
    --json's "stray" (nor, with --repair, moved aside)."""
    said: list[str] = []
    stray = tmp_path / "tickets" / "12" / "notes.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("x")
    check = _check(tmp_path, said, wanted=lambda path: False)
    check_files(check)
    assert said == [] and check.stray == []
    check = _check(tmp_path, said)
    check_files(check)
    assert said == ["not a ticket file"] and check.stray == ["tickets/12/notes.txt"]


def test_fsck_without_the_lock_names_a_redo_journal_under_way(tmp_path: Path):
    """A plain fsck (no lock: serve may be committing) that finds commit.redo names it,
    "a commit under way or cut short"; the run under the lock then tells which."""
    from maild.adapters.redo import journal_path

    said: list[str] = []
    Path(journal_path(os.fspath(tmp_path))).write_text("")
    check_files(_check(tmp_path, said))
    assert said == ["a commit under way or cut short"]


def test_a_lock_maild_may_read_but_not_write_is_named_unless_the_disk_is_read_only(
    tmp_path: Path, monkeypatch
):
    """A lock file left mode 0444 (maild's user may read it, not write it) stops every
    writer as a missing one does: fsck names it with the chmod that mends it. On a store
    mounted read-only nothing is written anyway, and the lock is no problem."""
    lock = tmp_path / "lock"
    lock.write_text("")
    lock.chmod(0o444)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: mode != os.W_OK and real_access(p, mode))
    what, fix = lock_broken(tmp_path) or ("", "")
    assert what.endswith(" may not open it") and fix == f"chmod u+rw {lock}"
    read_only = SimpleNamespace(f_flag=os.ST_RDONLY)
    monkeypatch.setattr(os, "statvfs", lambda path: read_only)
    assert lock_broken(tmp_path) is None


def test_a_commit_cut_short_before_anything_was_done_is_still_named(tmp_path: Path):
    """Taking the lock finished a journal whose commit a crash cut short before its
    first sync (0 operations to redo: the commit is dropped, its mail retried): the
    crash is named all the same, not a clean store."""
    said: list[str] = []
    check = _check(tmp_path, said)
    check.locked = True
    check.app = SimpleNamespace(store=SimpleNamespace(lock=SimpleNamespace(finished=0)))
    check_files(check)
    assert said == ["a commit a crash cut short: finished, 0 operation(s) redone"]
    said.clear()
    check.app.store.lock.finished = None  # no journal: nothing to say
    check_files(check)
    assert said == []


def test_a_file_the_checks_before_named_is_not_named_again_for_its_access(
    tmp_path: Path, monkeypatch
):
    """A ticket file maild's user may not read is named once: by the check that could
    not read it (`found`), not a second time as a file it may not read, which counted
    one problem twice; a file no check before named is named, with its chmod."""
    ticket = tmp_path / "tickets" / "12" / "1234-5678.json"
    other = tmp_path / "tickets" / "12" / "1234-5679.json"
    ticket.parent.mkdir(parents=True)
    for path in (ticket, other):
        path.write_text("{}")
        path.chmod(0o000)
    barred = {os.fspath(ticket), os.fspath(other)}
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: p not in barred and real_access(p, mode))
    said: list[tuple[str, str]] = []
    check = SimpleNamespace(root=tmp_path, only=None, found={"tickets/12/1234-5678.json"},
                            problem=lambda path, what: said.append((path, what)))  # fmt: skip
    check_access(check)
    assert [path for path, _ in said] == [os.fspath(other)], said
    assert said[0][1].endswith(f"may not read or write it (not repaired: chmod u+rw {other})")


def test_a_folder_to_chown_whole_is_one_line_and_a_backups_staging_none(
    tmp_path: Path, monkeypatch
):
    """A folder root's `cp -a` left another's, its files barred too: one line, its
    `chown -R`, not one more for each file in it. The files of a backup's staging
    folder are links to the store's, named where the store has them, not again."""
    folder = tmp_path / "index" / "msgid" / "ab"
    staged = tmp_path / ".backup-20261205T120000Z" / "tickets" / "12" / "1234-5678.json"
    for path in (folder / "x", folder / "y", staged):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    os.chown(folder, 65534, 65534)
    barred = {os.fspath(p) for p in (folder, folder / "x", folder / "y", staged)}
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: p not in barred and real_access(p, mode))
    said: list[str] = []
    check = SimpleNamespace(root=tmp_path, only=None, found=set(),
                            problem=lambda path, what: said.append(path))  # fmt: skip
    check_access(check)
    assert said == [os.fspath(folder)]


def test_a_name_that_is_no_tids_file_is_a_stray_in_any_folder(tmp_path: Path):
    """Only «<TID>.json» is a ticket's file: a copy left beside it (1234-5678.orig), a
    JSON file whose name starts with the folder's digits, or a TID one digit too long
    is a file no Store reads, named by fsck, not taken for a ticket."""
    folder = tmp_path / "tickets" / "12"
    folder.mkdir(parents=True)
    names = ["1234-5678.orig", "12-old.json", "1234-56789.json", "x1234-5678.json"]
    for name in names:
        (folder / name).write_text("{}")
    assert stray_files(tmp_path) == sorted(folder / name for name in names)
    for name in names:
        assert ticket_file_tid(tmp_path, os.fspath(folder), name) is None, name
