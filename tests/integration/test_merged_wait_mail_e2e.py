"""The deadline mail about a merged wait, end to end (the real CLI, `jobs run --now`, a
real aiosmtpd relay): a ticket merged in before any reaction keeps its customer's wait
in the survivor (mergedwait), and the reminder and the escalation about that wait name
the merged ticket — its TID, customer, level and deadline — and the ticket it was
merged into, whose tag the subject carries: a reply goes on there. Each deadline gets
one of each, and a reaction on the survivor ends the merged wait's mail too."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import Desk, Received, make_mail
from tests.integration.test_staff_e2e import staff_reply

VIP = "ivan@shop-example.ru"  # a VIP customer: 2 business hours
FREE = "petr@client.example"  # free support: 24 business hours
STAFF = ["anna@example.com", "boris@example.com"]
HEAD = "head@example.com"
REMINDED = sorted([*STAFF, HEAD])  # who gets a reminder before its deadline: staff and the head
MINUTE = timedelta(minutes=1)
KINDS = {"Напоминание": "reminder", "Просрочена реакция": "escalation"}


def jobs_at(desk: Desk, at: datetime) -> None:
    r = desk.run("jobs", "run", "--now", at.isoformat())
    assert r.code == 0, r.err
    assert desk.flush().code == 0


def shown(due: datetime) -> str:
    return due.strftime("%d.%m.%Y %H:%M")  # as the mail writes it (Moscow time)


def deadline_mail(sink, due: datetime) -> list[tuple[str, str, Received]]:
    """(kind, recipient, mail) of each reminder and escalation about `due`."""
    return [
        (kind, to, r)
        for r in sink.received
        for to in r.rcpt_tos
        for start, kind in KINDS.items()
        if r.subject.startswith(start) and f"{shown(due)})" in r.subject
    ]


def two_tickets(desk: Desk) -> tuple[str, str, datetime, datetime]:
    """(the VIP ticket, the free one, their deadlines)."""
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", VIP)
    vip = desk.ingest_tid(make_mail(sender=VIP, subject="Корзина X"))
    free = desk.ingest_tid(make_mail(sender=FREE, subject="Корзина Y"))
    assert desk.flush().code == 0
    due = {t: datetime.fromisoformat(desk.ticket(t)["reaction_due"]) for t in (vip, free)}
    assert due[vip] < due[free]
    return vip, free, due[vip], due[free]


def assert_names_merged(mail: Received, merged: str, survivor: str, customer: str, level: str):
    assert f"[TID#{survivor}]" in mail.subject and f"TID#{merged}" not in mail.subject
    text = " ".join(mail.text.split())
    assert f"{merged} (объединено с [TID#{survivor}])" in text
    assert f"Клиент: {customer}" in text and f"Уровень: {level}" in text


def test_the_mail_about_a_merged_wait_names_the_merged_ticket(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    vip, free, vip_due, free_due = two_tickets(desk)
    desk.ingest(staff_reply(vip, f"#merge {free}\n"))  # the VIP ticket into the free one
    assert desk.flush().code == 0

    jobs_at(desk, vip_due - MINUTE)  # the reminder of the VIP customer's deadline
    jobs_at(desk, vip_due + MINUTE)  # its escalation
    jobs_at(desk, vip_due + 30 * MINUTE)  # nothing again
    mail = deadline_mail(sink, vip_due)
    assert sorted((k, to) for k, to, _ in mail) == [
        ("escalation", HEAD),
        *(("reminder", p) for p in REMINDED),
    ]
    for _kind, _to, m in mail:
        assert_names_merged(m, vip, free, VIP, "Коммерческие клиенты: VIP поддержка")
        assert FREE not in m.text and "Бесплатная" not in m.text
        assert shown(vip_due) in m.text

    # staff's reply to the reminder is a reply in the survivor: #take there ends the wait
    reminder = next(m for k, to, m in mail if k == "reminder" and to == STAFF[0])
    reply_to = reminder.msg["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith(f"support+{free}.")
    desk.ingest(staff_reply(free, "#take\n", to=reply_to, subject=f"Re: {reminder.subject}"))
    assert desk.ticket(free)["assignee"] == STAFF[0]
    assert desk.ticket(free)["first_reaction_at"]


def test_a_merged_wait_due_later_is_reminded_and_escalated_once_on_its_own(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    vip, free, vip_due, free_due = two_tickets(desk)
    desk.ingest(staff_reply(free, f"#merge {vip}\n"))  # the free ticket into the VIP one
    assert desk.flush().code == 0
    assert desk.ticket(vip)["reaction_due"] == vip_due.isoformat()

    jobs_at(desk, vip_due + MINUTE)  # the VIP ticket's own deadline: as ever (one run past
    # it: staff's late reminder, the head's escalation alone)
    for _kind, _to, m in deadline_mail(sink, vip_due):
        assert "объединено" not in m.text and f"Клиент: {VIP}" in m.text
    for at in (free_due - 2 * 60 * MINUTE, free_due + MINUTE, free_due + 60 * MINUTE):
        jobs_at(desk, at)
    mail = deadline_mail(sink, free_due)
    assert sorted((k, to) for k, to, _ in mail) == [
        ("escalation", HEAD),
        *(("reminder", p) for p in REMINDED),
    ]
    for _kind, _to, m in mail:
        assert_names_merged(m, free, vip, FREE, "Бесплатная поддержка")
        assert VIP not in m.text
    assert len(deadline_mail(sink, vip_due)) == 3  # the VIP deadline's mail went once


def test_a_reaction_on_the_survivor_ends_the_merged_waits_mail(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    vip, free, vip_due, free_due = two_tickets(desk)
    desk.ingest(staff_reply(free, f"#merge {vip}\n"))
    assert desk.flush().code == 0
    jobs_at(desk, free_due - 2 * 60 * MINUTE)  # the merged wait's reminder is due
    assert sorted(to for k, to, _ in deadline_mail(sink, free_due)) == REMINDED
    desk.ingest(staff_reply(vip, "Смотрим, ответим сегодня.\n"))  # an answer to both
    assert desk.flush().code == 0
    jobs_at(desk, free_due + MINUTE)
    jobs_at(desk, free_due + 60 * MINUTE)
    assert [k for k, _to, _m in deadline_mail(sink, free_due)] == ["reminder"] * 3


def test_a_list_names_the_merged_wait_beside_the_survivors_own_deadline(tmp_path, sink):
    # no single deadline mail at all: every one goes in a list (domain.pace)
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": 0})
    vip, free, vip_due, free_due = two_tickets(desk)
    desk.ingest(staff_reply(free, f"#merge {vip}\n"))
    assert desk.flush().code == 0
    jobs_at(desk, free_due + MINUTE)  # both deadlines passed: one list of both
    jobs_at(desk, free_due + 30 * MINUTE)  # and nothing again
    lists = [r for r in sink.received if r.subject.startswith("Просрочена реакция по ")]
    assert [r.rcpt_tos for r in lists] == [[HEAD]]
    text = lists[0].text
    own, merged = text.split(f"[TID#{vip}] ")[1:3]
    assert own.startswith("Корзина X") and f"Клиент: {VIP}, уровень: Коммерческие" in own
    assert "объединено" not in own
    assert merged.startswith("Корзина Y")
    assert f"Обращение {free} (объединено с [TID#{vip}])" in merged
    assert f"Клиент: {FREE}, уровень: Бесплатная поддержка" in merged
    assert f"Срок реакции истёк: {shown(free_due)}" in merged
    assert f"TID#{free}" not in text and f"[TID#{vip}]" in lists[0].subject
    # staff's list of (late) reminders; the head's word of those deadlines is his list above
    reminders = [r for r in sink.received if r.subject.startswith("Напоминание: нет реакции")]
    assert sorted(to for r in reminders for to in r.rcpt_tos) == STAFF
