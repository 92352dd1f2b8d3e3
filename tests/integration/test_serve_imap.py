"""`maild serve` against a real Dovecot mailbox, and its scheduler at start."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maild import status
from maild.adapters import imap as imap_adapter
from maild.app import App
from maild.config import load
from maild.runner import ingest
from maild.serving import start_imap
from tests.dovecot import append, messages, reset_mailbox
from tests.faults.fs import read_only
from tests.helpers import Daemon, Desk, dead_port, make_mail

MSK = ZoneInfo("Europe/Moscow")
# The IMAP poller's timers these tests wait on and are not about, shorter: a stop is
# seen in IDLE within IDLE_SLICE (1 s), a failed round is tried again after
# BACKOFF_START, doubling (1, 2, 4 s).
PACE = {"IDLE_SLICE": 0.1, "BACKOFF_START": 0.1}
DAEMON_PACE = {f"maild.adapters.imap.{name}": value for name, value in PACE.items()}


def _desk_time(iso: str) -> str:
    """A time of run/ (UTC) as `maild status`'s text gives it: in the desk's zone."""
    return datetime.fromisoformat(iso).astimezone(MSK).isoformat("T", "seconds")


def wait_until(pred, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    return pred()


def test_serve_polls_imap_then_moves_mail_to_processed(tmp_path, sink, dovecot):
    reset_mailbox(dovecot, "alice")
    append(dovecot, "alice", make_mail(msgid="<imap-1@client.example>"))
    desk = Desk(
        tmp_path,
        sink.port,
        imap={
            "host": dovecot["host"],
            "port": dovecot["port"],
            "ssl": False,
            "username": "alice",
            "password": dovecot["users"]["alice"],
            "poll_interval": 1,
        },
    )
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        assert wait_until(lambda: desk.tickets())
        append(dovecot, "alice", make_mail(sender="petr@x.example", msgid="<imap-2@c.example>"))
        tickets = wait_until(lambda: len(desk.tickets()) == 2 and desk.tickets())
        ids = {t["messages"][0]["message_id"] for t in tickets}
        assert ids == {"<imap-1@client.example>", "<imap-2@c.example>"}
        assert wait_until(lambda: len(messages(dovecot, "alice", "Processed")) == 2)
        assert messages(dovecot, "alice", "INBOX") == {}
        assert wait_until(lambda: len(sink.to("ivan@shop-example.ru")) == 1)
    finally:
        assert daemon.stop() == 0
    assert "delivered UID" in daemon.logtext()


def test_serve_sends_what_fell_due_while_it_was_down(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    past = datetime(2026, 11, 2, 10, 0, tzinfo=MSK)  # long overdue by now
    _, decision = ingest(App(load(desk.config), clock=lambda: past), make_mail())
    daemon = Daemon(desk).start()
    try:
        esc = wait_until(
            lambda: [r for r in sink.to("head@example.com") if "Просрочена" in r.subject]
        )
        assert esc and f"[TID#{decision.tid}]" in esc[0].subject
    finally:
        daemon.stop()
    # a restart sends nothing twice
    daemon = Daemon(desk).start()
    try:
        time.sleep(1.5)
    finally:
        daemon.stop()
    assert len([r for r in sink.to("head@example.com") if "Просрочена" in r.subject]) == 1
    assert len([r for r in sink.to("anna@example.com") if "Напоминание" in r.subject]) == 1


def test_a_refused_imap_login_is_said_in_the_log_and_by_status(tmp_path, sink, dovecot):
    """Wrong credentials: one ERROR line with host, user and the server's answer as
    text, no quick retries, and `maild status` says the login is refused (it said
    only "no contact with the server lately")."""
    imap = {"host": dovecot["host"], "port": dovecot["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap | {"username": "alice", "password": "wrong"})
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        r = wait_until(lambda: (r := desk.run("status")) and "login refused" in r.out and r)
        assert r.code == 2
        time.sleep(0.5)  # a back-off of 0.1, 0.2 s would have tried twice more by now
        figures = desk.run("status", "--json").json()
    finally:
        assert daemon.stop() == 0
    refused = figures["imap"]["login_refused"]
    assert refused["user"] == "alice" and refused["port"] == dovecot["port"]
    assert refused["answer"] == "[AUTHENTICATIONFAILED] Authentication failed."
    reason = f"imap: the server 127.0.0.1:{dovecot['port']} refuses the login of alice: "
    assert any(x.startswith(reason + refused["answer"]) for x in figures["reasons"])
    log = daemon.logtext()
    errors = [line for line in log.splitlines() if line.startswith("maild: ERROR: imap:")]
    assert len(errors) == 1 and reason + refused["answer"] in errors[0], log
    assert "b'" not in log and "Connection closed" not in log
    assert log.count("imap: connecting to") == 1, log
    print(r.out, errors[0], sep="\n")  # what an admin sees (pytest -s)


def test_mail_the_spool_cannot_take_waits_on_the_server_and_status_says_why(
    tmp_path, sink, dovecot
):
    """The spool is read-only while mail waits in the mailbox: the mail stays in INBOX
    (nothing in Processed) and `maild status` is failing naming the spool's error (it
    said "healthy", then after 15 min blamed the connection to the server); once the
    spool is writable each message becomes one ticket and one confirmation."""
    reset_mailbox(dovecot, "alice")
    imap = {"host": dovecot["host"], "port": dovecot["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap | {"username": "alice", "password": "alicepw"})
    spool = tmp_path / "data" / "spool"
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        with read_only(spool):
            for n in (1, 2):
                append(dovecot, "alice", make_mail(sender=f"c{n}@x{n}.example", msgid=f"<ro{n}@c>"))
            # the spool's reason, not another one of a daemon just started (its first
            # scheduler run, with the day's report, may still be under way)
            r = wait_until(
                lambda: (r := desk.run("status")) and r.code == 2 and "be spooled" in r.out and r
            )
            figures = desk.run("status", "--json").json()
            assert len(messages(dovecot, "alice", "INBOX")) == 2
            assert messages(dovecot, "alice", "Processed") == {}
        stalled = figures["imap"]["spool_failing"]
        assert "Read-only file system" in stalled["error"] and stalled["pid"] == daemon.proc.pid
        assert any(
            x.startswith("imap: mail waits on the server: it cannot be spooled")
            and "Read-only file system" in x
            for x in figures["reasons"]
        ), figures["reasons"]
        assert not any("no contact" in x for x in figures["reasons"])
        assert wait_until(lambda: len(desk.tickets()) == 2)
        assert wait_until(lambda: len(messages(dovecot, "alice", "Processed")) == 2)
        assert messages(dovecot, "alice", "INBOX") == {}
        assert wait_until(
            lambda: desk.run("status", "--json").json()["imap"]["spool_failing"] is None
        )
        time.sleep(1)
        assert [len(sink.to(f"c{n}@x{n}.example")) for n in (1, 2)] == [1, 1]
    finally:
        assert daemon.stop() == 0
    assert "it stays on the server" in daemon.logtext()
    print(r.out)  # what an admin sees (pytest -s)


def test_status_sees_contact_and_the_backlog_while_a_long_imap_round_delivers(
    tmp_path, sink, dovecot, monkeypatch
):
    """`maild serve`'s IMAP poller (start_imap, its notes as in the daemon) over a
    backlog, each message taking 30 ms to spool and contact noted every 0.2 s (1 min
    in the daemon): while the round runs, `maild status` shows a fresh contact and how
    many messages the round still has to take; once it ends, no backlog."""
    reset_mailbox(dovecot, "alice")
    total = 40
    for n in range(total):
        append(dovecot, "alice", make_mail(sender=f"c{n}@x.example", msgid=f"<bl{n}@c>"))
    imap = {"host": dovecot["host"], "port": dovecot["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap | {"username": "alice", "password": "alicepw"})
    desk.make_store()  # (a read command would refuse; a listing makes none)
    taken: list[bytes] = []
    for name, value in PACE.items():  # (the stop)
        monkeypatch.setattr(imap_adapter, name, value)

    def slow_spool(raw: bytes) -> None:
        time.sleep(0.03)
        taken.append(raw)

    stop = threading.Event()
    thread = start_imap(load(desk.config), slow_spool, stop, contact_every=0.2)
    try:
        figures = wait_until(
            lambda: (f := desk.run("status", "--json").json())["imap"]["backlog"] and f, 10
        )
        assert figures, "no backlog was noted during the round"
        backlog = figures["imap"]["backlog"]
        assert 0 < backlog["left"] < total and backlog["total"] == total
        assert backlog["pid"] == os.getpid()
        assert figures["imap"]["age"] < 1
        text = desk.run("status").out
        began = _desk_time(backlog["since"])  # the text's times are the desk's
        assert f"message(s) left (the round began {began})" in text, text
        assert wait_until(lambda: len(taken) == total)
        figures = wait_until(
            lambda: (f := desk.run("status", "--json").json())["imap"]["backlog"] is None and f
        )
        assert figures and figures["imap"]["age"] < 5
        assert "taking a backlog" not in desk.run("status").out
    finally:
        stop.set()
        thread.join(timeout=10)
    print(text)  # what an admin sees (pytest -s)


def test_a_mailbox_maild_cannot_read_for_15_minutes_is_told_to_head_and_staff_once(
    tmp_path, sink, dovecot
):
    """A password changed on the server (or a token that expired) stops the intake
    with no other sign than the log and `maild status`: after status.IMAP_STALE the
    head and staff get one mail saying so, with the server's answer."""
    imap = {
        "host": dovecot["host"],
        "port": dovecot["port"],
        "ssl": False,
        "username": "alice",
        "password": "changed-on-the-server",
        "poll_interval": 1,
    }
    desk = Desk(tmp_path, sink.port, imap=imap)
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: "refuses the login of alice" in daemon.logtext())
        soon = datetime.now(MSK).replace(microsecond=0)
        assert desk.run("jobs", "run", "--now", soon.isoformat()).code == 0
        later = (soon + timedelta(minutes=16)).isoformat()
        for _ in range(2):  # once per outage
            assert desk.run("jobs", "run", "--now", later).code == 0
        desk.flush()
        alerts = [m for m in sink.received if "не забираются из ящика alice" in m.subject]
        assert sorted(a for m in alerts for a in m.rcpt_tos) == [
            "anna@example.com",
            "boris@example.com",
            "head@example.com",
        ]
        assert "Сервер не принимает вход: [AUTHENTICATIONFAILED]" in alerts[0].text
    finally:
        assert daemon.stop() == 0
    # with the daemon stopped, nothing is being tried: no alert of a "new" outage
    assert desk.run("jobs", "run", "--now", later).code == 0
    desk.flush()
    assert len([m for m in sink.received if "не забираются" in m.subject]) == 3


