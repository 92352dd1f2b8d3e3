"""A backlog in the polled folder, against a real Dovecot: its spooled messages are
moved to processed_folder by one UID MOVE per batch, not one each. Dovecot on Maildir
spends on each MOVE time that grows with the folder: 5,000 messages waiting cost
0.5 s a MOVE, so the first round over them took about 40 minutes (3 ms a message
when moved 50 at a time)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from imapclient import IMAPClient

from maild.adapters import imap
from maild.adapters.imap import ImapPoller
from tests.dovecot import append, connect, messages, reset_mailbox
from tests.integration.test_imap import USER, Inbox, config, make_raw


@pytest.fixture
def mailbox(dovecot: dict[str, Any]) -> dict[str, Any]:
    reset_mailbox(dovecot, USER)
    return dovecot


@pytest.fixture
def moves(monkeypatch) -> list[list[int]]:
    """The UIDs of each MOVE to Processed (the poller's)."""
    sent: list[list[int]] = []
    real = IMAPClient.move

    def move(self: IMAPClient, uids: list[int], folder: str) -> Any:
        if folder == "Processed":
            sent.append(list(uids))
        return real(self, uids, folder)

    monkeypatch.setattr(IMAPClient, "move", move)
    return sent


def test_a_backlog_is_moved_by_one_move_per_batch_each_message_once(mailbox, moves, caplog):
    caplog.set_level(logging.INFO, "maild.imap")
    total = 2 * imap.MOVE_BATCH + 7
    with connect(mailbox, USER) as client:
        for n in range(total):
            client.append("INBOX", make_raw(n))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox), inbox)
    try:
        assert poller.poll() == total
        assert poller.poll() == 0
    finally:
        poller.close()
    assert sorted(inbox.raws) == sorted(make_raw(n) for n in range(total))
    assert [len(m) for m in moves] == [imap.MOVE_BATCH, imap.MOVE_BATCH, 7]
    assert messages(mailbox, USER) == {}
    assert sorted(m["raw"] for m in messages(mailbox, USER, "Processed").values()) == sorted(
        make_raw(n) for n in range(total)
    )
    delivered = [r.getMessage() for r in caplog.records if "delivered UID" in r.getMessage()]
    assert len(delivered) == total
    assert "(Message-ID <msg0@example.org>)" in delivered[0]


def _staff_take(mailbox: dict[str, Any], uids: list[int]) -> None:
    """Staff drag these messages of INBOX into a folder of their own (Mine), in a
    session of their own."""
    with connect(mailbox, USER) as other:
        other.create_folder("Mine")
        other.select_folder("INBOX")
        other.move(uids, "Mine")


@pytest.mark.parametrize(
    "seen, answer",
    [
        (False, "[EXPUNGEISSUED] Some of the requested messages no longer exist"),
        (True, "it was not in the folder at its batch's MOVE"),  # its EXPUNGE was told
    ],
)
def test_a_message_of_a_batch_someone_else_took_away_holds_up_no_other(
    mailbox, moves, caplog, seen, answer
):
    """Staff drag one of the batch into a folder of their own after maild spooled it:
    Dovecot refuses the batch's MOVE (then each still there is moved on its own), or,
    once it told the poller's session of the EXPUNGE, moves the others; either way that
    one is said to be gone, not "delivered", and none is spooled twice."""
    caplog.set_level(logging.INFO, "maild.imap")
    uids = [append(mailbox, USER, make_raw(n)) for n in range(3)]
    inbox = Inbox()

    def deliver(raw: bytes) -> None:
        inbox(raw)
        if len(inbox.raws) == 3:  # all spooled, none moved yet
            _staff_take(mailbox, [uids[1]])
            if seen:
                assert poller._client is not None
                poller._client.noop()

    poller = ImapPoller(config(mailbox), deliver)
    try:
        assert poller.poll() == 3
        assert poller.poll() == 0
    finally:
        poller.close()
    assert len(inbox.raws) == 3
    assert moves[0] == (uids if not seen else [uids[0], uids[2]])  # (gone: looked for first)
    assert messages(mailbox, USER) == {}
    assert sorted(m["raw"] for m in messages(mailbox, USER, "Processed").values()) == [
        make_raw(0),
        make_raw(2),
    ]
    assert [m["raw"] for m in messages(mailbox, USER, "Mine").values()] == [make_raw(1)]
    text = caplog.text
    [gone] = [m for m in caplog.messages if "someone else moved or deleted it" in m]
    assert gone.startswith(
        f"imap: UID {uids[1]} (Message-ID <msg1@example.org>) was spooled, and then someone "
        f"else moved or deleted it out of INBOX (the server answers {answer}"
    ), gone
    assert gone.endswith("): nothing is left to move"), gone
    assert f"delivered UID {uids[1]} " not in text
    assert f"delivered UID {uids[2]} (Message-ID <msg2@example.org>)" in text


def test_a_batch_someone_else_took_away_whole_is_no_failed_round(mailbox, moves, caplog):
    """Staff drag every message of a batch into a folder of their own after maild
    spooled them: each is said to be gone, and no UID MOVE of no message is sent (RFC
    3501 has no empty set of UIDs: Dovecot lets it pass, a stricter server answers BAD
    and the round would end as a failure)."""
    caplog.set_level(logging.INFO, "maild.imap")
    uids = [append(mailbox, USER, make_raw(n)) for n in range(2)]
    inbox = Inbox()

    def deliver(raw: bytes) -> None:
        inbox(raw)
        if len(inbox.raws) == 2:  # both spooled, none moved yet
            _staff_take(mailbox, uids)
            assert poller._client is not None
            poller._client.noop()  # (the poller's session is told of the EXPUNGEs)

    poller = ImapPoller(config(mailbox), deliver)
    try:
        assert poller.poll() == 2
        assert poller.poll() == 0
    finally:
        poller.close()
    assert moves == [] and len(inbox.raws) == 2
    assert len([m for m in caplog.messages if "someone else moved or deleted it" in m]) == 2
    assert len(messages(mailbox, USER, "Mine")) == 2
