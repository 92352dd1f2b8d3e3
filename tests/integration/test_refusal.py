"""A relay that verifies recipients refuses a customer's mistyped address for good
(550 5.1.1 User unknown): that copy is tried once, set aside (`outbox list --sent`
shows why it never went), the ticket gets a note and staff one notice; everything
else still goes, and a relay that refuses for its own reasons (5.7.x) keeps the
mail queued for retries."""

from __future__ import annotations

import smtplib
import time

from maild.adapters.outbound import Outbox
from maild.config import OutboundConfig
from tests.helpers import Daemon, Desk, Sink, free_port, make_mail
from tests.integration.test_outbox import _queue

TYPO = "ivan@exmaple.ru"
OLGA = "olga@shop-example.ru"
UNKNOWN = f"550 5.1.1 <{TYPO}>: Recipient address rejected: User unknown"
STAFF = ("anna@example.com", "boris@example.com")


def test_a_mistyped_customer_address_is_tried_once_and_staff_are_told(tmp_path):
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(sender=f"Иван <{TYPO}>"))
        other = desk.ingest_tid(make_mail(sender=OLGA))  # another customer's ticket
        first = desk.flush()
        assert first.code == 0, first.out  # nothing left queued
        assert f"refused for good, not tried again: {TYPO}: 550 5.1.1" in first.out
        got = relay.received
        assert desk.flush().code == 0  # a second flush sends nothing, tries nothing
        assert relay.received == got and relay.handler.tries[TYPO] == 1
        assert len(relay.to(OLGA)) == 1  # her confirmation went
        for staff in STAFF:  # both new tickets, then one notice of the refusal
            subjects = [r.subject for r in relay.to(staff)]
            told = [s for s in subjects if "не доставлено" in s]
            assert len(subjects) == 3 and len(told) == 1, subjects
            assert f"[TID#{tid}]" in told[0]
        assert "не доставлено" not in desk.run("ticket", "show", other).out
        [notice] = [r for r in relay.to(STAFF[0]) if "не доставлено" in r.subject]
        assert TYPO in notice.text and "550 5.1.1" in notice.text and "#cc" in notice.text
        shown = desk.run("ticket", "show", tid).out
        assert f"Письмо клиенту не доставлено: {TYPO}" in shown and "User unknown" in shown
        [kept] = [
            m for m in desk.run("outbox", "list", "--sent", "--json").json() if m.get("refused")
        ]
        assert kept["to"] == [TYPO] and kept["refused"].startswith(f"{TYPO}: 550 5.1.1")
        listed = desk.run("outbox", "list", "--sent").out
        assert "(refused by the relay, not sent: " in listed
        assert desk.run("jobs", "run").code == 0  # nothing left to tell: no second notice
        assert desk.flush().code == 0 and relay.handler.tries[TYPO] == 1
        assert len([r for r in relay.received if "не доставлено" in r.subject]) == len(STAFF)
    finally:
        relay.stop()


def test_a_refusal_at_data_ends_the_tries_and_a_relay_problem_does_not(tmp_path):
    """5.1.1 after DATA is the recipient's; 554 5.7.1 (relay access denied) is the
    relay's configuration: retried, so a misconfigured relay never empties the queue."""
    relay = Sink(
        refuse={"user1@example.org": "554 5.7.1 <user1@example.org>: Relay access denied"},
        refuse_data={"user2@example.org": "550 5.1.1 Mailbox does not exist"},
    ).start()
    outbox = Outbox(tmp_path / "outbox")
    try:
        _queue(outbox, 0, 4)
        cfg = OutboundConfig(host="127.0.0.1", port=relay.port)
        assert outbox.flush(cfg) == (2, 2)
        assert outbox.flush(cfg) == (0, 1)  # only user1's is tried again
        # a crash after user4's refusal was recorded, before its file moved: the next
        # pass moves it, and does not send it
        _queue(outbox, 4, 1)
        outbox.mark("mail-4", refused="user4@example.org: 550 5.1.1 User unknown")
        assert outbox.flush(cfg) == (0, 1)
        assert "user4@example.org" not in relay.handler.tries
    finally:
        outbox.close()
        relay.stop()
    assert sorted(r.rcpt_tos[0] for r in relay.received) == [
        "user0@example.org",
        "user3@example.org",
    ]
    [queued] = outbox.entries()
    assert queued["to"] == ["user1@example.org"] and queued["attempts"] == 3
    refused = outbox.refused_entries()
    assert [m["to"] for m in refused] == [["user2@example.org"], ["user4@example.org"]]
    assert all("5.1.1" in m["refused"] for m in refused)
    assert relay.handler.tries["user2@example.org"] == 1


def test_maild_serve_tells_staff_of_a_refused_address_once(tmp_path):
    """The daemon's own sender: the refusal is set aside in its pass, the worker tells
    the ticket, and the staff notice goes out in the next pass, without a second try."""
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    desk = Desk(tmp_path, relay.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as c:
            c.sendmail(TYPO, ["support@example.com"], make_mail(sender=f"Иван <{TYPO}>"))
        deadline = time.monotonic() + 20
        told = []
        while len(told) < len(STAFF) and time.monotonic() < deadline:
            time.sleep(0.1)
            told = [r for r in relay.received if "не доставлено" in r.subject]
        time.sleep(0.5)  # a second notice, or a second try, would come in this time
    finally:
        assert daemon.stop() == 0
        relay.stop()
    told = [r for r in relay.received if "не доставлено" in r.subject]
    assert sorted(r.rcpt_tos[0] for r in told) == sorted(STAFF)
    assert relay.handler.tries[TYPO] == 1
    [ticket] = desk.tickets()
    shown = desk.run("ticket", "show", ticket["tid"]).out
    assert f"Письмо клиенту не доставлено: {TYPO}" in shown
