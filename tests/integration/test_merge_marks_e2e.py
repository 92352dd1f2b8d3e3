"""#merge of a ticket whose reminder already went into one due at the same moment, end
to end (`maild ingest` with the clock fixed, `maild jobs run --now`, a real aiosmtpd
relay). Ivan's standard B (Monday 21:00, its clock from 09:00) is due Tuesday 15:00
and its reminder went at 13:30; the VIP A came at 13:00, due 15:00 too, and B was
merged into it at 13:50. The marks of B's reminder came into A keyed by that moment,
so A's own customer was never reminded (the mail that went named Ivan alone). What
went about a merged customer is that customer's: A's own reminder goes, naming A's
customer and not Ivan again; the escalation, which went about no one yet, names both.
And the mirror: the reminder went about the survivor's own customer, and a customer
never told is merged in at that moment: the reminder goes about them alone."""

from __future__ import annotations

import re
from collections import Counter

from tests.helpers import Desk, make_mail
from tests.integration.test_deadlines_e2e import at, ingest_at, jobs_run
from tests.integration.test_merged_wait_mail_e2e import HEAD, REMINDED, deadline_mail
from tests.integration.test_sla_breach_e2e import STANDARD, VIP, licensed, new_ticket
from tests.integration.test_staff_e2e import staff_reply


