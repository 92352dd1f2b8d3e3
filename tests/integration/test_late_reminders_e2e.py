"""Who hears of a deadline missed while maild was down, end to end (`maild ingest` with
the clock fixed, `maild jobs run --now` as the run at start after the downtime, `maild
outbox flush`, a real aiosmtpd relay): staff get their reminder, late («срок реакции
истёк»), and the head one mail, the escalation, not the late reminder beside it. A
reminder that goes before the deadline still goes to the head too, and is not
followed by another; singly or in lists (domain.pace) alike."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.helpers import Desk, make_mail
from tests.integration.test_deadlines_e2e import at, ingest_at, jobs_run
from tests.integration.test_staff_e2e import staff_reply

VIP = "ivan@shop-example.ru"  # VIP support: 2 business hours
FREE = "petr@client.example"  # free support: 24 business hours
STAFF = ["anna@example.com", "boris@example.com"]
HEAD = "head@example.com"
PACE = pytest.mark.parametrize("per_hour", [5, 0], ids=["single", "list"])


def vip_ticket(desk: Desk) -> str:
    """A VIP ticket of Monday 23.11 at 10:00: reminded at 11:30, due at 12:00."""
    assert desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", VIP).code == 0
    tid = ingest_at(desk, at(23, 10), make_mail(sender=VIP, subject="Корзина X"))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T12:00:00+03:00"
    return tid


def deadline_mail(desk: Desk, sink, person: str, tid: str) -> list[str]:
    """The first words of each reminder and escalation (single or list) about `tid`
    the relay took for `person`, after a flush."""
    assert desk.flush().code == 0
    return [
        r.subject.split(" (")[0].split(" [TID#")[0]
        for r in sink.to(person)
        if f"[TID#{tid}]" in r.subject and r.subject.startswith(("Напоминание", "Просрочена"))
    ]


def expected(per_hour: int, kind: str, late: bool = True) -> str:
    """The first words of the subject of `kind` of one ticket, singly or in a list."""
    if kind == "escalation":
        return (
            "Просрочена реакция на обращение" if per_hour else "Просрочена реакция по 1 обращению"
        )
    if per_hour == 0:
        return "Напоминание: нет реакции по 1 обращению"
    return "Напоминание: срок реакции истёк" if late else "Напоминание: скоро истекает срок реакции"


@PACE
@pytest.mark.parametrize(
    "back",
    [at(23, 14), at(23, 12, 1)],
    ids=["down-over-the-deadline", "reminder-and-deadline-in-one-pass"],
)
def test_a_deadline_missed_while_down_reaches_the_head_once_by_the_escalation(
    tmp_path, sink, per_hour, back: datetime
):
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": per_hour})
    tid = vip_ticket(desk)
    # maild was down from 11:00 (before the reminder's 11:30) until `back`, past 12:00
    assert jobs_run(desk, back)["reminders"] == 1
    assert deadline_mail(desk, sink, HEAD, tid) == [expected(per_hour, "escalation")]
    for person in STAFF:
        assert deadline_mail(desk, sink, person, tid) == [expected(per_hour, "reminder")]
    # and nothing more: no reminder to him later, nor with the clock set back before the
    # deadline (the reminder's mark says it went to all its people, staff then)
    for later in (at(23, 15), at(24, 10), at(23, 11, 45)):
        assert jobs_run(desk, later)["reminders"] == 0
    assert deadline_mail(desk, sink, HEAD, tid) == [expected(per_hour, "escalation")]
    assert len(sink.to(STAFF[0])) == len(sink.to(STAFF[1]))


@PACE
def test_before_the_deadline_the_head_still_gets_the_reminder_and_then_the_escalation(
    tmp_path, sink, per_hour
):
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": per_hour})
    tid = vip_ticket(desk)
    assert jobs_run(desk, at(23, 11, 30))["reminders"] == 1
    reminder = expected(per_hour, "reminder", late=False)
    assert deadline_mail(desk, sink, HEAD, tid) == [reminder]
    for person in STAFF:
        assert deadline_mail(desk, sink, person, tid) == [reminder]
    # down from 11:31 until 14:00, over the deadline: the escalation, no reminder again
    assert jobs_run(desk, at(23, 14))["reminders"] == 1
    assert deadline_mail(desk, sink, HEAD, tid) == [reminder, expected(per_hour, "escalation")]
    for person in STAFF:
        assert deadline_mail(desk, sink, person, tid) == [reminder]


def test_a_merged_customers_deadline_missed_while_down_reaches_the_head_once(tmp_path, sink):
    """A VIP ticket merged into a free one before any reaction: its customer waits on in
    the free ticket by the VIP deadline (mergedwait). Missed while maild was down, it
    reaches staff by their late reminder and the head by his escalation alone, each
    naming the merged ticket, under the free ticket's tag."""
    desk = Desk(tmp_path, sink.port)
    vip = vip_ticket(desk)
    free = ingest_at(desk, at(23, 10, 5), make_mail(sender=FREE, subject="Корзина Y"))
    ingest_at(desk, at(23, 10, 10), staff_reply(vip, f"#merge {free}\n"))
    assert [w["reaction_due"] for w in desk.ticket(free)["merged_waits"]] == [
        "2026-11-23T12:00:00+03:00"
    ]
    assert jobs_run(desk, at(23, 14))["reminders"] == 1
    assert deadline_mail(desk, sink, HEAD, free) == ["Просрочена реакция на обращение"]
    head = [r for r in sink.to(HEAD) if r.subject.startswith(("Напоминание", "Просрочена"))]
    assert len(head) == 1 and f"{vip} (объединено с [TID#{free}])" in " ".join(head[0].text.split())
    for person in STAFF:
        assert deadline_mail(desk, sink, person, free) == ["Напоминание: срок реакции истёк"]
    assert jobs_run(desk, at(23, 15))["reminders"] == 0
    assert deadline_mail(desk, sink, HEAD, free) == ["Просрочена реакция на обращение"]
