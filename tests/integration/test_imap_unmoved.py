"""A message spooled that the IMAP server does not move to processed_folder, against a
real Dovecot: processed_folder read-only (MOVE, or COPY, answers NO [SERVERBUG]) or the
account over its quota (COPY answers NO [OVERQUOTA]). The failed move was taken for a
network failure: the poller reconnected with the back-off, and each round fetched and
spooled the same message again (a 25 MB mail: gigabytes a day), never took the mail
after it, noted no contact, and `maild status` said healthy. Now the message is spooled
once and not fetched again, the mail after it is taken, one WARNING names its UID and
Message-ID, status is degraded naming processed_folder and the server's answer, and
once the server moves it, it is healthy again."""

from __future__ import annotations

import glob
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from maild import status
from maild.adapters import imap
from maild.adapters.imap import PROCESSED_KEYWORD, ImapPoller
from maild.config import load
from maild.serving import start_imap
from tests.dovecot import DovecotServer, append, connect, messages, require_dovecot
from tests.helpers import Daemon, Desk, StorageHold, make_mail
from tests.integration.test_imap import USER, Inbox, Running, config, make_raw
from tests.integration.test_imap_bye import kick

QUOTA = """
mail_plugins = $mail_plugins quota
plugin {
  quota = count:User quota
  quota_rule = *:messages=%d
  quota_vsizes = yes
}
"""
NO_MOVE = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS"
NEITHER = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE"
# Timers the tests wait on and are not about, shorter: a stop is seen in IDLE within
# IDLE_SLICE (1 s), a lost connection is tried again after BACKOFF_START (1 s).
PACE = {"IDLE_SLICE": 0.1, "BACKOFF_START": 0.1}
DAEMON_PACE = {f"maild.adapters.imap.{name}": value for name, value in PACE.items()}
MOVE_RETRY = 0.1  # each refused move tried again this often (5 min in the daemon)


@pytest.fixture
def server() -> Iterator[Callable[[str], DovecotServer]]:
    """A Dovecot of the test's own (its folders and config are changed under it)."""
    require_dovecot()
    made: list[DovecotServer] = []

    def start(extra_conf: str = "") -> DovecotServer:
        made.append(DovecotServer(extra_conf))
        made[-1].start()
        return made[-1]

    yield start
    for s in made:
        s.cleanup()


@pytest.fixture
def polling(monkeypatch) -> Iterator[Callable[[ImapPoller], Running]]:
    """ImapPoller.run() in a thread, stopped even when an assertion failed; PACE."""
    for name, value in PACE.items():
        monkeypatch.setattr(imap, name, value)
    started: list[Running] = []
    yield lambda poller: started.append(Running(poller)) or started[-1]
    for r in started:
        r.stop_event.set()
        r.thread.join(timeout=10)


def processed_read_only(s: DovecotServer) -> Callable[[], None]:
    """Make the Maildir of Processed read-only to Dovecot; what makes it writable again."""
    info = s.info()
    with connect(info, USER) as client:
        client.create_folder("Processed")
    dirs = glob.glob(f"{info['dir']}/mail/{USER}/Maildir/.Processed/*/")
    assert dirs
    for d in dirs:
        os.chmod(d, 0o555)
    return lambda: [os.chmod(d, 0o700) for d in dirs] and None


def over_quota(s: DovecotServer) -> Callable[[], None]:
    """The account holds 3 messages at most (the test puts 3 in INBOX); what raises it."""
    return lambda: raise_quota(s, "messages=3")


def raise_quota(s: DovecotServer, rule: str) -> None:
    """The admin raises the quota `rule` to 100 messages and reloads Dovecot; the
    sessions open keep the old rule: the user is kicked (a restart takes a second
    more: Dovecot's master may wait that long for its children)."""
    conf = Path(s.dir, "dovecot.conf")
    conf.write_text(conf.read_text().replace(rule, "messages=100"))
    subprocess.run(["doveadm", "-c", str(conf), "reload"], check=True, capture_output=True)
    kick(s)


