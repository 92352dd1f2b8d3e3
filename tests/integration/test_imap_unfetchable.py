"""A message the IMAP server cannot give, against a real Dovecot: its Maildir file made
unreadable to Dovecot's mail user (as a corrupt item is on Gmail or Exchange). It held
up all the mail after it for ever: each round began again with it, failed, and
reconnected. Now the mail after it is taken, it stays in the folder untouched and is
tried again, it is logged once, `maild status` names it while it keeps failing, and
it is taken once the server can give it."""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from maild import status
from maild.adapters import imap
from maild.adapters.imap import PROCESSED_KEYWORD, ImapPoller
from maild.config import load
from maild.serving import start_imap
from tests.dovecot import DovecotServer, append, connect, require_dovecot
from tests.helpers import Daemon, Desk, StorageHold, make_mail
from tests.integration.test_imap import USER, Inbox, Running, config, make_raw
from tests.integration.test_imap_unmoved import DAEMON_PACE, PACE, wait_for

# Dovecot's two answers to the FETCH of a file it cannot read: by default BYE (and the
# connection closed), with imap_fetch_failure = no-after a tagged NO (as Gmail's "NO
# Some messages could not be FETCHed")
ANSWERS = [
    ("", "BYE FETCH failed: Internal error occurred."),
    ("imap_fetch_failure = no-after", "[SERVERBUG] Internal error occurred."),
]


@pytest.fixture
def server() -> Any:
    """A Dovecot of the test's own (its mail files are changed under it), started."""
    require_dovecot()
    made: list[DovecotServer] = []

    def start(extra_conf: str = "") -> dict[str, Any]:
        made.append(DovecotServer(extra_conf))
        made[-1].start()
        return made[-1].info()

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


def append_unreadable(info: dict[str, Any], raw: bytes) -> tuple[int, Callable[[], None]]:
    """APPEND `raw` to INBOX and make its file unreadable to Dovecot (its mail user is
    not root); its UID, and what makes it readable again."""
    maildir = f"{info['dir']}/mail/{USER}/Maildir"
    before = set(glob.glob(f"{maildir}/new/*"))
    uid = append(info, USER, raw)
    [path] = set(glob.glob(f"{maildir}/new/*")) - before
    os.chmod(path, 0)
    name = glob.escape(os.path.basename(path))

    def repair() -> None:  # (Dovecot moves it to cur/ and adds flags to its name)
        for p in glob.glob(f"{maildir}/*/{name}*"):
            os.chmod(p, 0o600)

    assert uid is not None
    return uid, repair


def flags(info: dict[str, Any], folder: str = "INBOX") -> dict[int, tuple]:
    """{uid: flags} of `folder`: the flags are in Dovecot's index, the file is not read."""
    with connect(info, USER) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        return {u: d[b"FLAGS"] for u, d in client.fetch(uids, ["FLAGS"]).items()} if uids else {}