def test_a_mailbox_server_out_of_reach_for_15_minutes_is_told_once(tmp_path, sink):
    imap = {"host": "127.0.0.1", "port": dead_port(), "ssl": False, "username": "alice"}
    desk = Desk(tmp_path, sink.port, imap={**imap, "password": "x", "poll_interval": 1})
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: "imap: ConnectionRefusedError" in daemon.logtext())
        later = (datetime.now(MSK) + timedelta(minutes=16)).replace(microsecond=0)
        assert desk.run("jobs", "run", "--now", later.isoformat()).code == 0
        desk.flush()
        [alert] = [m for m in sink.to("head@example.com") if "не забираются" in m.subject]
        assert "Связи с сервером нет" in alert.text and "journalctl -u maild" in alert.text
    finally:
        assert daemon.stop() == 0


def _refused(dovecot):
    return {"port": dead_port()}, "ConnectionRefusedError: [Errno 111] Connection refused"


def _no_folder(dovecot):
    return {"port": dovecot["port"], "folder": "Nope"}, "the folder 'Nope' does not exist on"


def _untrusted(dovecot):
    imap = {"port": dovecot["ssl_port"], "ssl": True, "verify_tls": True}
    return imap, "the certificate of 127.0.0.1 is not trusted (self-signed certificate)"


