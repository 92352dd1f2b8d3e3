"""The IMAP round's one log line for a connection that ended (imapfailures): a BYE the
server sends while imapclient waits for IDLE's "+ idling" reaches maild inside
imapclient's "Unexpected IDLE response" error; it is told as the BYE it is, as one
sent during IDLE is (tests/integration/test_imap.py stops a real Dovecot at either
moment, as it happens)."""

from __future__ import annotations

import logging

from imapclient.exceptions import IMAPClientError

from maild.adapters.imapfailures import log_connection_failure, server_bye_in
from tests.unit.test_imapfetch import CFG


def test_a_bye_in_answer_to_idle_is_the_servers_bye(caplog):
    caplog.set_level(logging.INFO, logger="maild.imap")
    # as imapclient's idle() writes it: "... %s" % the response's bytes
    e = IMAPClientError("Unexpected IDLE response: " + str(b"* BYE Server shutting down."))
    log_connection_failure(e, CFG, 0.2)
    [line] = [r.getMessage() for r in caplog.records]
    assert line == (
        "imap: the connection to imap.example.com ended: the server said BYE: Server "
        "shutting down.; reconnecting in 0.2 s"
    )


def test_other_errors_are_no_bye():
    assert server_bye_in(IMAPClientError("Unexpected IDLE response: b'* 3 EXISTS'")) is None
    assert server_bye_in(IMAPClientError("BYE is a word in a NO answer")) is None
    assert server_bye_in(OSError(111, "Connection refused")) is None
