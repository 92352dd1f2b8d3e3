"""A kill -9 between the renames of a group commit leaves no ticket without its
summary nor without the mail queued with it: the commit's redo journal is finished
by whoever takes the store lock next (`maild serve` at start, `maild fsck`), and
every queued mail goes out once (maild/adapters/redo.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maild.adapters import redo
from maild.adapters.leftovers import remove_leftovers
from maild.adapters.transaction import Transaction
from tests.helpers import ROOT, Daemon, make_mail

CUSTOMER = "ivan@shop-example.ru"
STAFF = ["anna@example.com", "boris@example.com"]


def ingest_killed(desk, raw: bytes, after: str = "/tickets/") -> None:
    """`maild ingest` of `raw`, killed by SIGKILL right after its commit renamed the
    ticket file (tests/killmid.py)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_KILL_AFTER_RENAME=after)
    cmd = [sys.executable, "-m", "tests.killmid", "--config", str(desk.config), "ingest", "-"]
    p = subprocess.run(cmd, input=raw, capture_output=True, timeout=60, env=env)
    assert p.returncode == -signal.SIGKILL, p.stderr.decode()


def no_daily_mail(desk) -> None:
    """Today and tomorrow (support's zone) days off: on a working day from 09:00 the
    daemon's first tick sends the morning queue and the daily report too, which are
    not the commit's mail (the test failed by the time of day it ran)."""
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    days = [str(today), str(today + timedelta(days=1))]
    desk.sections["calendar"] = {"extra_days_off": days}
    desk.write_config()


def listed(desk) -> dict[str, str]:
    """TID -> status as `ticket list` shows them (read from the summaries)."""
    lines = desk.run("ticket", "list").out.splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in lines if line.strip()}


@pytest.mark.parametrize("after", ["/tickets/", "/outbox/queue/"])
def test_serve_finishes_a_commit_killed_between_its_renames(desk, sink, after):
    """Killed after the ticket file's rename (its summary row not renamed: `ticket
    list` would not show it, fsck would name it for good), or after the first of
    the three mails it queued (the others and the ticket not)."""
    ingest_killed(desk, make_mail(), after)
    data = desk.root / "data"
    queued = [p for p in (data / "outbox" / "queue").iterdir() if not p.name.startswith(".")]
    tickets = list((data / "tickets").rglob("*.json"))
    assert listed(desk) == {}  # as the kill left it
    assert (len(tickets), len(queued)) == ((1, 3) if after == "/tickets/" else (0, 1))
    no_daily_mail(desk)
    daemon = Daemon(desk).start()
    try:
        got = sink.wait_for(3, timeout=20)
    finally:
        assert daemon.stop() == 0
    (ticket_file,) = (data / "tickets").rglob("*.json")
    tid = ticket_file.stem
    assert sorted(r.msg["To"] for r in got) == sorted([CUSTOMER, *STAFF])
    assert all(f"[TID#{tid}]" in r.subject for r in got)
    assert len(sink.received) == 3  # once each
    assert listed(desk) == {tid: desk.ticket(tid)["status"]}
    r = desk.run("fsck")
    assert r.code == 0 and "0 problem(s)" in r.out, r.out
    assert not os.path.exists(redo.journal_path(str(data)))
    assert not [p for p in data.rglob(".*.tmp")]
    assert "finished a commit that a crash interrupted" in daemon.logtext()


@pytest.mark.parametrize("repair", [False, True])
def test_fsck_finishes_a_staff_answer_killed_between_renames(desk, sink, repair):
    """The audit's case: the ticket file says `open`, its summary row (what `ticket
    list`, status, the SLA report and the morning queue read) still `new`."""
    from tests.integration.test_staff_e2e import staff_reply

    tid = desk.ingest_tid(make_mail())
    assert desk.flush().code == 0
    sink.received.clear()
    ingest_killed(desk, staff_reply(tid, "Посмотрим сегодня."))
    assert listed(desk) == {tid: "new"}  # as the kill left it (no lock taken)
    r = desk.run("fsck", *(["--repair"] if repair else []))  # takes the store lock
    assert listed(desk) == {tid: "open"} and desk.ticket(tid)["status"] == "open", r.out
    assert "commit.redo: a commit a crash cut short: finished" in r.out, r.out
    assert r.code == (0 if repair else 1) and ("fixed: commit.redo" in r.out) == repair
    r = desk.run("fsck")
    assert r.code == 0 and " 0 problem(s)" in r.out, r.out
    assert desk.flush().code == 0 and desk.flush().code == 0
    got = [(r.msg["To"], r.subject) for r in sink.received]
    assert len(set(got)) == len(got), got  # each once
    (answer,) = [r for r in sink.to(CUSTOMER) if "Посмотрим сегодня." in r.text]