@pytest.mark.parametrize("cause", [_refused, _no_folder, _untrusted], ids=lambda c: c.__name__)
def test_status_names_why_the_imap_server_cannot_be_read(tmp_path, sink, dovecot, cause):
    """`maild status` said "no contact with the server lately (see the log)" whatever
    the cause, while the log knew it: now it names the last failure, with its time
    (`--json`: imap.last_error), as the log says it."""
    settings, said = cause(dovecot)
    imap = {"host": "127.0.0.1", "ssl": False, "username": "alice", "password": "alicepw"}
    desk = Desk(tmp_path, sink.port, imap=imap | settings)
    daemon = Daemon(desk).start()
    try:
        figures = wait_until(
            lambda: (f := desk.run("status", "--json").json())["imap"]["last_error"] and f
        )
        r = desk.run("status")
        pid = daemon.proc.pid
    finally:
        assert daemon.stop() == 0
    failed = figures["imap"]["last_error"]
    assert failed["error"].startswith(said) and failed["pid"] == pid, failed
    assert 0 <= failed["age"] < 20 and failed["at"] <= datetime.now(UTC).isoformat()
    reason = f"imap: no contact with the server lately; the last try failed {failed['age']:.0f}"
    [named] = [x for x in figures["reasons"] if x.startswith("imap:")]
    assert named.startswith(reason) and f"(at {failed['at']}): {said}" in named, named
    assert r.code == 2 and f"(at {_desk_time(failed['at'])}): {said}" in r.out, r.out
    assert f"imap: {failed['error']}; reconnecting in" in daemon.logtext()  # the same words
    print(r.out)  # what an admin sees (pytest -s)


