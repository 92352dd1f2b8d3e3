"""The IMAP round's one log line for a connection that ended (imapfailures): a BYE the
server sends while imapclient waits for IDLE's "+ idling" reaches maild inside
imapclient's "Unexpected IDLE response" error; it is told as the BYE it is, as one
sent during IDLE is (tests/integration/test_imap.py stops a real Dovecot at either
moment, as it happens)."""

from __future__ import annotations

import imaplib
import logging
import time

from imapclient.exceptions import IMAPClientError

from maild.adapters.imapfailures import (
    MAX_NAMES,
    DeliveryWatch,
    FolderMissing,
    LoginRefused,
    LoginWatch,
    describe_failure,
    log_connection_failure,
    server_bye,
    server_bye_in,
)
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


def test_a_refusal_with_new_words_is_logged_and_told_anew(caplog):
    """The same refusal again is an INFO line; one with another answer (the password
    fixed, the account now locked) is an ERROR and `maild status` is told its words."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    told: list[object] = []
    watch = LoginWatch(CFG, told.append, retry=600)
    for answer in ("[AUTHENTICATIONFAILED] bad", "[AUTHENTICATIONFAILED] bad", "locked"):
        watch.refused_now(LoginRefused("h", 993, "u", answer))
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.ERROR, logging.INFO, logging.ERROR]
    assert [note["answer"] for note in told] == ["[AUTHENTICATIONFAILED] bad", "locked"]  # type: ignore[index]


def test_a_login_accepted_with_none_refused_says_nothing(caplog):
    """Every connection logs in: only the first login after a refusal is worth a line
    and a note to status, not each of them."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    told: list[object] = []
    watch = LoginWatch(CFG, told.append, retry=600)
    watch.accepted()
    assert told == [] and caplog.records == []
    watch.refused_now(LoginRefused("h", 993, "u", "bad"))
    watch.accepted()
    watch.accepted()
    assert told[1:] == [None] and caplog.records[-1].getMessage().endswith("again")


def test_a_refusal_for_a_while_is_known_in_any_case():
    """RFC 3501: a response code is an atom, read in any case; «[unavailable]» is the
    server's auth backend down for a while, retried with the back-off, not 600 s."""
    for answer in ("[UNAVAILABLE] try later", "[unavailable] try later", "[InUse] busy"):
        assert LoginRefused("h", 993, "u", answer).temporary
    assert not LoginRefused("h", 993, "u", "[AUTHENTICATIONFAILED] bad").temporary


def test_a_stalled_spool_keeps_the_time_it_first_failed():
    """`maild status` says since when mail waits on the server: the first failure's
    time, not the latest try's."""
    told: list[object] = []
    watch = DeliveryWatch(told.append)
    watch.failed(1, OSError(28, "No space left on device"))
    first = watch.stall["since"]  # type: ignore[index]
    time.sleep(0.01)
    watch.failed(2, OSError(28, "No space left on device"))
    assert [n["since"] for n in told] == [first, first] and told[-1]["uid"] == 2  # type: ignore[index]


def test_a_connection_the_socket_lost_is_said_to_have_ended(caplog):
    """imaplib's abort ("socket error: EOF": Dovecot killed, a NAT that forgot the
    connection) is the connection ending, said so in the log and in `maild status`,
    not imaplib's class name."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    said = log_connection_failure(imaplib.IMAP4.abort("socket error: EOF"), CFG, 1)
    assert said == "the connection to imap.example.com ended: socket error: EOF"
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"imap: {said}; reconnecting in 1 s"


def test_a_login_refused_for_a_while_is_said_to_be_temporary():
    """[UNAVAILABLE] (the server's auth backend down) is retried with the back-off: the
    admin reads that it is temporary (nothing to fix in maild's config), not a bare
    exception name."""
    refused = LoginRefused("imap.example.com", 993, "u", "[UNAVAILABLE] try later")
    level, text = describe_failure(refused, CFG)
    assert level == logging.WARNING
    assert text == (
        "the server imap.example.com:993 refuses the login of u: [UNAVAILABLE] try later "
        "(a temporary failure)"
    )


def test_a_note_the_full_disk_refuses_is_one_line_without_traceback(caplog):
    """`maild status`'s note cannot be written (the disk is full): the intake goes on,
    and the log says why in one line an admin reads, not a traceback."""
    caplog.set_level(logging.INFO, logger="maild.imap")

    def note(_value: object) -> None:
        raise OSError(28, "No space left on device")

    DeliveryWatch(note).failed(1, OSError(13, "Permission denied"))
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is None
    assert record.getMessage().startswith("imap: cannot note the failing spool for maild status")
    assert "No space left on device" in record.getMessage()


def test_only_a_bye_in_idle_ends_the_connection():
    """What IDLE reads is mostly new mail (EXISTS) and the server's keep-alive (OK
    Still here): neither ends the connection (a WARNING and a reconnect for each new
    mail); a BYE does, with its reason."""
    assert server_bye([(3, b"EXISTS"), (b"OK", b"Still here"), (2, b"RECENT")]) is None
    bye = server_bye([(4, b"EXISTS"), (b"BYE", b"Server", b"shutting", b"down.")])
    assert str(bye) == "the server said BYE: Server shutting down."


def test_a_folder_missing_on_a_server_of_many_folders_says_the_list_is_cut():
    """The admin picks imap.folder from the folders named: when the server has more than
    are named, the line says so ("...") rather than pass a part for the whole."""
    many = [f"F{n}" for n in range(MAX_NAMES + 1)]
    assert str(FolderMissing(CFG, many)).count(", ...)") == 1
    assert ", ...)" not in str(FolderMissing(CFG, many[:MAX_NAMES]))
