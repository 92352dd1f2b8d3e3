"""Logs that explain: outbox failures name recipient and relay reply, IMAP says
how it waits and what to do about a certificate, `[log] target = "syslog"`."""

from __future__ import annotations

import logging
import logging.handlers
import socket
import threading

from aiosmtpd.controller import Controller

from maild import logsetup
from maild.adapters.imap import ImapPoller
from tests.dovecot import append, reset_mailbox
from tests.helpers import Desk, dead_port, free_port, make_mail
from tests.integration.test_imap import Inbox, config, wait_until

# bob: test_imap counts alice's UIDs, which a message appended here would shift
USER = "bob"


class Refusing:
    """A relay that knows no one: every RCPT gets 550."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def _outbox_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "maild.outbox"]


def test_outbox_failure_names_message_recipient_and_relay_reply(tmp_path, caplog):
    relay = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    relay.start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(msgid="<log-1@c.example>"))
        with caplog.at_level(logging.INFO):
            r = desk.flush()
    finally:
        relay.stop()
    assert r.code == 75
    [line] = [x for x in _outbox_lines(caplog) if "ivan@shop-example.ru" in x]
    assert f"[TID#{tid}]" in line and "<" in line.split()[0]
    assert "550 5.1.1" in line and "User unknown" in line and "not tried again" in line
    # a staff address the relay refuses is retried (README, outbox): the line says when
    anna = [x for x in _outbox_lines(caplog) if "anna@example.com" in x]
    assert anna and all("550 5.1.1" in x and "next try" in x for x in anna)


def test_outbox_failure_names_an_unreachable_relay(tmp_path, caplog):
    desk = Desk(tmp_path, dead_port())  # nothing listens there
    desk.ingest(make_mail())
    with caplog.at_level(logging.INFO):
        desk.flush()
    [line] = [x for x in _outbox_lines(caplog) if "ivan@shop-example.ru" in x]
    assert "relay 127.0.0.1:" in line and "refused" in line.lower()


def test_a_relay_that_is_down_is_said_once_not_once_per_mail(tmp_path, caplog):
    """Thirty mails queued and the relay down: `outbox flush` names the error once
    (not thirty lines of it), and the log says it once per connection tried."""
    from maild.adapters.outbound import PARALLEL_CONNECTIONS

    desk = Desk(tmp_path, dead_port())
    for i in range(10):  # a confirmation and a notice to each of the two staff
        desk.ingest(make_mail(sender=f"c{i}@shop.example", subject=f"Вопрос {i}"))
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    assert r.code == 75 and r.out.startswith("sent 0, failed 30, still queued 30"), r.out
    [why] = r.out.splitlines()[1:]
    assert why.startswith("  30 mails: relay 127.0.0.1:") and "refused" in why.lower()
    lines = _outbox_lines(caplog)
    assert 1 <= len(lines) <= PARALLEL_CONNECTIONS, lines
    assert sum(int(x.split(" mail(s) not sent")[0].rsplit(" ", 1)[1]) for x in lines) == 30
    listed = desk.run("outbox", "list", "--json").json()  # each mail still has its why
    assert len(listed) == 30 and all("Connection" in m["last_error"] for m in listed)


def test_imap_says_it_idles_and_names_verify_tls_on_a_bad_certificate(dovecot, caplog):
    reset_mailbox(dovecot, USER)
    contacts: list[int] = []
    stop = threading.Event()
    cfg = config(dovecot, port=dovecot["ssl_port"], ssl=True, verify_tls=True)
    poller = ImapPoller(cfg, Inbox(), backoff_max=0.2, contact=lambda: contacts.append(1))
    t = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    with caplog.at_level(logging.INFO, logger="maild.imap"):
        t.start()
        assert wait_until(lambda: "imap.verify_tls" in caplog.text, timeout=5), caplog.text
        stop.set()
        t.join(5)
        assert contacts == []
        inbox = Inbox()
        append(dovecot, USER, b"From: a@b.c\r\nSubject: x\r\n\r\nbody\r\n")
        stop = threading.Event()
        cfg = config(dovecot, username=USER, password=dovecot["users"][USER])
        poller = ImapPoller(cfg, inbox, contact=lambda: contacts.append(1))
        t = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        t.start()
        assert inbox.wait_for(1, timeout=5) and wait_until(lambda: contacts, timeout=5)
        stop.set()
        t.join(5)
    assert "waiting for new mail with IDLE" in caplog.text
    assert "Message-ID <none>" in caplog.text  # a mail without one, not a made-up id


def test_imap_without_idle_says_it_polls(dovecot, caplog):
    poller = ImapPoller(config(dovecot, poll_interval=30), Inbox())
    poller._caps = frozenset({b"MOVE"})  # what a server without IDLE advertises
    with caplog.at_level(logging.INFO, logger="maild.imap"):
        poller._contacted()
    assert "no IDLE: polling INBOX every 30 s" in caplog.text


def test_log_target_syslog_sends_whole_lines_to_the_syslog_socket(
    tmp_path, sink, monkeypatch, caplog
):
    """`[log] target = "syslog"`: each line goes whole to the syslog socket, facility
    mail, and to nowhere else: the stderr handler goes, as postfix would copy a pipe
    command's stderr into its own log again, cut to one line."""
    caplog.set_level(logging.INFO)  # as the CLI's own logging set-up does
    path = str(tmp_path / "log.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(5)
    monkeypatch.setattr(logsetup, "SYSLOG_SOCKETS", (path,))
    root = logging.getLogger()
    saved = list(root.handlers)
    desk = Desk(tmp_path, sink.port, log={"target": "syslog"})
    try:
        desk.ingest(make_mail(msgid="<sys-1@c.example>"))
        lines = []
        while not any("<sys-1@c.example>" in x for x in lines):
            lines.append(server.recv(65536).decode())
        handlers = list(root.handlers)
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
            h.close()
        for h in saved:
            root.addHandler(h)
        server.close()
    [line] = [x for x in lines if "<sys-1@c.example>" in x]
    assert line.startswith("<22>maild[")  # facility mail (2*8), level info (6)
    assert "opened ticket" in line
    assert [type(h) for h in handlers] == [logging.handlers.SysLogHandler], handlers


def test_the_line_about_a_message_names_its_own_message_id_and_tid(tmp_path, caplog, sink):
    desk = Desk(tmp_path, sink.port)
    with caplog.at_level(logging.INFO, logger="maild.pipeline"):
        tid = desk.ingest_tid(make_mail(msgid="<own-1@c.example>"))
        raw = make_mail(subject="Без Message-ID")
        desk.ingest(b"\r\n".join(x for x in raw.split(b"\r\n") if not x.startswith(b"Message-ID")))
    lines = [r.getMessage() for r in caplog.records if "opened ticket" in r.getMessage()]
    assert lines[0].startswith(f"<own-1@c.example> opened ticket [TID#{tid}] from ")
    assert lines[1].startswith("<none> opened ticket [TID#")  # not a made-up id
    assert "maild.invalid" not in caplog.text


def test_the_line_about_a_staff_reply_names_the_commands_it_ran(tmp_path, caplog, sink):
    """An admin asked why a ticket closed finds the staff reply's line and what it ran."""
    from tests.helpers import staff_to

    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    reply = make_mail(
        sender="Анна <anna@example.com>",
        to=staff_to(tid),
        subject=f"Re: [TID#{tid}]",
        body="#level vip\n#close\nГотово, проверьте, пожалуйста.",
        msgid="<close-1@example.com>",
    )
    with caplog.at_level(logging.INFO, logger="maild.pipeline"):
        desk.ingest(reply)
    [line] = [r.getMessage() for r in caplog.records if "<close-1@example.com>" in r.getMessage()]
    assert f"added to ticket [TID#{tid}] from anna@example.com" in line
    assert "; ran #level vip #close;" in line, line