def test_a_new_serve_shows_none_of_the_imap_troubles_an_earlier_run_noted(tmp_path, sink):
    """The notes of an earlier run's poller (here an older version's, which name no
    pid and so count while they are there): a login refused (the password changed
    since), mail the spool refused, a backlog, a message the server would not give or
    that could not be moved, a failed round. The new poller starts with none of them:
    `maild status` shows none, and the jobs tell head and staff of no refusal this run
    never met (the old one's time made it 15 minutes old at once)."""
    imap = {"host": "127.0.0.1", "port": dead_port(), "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap | {"username": "alice", "password": "new"})
    desk.make_store()
    root, since = tmp_path / "data", "2026-12-01T08:00:00+00:00"
    earlier = {
        status.IMAP_REFUSED: {"since": since, "host": "127.0.0.1", "port": 143,
                              "user": "alice", "answer": "[AUTHENTICATIONFAILED]"},
        status.IMAP_STALLED: {"since": since, "uid": 7, "error": "No space left on device"},
        status.IMAP_BACKLOG: {"since": since, "left": 3, "total": 40},
        status.IMAP_UNFETCHED: {"since": since, "folder": "INBOX", "uid": 8, "answer": "NO",
                                "retry": 60, "count": 2},
        status.IMAP_UNMOVED: {"since": since, "folder": "INBOX", "processed_folder": "Processed",
                              "uid": 9, "message_id": "<m@c>", "answer": "NO", "retry": 60,
                              "count": 2},
        status.IMAP_FAILED: {"at": since, "error": "Connection refused"},
    }  # fmt: skip
    for name, record in earlier.items():
        status.note(root, name, record)
    keys = ("login_refused", "spool_failing", "backlog", "unfetchable", "unmoved", "last_error")
    shown = desk.run("status", "--json").json()["imap"]
    assert all(shown[k] for k in keys), shown  # (as they were, before the new start)
    stop = threading.Event()
    stop.set()  # (no round: the notes at the start alone)
    start_imap(load(desk.config), lambda raw: None, stop).join(timeout=10)
    shown = desk.run("status", "--json").json()["imap"]
    assert [k for k in keys if shown[k]] == [], shown
    assert desk.run("jobs", "run").code == 0 and desk.flush().code == 0
    assert sink.to("head@example.com") == [], [m.subject for m in sink.received]


def test_a_note_edited_by_hand_is_said_as_it_stands_not_a_traceback(tmp_path, sink):
    """A note of the poller's whose retry or age is no number (edited by hand: "60 s")
    made `maild status` a ValueError traceback («Unknown format code 'g'»)."""
    imap = {"host": "127.0.0.1", "port": dead_port(), "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap | {"username": "alice", "password": "p"})
    desk.make_store()
    root, since = tmp_path / "data", "2026-12-01T08:00:00+00:00"
    status.note(
        root,
        status.IMAP_UNFETCHED,
        {"since": since, "folder": "INBOX", "uid": 8, "answer": "NO", "retry": "60 s", "count": 2},
    )
    status.note(
        root,
        status.IMAP_UNMOVED,
        {
            "since": since,
            "folder": "INBOX",
            "uid": 9,
            "processed_folder": "Processed",
            "answer": "NO",
            "message_id": "<m@c>",
            "retry": [60],
            "count": 2,
        },
    )
    status.note(root, status.IMAP_FAILED, {"at": since, "error": "Connection refused"})  # fmt: skip
    r = desk.run("status")
    assert r.code in (1, 2) and "Traceback" not in r.err, r
    assert "tried again every 60 s s" in r.out and "again every [60] s" in r.out, r.out
