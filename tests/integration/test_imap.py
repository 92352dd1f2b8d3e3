"""ImapPoller against a real Dovecot on loopback: delivery, marking, IDLE, TLS, reconnects."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from maild.adapters import imap
from maild.adapters.imap import PROCESSED_KEYWORD, DeliveryError, ImapPoller
from maild.adapters.imapfailures import FolderMissing, LoginRefused
from maild.configtypes import ImapConfig
from tests.dovecot import (
    DovecotServer,
    append,
    connect,
    messages,
    require_dovecot,
    reset_mailbox,
)

USER = "alice"
# A stop is seen in IDLE within IDLE_SLICE (1 s): the tests that run the poller and
# are not about how soon it stops (test_run_idles_picks_up_new_mail_and_stops_quickly
# is) take it this long.
IDLE_SLICE = 0.1
DAEMON_IDLE_SLICE = imap.IDLE_SLICE


def make_raw(n: int, subject: str = "Help") -> bytes:
    return (
        f"From: customer{n}@example.org\r\n"
        f"To: support@example.com\r\n"
        f"Subject: {subject} {n}\r\n"
        f"Message-ID: <msg{n}@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Body of message {n}.\r\n"
    ).encode()


def config(server: dict[str, Any], **overrides: Any) -> ImapConfig:
    values: dict[str, Any] = {
        "host": server["host"],
        "port": server["port"],
        "ssl": False,
        "starttls": False,
        "verify_tls": False,
        "username": USER,
        "password": server["users"][USER],
        "folder": "INBOX",
        "processed_folder": "Processed",
        "poll_interval": 60,  # long: in run() tests only IDLE can explain a quick pickup
    }
    values.update(overrides)
    return ImapConfig(**values)


class Inbox:
    """A deliver() callable that records what it got and can be told to fail."""

    def __init__(self) -> None:
        self.raws: list[bytes] = []
        self.fail: Callable[[bytes], bool] = lambda raw: False
        self.changed = threading.Condition()

    def __call__(self, raw: bytes) -> None:
        if self.fail(raw):
            raise OSError("spool disk full")
        with self.changed:
            self.raws.append(raw)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.raws) >= count, timeout)


class Running:
    """ImapPoller.run() in a thread; stop() asserts it ends quickly."""

    def __init__(self, poller: ImapPoller) -> None:
        self.poller = poller
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=poller.run, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self, within: float = 2.5) -> float:
        started = time.monotonic()
        self.stop_event.set()
        self.thread.join(timeout=10)
        took = time.monotonic() - started
        assert not self.thread.is_alive(), "run() did not return after stop.set()"
        assert took < within, f"run() took {took:.2f} s to stop"
        return took


@pytest.fixture
def mailbox(dovecot: dict[str, Any]) -> Iterator[dict[str, Any]]:
    reset_mailbox(dovecot, USER)
    yield dovecot


@pytest.fixture
def running(monkeypatch) -> Iterator[Callable[[ImapPoller], Running]]:
    monkeypatch.setattr(imap, "IDLE_SLICE", IDLE_SLICE)
    started: list[Running] = []

    def start(poller: ImapPoller) -> Running:
        started.append(Running(poller))
        return started[-1]

    yield start
    for r in started:  # a failed assertion must not leave a thread polling on
        r.stop_event.set()
        r.thread.join(timeout=10)


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def reconnect_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "maild.imap" and "reconnecting in" in r.getMessage()
    ]


def test_delivers_each_message_once_and_moves_it_to_processed(mailbox, caplog):
    caplog.set_level(logging.INFO, logger="maild.imap")
    for n in (1, 2, 3):
        append(mailbox, USER, make_raw(n))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox), inbox)
    try:
        assert poller.poll() == 3
        assert poller.poll() == 0
    finally:
        poller.close()

    assert inbox.raws == [make_raw(1), make_raw(2), make_raw(3)]  # byte-exact, arrival order
    assert messages(mailbox, USER, "INBOX") == {}
    processed = messages(mailbox, USER, "Processed")  # created by the poller
    assert sorted(m["raw"] for m in processed.values()) == [make_raw(n) for n in (1, 2, 3)]
    assert all(b"\\Seen" not in m["flags"] for m in processed.values())  # BODY.PEEK
    logged = [r.getMessage() for r in caplog.records]
    # (the UID depends on what earlier tests put into the shared Dovecot's mailbox)
    assert any(
        re.fullmatch(r"imap: delivered UID \d+ \(Message-ID <msg2@example\.org>\)", m)
        for m in logged
    )


def test_seen_messages_are_taken_too(mailbox):
    # A human may have read the support mailbox in a mail client: still a ticket.
    append(mailbox, USER, make_raw(1), flags=(b"\\Seen",))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox), inbox)
    try:
        assert poller.poll() == 1
    finally:
        poller.close()
    assert inbox.raws == [make_raw(1)]


def test_failed_delivery_leaves_message_untouched_until_next_poll(mailbox):
    append(mailbox, USER, make_raw(1))
    append(mailbox, USER, make_raw(2))
    inbox = Inbox()
    inbox.fail = lambda raw: b"<msg2@" in raw
    poller = ImapPoller(config(mailbox), inbox)
    try:
        with pytest.raises(DeliveryError) as err:
            poller.poll()
        assert err.value.delivered == 1
        assert isinstance(err.value.__cause__, OSError)
        left = messages(mailbox, USER, "INBOX")
        assert [m["raw"] for m in left.values()] == [make_raw(2)]
        assert [m["flags"] for m in left.values()] in ([()], [(b"\\Recent",)])  # not \Seen
        assert err.value.uid in left

        inbox.fail = lambda raw: False
        assert poller.poll() == 1  # same connection, next round
    finally:
        poller.close()
    assert inbox.raws == [make_raw(1), make_raw(2)]
    assert messages(mailbox, USER, "INBOX") == {}
    assert len(messages(mailbox, USER, "Processed")) == 2


def test_run_retries_a_failed_delivery_with_backoff(mailbox, caplog, running):
    caplog.set_level(logging.INFO, logger="maild.imap")
    append(mailbox, USER, make_raw(1))
    inbox = Inbox()
    failures = [1, 2]
    inbox.fail = lambda raw: bool(failures) and failures.pop() > 0
    r = running(ImapPoller(config(mailbox), inbox, backoff_max=0.2))
    assert inbox.wait_for(1, timeout=5)
    r.stop()
    retries = [m for m in caplog.messages if "delivery of UID" in m and "retrying in" in m]
    assert len(retries) == 2 and "spool disk full" in retries[0]
    assert reconnect_lines(caplog) == []  # a local failure is no reason to reconnect
    assert inbox.raws == [make_raw(1)]
    assert messages(mailbox, USER, "INBOX") == {}


def test_run_idles_picks_up_new_mail_and_stops_quickly(mailbox, running, monkeypatch):
    monkeypatch.setattr(imap, "IDLE_SLICE", DAEMON_IDLE_SLICE)  # (how soon it stops)
    append(mailbox, USER, make_raw(1))
    inbox = Inbox()
    r = running(ImapPoller(config(mailbox), inbox))
    assert inbox.wait_for(1, timeout=5)  # the initial poll

    time.sleep(0.3)  # let it enter IDLE
    appended = time.monotonic()
    append(mailbox, USER, make_raw(2))  # from another connection
    assert inbox.wait_for(2, timeout=5), "IDLE did not report the new message"
    latency = time.monotonic() - appended
    assert latency < 3  # poll_interval is 60 s: only IDLE explains this

    r.stop(within=2.5)
    assert inbox.raws == [make_raw(1), make_raw(2)]
    assert messages(mailbox, USER, "INBOX") == {}


def test_idle_is_reissued_after_idle_timeout(mailbox, running):
    inbox = Inbox()
    poller = ImapPoller(config(mailbox), inbox, idle_timeout=0.25)
    idles: list[float] = []
    real_idle = poller._idle

    def counting_idle(stop: threading.Event) -> None:
        idles.append(time.monotonic())
        real_idle(stop)

    poller._idle = counting_idle  # type: ignore[method-assign]
    r = running(poller)
    assert wait_until(lambda: len(idles) >= 3, timeout=3), f"IDLE issued {len(idles)} times"
    append(mailbox, USER, make_raw(1))  # still picked up after the re-issues
    assert inbox.wait_for(1, timeout=5)
    r.stop()


def test_run_without_idle_polls_every_poll_interval(running):
    require_dovecot()
    server = DovecotServer("imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE")
    try:
        server.start()
        info = server.info()
        inbox = Inbox()
        poller = ImapPoller(config(info, poll_interval=0.3), inbox)
        r = running(poller)
        time.sleep(0.2)
        append(info, USER, make_raw(1))
        assert inbox.wait_for(1, timeout=3)
        assert b"IDLE" not in poller._caps
        r.stop(within=1)
    finally:
        server.cleanup()


def test_implicit_tls_port_with_verify_tls_false(mailbox):
    append(mailbox, USER, make_raw(1))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox, port=mailbox["ssl_port"], ssl=True), inbox)
    try:
        assert poller.poll() == 1
        assert isinstance(poller._client.socket(), ssl.SSLSocket)
    finally:
        poller.close()
    assert inbox.raws == [make_raw(1)]


def test_implicit_tls_with_verification_rejects_self_signed_cert(mailbox):
    append(mailbox, USER, make_raw(1))
    inbox = Inbox()
    cfg = config(mailbox, port=mailbox["ssl_port"], ssl=True, verify_tls=True)
    poller = ImapPoller(cfg, inbox)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            poller.poll()
    finally:
        poller.close()
    assert inbox.raws == []
    assert len(messages(mailbox, USER, "INBOX")) == 1


def test_a_folder_the_server_does_not_have_is_named_with_the_folders_it_has(
    mailbox, caplog, running
):
    """imap.folder = "Support" where the server files that mail in "INBOX.Support":
    the log said only "error: select failed: Mailbox doesn't exist: Support (0.001 +
    0.000 secs)."; it now names the setting and the folders to pick from."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    append(mailbox, USER, make_raw(1), folder="INBOX.Support")
    inbox = Inbox()
    r = running(ImapPoller(config(mailbox, folder="Support"), inbox, backoff_max=0.2))

    def errors():
        return [x for x in caplog.records if x.levelno == logging.ERROR]

    assert wait_until(errors, timeout=5)
    r.stop()
    line = errors()[0]
    assert line.getMessage().startswith(
        f"imap: the folder 'Support' does not exist on 127.0.0.1:{mailbox['port']} for "
        "alice: set imap.folder to one of its folders ("
    )
    assert "INBOX.Support" in line.getMessage() and "restart maild serve" in line.getMessage()
    assert inbox.raws == []


