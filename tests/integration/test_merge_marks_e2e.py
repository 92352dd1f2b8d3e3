"""#merge of a ticket whose reminder already went into one due at the same moment, end
to end (`maild ingest` with the clock fixed, `maild jobs run --now`, a real aiosmtpd
relay). Ivan's standard B (Monday 21:00, its clock from 09:00) is due Tuesday 15:00
and its reminder went at 13:30; the VIP A came at 13:00, due 15:00 too, and B was
merged into it at 13:50. The marks of B's reminder came into A keyed by that moment,
so A's own customer was never reminded (the mail that went named Ivan alone). What
went about a merged customer is that customer's: A's own reminder goes, naming A's
customer and not Ivan again; the escalation, which went about no one yet, names both."""

from __future__ import annotations

from tests.helpers import Desk
from tests.integration.test_deadlines_e2e import at, ingest_at, jobs_run
from tests.integration.test_merged_wait_mail_e2e import HEAD, STAFF, deadline_mail
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
    assert sorted(about_b) == sorted(STAFF)  # before the merge, Ivan's alone
    assert sorted(to for to, _ in about_a) == sorted(STAFF)  # A's own customer's
    for _to, m in about_a:
        text = " ".join(m.text.split())
        assert f"Клиент: {VIP}" in text and STANDARD not in text
    escalations = [(to, m) for kind, to, m in mail if kind == "escalation"]
    assert [to for to, _ in escalations] == [HEAD]
    text = " ".join(escalations[0][1].text.split())
    assert f"Клиент: {VIP}" in text and f"Клиент: {STANDARD}" in text