def test_a_commit_cut_short_before_its_sync_is_dropped(tmp_path):
    """A power loss before the first sync ended may leave a temp file shorter than
    written: none of the commit's renames had begun, so none is done."""
    root = str(tmp_path)
    (tmp_path / "a.json").write_bytes(b"old a")
    (tmp_path / "b.json").write_bytes(b"old b")
    ta, tb = tmp_path / ".a.json.1.2.tx.tmp", tmp_path / ".b.json.1.3.tx.tmp"
    ta.write_bytes(b"new a")
    tb.write_bytes(b"")  # its data never reached the disk
    ops = [
        redo.rename_op(root, str(ta), str(tmp_path / "a.json"), b"new a"),
        redo.rename_op(root, str(tb), str(tmp_path / "b.json"), b"new b"),
    ]
    redo.write(root, ops)
    assert redo.finish(root) == 0
    assert (tmp_path / "a.json").read_bytes() == b"old a"
    assert not ta.exists() and not tb.exists() and redo.read(root) is None
    # whole: the rename not done yet is redone, the one done is not undone
    tb.write_bytes(b"new b")
    redo.write(root, [["r", ".a.json.1.2.tx.tmp", "a.json", 5, zlib.crc32(b"new a")], ops[1]])
    assert redo.finish(root) == 1
    assert (tmp_path / "b.json").read_bytes() == b"new b"
    assert (tmp_path / "a.json").read_bytes() == b"old a"  # (its temp gone: was done)


def test_a_journal_whose_check_has_thousands_of_figures_does_not_read_whole(tmp_path):
    """A journal damaged to a last line of 5,000 figures was more than int() reads: a
    ValueError at every taking of the store lock (every mail failing, every command
    that writes). It does not read whole, as one of a wrong check: nothing is redone."""
    root = str(tmp_path)
    (tmp_path / redo.NAME).write_bytes(b'{"ops": []}\n' + b"9" * 5000 + b"\n")
    assert redo.read(root) == []
    assert redo.finish(root) == 0 and redo.read(root) is None


@pytest.mark.parametrize("second", ["write", "move"])
def test_a_commit_of_two_operations_killed_after_its_first_rename_is_finished(tmp_path, second):
    """The smallest commit that can tear (two files; a file and a message marked
    processed) has its journal too: killed by SIGKILL after its first rename, the
    next holder of the lock does the rest, even after leftovers were removed."""
    root = str(tmp_path)
    for name in ("a.json", "b.json", "new-key"):
        (tmp_path / name).write_bytes(b"old")
    pid = os.fork()
    if pid == 0:  # the committer, killed as killmid.py kills maild
        try:
            replace = os.replace

            def replace_then_die(src, dst):  # type: ignore[no-untyped-def]
                replace(src, dst)
                os.kill(os.getpid(), signal.SIGKILL)

            os.replace = replace_then_die  # type: ignore[assignment]
            tx = Transaction(root)
            tx.put(tmp_path / "a.json", b"new a")
            if second == "write":
                tx.put(tmp_path / "b.json", b"new b")
            else:
                tx.move(tmp_path / "new-key", tmp_path / "cur-key")
            tx.commit()
        finally:
            os._exit(1)
    assert os.waitpid(pid, 0)[1] == signal.SIGKILL
    assert (tmp_path / "a.json").read_bytes() == b"new a"  # torn: the second not done
    assert (tmp_path / "b.json").read_bytes() == b"old" and (tmp_path / "new-key").exists()
    # its writer is dead: but a temp file the journal names is no leftover (serve's
    # start without the store lock, which an admin's fsck --repair held)
    assert remove_leftovers(tmp_path) == []
    assert redo.finish(root) == 1
    if second == "write":
        assert (tmp_path / "b.json").read_bytes() == b"new b"
    else:
        assert not (tmp_path / "new-key").exists() and (tmp_path / "cur-key").exists()