def test_a_folder_the_server_has_but_cannot_open_is_not_said_to_be_missing(mailbox):
    """imap.folder is there (LIST shows it) but the server cannot open it (here its
    Maildir unreadable to Dovecot): the error is the server's answer, not "does not
    exist: set imap.folder to one of its folders", which would send the admin after a
    setting that is right."""
    append(mailbox, USER, make_raw(1), folder="Locked")
    locked = f"{mailbox['dir']}/mail/{USER}/Maildir/.Locked"
    os.chmod(locked, 0)
    poller = ImapPoller(config(mailbox, folder="Locked"), Inbox())
    try:
        with pytest.raises(IMAPClient.Error, match="select failed: ") as caught:
            poller.poll()
    finally:
        poller.close()
        os.chmod(locked, 0o700)
    assert not isinstance(caught.value, FolderMissing)


@pytest.mark.parametrize(
    "ssl_on, port, said",
    [
        # was "SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"
        (True, "port", "does not answer in TLS ([SSL: WRONG_VERSION_NUMBER]"),
        # was "TimeoutError: timed out", after io_timeout (60 s) each time
        (False, "ssl_port", "no IMAP greeting from"),
    ],
)
def test_tls_on_a_plain_port_and_plain_on_a_tls_port_say_which_setting_to_change(
    mailbox, caplog, running, ssl_on, port, said
):
    caplog.set_level(logging.INFO, logger="maild.imap")
    cfg = config(mailbox, port=mailbox[port], ssl=ssl_on)
    r = running(ImapPoller(cfg, Inbox(), io_timeout=0.3, backoff_max=0.1))
    assert wait_until(lambda: reconnect_lines(caplog), timeout=5)
    r.stop()
    line = reconnect_lines(caplog)[0]
    assert said in line, line
    assert (
        "set imap.ssl = false and imap.starttls = true" if ssl_on else "set imap.ssl = true"
    ) in line


