"""A relay that refuses every customer's mail for good (a misconfigured relay, a
blacklisted IP, a robot's full mailbox with hundreds of tickets) gave staff one
notice per ticket, all at once. Now they are paced as reminders are: the first
support.max_reminders_per_person_per_hour (5) tickets' notices singly, the rest in
one list per staff member (20 named, the rest counted), at most one per 10 minutes;
each ticket still gets its note. End to end: a real aiosmtpd relay answering 550 to
the customers, `maild outbox flush` and `maild jobs run`, counting what staff get."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.helpers import Desk, Received, Sink, list_to, make_mail, staff_to

STAFF = ("anna@example.com", "boris@example.com")
SINGLE = "Письмо клиенту не доставлено: "  # staff_refused.txt's subject
LIST = re.compile(r"Письма клиентам не доставлены по (\d+) обращени")  # the list's
TAG = re.compile(r"\[TID#([0-9a-z-]+)\]")
LINE = re.compile(r"^\[TID#([0-9a-z-]+)\]", re.M)  # a ticket's line in the list


def customer(i: int) -> str:
    return f"c{i}@gone{i}.example"


def refusing(n: int) -> Sink:
    """A relay that refuses the first `n` customers for good, as a relay that
    verifies recipients does."""
    refuse = {customer(i): f"550 5.1.1 <{customer(i)}>: User unknown" for i in range(n)}
    return Sink(refuse=refuse).start()


def open_tickets(desk: Desk, first: int, n: int) -> list[str]:
    return [
        desk.ingest_tid(make_mail(sender=customer(i), subject=f"Заказ {i}"))
        for i in range(first, first + n)
    ]


def told(relay: Sink, staff: str, since: int = 0) -> tuple[list[Received], list[Received]]:
    """(single notices, lists) of refused mail that reached `staff` after the first
    `since` mails the relay took."""
    mails = [m for m in relay.received[since:] if staff in m.rcpt_tos]
    singles = [m for m in mails if m.subject.startswith(SINGLE)]
    return singles, [m for m in mails if LIST.match(m.subject)]


def notes(desk: Desk, tid: str) -> list[str]:
    return [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]


def test_thirty_refused_customers_give_staff_five_notices_and_one_list(tmp_path):
    relay = refusing(33)
    try:
        desk = Desk(tmp_path, relay.port)
        tids = open_tickets(desk, 0, 30)
        start = len(relay.received)
        flushed = desk.run("outbox", "flush", "--json")
        assert flushed.code == 0, flushed.err
        assert flushed.json()["refused"] == 30
        for staff in STAFF:
            singles, [listed] = told(relay, staff, start)
            assert sorted(TAG.findall(" ".join(m.subject for m in singles))) == sorted(tids[:5])
            assert (
                listed.subject == f"Письма клиентам не доставлены по 25 обращениям [TID#{tids[5]}]"
            )
            named = LINE.findall(listed.text)
            assert named == tids[5:25]  # the oldest first, 20 named, the other 5 counted
            text = " ".join(listed.text.split())
            assert "И ещё 5 обращений" in text and "больше 5 в час" in text
            assert f"Кому: {customer(24)}" in text and "550 5.1.1" in text
            assert f"Написать по обращению: {staff_to(tids[24], staff)}" in text
            assert listed.msg["Reply-To"] == list_to(tids[5], staff)  # no ticket's
        # every ticket has its note of the refusal; those listed say where staff read it
        for i, tid in enumerate(tids):
            mine = notes(desk, tid)
            assert any(n.startswith(f"Письмо клиенту не доставлено: {customer(i)}") for n in mine)
            in_list = [n for n in mine if "в письме-списке" in n]
            assert len(in_list) == (i >= 5) and (i < 5 or "25 обращений" in in_list[0])
        # told once: neither a flush nor the jobs tell again
        sent = len(relay.received)
        assert desk.flush().code == 0 and desk.run("jobs", "run").code == 0
        assert desk.flush().code == 0
        assert all(told(relay, staff, sent) == ([], []) for staff in STAFF)

        # three more refused within the 10 minutes: no single (5 went this hour), no
        # list yet; they wait, then go as one list
        more = open_tickets(desk, 30, 3)
        sent = len(relay.received)
        assert desk.run("outbox", "flush", "--json").json()["refused"] == 0
        assert all(told(relay, staff, sent) == ([], []) for staff in STAFF)
        assert all(any("не доставлено" in n for n in notes(desk, t)) for t in more)
        later = (datetime.now().astimezone() + timedelta(minutes=11)).isoformat()
        jobs = desk.run("jobs", "run", "--now", later, "--json")
        assert jobs.code == 0 and jobs.json()["refused_told"] == 3, jobs.err
        assert desk.flush().code == 0
        for staff in STAFF:
            assert told(relay, staff, sent)[0] == []
            [listed] = told(relay, staff, sent)[1]
            assert LIST.match(listed.subject).group(1) == "3"
            assert LINE.findall(listed.text) == more
    finally:
        relay.stop()


def test_a_few_refused_customers_are_still_told_one_notice_each(tmp_path):
    """Below the figure nothing changes: a notice per ticket, no list."""
    relay = refusing(3)
    try:
        desk = Desk(tmp_path, relay.port)
        tids = open_tickets(desk, 0, 3)
        assert desk.flush().code == 0
        for staff in STAFF:
            singles, lists = told(relay, staff)
            assert sorted(TAG.findall(" ".join(m.subject for m in singles))) == sorted(tids)
            assert lists == []
    finally:
        relay.stop()


def test_a_staff_member_added_since_the_last_list_does_not_bring_the_next_one_sooner(tmp_path):
    """The list goes at most once in 10 minutes to each staff member: one added to
    support.staff since (never sent one) does not make it due for the others. The
    refused mail waits, then one list goes to all three."""
    relay = refusing(4)
    try:
        desk = Desk(tmp_path, relay.port, support={"max_reminders_per_person_per_hour": 1})
        open_tickets(desk, 0, 3)
        assert desk.flush().code == 0
        for staff in STAFF:  # the first singly, the other two listed
            singles, lists = told(relay, staff)
            assert (len(singles), len(lists)) == (1, 1)
        carl = "carl@example.com"
        desk.sections["support"]["staff"] = [*STAFF, carl]
        desk.write_config()
        more = open_tickets(desk, 3, 1)
        sent = len(relay.received)
        assert desk.flush().code == 0
        assert all(told(relay, staff, sent) == ([], []) for staff in (*STAFF, carl))
        later = (datetime.now().astimezone() + timedelta(minutes=11)).isoformat()
        jobs = desk.run("jobs", "run", "--now", later, "--json")
        assert jobs.code == 0 and jobs.json()["refused_told"] == 1, jobs.err
        assert desk.flush().code == 0
        for staff in (*STAFF, carl):
            [listed] = told(relay, staff, sent)[1]
            assert LINE.findall(listed.text) == more
    finally:
        relay.stop()
