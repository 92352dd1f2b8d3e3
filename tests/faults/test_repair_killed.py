"""`maild fsck --repair` killed while it sets broken ticket files aside: run again
(and `maild serve` after it), every ticket's mail is stored again under its own TID,
staff's replies in it, and nobody is written to again. Real processes throughout: the
repair is a subprocess killed with SIGKILL at a point it reaches on its own (many
broken tickets make it long enough to be caught there), the relay a real aiosmtpd."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from maild.fsck import Fsck
from tests.helpers import (
    ROOT,
    Daemon,
    Desk,
    conversation,
    make_mail,
    serve_until_spool_empty,
    wait_until,
)

BROKEN = 30  # tickets whose files are cut in half: the repair's work to be killed in


def _data(desk: Desk) -> Path:
    return desk.root / "data"


def _ticket_file(desk: Desk, tid: str) -> Path:
    return _data(desk) / "tickets" / tid[:2] / f"{tid}.json"


def _desk_with_broken_tickets(desk: Desk) -> tuple[str, list[str]]:
    tid = conversation(desk)
    others = [
        desk.ingest_tid(make_mail(sender=f"c{i}@shop{i}.ru", subject=f"Вопрос {i}"))
        for i in range(BROKEN - 1)
    ]
    assert desk.flush().code == 0
    for t in (tid, *others):
        path = _ticket_file(desk, t)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return tid, [tid, *others]


def _kill_repair_when(desk: Desk, reached: Callable[[], bool]) -> bool:
    """Start `maild fsck --repair` and SIGKILL it as soon as `reached()` holds;
    whether it was still running then."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "maild", "--config", str(desk.config), "fsck", "--repair"]
    repair = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    while repair.poll() is None and not reached() and time.monotonic() < deadline:
        time.sleep(0.0005)
    alive = repair.poll() is None
    repair.send_signal(signal.SIGKILL)
    repair.communicate()
    return alive


def _requeue_started(desk: Desk) -> Callable[[], bool]:
    new = _data(desk) / "spool" / "new"
    return lambda: any(new.iterdir())


def _first_set_aside(desk: Desk, tids: list[str]) -> Callable[[], bool]:
    files = [_ticket_file(desk, t) for t in tids]
    return lambda: not all(f.exists() for f in files)


def _assert_stored_again(desk: Desk, sink, tid: str, tids: list[str], sent: int) -> None:
    assert sorted(t["tid"] for t in desk.tickets()) == sorted(tids)
    ticket = desk.ticket(tid)
    kinds = [
        m["kind"] for m in ticket["messages"] if m["direction"] == "in" or m["kind"] == "staff"
    ]
    assert kinds == ["customer", "staff", "customer"], ticket["messages"]
    # no second confirmation to a customer, no new-ticket notice to staff
    assert [r.subject for r in sink.received[sent:]] == []
    assert desk.run("spam", "list", "--json").json() == []
    check = desk.run("fsck")
    assert check.code == 0, check.out


@pytest.mark.parametrize("point", ["requeue", "set_aside"])
def test_repair_killed_then_run_again_stores_the_mail_under_the_same_tids(desk, sink, point):
    tid, tids = _desk_with_broken_tickets(desk)
    sent = len(sink.received)
    if point == "requeue":  # (re-queuing makes a directory sync a mail: it takes long)
        assert _kill_repair_when(desk, _requeue_started(desk))
    else:  # (setting aside is quick: it may be over by the kill, a run to check still)
        _kill_repair_when(desk, _first_set_aside(desk, tids))
    again = desk.run("fsck", "--repair")
    assert again.code == 0, again.out
    assert "a ticket that does not exist" not in again.out
    serve_until_spool_empty(desk)
    _assert_stored_again(desk, sink, tid, tids, sent)


def test_repair_killed_then_serve_waits_for_the_next_repair(desk, sink):
    """Killed while re-queuing: serve keeps the mail already back in spool/new waiting
    (its ticket's file is still there, broken) until a repair finishes the job."""
    tid, tids = _desk_with_broken_tickets(desk)
    sent = len(sink.received)
    assert _kill_repair_when(desk, _requeue_started(desk))
    new = _data(desk) / "spool" / "new"
    back = [key.name for key in new.iterdir()]
    daemon = Daemon(desk).start()

    def each_met() -> bool:  # serve logs each mail that waits for a broken file, once
        said = daemon.logtext()
        return all(f"spool {key}: waits until the file is mended" in said for key in back)

    try:
        assert wait_until(each_met), daemon.logtext()
        time.sleep(0.5)  # (its outbox sender's turn, as in serve_until_spool_empty)
    finally:
        assert daemon.stop() == 0
    assert any(new.iterdir())
    assert len(desk.tickets()) < len(tids)
    assert sink.received[sent:] == []
    again = desk.run("fsck", "--repair")
    assert again.code == 0, again.out
    serve_until_spool_empty(desk)
    _assert_stored_again(desk, sink, tid, tids, sent)


def test_a_repair_of_an_older_maild_killed_after_setting_a_file_aside(desk, sink):
    """An older maild set the file aside before it re-queued the mail: its kill left
    the file in lost+found/ and the mail in spool/cur. The next repair re-queues that
    mail with the Message-ID index entries that name its TID."""
    tid = conversation(desk)
    others = [desk.ingest_tid(make_mail(sender="petr@firm.ru", subject="Другой вопрос"))]
    assert desk.flush().code == 0
    sent = len(sink.received)
    path = _ticket_file(desk, tid)
    aside = _data(desk) / "lost+found" / "tickets" / tid[:2] / f"{tid}.json.20261205T102136Z"
    aside.parent.mkdir(parents=True)
    shutil.copyfile(path, aside)
    path.unlink()
    again = desk.run("fsck", "--repair")
    assert again.code == 0, again.out
    assert "a ticket that does not exist" not in again.out
    serve_until_spool_empty(desk)
    _assert_stored_again(desk, sink, tid, [tid, *others], sent)


def test_a_second_repair_leaves_the_ticket_serve_stored_again(desk, sink):
    """Two repairs at once: B finds the broken file in its first section, A sets it
    aside and serve stores the re-queued mail again, in a whole file. B's second
    section set aside (and removed) that whole file too: it checked only that a file
    was there. It sets aside only the file it found broken."""
    from maild.app import App
    from maild.config import load
    from maild.fsckspool import set_aside_tickets

    tid = conversation(desk)
    assert desk.flush().code == 0
    sent = len(sink.received)
    path = _ticket_file(desk, tid)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    b = Fsck(App(load(desk.config)), repair=True)
    with b.app.store.locked(timeout=120):  # B's first section
        b.checks()
    assert path in b.aside
    a = desk.run("fsck", "--repair")  # A, whole
    assert a.code == 0 and not path.exists(), a.out
    serve_until_spool_empty(desk)
    stored = path.read_bytes()
    set_aside_tickets(b)  # B's second section
    assert path.read_bytes() == stored
    lost = _data(desk) / "lost+found" / "tickets" / tid[:2]
    assert len(list(lost.glob(f"{tid}.json.*"))) == 1  # A's copy of the broken file
    _assert_stored_again(desk, sink, tid, [tid], sent)
