"""Leftovers of crashes are cleaned, and redaction reaches every copy.

- Temp files of writes interrupted by a kill are removed when `maild serve` starts
  (those of a process still running are kept).
- Access data a customer sent is blanked, after the ticket closed, in the ticket,
  the spool copy, and in the staff notice that quoted it: its record in the ticket
  and its mail in the outbox."""

from __future__ import annotations

import os
from datetime import datetime

from maild.adapters.leftovers import remove_leftovers
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
