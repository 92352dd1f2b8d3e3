"""MoveWatch's memory of the spooled messages it has not moved yet, round by round (the
moves themselves, against a real Dovecot: tests/integration/test_imap_unmoved.py,
test_imap_changed_under_it.py, test_imap_stopped.py): what a round fetches, which moves
are due, what `maild status` is told."""

from __future__ import annotations

import logging

import pytest
from imapclient import IMAPClient

from maild.adapters.imapmove import MoveWatch
from tests.unit.test_imapfetch import CFG

CAPS = frozenset({b"MOVE", b"UIDPLUS"})
FULL = IMAPClient.Error("move failed: [OVERQUOTA] Quota exceeded (mailbox for user is full)")
GONE = IMAPClient.Error(
    "UID MOVE failed: [EXPUNGEISSUED] Some of the requested messages no longer exist"
)


class Server:
    """A client whose MOVE raises `error`, or moves."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.moved: list[int] = []

    def move(self, uids: list[int], folder: str) -> None:
        if self.error is not None:
            raise self.error
        self.moved += uids


def _refused(retry: float, told: list[object]) -> MoveWatch:
    """A watch of a folder of UIDs 5 and 6, the server refusing the move of 5."""
    watch = MoveWatch(CFG, told.append, retry=retry)
    assert watch.order([5, 6], 1) == ([5, 6], [])
    assert not watch.move(Server(FULL), CAPS, 5, "<m5@x>")  # type: ignore[arg-type]
    return watch


def test_a_refused_move_is_tried_again_every_retry_seconds_not_every_round():
    """Rounds come at every IDLE wake-up: a refused move is tried again when its
    `retry` is up, not at each of them (the server's NO and its log line each time)."""
    assert _refused(300, []).order([5, 6], 1) == ([6], [])  # not fetched, not due yet
    assert _refused(0, []).order([5, 6], 1) == ([6], [5])  # due: tried again


def test_a_refused_message_gone_from_the_folder_is_forgotten_and_status_told():
    """Someone moved it out of the folder: `maild status` names it no more (it is no
    longer waiting), and nothing is left to try."""
    told: list[object] = []
    watch = _refused(300, told)
    assert isinstance(told[-1], dict) and told[-1]["uid"] == 5
    assert watch.order([6, 7], 1) == ([6, 7], [])
    assert told[-1] is None and watch.pause(60) == 60


@pytest.mark.parametrize(
    "error",
    [ConnectionResetError(104, "Connection reset by peer"), IMAPClient.AbortError("EOF")],
    ids=["socket", "abort"],
)
def test_a_move_the_connection_broke_is_remembered_spooled_not_fetched_again(error):
    """The message is spooled: the next round (on a new connection) moves it at once
    and never fetches it again, whichever way the connection broke (an OSError of the
    socket as an AbortError of imaplib), and it is no refusal for `maild status`."""
    told: list[object] = []
    watch = MoveWatch(CFG, told.append, retry=300)
    assert watch.order([5, 6], 1) == ([5, 6], [])
    with pytest.raises(type(error)):
        watch.move(Server(error), CAPS, 5, "<m5@x>")  # type: ignore[arg-type]
    assert watch.order([5, 6], 1) == ([6], [5])
    server = Server()
    watch.retry_due(server, CAPS, [5])  # type: ignore[arg-type]
    assert server.moved == [5] and watch.order([6], 1) == ([6], []) and told == []


class NoMoveServer:
    """A server without MOVE whose first STORE of \\Deleted answers NO: the COPY has
    been made by then."""

    def __init__(self) -> None:
        self.copied: list[int] = []
        self.expunged: list[int] = []
        self.refuse = 1

    def add_flags(self, uids: list[int], flags: list[bytes], silent: bool = False) -> object:
        if b"\\Deleted" in flags and self.refuse:
            self.refuse -= 1
            raise IMAPClient.Error("store failed: [SERVERBUG] Internal error occurred")
        return None if silent else {u: tuple(flags) for u in uids}

    def copy(self, uids: list[int], folder: str) -> None:
        self.copied += uids

    def uid_expunge(self, uids: list[int]) -> None:
        self.expunged += uids


def test_a_move_refused_after_its_copy_is_not_copied_again():
    """Without MOVE: the COPY to processed_folder worked, the \\Deleted after it was
    refused; the move tried again sets the flag and expunges, and processed_folder does
    not get the mail a second time."""
    watch = MoveWatch(CFG, None, retry=0)
    assert watch.order([5], 1) == ([5], [])
    server = NoMoveServer()
    assert not watch.move(server, frozenset({b"UIDPLUS"}), 5, "<m5@x>")  # type: ignore[arg-type]
    assert watch.order([5], 1) == ([], [5])
    watch.retry_due(server, frozenset({b"UIDPLUS"}), [5])  # type: ignore[arg-type]
    assert server.copied == [5] and server.expunged == [5]
    assert watch.order([], 1) == ([], [])


def test_a_message_expunged_by_someone_else_before_its_move_is_no_refusal(caplog):
    """RFC 5530 [EXPUNGEISSUED]: staff moved it out in webmail after it was spooled.
    Nothing is lost and nothing is left to move: no WARNING, no note to `maild status`,
    no try again."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    told: list[object] = []
    watch = MoveWatch(CFG, told.append, retry=0)
    assert watch.order([5], 1) == ([5], [])
    assert watch.move(Server(GONE), CAPS, 5, "<m5@x>")  # type: ignore[arg-type]
    assert told == [] and watch.order([5], 1) == ([5], [])
    assert all(r.levelno < logging.WARNING for r in caplog.records)
    assert "someone else moved or deleted it out of INBOX" in caplog.records[-1].getMessage()


def test_a_refused_message_someone_else_expunged_is_no_longer_told():
    """Its move refused (status degraded), then staff moved it out in webmail: at its
    next try the server answers [EXPUNGEISSUED]; `maild status` names it no more."""
    told: list[object] = []
    watch = _refused(0, told)
    assert watch.order([5, 6], 1) == ([6], [5])
    watch.retry_due(Server(GONE), CAPS, [5])  # type: ignore[arg-type]
    assert told[-1] is None and watch.pause(60) == 60
