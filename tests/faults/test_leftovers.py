"""Leftovers of crashes are cleaned, and redaction reaches every copy.

- Temp files of writes interrupted by a kill are removed when `maild serve` starts
  (those of a process still running are kept).
- Access data a customer sent is blanked, after the ticket closed, in the ticket,
  the spool copy, and in the staff notice that quoted it: its record in the ticket
  and its mail in the outbox."""

from __future__ import annotations

import os
from datetime import datetime

from maild.adapters.leftovers import MAX_AGE, leftovers, remove_leftovers
from tests.faults.fs import read_only
from tests.helpers import Daemon, make_mail


def test_temp_files_of_interrupted_writes_are_removed_at_start(desk):
    desk.ingest(make_mail())
    data = desk.root / "data"
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    part = next((data / "tickets").iterdir())
    left = [
        part / f".4821-7730.json.{dead}.123456789.tmp",
        data / "open" / f".3f.json.{dead}.5.tmp",
        data / "spool" / "tmp" / f"1764000000000000000.P{dead}Q7.host",
    ]
    mine = data / "open" / f".3f.json.{os.getpid()}.6.tmp"  # a live writer's
    for p in [*left, mine]:
        p.write_text("Пароль: S3cr3t!")
    daemon = Daemon(desk).start()
    assert daemon.stop() == 0
    assert not any(p.exists() for p in left) and mine.exists()
    assert "removed 3 temp file(s) of interrupted writes" in daemon.logtext()
    assert remove_leftovers(data, now=mine.stat().st_mtime + 7200) == [str(mine)]


def test_a_temp_file_named_by_a_pid_no_process_can_have_is_a_dead_writers(desk):
    """A temp file's name gives its writer's pid: one of 20 figures (a file put there
    by hand) was more than os.kill takes, «Python int too large to convert to C
    long»: maild serve did not start, and fsck ended in a traceback."""
    desk.ingest(make_mail())
    data = desk.root / "data"
    left = [
        data / "open" / f".3f.json.{'9' * 20}.5.tmp",
        data / "spool" / "tmp" / f"1764000000000000000.P{'9' * 30}Q7.host",
    ]
    for p in left:
        p.write_text("x")
    r = desk.run("fsck")
    assert "Traceback" not in r.err, r.err
    daemon = Daemon(desk).start()
    assert daemon.stop() == 0
    assert not any(p.exists() for p in left)


def test_commit_temp_files_are_removed_at_start_while_their_pid_lingers(desk):
    """A worker killed with its group may not have fully exited when the next serve
    starts: its pid is still there, but it no longer holds the store lock, and only
    the holder writes a group commit's temp files (`.tx.tmp`): serve removes them
    under the lock, the pid test aside. A plain write's temp file of a live pid stays."""
    desk.ingest(make_mail())
    data = desk.root / "data"
    lingering = os.getpid()  # alive, holding no lock
    left = data / "open" / f".a4.json.{lingering}.13053.tx.tmp"
    plain = data / "open" / f".a4.json.{lingering}.13054.tmp"
    for p in (left, plain):
        p.write_text("Пароль: S3cr3t!")
    daemon = Daemon(desk).start()
    assert daemon.stop() == 0
    assert not left.exists() and plain.exists()
    plain.unlink()
    r = desk.run("fsck")
    assert r.code == 0, r.out


def test_redaction_covers_every_copy(desk, sink):
    from tests.integration.test_staff_e2e import staff_reply

    body = "Логин: admin\nПароль: S3cr3t!\n"
    tid = desk.ingest_tid(make_mail(body=body))
    desk.ingest(staff_reply(tid, "#close\nГотово."))
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
    later = closed_at.replace(microsecond=0).timestamp() + 2 * 86400 + 60
    later_iso = datetime.fromtimestamp(later, closed_at.tzinfo).isoformat()
    outbox = desk.root / "data" / "outbox"
    assert any(b"S3cr3t!" in p.read_bytes() for p in outbox.rglob("*.mail"))
    assert desk.run("jobs", "run", "--now", later_iso, "--json").json()["redacted"] == 1
    ticket = desk.ticket(tid)
    assert all("S3cr3t!" not in (m["text"] or "") for m in ticket["messages"])
    assert any("данные доступа удалены" in (m["text"] or "") for m in ticket["messages"][1:])
    for p in (desk.root / "data").rglob("*"):
        if p.is_file():
            assert b"S3cr3t!" not in p.read_bytes(), p
    desk.flush()
    assert all("S3cr3t!" not in r.text for r in sink.received)


def test_a_temp_file_that_cannot_be_removed_leaves_the_staging_folders_removed(desk):
    """A dead writer's temp file on a read-only mount: the error removing it does not
    keep dead backups' staging folders (a copy of the whole store each); each is
    tried, and told, on its own (once one try for both, told as the temp files')."""
    desk.ingest(make_mail())
    data = desk.root / "data"
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    part = next((data / "tickets").iterdir())
    left = part / f".4821-7730.json.{dead}.123456789.tmp"
    left.write_text("Пароль: S3cr3t!")
    stage = data / f".backup-{dead}.1"  # a killed backup's: no lock
    (stage / "tickets").mkdir(parents=True)
    with read_only(part):
        daemon = Daemon(desk).start()
        assert daemon.stop() == 0
    log = daemon.logtext()
    assert left.exists() and "cannot remove the temp files of interrupted writes" in log, log
    assert "Read-only file system" in log
    assert not stage.exists(), log
    assert f"removed {stage}: the staging folder of a backup that did not finish" in log


def test_a_live_writers_commit_temp_file_is_a_leftover_only_to_the_lock_holder(tmp_path):
    """Only the holder of the store lock writes `.tx.tmp` files: while the caller holds
    the lock their writer is done or dead; without it (serve's start when an admin's
    fsck --repair holds the lock) a live pid's is a commit under way, kept (removed,
    its rename would fail and the mail with it)."""
    temp = tmp_path / "open" / f".a4.json.{os.getpid()}.1.tx.tmp"
    temp.parent.mkdir()
    temp.write_text("{}")
    assert leftovers(tmp_path) == []
    assert leftovers(tmp_path, locked=True) == [str(temp)]


def test_the_outbox_reserve_cut_short_is_a_leftover_once_old(tmp_path):
    """outbox/reserve.tmp (adapters/reserve.py: a MiB made before its rename) names no
    writer: a leftover once older than MAX_AGE, not while it may be being made."""
    temp = tmp_path / "outbox" / "reserve.tmp"
    temp.parent.mkdir()
    temp.write_bytes(b"\0" * 1024)
    made = temp.stat().st_mtime
    assert leftovers(tmp_path, now=made + 60) == []
    assert leftovers(tmp_path, now=made + MAX_AGE + 1) == [str(temp)]


def test_nothing_in_a_backups_staging_folder_is_taken_for_a_leftover(tmp_path):
    """A backup's staging folder holds links to the store's files (adapters/backupleft
    .py removes it whole): a temp file's name in it is no write of the store's, and
    unlinking it would cut the backup's copy."""
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    stage = tmp_path / f".backup-{dead}" / "open"
    stage.mkdir(parents=True)
    (stage / f".3f.json.{dead}.5.tmp").write_text("{}")
    assert leftovers(tmp_path) == []
