"""A processed_folder the server will not create, against a real Dovecot: a name
with "/" (Dovecot on Maildir refuses it: its hierarchy separator is "."). No mail can
leave `folder`, so none is taken; the log said only "imap: error: create failed:
[CANNOT] Invalid mailbox name: ..." at WARNING, naming neither the folder nor the
setting. Now one ERROR line a round names imap.processed_folder, the server's answer,
its separator and its folders, and that the mail waits."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from maild.adapters import imap
from maild.adapters.imap import ImapPoller
from tests.dovecot import append, connect, messages, reset_mailbox
from tests.integration.test_imap import USER, Inbox, config, make_raw, wait_until


@pytest.fixture
def mailbox(dovecot: dict[str, Any]) -> Iterator[dict[str, Any]]:
    reset_mailbox(dovecot, USER)
    yield dovecot
    # reset_mailbox deletes in LIST's order: "Archive", a name only, before its subfolder
    with connect(dovecot, USER) as client:
        for name in ("Archive.Processed", "Archive"):
            with contextlib.suppress(IMAPClient.Error):
                client.delete_folder(name)


def test_a_processed_folder_the_server_will_not_create_is_named_and_no_mail_is_taken(
    mailbox, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, "maild.imap")
    monkeypatch.setattr(imap, "BACKOFF_START", 0.1)
    append(mailbox, USER, make_raw(1))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox, processed_folder="Archive/Processed"), inbox)
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: "reconnecting in" in caplog.text, timeout=10)
    finally:
        stop.set()
        thread.join(timeout=10)
    [line] = [r for r in caplog.records if "reconnecting in" in r.getMessage()][:1]
    assert line.levelno == logging.ERROR
    text = line.getMessage()
    assert text.startswith(
        "imap: the folder 'Archive/Processed' (imap.processed_folder) cannot be created on "
        f"{mailbox['host']}:{mailbox['port']} for {USER}: the server answers: [CANNOT] "
        "Invalid mailbox name: Name must not have '/' characters"
    ), text
    assert "set imap.processed_folder to one of its folders (INBOX)" in text, text
    assert "(its hierarchy separator is '.')" in text, text
    assert "the mail waits in INBOX; reconnecting in 0.1 s" in text, text
    assert inbox.raws == []
    assert len(messages(mailbox, USER)) == 1
    # the name its line points to is taken
    fixed = ImapPoller(config(mailbox, processed_folder="Archive.Processed"), inbox)
    try:
        assert fixed.poll() == 1
    finally:
        fixed.close()
    assert inbox.raws == [make_raw(1)]
    assert len(messages(mailbox, USER, "Archive.Processed")) == 1
