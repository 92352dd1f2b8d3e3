"""The IMAP account changed under a connected poller, against a real Dovecot.

processed_folder deleted (the admin "empties" Processed in a mail client): every
MOVE (or COPY) answered "NO [TRYCREATE] Mailbox doesn't exist", the mail stayed in
the folder, status was degraded and the move was tried again every 5 min, failing for
as long as the connection lasted (the folder was only made at login). Now the folder is
created again and the move tried at once (RFC 3501: that is what TRYCREATE asks).

The polled folder deleted and made again (a new UIDVALIDITY): a new message with the
UID of one the server could not give before was passed by for 5 min, and then logged
as that old message "fetched now". Now what was known by the old UIDs is forgotten.

A connection that broke during a MOVE: the message was moved on the next connection
without a word in the log. Now that late move is logged as other late moves are.

A message staff moved out of the folder in webmail after the poller fetched it, before
its move (Dovecot answers "NO [EXPUNGEISSUED]"): it was taken for a refused move, a
WARNING said it "stays in INBOX" (it did not) and status was degraded for 5 min. Now
it is logged at INFO as taken away by someone else after it was spooled."""

from __future__ import annotations

import glob
import logging
import os

import pytest

from maild.adapters import imap
from maild.adapters.imap import PROCESSED_KEYWORD, ImapPoller
from tests.dovecot import append, connect, messages
from tests.helpers import Daemon, Desk, make_mail
from tests.integration import test_imap_unmoved as unmoved
from tests.integration.test_imap import USER, Inbox, config, make_raw
from tests.integration.test_imap_bye import FetchDisruptor, kick

# a Dovecot of the test's own, its folders changed under the poller, and the poller
# run in a thread (its timers paced): test_imap_unmoved's fixtures
server, polling = unmoved.server, unmoved.polling
NO_MOVE, NEITHER, wait_for = unmoved.NO_MOVE, unmoved.NEITHER, unmoved.wait_for


@pytest.mark.parametrize("conf", ["", NO_MOVE, NEITHER], ids=["move", "uidplus", "keyword"])
def test_a_processed_folder_deleted_while_connected_is_made_again_and_the_mail_moved(
    conf, server, polling, caplog
):
    caplog.set_level(logging.INFO, logger="maild.imap")
    info = server(conf).info()
    inbox, told, contacts = Inbox(), [], []
    poller = ImapPoller(
        config(info), inbox, unmoved=told.append, contact=lambda: contacts.append(1)
    )  # moves refused are tried again every 300 s: far beyond this test
    polling(poller)
    assert wait_for(lambda: contacts, timeout=10)  # logged in, Processed made, IDLE
    with connect(info, USER) as client:
        client.delete_folder("Processed")
    append(info, USER, make_raw(1))
    assert inbox.wait_for(1, timeout=10)
    assert wait_for(lambda: len(messages(info, USER, "Processed")) == 1, timeout=5)
    if conf == NEITHER:  # flagged, left in INBOX
        left = messages(info, USER)
        assert all(PROCESSED_KEYWORD in m["flags"] for m in left.values())
    else:  # without MOVE the copy comes first, then the flag and the expunge
        assert wait_for(lambda: messages(info, USER) == {}, timeout=5), messages(info, USER)
    assert all(note is None for note in told), told  # never "not moved"
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    [line] = loud
    assert line.startswith(
        "imap: Processed is gone from the server (someone deleted it): the move of UID 1 "
        "answers [TRYCREATE] Mailbox doesn't exist: Processed"
    ), line
    assert line.endswith("; creating it again and moving the message now"), line
    assert "imap: created folder Processed" in caplog.messages
    append(info, USER, make_raw(2))  # and the next one as ever
    assert inbox.wait_for(2, timeout=10)
    assert wait_for(lambda: len(messages(info, USER, "Processed")) == 2, timeout=5)


