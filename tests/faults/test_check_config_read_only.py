"""Root's `maild check-config` on a storage whose file system is read-only (a disk
remounted read-only after errors, a path outside the unit's ReadWritePaths=): one
config error that says so, exit 78. Root may write whatever the mode, so only the
mount tells; without this check root was told OK and every command then failed."""

from __future__ import annotations

from tests.faults.fs import read_only
from tests.helpers import Desk, dead_port


def test_root_s_check_config_says_a_read_only_store_is_read_only(tmp_path):
    desk = Desk(tmp_path, dead_port())
    desk.make_store()
    data = desk.root / "data"
    with read_only(data):
        r = desk.run("check-config")
    assert r.code == 78, r
    said = f"storage.path {data} is on a read-only file system: mount it read-write"
    assert said in r.err, r.err