@pytest.mark.parametrize("conf, answer", ANSWERS, ids=["bye", "no"])
def test_the_mail_after_a_message_the_server_cannot_give_is_taken(
    conf, answer, server, polling, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="maild.imap")
    monkeypatch.setattr(imap, "BACKOFF_START", 0.1)  # the reconnect after a BYE
    info = server(conf)
    bad, repair = append_unreadable(info, make_raw(1))
    for n in (2, 3, 4):
        append(info, USER, make_raw(n))
    inbox = Inbox()
    told: list[Any] = []
    poller = ImapPoller(config(info), inbox, fetch_retry=0.3, unfetched=told.append)
    r = polling(poller)
    assert inbox.wait_for(3, timeout=5), inbox.raws
    assert inbox.raws == [make_raw(2), make_raw(3), make_raw(4)]
    # tried again and failed again: now status is told
    assert wait_for(lambda: told and told[-1] is not None, timeout=5), told
    note = told[-1]
    assert (note["uid"], note["folder"], note["count"]) == (bad, "INBOX", 1)
    assert note["answer"].startswith(answer) and note["pid"] == os.getpid()
    [(uid, kept)] = flags(info).items()  # still there, untouched
    assert uid == bad and not {b"\\Seen", b"\\Deleted", PROCESSED_KEYWORD} & set(kept)
    assert len(flags(info, "Processed")) == 3

    logged = [rec for rec in caplog.records if rec.name == "maild.imap"]
    loud = [rec.getMessage() for rec in logged if rec.levelno >= logging.WARNING]
    if answer.startswith("BYE"):
        # the first BYE may be a restart of the server (test_imap_bye.py): the
        # connection ended; the message is blamed when its FETCH ends the next one too
        ended = loud.pop(0)
        assert ended.startswith("imap: the connection to 127.0.0.1 ended: the server said ")
        assert f"BYE in answer to the FETCH of UID {bad}: FETCH failed" in ended
    assert len(loud) == 1, loud  # once, not each try (nor "reconnecting in" after a BYE)
    assert loud[0].startswith(
        f"imap: UID {bad} in INBOX cannot be fetched: the server answers: {answer}"
    )
    assert "it stays there untouched, the mail after it is taken" in loud[0]
    assert any("still cannot be fetched" in rec.getMessage() for rec in logged)

    repair()  # the server can give it now: taken at its next try
    assert inbox.wait_for(4, timeout=5), len(inbox.raws)
    assert inbox.raws[3] == make_raw(1)
    assert wait_for(lambda: told[-1] is None, timeout=5)
    assert wait_for(lambda: flags(info) == {}, timeout=5)
    r.stop()
    assert len(flags(info, "Processed")) == 4
    assert any(f"UID {bad} in INBOX could be fetched now" in m for m in caplog.messages)


