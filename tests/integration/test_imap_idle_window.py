"""A message that lands between the poller's SELECT and its IDLE, against a real Dovecot.

The server tells it right after IDLE's "+ idling", in the same packet; imapclient reads
that packet whole into imaplib's buffer with the "+", and idle_check waits on the
socket, so the message is seen only when the server says something more in that IDLE:
Dovecot's "* OK Still here" (every 2 min by default, randomized: 21, 71 and 118 s
measured here; every second in the tests' Dovecot) or the poller's renewal of the IDLE
(5 min). Without the server's word the poller would wait the whole renewal; this test
holds it to the server's word (README, "IMAP mailbox"; bench/FINDINGS.md 74)."""

from __future__ import annotations

import threading
import time

from maild.adapters.imap import ImapPoller
from tests.dovecot import append, messages
from tests.integration import test_imap
from tests.integration.test_imap import USER, Inbox, config, make_raw

mailbox, running = test_imap.mailbox, test_imap.running


class Racing(ImapPoller):
    """A poller whose first IDLE is entered just after a message landed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.appended: float | None = None

    def _idle(self, stop: threading.Event) -> None:
        if self.appended is None:  # after the first round's SELECT, before its IDLE
            append(self.mailbox, USER, make_raw(1))
            self.appended = time.monotonic()
        super()._idle(stop)


def test_a_message_told_with_the_idle_answer_is_taken_at_the_servers_next_word(mailbox, running):
    inbox = Inbox()
    poller = Racing(config(mailbox), inbox)
    poller.mailbox = mailbox
    running(poller)
    assert inbox.wait_for(1, timeout=15), "taken only when the IDLE was renewed"
    assert poller.appended is not None
    assert time.monotonic() - poller.appended < 15
    assert messages(mailbox, USER, "Processed") != {}