def wait_for(predicate: Callable[[], Any], timeout: float) -> Any:
    """The first true value of predicate() within `timeout` s, else its last."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    return predicate()


CASES = [  # (extra conf, how the move is refused, the server's answer)
    ("", processed_read_only, "[SERVERBUG]"),  # MOVE
    (NO_MOVE + QUOTA % 3, over_quota, "[OVERQUOTA]"),  # COPY, \Deleted, UID EXPUNGE
    (NEITHER, processed_read_only, "[SERVERBUG]"),  # COPY, $MaildProcessed
]


@pytest.mark.parametrize("conf, refuse, answer", CASES, ids=["move", "uidplus", "keyword"])
def test_a_message_the_server_does_not_move_is_spooled_once_and_holds_up_no_other(
    conf, refuse, answer, server, polling, caplog
):
    caplog.set_level(logging.INFO, logger="maild.imap")
    s = server(conf)
    info = s.info()
    for n in (1, 2, 3):
        append(info, USER, make_raw(n))
    repair = refuse(s)
    inbox, told, contacts = Inbox(), [], []
    poller = ImapPoller(
        config(info),
        inbox,
        unmoved=told.append,
        move_retry=MOVE_RETRY,
        contact=lambda: contacts.append(time.monotonic()),
    )
    r = polling(poller)
    assert inbox.wait_for(3, timeout=60), inbox.raws

    def tried_again() -> bool:  # each move tried again, in a round that ended well
        again = any("still cannot be moved to Processed" in m for m in caplog.messages)
        return again and len(contacts) >= 2 and told and told[-1]["count"] == 3

    assert wait_for(tried_again, timeout=60), (caplog.messages, contacts, told)
    time.sleep(5 * MOVE_RETRY)  # 5 more tries of each move: still nothing fetched again
    assert inbox.raws == [make_raw(1), make_raw(2), make_raw(3)]  # each once
    note = told[-1]
    assert (note["uid"], note["count"], note["folder"]) == (1, 3, "INBOX")
    assert (note["message_id"], note["processed_folder"]) == ("<msg1@example.org>", "Processed")
    assert note["answer"].startswith(answer) and note["pid"] == os.getpid()
    assert len(messages(info, USER)) == 3 and not messages(info, USER, "Processed")
    assert len(contacts) >= 2  # the rounds end well: `maild status` sees contact
    logged = [rec for rec in caplog.records if rec.name == "maild.imap"]
    loud = [rec.getMessage() for rec in logged if rec.levelno >= logging.WARNING]
    assert len(loud) == 3, loud  # one for each message, not one for each try
    for n, line in enumerate(loud, 1):
        assert line.startswith(
            f"imap: UID {n} (Message-ID <msg{n}@example.org>) is spooled, but the server "
            f"does not move it to Processed: {answer}"
        ), line
        assert "it stays in INBOX and is not taken again, the mail after it is taken" in line
    assert any("still cannot be moved to Processed" in rec.getMessage() for rec in logged)

    repair()  # the server moves them now: at their next try, not fetched again
    assert wait_for(lambda: len(messages(info, USER, "Processed")) == 3, timeout=60)
    assert wait_for(lambda: told[-1] is None, timeout=60)
    left = messages(info, USER)
    if conf == NEITHER:  # flagged, left in INBOX
        assert all(PROCESSED_KEYWORD in m["flags"] for m in left.values())
    else:
        assert left == {}
    append(info, USER, make_raw(4))
    assert inbox.wait_for(4, timeout=60)
    r.stop()
    assert inbox.raws == [make_raw(n) for n in (1, 2, 3, 4)]
    assert any("is moved to Processed now (it could not be since" in m for m in caplog.messages)


def test_serve_makes_one_ticket_and_one_spool_copy_of_each_and_status_names_it(
    tmp_path, sink, server
):
    """`maild serve`, Processed read-only on a server with MOVE: the 3 mails become 3
    tickets, the spool holds one copy of each however long it runs, the log has one
    WARNING for each, and `maild status` is degraded, naming the folder and the answer."""
    s = server()
    info = s.info()
    for n in (1, 2, 3):
        append(info, USER, make_mail(sender=f"c{n}@x{n}.example", msgid=f"<m{n}@c>"))
    processed_read_only(s)
    imap_section = {"host": info["host"], "port": info["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap_section | {"username": USER, "password": "alicepw"})
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        assert wait_for(lambda: len(desk.tickets()) == 3, timeout=60), desk.tickets()
        # each move refused and noted, then as long as the old back-off took for 3 more
        # reconnects (0.1 + 0.2 + 0.4 s at BACKOFF_START 0.1), and a margin
        noted = lambda: desk.run("status", "--json").json()["imap"]["unmoved"]  # noqa: E731
        assert wait_for(lambda: (noted() or {}).get("count") == 3, timeout=60), noted()
        time.sleep(1)
        spool = tmp_path / "data" / "spool"
        spooled = [p for sub in ("new", "cur") for p in (spool / sub).iterdir()]
        assert len(spooled) == 3, spooled  # spooled once each
        figures = desk.run("status", "--json").json()
        assert figures["state"] == "degraded", figures["reasons"]
        m = figures["imap"]["unmoved"]
        assert (m["uid"], m["message_id"], m["count"]) == (1, "<m1@c>", 3)
        [reason] = figures["reasons"]
        assert reason.startswith(
            "imap: 3 message(s) stored but not moved to Processed: [SERVERBUG] Internal error"
        ), reason
        assert f"(UID 1, Message-ID <m1@c>, since {m['since']}, " in reason
        r = desk.run("status")
        assert r.code == 1 and "3 message(s) not moved to Processed" in r.out, r.out
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext()
    warnings = [x for x in log.splitlines() if x.startswith("maild: WARNING: imap:")]
    assert len(warnings) == 3 and "UID 1 (Message-ID <m1@c>) is spooled" in warnings[0]
    assert "reconnecting" not in log and "duplicate of a message" not in log
    assert [len(sink.to(f"c{n}@x{n}.example")) for n in (1, 2, 3)] == [1, 1, 1]
    print(r.out)  # what an admin sees (pytest -s)


def test_status_is_healthy_again_once_the_server_moves_it(tmp_path, sink, server, monkeypatch):
    """`maild serve`'s IMAP poller (start_imap, its notes as in the daemon), each move
    tried again every 0.2 s (5 min in the daemon): degraded while the account is over
    its quota, healthy once the quota is raised and the message moved."""
    s = server(NO_MOVE + QUOTA % 2)
    info = s.info()
    append(info, USER, make_mail(sender="c1@x1.example", msgid="<q1@c>"))
    append(info, USER, make_mail(sender="c2@x2.example", msgid="<q2@c>"))
    imap_section = {"host": info["host"], "port": info["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap_section | {"username": USER, "password": "alicepw"})
    desk.make_store()  # (a read command would refuse; a listing makes none)
    root = tmp_path / "data"
    for name, value in PACE.items():  # (the reconnect after the restart, the stop)
        monkeypatch.setattr(imap, name, value)
    taken: list[bytes] = []
    stop = threading.Event()
    thread = start_imap(load(desk.config), taken.append, stop, move_retry=0.2)
    serving = StorageHold(root)  # as the daemon does: status sees it running
    try:
        status.mark(root, status.SCHEDULER_MARK)  # as the daemon's scheduler does
        figures = wait_for(
            lambda: (
                (f := desk.run("status", "--json").json())["imap"]["unmoved"]
                and f["imap"]["unmoved"]["count"] == 2
                and f
            ),
            60,
        )
        assert figures, "the messages not moved were not noted"
        assert figures["state"] == "degraded"
        assert "[OVERQUOTA]" in figures["reasons"][0]
        raise_quota(s, "messages=2")
        figures = wait_for(
            lambda: (f := desk.run("status", "--json").json())["imap"]["unmoved"] is None and f,
            60,
        )
        assert figures and figures["state"] == "healthy", figures
        assert len(messages(info, USER, "Processed")) == 2 and messages(info, USER) == {}
        assert len(taken) == 2
    finally:
        stop.set()
        thread.join(timeout=10)
        serving.release()