def test_explicit_ssl_context_wins_over_verify_tls(mailbox):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    cfg = config(mailbox, port=mailbox["ssl_port"], ssl=True, verify_tls=True)
    poller = ImapPoller(cfg, Inbox(), ssl_context=ctx)
    try:
        assert poller.poll() == 0
    finally:
        poller.close()


def test_starttls_on_plain_port(mailbox):
    append(mailbox, USER, make_raw(1))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox, starttls=True), inbox)
    try:
        assert poller.poll() == 1
        assert isinstance(poller._client.socket(), ssl.SSLSocket)
    finally:
        poller.close()
    assert inbox.raws == [make_raw(1)]


def test_wrong_password_is_one_error_then_slow_retries_until_the_server_accepts(caplog, running):
    """A refused login is an ERROR once, with the server's answer as text (it was a
    WARNING with a bytes repr, retried at 1, 2, 4 ... s for ever); it is tried again
    every login_retry seconds, and mail flows once the admin fixes the account."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    require_dovecot()
    server = DovecotServer()
    try:
        server.start()
        info = server.info()
        append(info, USER, make_raw(1))
        refusals: list[object] = []
        inbox = Inbox()
        cfg = config(info, password="new-secret")  # the server does not know it yet
        retry = 0.3  # a refused login tried again this often (10 min in the daemon)
        r = running(
            ImapPoller(cfg, inbox, backoff_max=0.05, refused=refusals.append, login_retry=retry)
        )
        assert wait_until(lambda: len(refusals) == 1, timeout=5)
        time.sleep(3 * retry)  # two more tries at most, none of them an ERROR again
        imap = [rec for rec in caplog.records if rec.name == "maild.imap"]
        errors = [rec.getMessage() for rec in imap if rec.levelno >= logging.ERROR]
        assert len(errors) == 1, errors
        assert f"the server 127.0.0.1:{info['port']} refuses the login of alice: " in errors[0]
        assert "[AUTHENTICATIONFAILED] Authentication failed." in errors[0]
        assert "b'" not in errors[0] and "imap.password" in errors[0]
        tries = [rec for rec in imap if "connecting to" in rec.getMessage()]
        assert 2 <= len(tries) <= 4, [rec.getMessage() for rec in tries]
        # each try waits login_retry after the refusal before it (Dovecot takes ~0.5 s
        # to refuse, so the count alone cannot tell a retry every 0.05 s from it)
        said = [rec.created for rec in imap if "refuse" in rec.getMessage()]
        for again in tries[1:]:
            gap = again.created - max(t for t in said if t <= again.created)
            assert gap >= 0.9 * retry, (gap, [rec.getMessage() for rec in imap])
        assert refusals[0]["user"] == USER and refusals[0]["answer"].startswith(
            "[AUTHENTICATIONFAILED]"
        )
        assert r.thread.is_alive() and inbox.raws == []

        with open(f"{info['dir']}/passwd", "w") as f:  # the admin fixes the account
            f.write(f"{USER}:{{PLAIN}}new-secret\n")
        assert inbox.wait_for(1, timeout=5), "no login after the account was fixed"
        assert wait_until(lambda: refusals[-1:] == [None], timeout=5)
        r.stop()
    finally:
        server.cleanup()


def test_a_password_with_non_ascii_characters_logs_in(dovecot):
    """imaplib's LOGIN cannot send "пароль123": every try failed with "UnicodeEncodeError:
    ascii", logged and retried as a network error for ever. Such a password goes by
    AUTHENTICATE PLAIN in UTF-8, which the server takes; a wrong one is a login the
    server refuses, as with LOGIN."""
    info = dovecot  # carol's password: "пароль123"
    reset_mailbox(info, "carol")
    append(info, "carol", make_raw(1))
    inbox = Inbox()
    poller = ImapPoller(config(info, username="carol", password="пароль123"), inbox)
    try:
        assert poller.poll() == 1
    finally:
        poller.close()
    assert inbox.raws == [make_raw(1)]
    assert messages(info, "carol", "INBOX") == {}

    poller = ImapPoller(config(info, username="carol", password="пароль124"), inbox)
    try:
        with pytest.raises(LoginRefused) as refused:
            poller.poll()
    finally:
        poller.close()
    assert refused.value.answer == "[AUTHENTICATIONFAILED] Authentication failed."
    assert not refused.value.temporary  # one ERROR line, then a try every 10 min


@pytest.mark.parametrize(
    "capability, expect_left_in_inbox",
    [("IMAP4rev1 LITERAL+ IDLE UIDPLUS", False), ("IMAP4rev1 LITERAL+ IDLE", True)],
    ids=["uidplus-no-move", "no-uidplus-no-move"],
)
def test_without_move(capability, expect_left_in_inbox):
    require_dovecot()
    server = DovecotServer(f"imap_capability = {capability}")
    try:
        server.start()
        info = server.info()
        # A message a human flagged \Deleted: must be neither delivered nor expunged by us.
        doomed = append(info, USER, make_raw(9), flags=(b"\\Deleted",))
        append(info, USER, make_raw(1))
        append(info, USER, make_raw(2))
        inbox = Inbox()
        poller = ImapPoller(config(info), inbox)
        try:
            assert poller.poll() == 2
            assert b"MOVE" not in poller._caps
            assert poller.poll() == 0  # flagged/expunged ones are not taken again
        finally:
            poller.close()
        assert inbox.raws == [make_raw(1), make_raw(2)]
        processed = messages(info, USER, "Processed")
        assert sorted(m["raw"] for m in processed.values()) == [make_raw(1), make_raw(2)]
        left = messages(info, USER, "INBOX")
        assert doomed in left
        ours = {uid: m for uid, m in left.items() if uid != doomed}
        if expect_left_in_inbox:
            assert len(ours) == 2
            assert all(PROCESSED_KEYWORD in m["flags"] for m in ours.values())
            assert all(b"\\Deleted" not in m["flags"] for m in ours.values())
        else:
            assert ours == {}
    finally:
        server.cleanup()


def test_server_down_then_back_recovers(caplog, running):
    caplog.set_level(logging.INFO, logger="maild.imap")
    require_dovecot()
    server = DovecotServer()  # not started yet: connection refused
    try:
        info = server.info()
        inbox = Inbox()
        r = running(ImapPoller(config(info), inbox, backoff_max=0.2))
        assert wait_until(lambda: len(reconnect_lines(caplog)) >= 2, timeout=5)
        # the reason in words, not just the errno ("ConnectionRefusedError: 111")
        assert "Error: [Errno 111] Connection refused" in reconnect_lines(caplog)[0]
        assert r.thread.is_alive()

        server.start()
        append(info, USER, make_raw(1))
        # (a bound on waiting, not a figure: 5 s failed once under a whole suite's load)
        assert inbox.wait_for(1, timeout=30), "no recovery after the server came up"
        # Stop the server only once message 1 is moved: a stop between deliver() and
        # MOVE would rightly deliver it again (the pipeline dedups by Message-ID).
        assert wait_until(lambda: len(messages(info, USER, "Processed")) == 1, timeout=30)

        # Kill the live (IDLE) connection by stopping the server, then bring it back.
        # In IDLE first: the poller SELECTs again after the MOVE, and a server stopped
        # during that command is told as "command: SELECT => Server shutting down."
        assert wait_until(lambda: r.poller._idling, timeout=30), "not in IDLE"
        before = len(reconnect_lines(caplog))
        server.stop()
        assert wait_until(lambda: len(reconnect_lines(caplog)) > before, timeout=5)
        # the server's reason, not what closing the socket then gave ("abort: socket
        # error: EOF", "ConnectionResetError: [Errno 104] Connection reset by peer")
        assert reconnect_lines(caplog)[before].startswith(
            "imap: the connection to 127.0.0.1 ended: the server said BYE: Server shutting down."
        )
        server.start()
        append(info, USER, make_raw(2))
        assert inbox.wait_for(2, timeout=30), "no recovery after a dropped connection"

        r.stop()
        assert inbox.raws == [make_raw(1), make_raw(2)]
    finally:
        server.cleanup()


def test_a_long_connection_keeps_no_trace_of_each_message(mailbox, monkeypatch):
    """The connection lives for days (IDLE is re-issued on it): each moved message
    left its untagged COPYUID and EXPUNGE answers in imaplib's memory for as long, so
    the daemon grew with every mail it took. The folder is selected again every
    SELECT_EVERY messages (and at each poll), which starts them afresh."""
    monkeypatch.setattr(imap, "SELECT_EVERY", 5)
    monkeypatch.setattr(imap, "MOVE_BATCH", 5)  # (moved 50 at a time: none before the 20th)
    for n in range(20):
        append(mailbox, USER, make_raw(n))
    inbox, kept = Inbox(), []
    poller = ImapPoller(config(mailbox), inbox)

    def deliver(raw: bytes) -> None:
        # what imaplib keeps as each message is taken (the test alone looks inside)
        kept.append(sum(len(v) for v in poller._client._imap.untagged_responses.values()))
        inbox(raw)

    poller.deliver = deliver
    try:
        assert poller.poll() == 20
    finally:
        poller.close()
    assert len(inbox.raws) == 20
    # ~10 answers of the SELECT itself and 2 a moved message: ~50 by the 20th without
    assert max(kept) < 25, kept


def test_a_stop_asked_during_a_round_ends_it_after_the_message_being_delivered(mailbox):
    """`maild serve` is stopped while a backlog is taken: the round ends after the
    message in hand (moved to processed_folder), not after the whole backlog; the rest
    waits on the server, untouched."""
    for n in range(3):
        append(mailbox, USER, make_raw(n))
    inbox, stop = Inbox(), threading.Event()

    def deliver(raw: bytes) -> None:
        inbox(raw)
        stop.set()

    poller = ImapPoller(config(mailbox), deliver)
    try:
        assert poller.poll(stop) == 1
    finally:
        poller.close()
    assert inbox.raws == [make_raw(0)]
    assert [m["raw"] for m in messages(mailbox, USER, "Processed").values()] == [make_raw(0)]
    assert sorted(m["raw"] for m in messages(mailbox, USER).values()) == [make_raw(1), make_raw(2)]


def test_mail_announced_during_a_round_is_taken_at_once_not_after_idle_timeout(mailbox, running):
    """The server announces new mail once, along with the command it comes in during
    (our MOVE of another message), and never again in IDLE: such mail waited for the
    next idle_timeout. run() polls again at once when the folder's UIDNEXT moved."""
    for n in range(3):
        append(mailbox, USER, make_raw(n))
    inbox = Inbox()
    poller = ImapPoller(config(mailbox), inbox, idle_timeout=60)

    def deliver(raw: bytes) -> None:
        inbox(raw)
        if len(inbox.raws) == 1:  # after the round's SEARCH: it cannot find this one
            append(mailbox, USER, make_raw(99))

    poller.deliver = deliver
    r = running(poller)
    assert inbox.wait_for(4, timeout=10), len(inbox.raws)
    r.stop()
    assert inbox.raws[-1] == make_raw(99)
    assert len(inbox.raws) == 4
    assert poller._uidnext is not None  # (Dovecot says UIDNEXT: the check above ran)


