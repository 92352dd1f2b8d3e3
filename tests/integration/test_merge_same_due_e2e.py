"""#merge of two tickets due at the same moment, end to end (`maild ingest` with the
clock fixed, `maild jobs run --now`, a real aiosmtpd relay): a night's mail all starts
its deadline at 09:00, so two customers of one level written about one problem in the
evening are due together. The survivor keeps its own deadline and the merged ticket's
customer waits on by theirs (mergedwait): one moment, two customers. Staff got one
reminder, and the head one escalation, naming the merged customer alone: the
survivor's own customer was named nowhere. Each deadline mail is one per moment and
person (its marks, its «about_due»), so that one mail names both."""

from __future__ import annotations

from datetime import datetime, timedelta

from maild.domain.calendar import BusinessCalendar
from maild.domain.sla import reaction_due
from tests.helpers import Desk, Received
from tests.integration.test_deadlines_e2e import at, ingest_at, jobs_run
from tests.integration.test_merged_wait_mail_e2e import HEAD, REMINDED, STAFF, deadline_mail
from tests.integration.test_sla_breach_e2e import STANDARD, licensed, new_ticket
from tests.integration.test_staff_e2e import staff_reply

OLGA = "olga@shop-example.ru"  # standard support too, a license of her own
LEVEL = "Коммерческие клиенты: стандартная поддержка"
ONCE_EACH = [("escalation", HEAD), *(("reminder", p) for p in REMINDED)]


def same_moment(desk: Desk) -> tuple[str, str, datetime]:
    """Ivan's A at 20:00 and Olga's B at 21:00 on Monday 23rd, both standard support,
    both due Tuesday at the opening plus the level's hours (15:00: the calendar's and
    sla.LEVELS', not written here); B merged into A at 22:00: (A, B, that deadline)."""
    licensed(desk)
    r = desk.run("license", "add", "--key", "S-2", "--level", "standard", "--email", OLGA)
    assert r.code == 0, r.err
    a = new_ticket(desk, 23, 20, STANDARD, "Ошибка при оплате")
    b = new_ticket(desk, 23, 21, OLGA, "Оплата не проходит")
    due = reaction_due("standard", at(23, 20), BusinessCalendar())
    assert due == reaction_due("standard", at(23, 21), BusinessCalendar()) > at(24, 0)
    assert desk.ticket(a)["reaction_due"] == desk.ticket(b)["reaction_due"] == due.isoformat()
    ingest_at(desk, at(23, 22), staff_reply(b, f"#merge {a}"))
    t = desk.ticket(a)
    assert t["own_reaction_due"] == t["merged_waits"][0]["reaction_due"] == due.isoformat()
    return a, b, due


def names_both(mail: Received, a: str, b: str) -> None:
    text = " ".join(mail.text.split())
    assert f"[TID#{a}]" in mail.subject and f"TID#{b}" not in mail.subject
    assert f"Клиент: {STANDARD}" in text  # the survivor's own customer
    assert f"ждёт ответа и клиент обращения {b} (объединено с [TID#{a}])" in text
    assert f"Клиент: {OLGA}, уровень: {LEVEL}" in text


def test_one_deadline_mail_names_both_customers_due_at_one_moment(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    a, b, due = same_moment(desk)
    minute = timedelta(minutes=1)
    for when in (due - minute, due + minute, due + 60 * minute):
        jobs_run(desk, when)
    assert desk.flush().code == 0
    mail = deadline_mail(sink, due)
    assert sorted((k, to) for k, to, _ in mail) == ONCE_EACH
    for _kind, _to, m in mail:
        names_both(m, a, b)


def test_a_list_names_both_customers_in_the_line_of_that_deadline(tmp_path, sink):
    # no single deadline mail at all: every one goes in a list (domain.pace)
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": 0})
    a, b, due = same_moment(desk)
    jobs_run(
        desk, due + timedelta(minutes=1)
    )  # one run past the deadline: staff's reminder list, and
    assert desk.flush().code == 0  # the head's escalation list alone (no late reminder)
    lists = [r for r in sink.received if r.subject.startswith(("Напоминание: нет", "Просрочена"))]
    assert sorted(to for r in lists for to in r.rcpt_tos) == sorted([HEAD, *STAFF])
    for m in lists:
        names_both(m, a, b)
        assert m.text.count(f"[TID#{a}] ") == 1  # one line: one deadline
