"""`maild restore` killed (kill -9) after its extraction, while it holds the restored
queue: the storage looked whole, its queue was partly not held, and `maild serve` on
it sent that mail a second time (the old desk had sent it after the backup); nothing
said the restore had not finished. Now the queue is extracted aside and put in its
place held, and the restore's mark makes every command refuse the storage, in one
line, until a new restore into it (which clears it first) finishes
(maild/adapters/restoremark.py)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from maild.adapters import restoremark
from maild.adapters.layout import StoreRefused, check_storage
from maild.ops.backup import BackupError
from maild.ops.restore import restore
from tests.helpers import AS_ME, ROOT, Daemon, Desk, Sink, dead_port, make_mail, wait_until


def _backup_the_old_desk_sent(tmp_path: Path, sink: Sink) -> tuple[Path, int]:
    """Three mails queued, a backup, then the old desk sends them (to `sink`)."""
    (tmp_path / "old").mkdir()
    old = Desk(tmp_path / "old", dead_port())
    for i in range(3):
        old.ingest(make_mail(sender=f"c{i}@shop.example", msgid=f"<k{i}@client>"))
    archive = tmp_path / "snap.tar.gz"
    r = old.run("backup", str(archive), "--json")
    assert r.code == 0 and r.json()["queued"] == 9, r.err  # 3 confirmations, 6 notices
    old.sections["outbound"]["port"] = sink.port
    old.write_config()
    assert old.flush().code == 0
    assert len(sink.received) == 9
    return archive, 9


def _restore_killed(archive: Path, target: Path) -> None:
    """`maild restore`, killed by SIGKILL right after the first queued mail it holds is
    renamed in place (tests/killmid.py): the extraction done, the hold not."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_KILL_AFTER_RENAME="/outbox/")
    cmd = [sys.executable, "-m", "tests.killmid", "restore", str(archive)]
    cmd += ["--storage", str(target), *AS_ME]
    p = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    assert p.returncode == -signal.SIGKILL, p.stderr.decode()


def test_serve_refuses_a_restore_killed_before_its_queue_was_held(tmp_path, sink):
    archive, sent = _backup_the_old_desk_sent(tmp_path, sink)
    target = tmp_path / "restored"
    _restore_killed(archive, target)
    (tmp_path / "new").mkdir()
    new = Desk(tmp_path / "new", sink.port, storage={"path": str(target)})
    daemon = Daemon(new)
    try:
        daemon.start(timeout=30)
    except RuntimeError as e:
        assert "a maild restore into it did not finish" in str(e)
    else:  # it started on the half-restored storage: what it sends again
        again = wait_until(lambda: len(sink.received) - sent, 10)  # 0 if nothing within 10 s
        daemon.stop()
        pytest.fail(f"serve started; sent again: {again}")
    assert len(sink.received) == sent
    fsck = new.run("fsck")
    assert fsck.code == 78 and fsck.err.count("\n") == 1, fsck
    assert "restore again into it" in fsck.err
    assert "did not finish" in new.run("status").err
    assert "did not finish" in new.run("check-config").out + new.run("check-config").err

    # the way out README gives: restore again into it (nothing to remove first)
    again = new.run("restore", str(archive), "--storage", str(target), *AS_ME, "--json")
    assert again.code == 0 and again.json()["held"] == sent, again
    assert not (target / restoremark.MARK).exists()
    assert all(m["held"] for m in new.run("outbox", "list", "--json").json())
    flush = new.flush()  # held: none of it goes
    assert flush.code == 75 and flush.out.startswith("sent 0, failed 0, still queued 9"), flush
    assert len(sink.received) == sent


def test_a_running_restore_is_said_as_such(tmp_path):
    """While a restore holds its mark, the storage is refused as one being restored,
    and a second restore into it is refused too."""
    target = tmp_path / "s"
    target.mkdir()
    fd = restoremark.begin(target)
    try:
        with pytest.raises(StoreRefused, match="is still running"):
            check_storage(target)
        assert restoremark.state(target) == restoremark.RUNNING
        with pytest.raises(BackupError, match="a restore into it is still running"):
            restore(target.parent / "any.tar.gz", target)
    finally:
        os.close(fd)
    assert restoremark.state(target) == restoremark.UNFINISHED
    with pytest.raises(StoreRefused, match="did not finish"):
        check_storage(target, create=False)


def test_a_mark_this_user_cannot_open_or_lock_is_still_a_restore_that_did_not_finish(
    tmp_path, monkeypatch
):
    """A mark the restore (run as root under umask 077) left 0600 cannot be opened by
    the maild user, a mark that is a link to nowhere cannot be opened at all, and flock
    may fail otherwise (ENOLCK): each is still the mark of a restore that did not
    finish, never "no mark" (serve would send the half-restored queue again)."""
    target = tmp_path / "s"
    target.mkdir()
    (target / restoremark.MARK).symlink_to(tmp_path / "nowhere")
    assert restoremark.state(target) == restoremark.UNFINISHED
    (target / restoremark.MARK).unlink()
    os.close(restoremark.begin(target))
    monkeypatch.setattr(restoremark, "flock_held", lambda path: None)  # EACCES on open
    assert restoremark.state(target) == restoremark.UNFINISHED
    with pytest.raises(StoreRefused, match="did not finish"):
        check_storage(target, create=False)

    def no_locks(path: str) -> bool:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(restoremark, "flock_held", no_locks)
    assert restoremark.state(target) == restoremark.UNFINISHED


def test_a_restore_again_from_another_archive_leaves_nothing_of_the_killed_one(tmp_path):
    """README: «Run the same restore again into the same DIR: it clears what the
    unfinished one left and starts over». The admin killed the restore of the newer
    backup (or it died with the host) and restores the older one instead: the storage
    is that backup's, none of the tickets and queued mail only the killed restore's
    archive held (extracted over, they stayed: tickets the older backup never had,
    and their mail queued, held, to be released with the rest)."""
    (tmp_path / "old").mkdir()
    old = Desk(tmp_path / "old", dead_port())
    first = old.ingest_tid(make_mail(sender="c0@shop.example", msgid="<k0@client>"))
    older = tmp_path / "older.tar.gz"
    assert old.run("backup", str(older)).code == 0
    later = [
        old.ingest_tid(make_mail(sender=f"c{i}@shop.example", msgid=f"<k{i}@client>"))
        for i in (1, 2)
    ]
    newer = tmp_path / "newer.tar.gz"
    assert old.run("backup", str(newer)).code == 0
    target = tmp_path / "restored"
    _restore_killed(newer, target)
    assert {p.stem for p in (target / "tickets").rglob("*.json")} >= {first, *later}

    (tmp_path / "new").mkdir()
    new = Desk(tmp_path / "new", dead_port(), storage={"path": str(target)})
    again = new.run("restore", str(older), "--storage", str(target), *AS_ME, "--json")
    assert again.code == 0 and again.json()["held"] == 3, again  # 1 confirmation, 2 notices
    assert [t["tid"] for t in new.tickets()] == [first]
    assert len(new.run("outbox", "list", "--json").json()) == 3
    assert new.run("fsck").code == 0