def test_a_long_round_tells_of_contact_and_its_backlog_while_it_delivers(mailbox, running):
    """A round over a backlog told of contact with the server only at its end: 30,000
    messages at ~27 ms each took longer than status's 15 min, so `maild status` said
    "no contact with the server lately" while mail flowed. Here `contact_every` (1 min
    in the daemon) is 0.1 s and each delivery takes 20 ms: contact is told during the
    round, never twice within 0.1 s (not once a message), with what is left to take."""
    total = 30
    for n in range(total):
        append(mailbox, USER, make_raw(n))
    inbox = Inbox()
    told: list[tuple[float, int, Any]] = []  # (when, delivered by then, backlog or "contact")

    def slow_spool(raw: bytes) -> None:
        time.sleep(0.02)
        inbox(raw)

    poller = ImapPoller(
        config(mailbox),
        slow_spool,
        contact=lambda: told.append((time.monotonic(), len(inbox.raws), "contact")),
        backlog=lambda b: told.append((time.monotonic(), len(inbox.raws), b)),
        contact_every=0.1,
    )
    r = running(poller)
    assert inbox.wait_for(total, timeout=20)
    assert wait_until(lambda: any(n == total and w == "contact" for _, n, w in told), 5)
    r.stop()

    contacts = [(t, n) for t, n, what in told if what == "contact"]
    during = [n for _, n in contacts if 0 < n < total]
    assert len(during) >= 3, told  # the round takes 0.6 s or more
    # (the end of the round is told whenever it comes)
    gaps = [b[0] - a[0] for a, b in zip(contacts, contacts[1:-1], strict=False)]
    assert min(gaps) >= 0.1, gaps
    assert contacts[0][1] == 0  # the first round since start is told at once
    assert contacts[-1][1] == total  # and the end of the round, as ever
    backlogs = [(n, b) for _, n, b in told if isinstance(b, dict)]
    assert [b["left"] for _, b in backlogs] == [total - n for n, _ in backlogs]
    assert {(b["total"], b["pid"]) for _, b in backlogs} == {(total, os.getpid())}
    assert told[-1][2] is None or told[-2][2] is None  # the round ended: no backlog now
    assert [b for _, _, b in told if not isinstance(b, dict) and b != "contact"] == [None]