def test_a_merged_customers_reminder_is_theirs_not_the_survivors(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    licensed(desk)
    b = new_ticket(desk, 23, 21, STANDARD, "Оплата не проходит")
    a = new_ticket(desk, 24, 13, VIP, "Ошибка при оплате")
    due = at(24, 15)
    assert desk.ticket(a)["reaction_due"] == desk.ticket(b)["reaction_due"] == due.isoformat()
    jobs_run(desk, at(24, 13, 35))  # B's reminder (13:30); A's is at 14:30
    ingest_at(desk, at(24, 13, 50), staff_reply(b, f"#merge {a}"))
    for when in (at(24, 14, 31), at(24, 15, 1), at(24, 16)):
        jobs_run(desk, when)
    assert desk.flush().code == 0
    mail = deadline_mail(sink, due)
    reminders = [(to, m) for kind, to, m in mail if kind == "reminder"]
    about_b = [to for to, m in reminders if f"[TID#{b}]" in m.subject]
    about_a = [(to, m) for to, m in reminders if f"[TID#{a}]" in m.subject]
    assert sorted(about_b) == REMINDED  # before the merge, Ivan's alone
    assert sorted(to for to, _ in about_a) == REMINDED  # A's own customer's
    for _to, m in about_a:
        text = " ".join(m.text.split())
        assert f"Клиент: {VIP}" in text and STANDARD not in text
    escalations = [(to, m) for kind, to, m in mail if kind == "escalation"]
    assert [to for to, _ in escalations] == [HEAD]
    text = " ".join(escalations[0][1].text.split())
    assert f"Клиент: {VIP}" in text and f"Клиент: {STANDARD}" in text


OLGA = "olga@shop-example.ru"  # a second standard customer
KINDS = {"Напоминание": "reminder", "Просрочена": "escalation"}


def named(sink) -> Counter:
    """How many times each (kind, person, customer) was named by the reminders and
    escalations (singly or in lists) that reached the relay."""
    seen: Counter = Counter()
    for r in sink.received:
        kind = next((k for start, k in KINDS.items() if r.subject.startswith(start)), None)
        if kind is None:
            continue
        for customer in re.findall(r"Клиент: ([\w.@-]+)", " ".join(r.text.split())):
            for to in r.rcpt_tos:
                seen[kind, to, customer] += 1
    return seen


def once_each(*customers: str) -> Counter:
    """Each staff member reminded, and the head told, once of each customer."""
    mail = [("reminder", to, c) for to in REMINDED for c in customers]
    return Counter([*mail, *(("escalation", HEAD, c) for c in customers)])


def run(desk: Desk, *whens) -> None:
    for when in whens:
        jobs_run(desk, when)
    assert desk.flush().code == 0


def test_a_customer_merged_into_a_moment_already_reminded_is_reminded(tmp_path, sink):
    """Ivan's standard A (Monday 21:00, due Tuesday 15:00) was reminded at 13:30; the
    VIP B (13:00, due 15:00, reminder 14:30) merged into A at 13:50 joins that moment
    untold: its customer is reminded once, Ivan not again; the escalation names both."""
    desk = Desk(tmp_path, sink.port)
    licensed(desk)
    a = new_ticket(desk, 23, 21, STANDARD, "Оплата не проходит")
    b = new_ticket(desk, 24, 13, VIP, "Ошибка при оплате")
    run(desk, at(24, 13, 35))
    ingest_at(desk, at(24, 13, 50), staff_reply(b, f"#merge {a}"))
    run(desk, at(24, 14, 31), at(24, 15, 1), at(24, 16))
    assert named(sink) == once_each(STANDARD, VIP)


def test_merged_into_a_moment_already_reminded_in_lists(tmp_path, sink):
    """The same, every reminder in a list (no single ones: the limit is 0)."""
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": 0})
    licensed(desk)
    a = new_ticket(desk, 23, 21, STANDARD, "Оплата не проходит")
    b = new_ticket(desk, 24, 13, VIP, "Ошибка при оплате")
    run(desk, at(24, 13, 35))
    ingest_at(desk, at(24, 13, 50), staff_reply(b, f"#merge {a}"))
    run(desk, at(24, 14, 31), at(24, 14, 45), at(24, 15, 1), at(24, 15, 15), at(24, 16))
    assert named(sink) == once_each(STANDARD, VIP)


def test_both_reminded_before_the_merge_are_not_reminded_again(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    licensed(desk, ("S-2", "standard", OLGA))
    a = new_ticket(desk, 23, 21, STANDARD, "Оплата не проходит")
    b = new_ticket(desk, 23, 22, OLGA, "Ошибка при оплате")
    run(desk, at(24, 13, 35))
    ingest_at(desk, at(24, 13, 50), staff_reply(b, f"#merge {a}"))
    run(desk, at(24, 14, 31), at(24, 15, 1), at(24, 16))
    assert named(sink) == once_each(STANDARD, OLGA)


def test_a_chain_of_merges_reminds_each_customer_once(tmp_path, sink):
    """A (reminded at 13:30) into the VIP B, due then too, at 13:50; B's reminder goes
    at 14:30; then B into the VIP C (due 15:10) at 14:35 and C into the standard D
    (reminded at 13:30, due 15:00) at 14:40: each customer reminded once, escalated once."""
    desk = Desk(tmp_path, sink.port)
    licensed(desk, ("V-2", "vip", "petr@vip2.example"), ("S-2", "standard", OLGA))
    a = new_ticket(desk, 23, 21, STANDARD, "A")
    d = new_ticket(desk, 23, 22, OLGA, "D")
    b = new_ticket(desk, 24, 13, VIP, "B")
    c = ingest_at(desk, at(24, 13, 10), make_mail(sender="petr@vip2.example", subject="C"))
    run(desk, at(24, 13, 35))
    ingest_at(desk, at(24, 13, 50), staff_reply(a, f"#merge {b}"))
    run(desk, at(24, 14, 31))
    ingest_at(desk, at(24, 14, 35), staff_reply(b, f"#merge {c}"))
    ingest_at(desk, at(24, 14, 40), staff_reply(c, f"#merge {d}"))
    run(desk, at(24, 14, 41), at(24, 15, 1), at(24, 15, 11), at(24, 16))
    assert named(sink) == once_each(STANDARD, OLGA, VIP, "petr@vip2.example")


def test_merged_twice_after_joining_a_moment_reminded(tmp_path, sink):
    """B (VIP, untold) into Ivan's A (reminded at 13:30), both due 15:00, at 13:50;
    then A into the VIP C (due 15:10) at 14:00: B's customer is reminded from C once."""
    desk = Desk(tmp_path, sink.port)
    petr = "petr@vip2.example"
    licensed(desk, ("V-2", "vip", petr))
    a = new_ticket(desk, 23, 21, STANDARD, "A")
    b = new_ticket(desk, 24, 13, VIP, "B")
    c = ingest_at(desk, at(24, 13, 10), make_mail(sender=petr, subject="C"))
    run(desk, at(24, 13, 35))
    ingest_at(desk, at(24, 13, 50), staff_reply(b, f"#merge {a}"))
    ingest_at(desk, at(24, 14, 0), staff_reply(a, f"#merge {c}"))
    run(desk, at(24, 14, 31), at(24, 14, 41), at(24, 15, 1), at(24, 15, 11), at(24, 16))
    assert named(sink) == once_each(STANDARD, VIP, petr)


def test_a_customer_the_moments_mail_named_is_not_reminded_again(tmp_path, sink):
    """Olga's D was merged into Ivan's A (both due 15:00) before their reminder, which
    named both at 13:30; the VIP B joins that moment at 13:50: B's customer alone is
    reminded."""
    desk = Desk(tmp_path, sink.port)
    licensed(desk, ("S-2", "standard", OLGA))
    a = new_ticket(desk, 23, 21, STANDARD, "A")
    d = new_ticket(desk, 23, 22, OLGA, "D")
    b = new_ticket(desk, 24, 13, VIP, "B")
    ingest_at(desk, at(24, 13, 5), staff_reply(d, f"#merge {a}"))
    run(desk, at(24, 13, 35))
    ingest_at(desk, at(24, 13, 50), staff_reply(b, f"#merge {a}"))
    run(desk, at(24, 14, 31), at(24, 15, 1), at(24, 16))
    assert named(sink) == once_each(STANDARD, OLGA, VIP)
