"""#merge of a ticket due earlier into one due later, end to end (`maild ingest` with
the clock fixed, `maild jobs run --now`, `maild report sla --json`, `ticket show` and
`ticket list`; a real aiosmtpd relay): the surviving ticket keeps its own deadline and
level, and the merged ticket's customer waits on by theirs (mergedwait). Each
customer's deadline is reminded and escalated once, naming that customer and level,
and the SLA report counts both breaches, once each."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.helpers import Desk, make_mail
from tests.integration.test_deadlines_e2e import at, ingest_at, jobs_run, mails_to
from tests.integration.test_merged_wait_mail_e2e import (
    HEAD,
    REMINDED,
    assert_names_merged,
    deadline_mail,
    shown,
)
from tests.integration.test_sla_breach_e2e import figures, licensed, new_ticket, sla
from tests.integration.test_staff_e2e import staff_reply

VIP, STANDARD = "vip@vip-example.ru", "ivan@shop-example.ru"
ONCE_EACH = [("escalation", HEAD), *(("reminder", p) for p in REMINDED)]


def jobs_every_half_hour(desk: Desk, until: datetime) -> None:
    """The scheduler's jobs every half hour from 11:30 on the 23rd (after the merges
    below) through `until`."""
    when = at(23, 11, 30)
    while when <= until:
        jobs_run(desk, when)
        when += timedelta(minutes=30)


def merged_earlier_into_later(desk: Desk) -> tuple[str, str]:
    """Standard A at 10:00 (due 16:00), VIP B at 11:00 (due 13:00), B merged into A at
    11:10: (A, B)."""
    licensed(desk)
    a = new_ticket(desk, 23, 10, STANDARD, "Ошибка при оплате")
    b = new_ticket(desk, 23, 11, VIP, "Оплата не проходит")
    assert desk.ticket(a)["reaction_due"] == at(23, 16).isoformat()
    assert desk.ticket(b)["reaction_due"] == at(23, 13).isoformat()
    ingest_at(desk, at(23, 11, 10), staff_reply(b, f"#merge {a}"))
    assert desk.flush().code == 0
    return a, b


def test_each_customers_deadline_is_reminded_escalated_and_reported_once(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    a, b = merged_earlier_into_later(desk)
    jobs_every_half_hour(desk, at(24, 12))  # past both deadlines, and on
    assert desk.flush().code == 0

    b_mail = deadline_mail(sink, at(23, 13))
    assert sorted((k, to) for k, to, _ in b_mail) == ONCE_EACH
    for _kind, _to, m in b_mail:
        assert_names_merged(m, b, a, VIP, "Коммерческие клиенты: VIP поддержка")
        assert STANDARD not in m.text

    a_mail = deadline_mail(sink, at(23, 16))  # A's own deadline: not lost to B's
    assert sorted((k, to) for k, to, _ in a_mail) == ONCE_EACH
    for _kind, _to, m in a_mail:
        assert f"[TID#{a}]" in m.subject and "объединено" not in m.text
        assert f"Клиент: {STANDARD}" in " ".join(m.text.split())
        assert VIP not in m.text and "VIP" not in m.text

    levels = sla(desk)
    assert figures(levels["vip"])[:3] == (1, 0, 1)
    assert figures(levels["standard"])[:3] == (1, 0, 1)
    assert figures(levels["all"])[:3] == (2, 0, 2)


def test_the_survivor_keeps_its_own_deadline_and_shows_the_nearest(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    a, b = merged_earlier_into_later(desk)
    t = desk.ticket(a)
    assert t["level"] == "standard"
    # the next reaction due on A is B's customer's (INTERFACE.md: reaction_due)
    assert t["reaction_due"] == at(23, 13).isoformat()
    [wait] = t["merged_waits"]
    assert (wait["tid"], wait["level"], wait["requester"]) == (b, "vip", VIP)
    assert wait["reaction_due"] == at(23, 13).isoformat()
    [row] = [r for r in desk.tickets() if r["tid"] == a]
    assert row["reaction_due"] == at(23, 13).isoformat()
    # A's own deadline beside B's nearer one, in show and list alike (README: ticket JSON)
    assert t["own_reaction_due"] == row["own_reaction_due"] == at(23, 16).isoformat()
    assert "own_reaction_due" not in desk.ticket(b)  # no waits merged into it: no key
    shown_a = desk.run("ticket", "show", a).out
    assert f"reaction due: {shown(at(23, 13))}" in shown_a
    assert f"own deadline: {shown(at(23, 16))}" in shown_a
    assert f"[TID#{b}] {VIP} (vip): due {shown(at(23, 13))}" in shown_a
    listed = desk.run("ticket", "list").out
    [line] = [x for x in listed.splitlines() if x.startswith(a)]
    assert shown(at(23, 13)) in line

    # each customer asking for the state hears of their own deadline and level
    asked = ((VIP, b, at(23, 13), "VIP"), (STANDARD, a, at(23, 16), "стандартная"))
    for who, tid, due, level in asked:
        question = make_mail(sender=who, subject=f"Re: [TID#{tid}]", body="статус")
        ingest_at(desk, at(23, 11, 30), question)
        told = mails_to(desk, sink, who)[-1]
        assert told.subject.startswith("Состояние обращения")
        text = " ".join(told.text.split())
        assert f"Ответ поступит не позднее: {shown(due)}" in text
        assert f"Уровень обслуживания: Коммерческие клиенты: {level}" in text

    # a reaction on A ends both waits: nothing is due on it any more
    ingest_at(desk, at(23, 12), staff_reply(a, "Смотрим оплату, ответим сегодня."))
    t = desk.ticket(a)
    assert t["reaction_due"] is None and t["own_reaction_due"] is None
    assert t["merged_waits"][0]["first_reaction_at"] == at(23, 12).isoformat()
    assert jobs_run(desk, at(24, 12))["reminders"] == 0
    levels = sla(desk)
    assert figures(levels["vip"])[:3] == (1, 1, 0)
    assert figures(levels["standard"])[:3] == (1, 1, 0)


@pytest.mark.daily_mail
def test_a_merged_customers_next_mail_waits_by_their_own_deadline(tmp_path, sink):
    """A answered before B came; B merged into A, then B's customer writes again: their
    mail waits by their pending 13:00, and starts no deadline of A's own (A's customer
    has their answer): one reminder and one escalation in all, about 13:00."""
    desk = Desk(tmp_path, sink.port)
    licensed(desk)
    a = new_ticket(desk, 23, 10, STANDARD, "Ошибка при оплате")
    ingest_at(desk, at(23, 10, 30), staff_reply(a, "Смотрим."))
    b = new_ticket(desk, 23, 11, VIP, "Оплата не проходит")
    ingest_at(desk, at(23, 11, 10), staff_reply(b, f"#merge {a}"))
    more = make_mail(sender=VIP, subject=f"Re: [TID#{b}]", body="Добавлю: код ошибки 500.")
    ingest_at(desk, at(23, 11, 20), more)
    t = desk.ticket(a)
    assert (t["status"], t["reaction_due"]) == ("open", at(23, 13).isoformat())
    jobs_every_half_hour(desk, at(24, 12))
    assert desk.flush().code == 0
    told = [r for r in sink.received if r.subject.startswith(("Напоминание", "Просрочена"))]
    assert sorted(to for r in told for to in r.rcpt_tos) == sorted([HEAD, *REMINDED])
    assert all(f"{shown(at(23, 13))})" in r.subject for r in told)
    # the morning queue: B's customer's mail waits on A, due 13:00 (not "answered"),
    # and the next morning it is overdue
    digests = [r for r in sink.received if r.subject.startswith("Очередь обращений")]
    first = next(r for r in digests if "на 23.11.2026" in r.subject)
    assert f"[TID#{a}] до 23.11 13:00" in first.text and "ответ дан" not in first.text
    second = next(r for r in digests if "на 24.11.2026" in r.subject)
    assert f"ПРОСРОЧЕНО [TID#{a}] до 23.11 13:00" in second.text
    assert second.subject.endswith("просрочено 1")


def test_a_customer_who_filed_both_waits_by_the_merged_wait_alone(tmp_path, sink):
    """The usual merge: Ivan's first ticket was answered, his second (free support, due
    25.11 17:00) is merged into it. His next mail waits by that 17:00, not a deadline of
    its own: he is told 17:00 when he asks and when he writes again, and staff and the
    head hear of one deadline, once each (a second, 17:20, came for the same mail)."""
    desk = Desk(tmp_path, sink.port)
    a = new_ticket(desk, 23, 10, STANDARD, "Ошибка при оплате")
    ingest_at(desk, at(23, 10, 30), staff_reply(a, "Смотрим."))
    b = new_ticket(desk, 23, 11, STANDARD, "Ещё вопрос про доставку")
    ingest_at(desk, at(23, 11, 10), staff_reply(b, f"#merge {a}"))
    asked = make_mail(sender=STANDARD, subject=f"Re: [TID#{a}]", body="статус")
    ingest_at(desk, at(23, 11, 15), asked)
    assert "Ответ поступит не позднее: 25.11.2026 17:00" in mails_to(desk, sink, STANDARD)[-1].text
    more = make_mail(sender=STANDARD, subject=f"Re: [TID#{a}]", body="Добавлю: код ошибки 500.")
    ingest_at(desk, at(23, 11, 20), more)
    ack = " ".join(mails_to(desk, sink, STANDARD)[-1].text.split())
    assert "не позднее: 25.11.2026 17:00" in ack and "17:20" not in ack
    jobs_every_half_hour(desk, at(26, 12))
    assert desk.flush().code == 0
    assert sorted((k, to) for k, to, _ in deadline_mail(sink, at(25, 17))) == ONCE_EACH
    assert deadline_mail(sink, at(25, 17, 20)) == []


def test_a_list_names_each_deadline_of_a_merged_ticket_once(tmp_path, sink):
    """Every deadline mail in lists (the limit is 0): one run past both deadlines puts
    A on each list once, with its own deadline and B's merged wait, one line each (A
    put on a list's waiting tickets again for its second deadline named it twice over)."""
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": 0})
    a, _b = merged_earlier_into_later(desk)
    jobs_run(desk, at(24, 12))
    assert desk.flush().code == 0
    lists = [r for r in sink.received if r.subject.startswith(("Напоминание: нет", "Просрочена"))]
    assert sorted(to for r in lists for to in r.rcpt_tos) == sorted(REMINDED)
    for m in lists:
        assert m.text.count(f"[TID#{a}] ") == 2, m.text