def test_several_messages_the_server_cannot_give_cost_a_reconnect_each(
    server, polling, caplog, monkeypatch
):
    """Six unreadable files (a botched restore), then a customer's mail: Dovecot's BYE
    to the first FETCH of each grew the back-off, 1, 2, 4 ... 32 s (68 s before the new
    mail was taken; 10 of them 13.5 min), and the suspect was fetched again before the
    newer mail. Now each BYE costs one reconnect after BACKOFF_START (1 s in the
    daemon, 0.1 s here), and a suspect is fetched after the newer mail."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    monkeypatch.setattr(imap, "BACKOFF_START", 0.1)
    info = server()
    bad = [append_unreadable(info, make_raw(n))[0] for n in range(1, 7)]
    append(info, USER, make_raw(99))  # a customer writes
    inbox = Inbox()
    # how many were blamed when contact was told: the round that took the new mail
    # ended with the next BYE, and it is contact (status must not turn failing)
    contacts: list[int] = []
    poller = ImapPoller(
        config(info),
        inbox,
        backoff_max=60,
        contact=lambda: contacts.append(len(poller.fetching.failing)),
    )
    started = time.monotonic()
    polling(poller)
    assert inbox.wait_for(1, timeout=30)
    took = time.monotonic() - started
    assert inbox.raws == [make_raw(99)]
    assert wait_for(lambda: sorted(poller.fetching.failing) == bad, timeout=10)
    waits = [m.rsplit("reconnecting in ", 1)[1] for m in caplog.messages if "reconnecting in" in m]
    assert waits == ["0.1 s"] * 6, waits  # one per message's first BYE, none grown
    assert took < 4, took  # 6 reconnects (was 6.3 s of back-off alone here)
    assert [n for n in contacts if 0 < n < 6], contacts


def test_serve_makes_tickets_of_the_mail_after_one_the_server_cannot_give(tmp_path, sink, server):
    """`maild serve`: 4 mails, the first unreadable to Dovecot: the 3 others become
    tickets (there were none), the first stays in INBOX; readable again, it is taken
    at its next try (a restart tries it at once)."""
    info = server()
    bad, repair = append_unreadable(info, make_mail(sender="c1@x1.example", msgid="<bad@c>"))
    for n in (2, 3, 4):
        append(info, USER, make_mail(sender=f"c{n}@x{n}.example", msgid=f"<ok{n}@c>"))
    imap_section = {"host": info["host"], "port": info["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap_section | {"username": USER, "password": "alicepw"})
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        tickets = wait_for(lambda: len(desk.tickets()) == 3 and desk.tickets(), timeout=10)
        assert tickets, desk.tickets()
        ids = {t["messages"][0]["message_id"] for t in tickets}
        assert ids == {"<ok2@c>", "<ok3@c>", "<ok4@c>"}
        assert wait_for(lambda: len(flags(info, "Processed")) == 3, timeout=5)
        assert list(flags(info)) == [bad]
    finally:
        assert daemon.stop() == 0
    errors = [x for x in daemon.logtext().splitlines() if x.startswith("maild: ERROR: imap:")]
    assert len(errors) == 1 and f"UID {bad} in INBOX cannot be fetched" in errors[0], errors
    print(errors[0])  # what an admin sees (pytest -s)

    repair()
    daemon = Daemon(desk, pace=DAEMON_PACE).start()
    try:
        assert wait_for(lambda: len(desk.tickets()) == 4, timeout=10)
        assert wait_for(lambda: flags(info) == {}, timeout=5)
    finally:
        assert daemon.stop() == 0


def test_status_is_degraded_while_a_message_keeps_failing_and_names_it(
    tmp_path, sink, server, monkeypatch
):
    """`maild serve`'s IMAP poller (start_imap, its notes as in the daemon), tries
    every 0.2 s (5 min in the daemon): after the second failure `maild status` is
    degraded naming the UID, the folder, since when and the server's answer; once the
    message is taken, no more."""
    info = server()
    bad, repair = append_unreadable(info, make_mail(sender="c1@x1.example", msgid="<bad@c>"))
    append(info, USER, make_mail(sender="c2@x2.example", msgid="<ok2@c>"))
    imap_section = {"host": info["host"], "port": info["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap_section | {"username": USER, "password": "alicepw"})
    desk.make_store()  # (a read command would refuse; a listing makes none)
    root = tmp_path / "data"
    for name, value in PACE.items():  # (the reconnect after a BYE, the stop)
        monkeypatch.setattr(imap, name, value)
    taken: list[bytes] = []
    stop = threading.Event()
    thread = start_imap(load(desk.config), taken.append, stop, fetch_retry=0.2)
    serving = StorageHold(root)  # as the daemon does: status sees it running
    try:
        status.mark(root, status.SCHEDULER_MARK)  # as the daemon's scheduler does
        figures = wait_for(
            lambda: (f := desk.run("status", "--json").json())["imap"]["unfetchable"] and f, 10
        )
        assert figures, "the message that keeps failing was not noted"
        u = figures["imap"]["unfetchable"]
        assert (u["uid"], u["folder"], u["count"], u["pid"]) == (bad, "INBOX", 1, os.getpid())
        assert u["age"] >= 0
        assert figures["state"] == "degraded", figures["reasons"]
        [reason] = figures["reasons"]
        assert reason.startswith(
            f"imap: 1 message(s) in INBOX cannot be fetched from the server (UID {bad} fails "
            f"since {u['since']}, "
        )
        assert "Internal error occurred" in reason and "tried again every 0.2 s" in reason
        r = desk.run("status")
        assert r.code == 1 and "1 message(s) cannot be fetched" in r.out, r.out
        assert len(taken) == 1

        repair()
        assert wait_for(
            lambda: desk.run("status", "--json").json()["imap"]["unfetchable"] is None, 10
        )
        assert wait_for(lambda: len(taken) == 2, 5)
    finally:
        stop.set()
        thread.join(timeout=10)
        serving.release()
    print(r.out)  # what an admin sees (pytest -s)