@pytest.mark.parametrize("conf", ["", NO_MOVE, NEITHER], ids=["move", "uidplus", "keyword"])
def test_a_deleted_processed_that_has_a_subfolder_is_made_again(conf, server, caplog):
    """Staff file old mail into Processed/2026, then delete Processed: Dovecot still
    LISTs it (\\HasChildren) though it does not exist, and each move answers
    [TRYCREATE]. The folder was not made again (LIST said it was there): no mail left
    INBOX again. Now the CREATE is sent whatever LIST says."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    info = server(conf).info()
    append(info, USER, make_raw(1))
    poller = ImapPoller(config(info), Inbox())
    try:
        assert poller.poll() == 1
        with connect(info, USER) as client:
            delim = client.list_folders()[0][1].decode()
            client.create_folder(f"Processed{delim}2026")
            client.delete_folder("Processed")
            assert client.folder_exists("Processed")  # listed, though gone
        append(info, USER, make_raw(2))
        assert poller.poll() == 1
        assert poller.moving.stored == {}  # moved, nothing left to try again
    finally:
        poller.close()
    [moved] = messages(info, USER, "Processed").values()
    assert moved["raw"] == make_raw(2)
    left = messages(info, USER)
    if conf == NEITHER:  # flagged, left in INBOX
        assert all(PROCESSED_KEYWORD in m["flags"] for m in left.values())
    else:
        assert left == {}
    assert "imap: created folder Processed" in caplog.messages


def test_serve_with_processed_deleted_makes_tickets_and_stays_healthy(tmp_path, sink, server):
    """`maild serve`: the admin deletes Processed; the mail that comes next becomes
    tickets and goes to Processed, made again, and `maild status` says nothing of mail
    not moved."""
    info = server().info()
    imap_section = {"host": info["host"], "port": info["port"], "ssl": False}
    desk = Desk(tmp_path, sink.port, imap=imap_section | {"username": USER, "password": "alicepw"})
    daemon = Daemon(desk, pace=unmoved.DAEMON_PACE).start()
    try:
        assert wait_for(lambda: "waiting for new mail with IDLE" in daemon.logtext(), 10)
        with connect(info, USER) as client:
            client.delete_folder("Processed")
        for n in (1, 2):
            append(info, USER, make_mail(sender=f"c{n}@x{n}.example", msgid=f"<pg{n}@c>"))
        assert wait_for(lambda: len(desk.tickets()) == 2, timeout=15), desk.tickets()
        assert wait_for(lambda: len(messages(info, USER, "Processed")) == 2, timeout=5)
        assert messages(info, USER) == {}
        figures = desk.run("status", "--json").json()
        assert figures["imap"]["unmoved"] is None
        assert not any("not moved" in r for r in figures["reasons"]), figures["reasons"]
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext()
    assert "is gone from the server (someone deleted it)" in log
    assert "does not move it" not in log


def test_a_new_folder_of_the_same_name_does_not_inherit_what_failed_by_uid(
    server, polling, caplog, monkeypatch
):
    """Support's UID 1 cannot be given (its file unreadable to Dovecot); Support is
    deleted and another folder, whose UID 1 is a new customer's mail, renamed to
    Support (a new UIDVALIDITY, and never an empty Support between): that mail is
    taken at once, not 5 min later, and no log line takes it for the old one."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    monkeypatch.setattr(imap, "BACKOFF_START", 0.1)  # the reconnect after the deletion
    info = server("imap_fetch_failure = no-after").info()
    with connect(info, USER) as client:
        client.create_folder("Support")
    append(info, USER, make_raw(1), "Support")
    [path] = glob.glob(f"{info['dir']}/mail/{USER}/Maildir/.Support/new/*")
    os.chmod(path, 0)
    inbox = Inbox()
    # Dovecot tells an IDLE on a folder deleted under it nothing: a new IDLE each second
    poller = ImapPoller(config(info, folder="Support"), inbox, fetch_retry=300, idle_timeout=1)
    polling(poller)
    assert wait_for(lambda: "imap: UID 1 in Support cannot be fetched" in caplog.text, 10)
    with connect(info, USER) as client:
        old = client.folder_status("Support", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        client.create_folder("Support2")
        client.append("Support2", make_raw(2))
        client.delete_folder("Support")
        client.rename_folder("Support2", "Support")
        new = client.folder_status("Support", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        assert new != old and client.select_folder("Support")[b"UIDNEXT"] == 2
    assert inbox.wait_for(1, timeout=10), "the new UID 1 was passed by"
    assert inbox.raws == [make_raw(2)]
    assert "could be fetched now" not in caplog.text
    assert "the UIDVALIDITY of Support changed: 1 message(s) the server could not give" in (
        caplog.text
    )


def test_a_move_the_connection_broke_is_logged_when_it_is_made(server, polling, caplog):
    """The connection ends (the admin kicks the user) after the message is spooled,
    as its MOVE goes out (a relay holds the MOVE back): the next connection moves it,
    and says so."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    s = server()
    info = s.info()
    append(info, USER, make_raw(1))
    relay = FetchDisruptor((s.host, s.port), lambda: kick(s), command=b"MOVE")
    try:
        inbox = Inbox()
        polling(ImapPoller(config(info, port=relay.port), inbox))
        moved = (
            "imap: UID 1 (Message-ID <msg1@example.org>) is moved to Processed now "
            "(the connection broke during its move)"
        )
        # (no connection of the test's own meanwhile: the kick would end it too)
        assert wait_for(lambda: moved in caplog.messages, timeout=10), caplog.messages
        assert relay.disrupted.is_set()
        assert inbox.raws == [make_raw(1)]  # not fetched again
        assert len(messages(info, USER, "Processed")) == 1 and messages(info, USER) == {}
    finally:
        relay.close()


@pytest.mark.parametrize("conf", ["", NO_MOVE, NEITHER], ids=["move", "uidplus", "keyword"])
def test_a_message_someone_else_moved_before_its_move_is_no_refusal(conf, server, caplog):
    caplog.set_level(logging.INFO, logger="maild.imap")
    info = server(conf).info()
    append(info, USER, make_raw(1))
    append(info, USER, make_raw(2))
    inbox, told = Inbox(), []

    def deliver(raw: bytes) -> None:
        inbox(raw)
        if raw == make_raw(1):  # staff drag it into a folder of their own meanwhile
            with connect(info, USER) as client:
                client.create_folder("Mine")
                client.select_folder("INBOX")
                client.copy([1], "Mine")  # as MOVE does (not offered in every case)
                client.delete_messages([1])
                client.expunge()

    poller = ImapPoller(config(info), deliver, unmoved=told.append)
    try:
        assert poller.poll() == 2
        assert poller.poll() == 0  # neither is fetched again
    finally:
        poller.close()
    assert inbox.raws == [make_raw(1), make_raw(2)]
    assert [m["raw"] for m in messages(info, USER, "Mine").values()] == [make_raw(1)]
    assert [m["raw"] for m in messages(info, USER, "Processed").values()] == [make_raw(2)]
    assert all(note is None for note in told), told  # status never degraded
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
    [gone] = [m for m in caplog.messages if "someone else moved or deleted it" in m]
    # (without MOVE the flag MOVING_KEYWORD goes first: its STORE finds the UID gone)
    # (with MOVE both go by one UID MOVE, once the FETCH of the second told of the
    # EXPUNGE: the UID SEARCH before it finds UID 1 gone)
    answer = (
        "it was not in the folder at its batch's MOVE"
        if not conf
        else "UID STORE with no message: the UID is gone"
    )
    assert gone.startswith(
        "imap: UID 1 (Message-ID <msg1@example.org>) was spooled, and then someone else "
        f"moved or deleted it out of INBOX (the server answers {answer}"
    ), gone
    assert gone.endswith("): nothing is left to move"), gone
    assert "imap: delivered UID 2 (Message-ID <msg2@example.org>)" in caplog.messages
