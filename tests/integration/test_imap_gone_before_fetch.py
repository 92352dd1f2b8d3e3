"""A message another client takes out of the folder between the poller's SEARCH and
its FETCH, against a real Dovecot: nothing of it is taken, the mail after it is, and
one INFO line says so (the poller passed it by in silence)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from imapclient import IMAPClient

from maild.adapters.imap import ImapPoller
from tests.dovecot import append, connect, messages, reset_mailbox
from tests.integration.test_imap import USER, Inbox, config, make_raw


@pytest.fixture
def mailbox(dovecot: dict[str, Any]) -> dict[str, Any]:
    reset_mailbox(dovecot, USER)
    return dovecot


@pytest.mark.parametrize("before", [b"RFC822.SIZE", b"BODY.PEEK[]"])
def test_a_message_gone_between_search_and_fetch_is_one_line(mailbox, caplog, monkeypatch, before):
    caplog.set_level(logging.INFO, "maild.imap")
    first, second = append(mailbox, USER, make_raw(1)), append(mailbox, USER, make_raw(2))
    fetch = IMAPClient.fetch

    def taken_away_first(self: IMAPClient, uids: list[int], items: list[bytes]) -> Any:
        if uids == [first] and items == [before] and len(messages(mailbox, USER)) == 2:
            with connect(mailbox, USER) as other:
                other.select_folder("INBOX")
                other.delete_messages([first])
                other.expunge()
        return fetch(self, uids, items)

    monkeypatch.setattr(IMAPClient, "fetch", taken_away_first)
    inbox = Inbox()
    poller = ImapPoller(config(mailbox), inbox)
    try:
        assert poller.poll() == 1
        assert poller.poll() == 0
    finally:
        poller.close()
    assert inbox.raws == [make_raw(2)]
    assert [m["raw"] for m in messages(mailbox, USER, "Processed").values()] == [make_raw(2)]
    said = [m for m in caplog.messages if f"UID {first} " in m]
    assert said == [
        f"imap: UID {first} left INBOX between the SEARCH and its FETCH (someone else moved "
        "or deleted it): nothing of it is taken"
    ]
    assert f"imap: delivered UID {second} (Message-ID <msg2@example.org>)" in caplog.messages
