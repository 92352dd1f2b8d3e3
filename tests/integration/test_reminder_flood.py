"""Reminders and escalations stay readable when many tickets come due together (a
spam wave past the filter, a night's mail whose deadlines all start at 09:00): end
to end through `maild jobs run` and `maild outbox flush` with a real aiosmtpd relay
counting what reached it. No person gets more than
support.max_reminders_per_person_per_hour (5) single reminders (escalations) an hour;
the rest go as one list mail, at most one per 10 minutes; each ticket records it,
so nothing goes twice, a run killed anywhere and started again included."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import ROOT, Desk, Received, list_to, make_mail, request_text, staff_to

MSK = ZoneInfo("Europe/Moscow")
STAFF = ("anna@example.com", "boris@example.com")
HEAD = "head@example.com"
FRIDAY = datetime(2026, 11, 20, 16, 0, tzinfo=MSK)
# Free support, 24 business hours: opened on Friday at 16:00, a ticket is due on
# Wednesday 25.11 at 13:00, its staff reminder (75 %) from Tuesday 24.11 16:00 on.
REMIND = "2026-11-24T16:05:00+03:00"
ESCALATE = "2026-11-25T13:05:00+03:00"
TAG = re.compile(r"\[TID#([0-9a-z-]+)\]")
LIST = re.compile(r"(Напоминание: нет реакции|Просрочена реакция) по ")  # a list's subject
# a single reminder's (in time, or a late run's) or escalation's subject
SINGLE = ("Напоминание: скоро истекает", "Напоминание: срок реакции истёк", "Просрочена реакция на")


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when

    def __call__(self) -> datetime:
        return self.now


def open_tickets(desk: Desk, n: int, at: datetime = FRIDAY, first: int = 0) -> list[str]:
    """`n` tickets opened at `at`, half of them by one flooding mailbox (its +tags),
    half from as many customers; their TIDs in the order the jobs take them (one
    deadline, one arrival: by TID)."""
    app = App(load(desk.config), clock=Clock(at))
    tids = []
    for i in range(n):
        sender = f"flood+{i}@robot.example" if i % 2 else f"c{i}@shop{i}.example"
        body = request_text(first + i)  # each its own: none a robot's
        raw = make_mail(
            sender=sender, subject=f"Заказ {i}", body=body, msgid=f"<r{i}.{at:%H%M}@x.example>"
        )
        tids.append(ingest(app, raw)[1].tid)
    return sorted(tids)


def jobs_run(desk: Desk, now: str) -> dict:
    r = desk.run("jobs", "run", "--now", now, "--json")
    assert r.code == 0, r.err
    assert desk.flush().code == 0
    return r.json()


def mail_to(sink, who: str, since: int) -> tuple[list[Received], list[Received]]:
    """(single reminders or escalations, lists) that reached `who` after the first
    `since` mails the relay took."""
    mails = [m for m in sink.received[since:] if who in m.rcpt_tos]
    lists = [m for m in mails if LIST.match(m.subject)]
    return [m for m in mails if m.subject.startswith(SINGLE)], lists


def named(mails: list[Received]) -> list[str]:
    """The TIDs the mails are about (a single's subject tag, a list's lines), in the
    order they name them (of singles, sorted: the relay gets them in any order)."""
    if len(mails) == 1:
        return TAG.findall(mails[0].text) or TAG.findall(mails[0].subject)
    return sorted(t for m in mails for t in named([m]))


def test_forty_tickets_due_at_once_give_each_person_five_mails_and_one_list(tmp_path, sink):
    """40 tickets reminded in one run made 40 reminders in each staff member's inbox
    (then 40 escalations to the head, of which the caps on mail to customers let 10
    through and dropped the rest unsaid). Now: the 5 most urgent singly, with their
    signed Reply-To; the other 35 in one list (20 named, 15 counted); once."""
    desk = Desk(tmp_path, sink.port)
    tids = open_tickets(desk, 40)
    assert desk.flush().code == 0
    start = len(sink.received)

    assert jobs_run(desk, REMIND)["reminders"] == 40
    for staff in (*STAFF, HEAD):  # the head is reminded too, paced as staff are
        singles, [listed] = mail_to(sink, staff, start)
        assert named(singles) == tids[:5]
        assert all(m.msg["Reply-To"] == staff_to(named([m])[0], staff) for m in singles)
        assert listed.subject == f"Напоминание: нет реакции по 35 обращениям [TID#{tids[5]}]"
        assert named([listed]) == tids[5:25]
        text = " ".join(listed.text.split())
        assert "И ещё 15 обращений" in text and "больше 5 в час" in text
        assert "не чаще раза в 10 минут." in text  # the least time between two lists
        assert f"Написать по обращению: {staff_to(tids[24], staff)}" in text
        assert listed.msg["Reply-To"] == list_to(tids[5], staff)  # no ticket's
    _singles, [listed] = mail_to(sink, HEAD, start)
    assert "уйдёт сотрудникам" in listed.text and "команды выполнятся" not in listed.text
    # each ticket says how its reminder went; the next run finds nothing more to send
    notes = [m["text"] for m in desk.ticket(tids[39])["messages"] if m["kind"] == "note"]
    for staff in (*STAFF, HEAD):
        assert any(f"для {staff} ушло в письме-списке" in n and "35 обращений" in n for n in notes)
    sent = len(sink.received)
    assert jobs_run(desk, "2026-11-24T16:30:00+03:00")["reminders"] == 0
    assert len(sink.received) == sent

    assert jobs_run(desk, ESCALATE)["reminders"] == 40
    singles, [listed] = mail_to(sink, HEAD, sent)
    assert named(singles) == tids[:5] and named([listed]) == tids[5:25]
    assert listed.subject == f"Просрочена реакция по 35 обращениям [TID#{tids[5]}]"
    for staff in STAFF:  # reminded once: no second reminder with the escalation
        assert mail_to(sink, staff, sent) == ([], [])
    sent = len(sink.received)
    assert jobs_run(desk, "2026-11-25T14:00:00+03:00")["reminders"] == 0
    assert len(sink.received) == sent


def test_the_address_a_list_gives_for_a_ticket_takes_commands_for_it(tmp_path, sink):
    """A list names, per ticket, the reply address signed for its reader: a new mail
    there from that staff member is their reply on that ticket (#take runs)."""
    desk = Desk(tmp_path, sink.port)
    tids = open_tickets(desk, 7)
    jobs_run(desk, REMIND)
    _singles, [listed] = mail_to(sink, "boris@example.com", 0)
    assert named([listed]) == tids[5:]
    address = staff_to(tids[6], "boris@example.com")
    assert address in listed.text
    app = App(load(desk.config), clock=Clock(datetime(2026, 11, 24, 16, 10, tzinfo=MSK)))
    ingest(app, make_mail(sender="boris@example.com", to=address, subject="Беру", body="#take\n"))
    ticket = desk.ticket(tids[6])
    assert (ticket["status"], ticket.get("assignee")) == ("open", "boris@example.com")


def test_below_the_limit_every_reminder_goes_singly_as_ever(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tids = open_tickets(desk, 5)
    assert jobs_run(desk, REMIND)["reminders"] == 5
    for staff in (*STAFF, HEAD):
        singles, lists = mail_to(sink, staff, 0)
        assert named(singles) == tids and lists == []
    reminded = len(sink.received)
    assert jobs_run(desk, ESCALATE)["reminders"] == 5
    singles, lists = mail_to(sink, HEAD, reminded)
    assert named(singles) == tids and lists == []
    assert jobs_run(desk, "2026-11-25T15:00:00+03:00")["reminders"] == 0
    assert len(mail_to(sink, HEAD, 0)[0]) == 10  # a reminder and an escalation each


def test_a_flood_coming_due_over_the_day_gets_a_list_every_ten_minutes(tmp_path, sink):
    """Mail that came in over working hours comes due over them too, a few each minute:
    each run alone is small, but one person's single reminders stop at 5 an hour, and
    the rest come as lists no oftener than one per 10 minutes; after the hour, singly
    again."""
    desk = Desk(tmp_path, sink.port, support={"staff": ["anna@example.com"]})
    first = open_tickets(desk, 8)  # reminded from Tue 16:00
    later = open_tickets(desk, 6, FRIDAY.replace(minute=5), 8)  # ... from 16:05
    last = open_tickets(desk, 2, FRIDAY.replace(hour=17, minute=10), 14)  # ... from 17:10

    def run(at: str) -> tuple[list[str], list[list[str]]]:
        start = len(sink.received)
        jobs_run(desk, f"2026-11-24T{at}:00+03:00")
        singles, lists = mail_to(sink, "anna@example.com", start)
        return named(singles), [named([m]) for m in lists]

    assert run("16:01") == (first[:5], [first[5:]])
    assert run("16:06") == ([], [])  # 6 more due: the hour's singles gone, a list 5 min ago
    assert run("16:10") == ([], [])
    assert run("16:11") == ([], [later])
    assert run("16:30") == ([], [])
    assert run("17:15") == (last, [])  # the singles of 16:01 are over an hour old


@pytest.mark.parametrize(
    ("crash_at", "torn"),
    [
        (3, False),  # amid the single reminders
        (5, False),  # after the last of them, before any list
        (6, False),  # after anna's list, before boris's
        (6, True),  # amid anna's list's commit: its tickets marked, the list not queued
        (7, True),  # amid boris's
    ],
)
def test_a_run_killed_anywhere_and_run_again_sends_every_reminder_once(
    tmp_path, sink, crash_at, torn
):
    """`maild jobs run` killed (as kill -9) after so many of its locked sections, or
    while one commits, then run again: every ticket's reminder reaches each staff
    member exactly once, singly or in a list, and nobody gets more than 5 singles and
    one list."""
    desk = Desk(tmp_path, sink.port)
    tids = open_tickets(desk, 12)
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_CRASH_AT=str(crash_at))
    env["MAILD_CRASH_TORN"] = "1" if torn else ""
    cmd = [sys.executable, "-m", "tests.crashat", "--config", str(desk.config), "jobs", "run"]
    p = subprocess.run([*cmd, "--now", REMIND], env=env, capture_output=True, timeout=60)
    assert p.returncode == 137, p.stderr.decode()  # killed where the test meant
    jobs_run(desk, "2026-11-24T16:06:00+03:00")
    jobs_run(desk, "2026-11-24T16:30:00+03:00")  # anything left waits no longer
    for staff in STAFF:
        singles, lists = mail_to(sink, staff, 0)
        assert sorted(named(singles) + named(lists)) == tids, (staff, [m.subject for m in lists])
        assert len(singles) == 5 and len(lists) == 1


def test_forget_erases_a_customers_subject_from_the_lists_naming_their_ticket(tmp_path, sink):
    """`maild forget` emptied a single reminder about the person's ticket, but a list of
    several tickets kept theirs by its subject («[TID#...] Секретный заказ 7»), in the
    one sent and in the one still queued. Now its line reads as the ticket does."""
    desk = Desk(tmp_path, sink.port, support={"staff": ["anna@example.com"]})
    app = App(load(desk.config), clock=Clock(FRIDAY))
    for i in range(8):
        raw = make_mail(sender=f"c{i}@shop{i}.example", subject=f"Секретный заказ {i}")
        ingest(app, raw)
    assert desk.flush().code == 0
    start = len(sink.received)
    assert jobs_run(desk, REMIND)["reminders"] == 8  # 5 singly, 3 in a list: sent
    [sent_list] = mail_to(sink, "anna@example.com", start)[1]
    sent_tid = named([sent_list])[-1]
    sent_who = desk.ticket(sent_tid)["requester"]
    # the head's escalations: 5 singly, 3 in a list, left queued
    assert desk.run("jobs", "run", "--now", ESCALATE, "--json").code == 0
    queued = [t for t in TAG.findall(" ".join(_queued_texts(desk))) if t != sent_tid]
    queued_tid = queued[-1]
    queued_who = desk.ticket(queued_tid)["requester"]
    for who in {sent_who, queued_who}:
        assert desk.run("forget", who).code == 0
    start = len(sink.received)
    assert desk.flush().code == 0
    [head_list] = mail_to(sink, HEAD, start)[1]
    files = [p.read_bytes().decode() for p in (desk.root / "data/outbox/sent").glob("*.mail")]
    to_anna = [f for f in files if "To: anna@example.com" in f]
    [kept] = [f for f in to_anna if f"[TID#{sent_tid}] " in f and "нет реакции по" in f]
    for text, tid, who in ((kept, sent_tid, sent_who), (head_list.text, queued_tid, queued_who)):
        i = int(who.split("@")[0][1:])  # c7@shop7.example opened «Секретный заказ 7»
        assert f"[TID#{tid}] [удалено по запросу]" in text and who not in text
        assert f"Секретный заказ {i}\n" not in text.replace("\r\n", "\n")
        others = [n for n in range(8) if f"Секретный заказ {n}" in text]
        assert others and i not in others  # the other tickets' lines stay as they were


def _queued_texts(desk: Desk) -> list[str]:
    """The queued list mails (their bytes as text)."""
    folder = desk.root / "data/outbox/queue"
    texts = [p.read_bytes().decode() for p in folder.glob("*.mail")]
    return [t for t in texts if "Просрочена реакция по" in t]