def test_a_mail_over_the_size_limit_is_taken_as_its_header_and_stays_whole(mailbox):
    """A mail bigger than imap.max_message_size is not read whole (a 143 MB one cost the
    worker 460 MB): maild takes its header and a note saying where it stays; the
    mail itself moves to the processed folder untouched, as any other."""
    big = make_raw(7, "Скриншоты").replace(b"Body of", b"x" * 20_000 + b"\r\nBody of")
    append(mailbox, USER, big)
    inbox = Inbox()
    poller = ImapPoller(config(mailbox, max_message_size=5_000), inbox)
    try:
        assert poller.poll() == 1
    finally:
        poller.close()
    [taken] = inbox.raws
    assert b"Message-ID: <msg7@example.org>" in taken and b"X-Maild-Oversize: " in taken
    assert b"x" * 100 not in taken and len(taken) < 2_000
    assert b"; folder=Processed\r\n" in taken  # where it stays: for staff (domain.oversize)
    [kept] = messages(mailbox, USER, "Processed").values()
    assert kept["raw"] == big


def test_the_processed_folder_the_poller_makes_shows_in_staffs_mail_clients(mailbox):
    """The folder maild makes for the mail it took is subscribed: staff who look for a
    message there find the folder in their mail client's list, not hidden."""
    with connect(mailbox, USER) as client:
        with contextlib.suppress(IMAPClient.Error):
            client.unsubscribe_folder("Processed")  # (left by an earlier test)
        assert "Processed" not in [name for _f, _d, name in client.list_sub_folders()]
    append(mailbox, USER, make_raw(1))
    poller = ImapPoller(config(mailbox), Inbox())
    try:
        assert poller.poll() == 1
    finally:
        poller.close()
    with connect(mailbox, USER) as client:
        assert "Processed" in [name for _f, _d, name in client.list_sub_folders()]
