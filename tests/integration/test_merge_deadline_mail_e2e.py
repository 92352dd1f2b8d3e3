"""#merge and the deadline mail, end to end (the real CLI, `jobs run --now`, a real
aiosmtpd relay): the deadline of a ticket merged in before any reaction goes on in the
surviving one (as its customer's wait, the survivor's next deadline when earlier: its
`reaction_due`), and what went about that deadline comes along; staff get one reminder
and the head one escalation per deadline, however many merges the deadline passes
through."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from tests.helpers import Desk, make_mail
from tests.integration.test_staff_e2e import staff_reply

VIP = "ivan@shop-example.ru"  # a VIP customer: 2 business hours
STAFF = ["anna@example.com", "boris@example.com"]
HEAD = "head@example.com"


def deadline_mail(sink, due: str) -> Counter:
    """(recipient, kind) of each reminder and escalation about the deadline `due` (as
    the mail writes it, «02.03.2027 12:00») the relay took, about any ticket."""
    kinds = {"Напоминание": "reminder", "Просрочена реакция": "escalation"}
    return Counter(
        (to, kind)
        for r in sink.received
        for to in r.rcpt_tos
        for start, kind in kinds.items()
        if r.subject.startswith(start) and f"{due})" in r.subject
    )


def jobs_at(desk: Desk, at: datetime) -> None:
    r = desk.run("jobs", "run", "--now", at.isoformat())
    assert r.code == 0, r.err
    assert desk.flush().code == 0


def test_a_deadline_reminded_and_escalated_is_not_again_after_merges(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", VIP)
    vip = desk.ingest_tid(make_mail(sender=VIP, subject="Корзина X"))
    # two tickets of free support (24 business hours): their deadlines come later
    free = desk.ingest_tid(make_mail(sender="petr@client.example", subject="Корзина Y"))
    last = desk.ingest_tid(make_mail(sender="olga@client.example", subject="Корзина Z"))
    due = datetime.fromisoformat(desk.ticket(vip)["reaction_due"])
    shown = due.strftime("%d.%m.%Y %H:%M")
    minute = timedelta(minutes=1)

    jobs_at(desk, due - minute)  # the reminder of the VIP ticket's deadline
    assert deadline_mail(sink, shown) == Counter((p, "reminder") for p in (*STAFF, HEAD))
    desk.ingest(staff_reply(vip, f"#merge {free}\n"))  # the deadline goes on there
    assert desk.ticket(free)["reaction_due"] == due.isoformat()
    jobs_at(desk, due + minute)  # the escalation, and no second reminder
    once = Counter([*((p, "reminder") for p in (*STAFF, HEAD)), (HEAD, "escalation")])
    assert deadline_mail(sink, shown) == once
    desk.ingest(staff_reply(free, f"#merge {last}\n"))  # reminded and escalated: on again
    assert desk.ticket(last)["reaction_due"] == due.isoformat()
    jobs_at(desk, due + 60 * minute)
    assert deadline_mail(sink, shown) == once


def test_a_follow_ups_deadline_reminded_is_not_again_from_the_ticket_merged_into(tmp_path, sink):
    """Staff answered the VIP ticket, its customer wrote again: that mail's deadline,
    reminded, goes on in the free ticket it is merged into (the earlier of the two, the
    target's own now, no merged wait): the reminder is not sent again from there, the
    escalation goes once."""
    desk = Desk(tmp_path, sink.port)
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", VIP)
    vip = desk.ingest_tid(make_mail(sender=VIP, subject="Корзина X"))
    free = desk.ingest_tid(make_mail(sender="petr@client.example", subject="Корзина Y"))
    desk.ingest(staff_reply(vip, "Проверяем."))
    desk.ingest(make_mail(sender=VIP, subject=f"Re: [TID#{vip}] Корзина X", body="Всё ещё нет."))
    due = datetime.fromisoformat(desk.ticket(vip)["reaction_due"])
    shown = due.strftime("%d.%m.%Y %H:%M")
    minute = timedelta(minutes=1)

    jobs_at(desk, due - minute)
    reminded = Counter((p, "reminder") for p in (*STAFF, HEAD))
    assert deadline_mail(sink, shown) == reminded
    desk.ingest(staff_reply(vip, f"#merge {free}\n"))
    assert desk.ticket(free)["reaction_due"] == due.isoformat()
    assert not desk.ticket(free).get("merged_waits")  # the target's own deadline now
    jobs_at(desk, due - minute // 2)
    assert deadline_mail(sink, shown) == reminded
    jobs_at(desk, due + minute)
    assert deadline_mail(sink, shown) == reminded + Counter([(HEAD, "escalation")])
