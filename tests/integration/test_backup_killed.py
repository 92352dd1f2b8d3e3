"""A `maild backup` killed (kill -9) leaves a staging folder in the storage (hard
links to the whole store: every person's data) and a partial archive in the backup
folder. Each goes the next time something looks: `forget` before it reports,
`fsck` (one line; --repair removes), the next `backup` at once (and the partial
archive it finds in its folder), `serve` when it starts. A running backup's
staging folder is never touched: `forget` waits for that backup to finish.

The backups here are real `maild backup` processes. One is held in its staging
by holding the store lock, as a long locked section of serve would: the backup has
made and filled its staging folder and waits for the lock; in its archive writing
by a store large enough (a 16 MiB file of random bytes) to take a while."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import ROOT, Daemon, Desk, dead_port, make_mail

GONE = "ivan@shop.ru"


def _desk(tmp_path: Path) -> Desk:
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail(sender=f"Иван <{GONE}>", body="Мой телефон +7 900 000-00-00."))
    desk.ingest(make_mail(sender="olga@other.ru", subject="Другой вопрос"))
    (tmp_path / "backups").mkdir()
    return desk


def _data(desk: Desk) -> Path:
    return desk.root / "data"


@contextlib.contextmanager
def _store_lock(desk: Desk) -> Iterator[None]:
    """The store lock (a flock of the storage folder), as a locked section holds it."""
    fd = os.open(_data(desk), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _start_backup(desk: Desk) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "maild", "--config", str(desk.config), "backup", "--json"]
        + [f"{desk.root / 'backups'}/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def _stages(desk: Desk) -> list[Path]:
    return sorted(_data(desk).glob(".backup-*"))


def _mentions(folder: Path) -> list[str]:
    """Files under `folder` that hold the person's address, any case."""
    found = []
    for path in folder.rglob("*"):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):  # replaced meanwhile
            if GONE.encode() in path.read_bytes().lower():
                found.append(str(path.relative_to(folder)))
    return sorted(found)


def _wait(what, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _waits_for_a_lock(pid: int) -> bool:
    """Whether process `pid` is blocked waiting for a file lock (a "->" line of
    /proc/locks names the waiters)."""
    locks = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and f" {pid} " in line for line in locks)


def _in_staging(desk: Desk, sig: int) -> subprocess.Popen:
    """A backup that has copied the store into its staging folder (the person's
    ticket among it) and waits for the store lock, sent `sig` (SIGKILL, SIGSTOP)
    while it still waits: the lock released before that, a descheduled test let it
    finish and remove its staging folder first."""
    with _store_lock(desk):
        p = _start_backup(desk)
        _wait(lambda: any(_mentions(s) for s in _stages(desk)))
        p.send_signal(sig)
        return p


def _killed_in_staging(desk: Desk) -> Path:
    p = _in_staging(desk, signal.SIGKILL)  # kill -9
    p.communicate()
    [stage] = _stages(desk)
    assert _mentions(stage)  # their ticket, as it was
    return stage


def _killed_writing(desk: Desk) -> tuple[Path, Path]:
    """A backup killed while it writes its archive: its staging folder and the
    partial archive."""
    (_data(desk) / "filler").write_bytes(os.urandom(16 << 20))
    p = _start_backup(desk)
    partials = lambda: list((desk.root / "backups").glob(".maild-*.tmp"))  # noqa: E731
    _wait(lambda: any(f.stat().st_size > 0 for f in partials()))
    p.kill()
    p.communicate()
    [stage], [partial] = _stages(desk), partials()
    return stage, partial


def test_forget_removes_the_staging_folder_of_a_killed_backup(tmp_path):
    desk = _desk(tmp_path)
    _killed_in_staging(desk)
    r = desk.run("forget", GONE)
    assert r.code == 0, r.err
    assert "removed 1 staging folder(s) of backups that did not finish" in r.out
    assert _stages(desk) == []
    assert _mentions(_data(desk)) == []  # no copy of theirs anywhere in the store


def test_fsck_names_a_killed_backups_staging_folder_and_repair_removes_it(tmp_path):
    desk = _desk(tmp_path)
    stage = _killed_in_staging(desk)
    r = desk.run("fsck")
    assert r.code == 1
    lines = [line for line in r.out.splitlines() if stage.name in line]
    assert lines == [f"{stage.name}: staging folder of a backup that did not finish"]
    r = desk.run("fsck", "--repair")
    assert r.code == 0, r.out
    assert f"fixed: {stage.name}: removed" in r.out
    assert _stages(desk) == []
    assert desk.run("fsck").code == 0


def test_next_backup_removes_a_killed_ones_staging_and_partial_archive_at_once(tmp_path):
    desk = _desk(tmp_path)
    stage, partial = _killed_writing(desk)
    assert partial.stat().st_size > 0  # part of a gzip'd tar of the whole store
    other = desk.root / "backups" / ".notes.txt.123.tmp"  # another program's: left alone
    other.write_bytes(b"not maild's")
    r = desk.run("backup", f"{desk.root / 'backups'}/", "--json")
    assert r.code == 0, r.err
    assert not stage.exists() and _stages(desk) == []
    assert sorted(p.name for p in (desk.root / "backups").iterdir()) == sorted(
        [Path(r.json()["archive"]).name, other.name]
    )


def test_serve_removes_a_killed_backups_staging_folder_when_it_starts(tmp_path):
    desk = _desk(tmp_path)
    stage = _killed_in_staging(desk)
    daemon = Daemon(desk).start()
    try:
        assert _stages(desk) == []
    finally:
        assert daemon.stop() == 0
    assert f"removed {stage}: the staging folder of a backup that did not finish" in (
        daemon.logtext()
    )


def test_a_running_backups_staging_survives_fsck_and_forget_waits_for_it(tmp_path):
    desk = _desk(tmp_path)
    # its staging holds their data, it is stopped, the store is free again
    backup = _in_staging(desk, signal.SIGSTOP)
    try:
        [stage] = _stages(desk)
        r = desk.run("fsck", "--repair")
        assert r.code == 0 and stage.name not in r.out, r.out
        forget = subprocess.Popen(
            [sys.executable, "-m", "maild", "--config", str(desk.config), "forget", GONE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        # erased in the store, then waiting: the backup's copy is not touched
        outside = lambda: [m for m in _mentions(_data(desk)) if not m.startswith(stage.name)]  # noqa: E731
        _wait(lambda: outside() == [])
        # then blocked on the backup's lock till it ends: nothing more of it meanwhile
        _wait(lambda: _waits_for_a_lock(forget.pid) or forget.poll() is not None)
        assert forget.poll() is None
        assert stage.is_dir() and _mentions(stage)
    finally:
        backup.send_signal(signal.SIGCONT)
    out, err = backup.communicate(timeout=60)
    assert backup.returncode == 0, err
    out, err = forget.communicate(timeout=60)
    assert forget.returncode == 0, err
    pid = backup.pid
    assert f"waiting for the backup in progress (pid {pid}) to finish" in err
    assert f"waited for the backup in progress (pid {pid}) to finish" in out
    assert _stages(desk) == [] and _mentions(_data(desk)) == []
