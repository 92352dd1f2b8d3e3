"""`maild backup` into a folder on a read-only file system (a backup disk mounted
read-only, a path outside the unit's ReadWritePaths=): refused before any work, as a
folder it may not write is, exit 78, in one line that says the file system is
read-only. It said "Permission denied ... let root use it (its owner, group or
mode)", which no chown or chmod mends."""

from __future__ import annotations

from tests.faults.fs import read_only
from tests.helpers import Desk, dead_port, make_mail


def test_backup_into_a_read_only_folder_says_so(tmp_path):
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail())
    dest = tmp_path / "backups"
    dest.mkdir()
    with read_only(dest):
        r = desk.run("backup", f"{dest}/")
    assert r.code == 78, r
    assert r.err.strip().splitlines() == [
        f"maild: permanent error: Read-only file system: {dest}"
    ], r.err
    assert list(dest.iterdir()) == []
