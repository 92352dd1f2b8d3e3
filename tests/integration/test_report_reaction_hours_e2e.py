"""The SLA report's reaction hours (median, 90 %) of a ticket opened by automatic mail
count from when its first deadline started (the customer's mail, or staff's #level),
not from the automatic mail that opened it: there was nothing to react to before.
`maild ingest` with the clock fixed, `maild report sla --json`."""

from __future__ import annotations

from tests.helpers import make_mail
from tests.integration.test_deadlines_e2e import at, ingest_at
from tests.integration.test_sla_breach_e2e import STANDARD, licensed, sla
from tests.integration.test_staff_e2e import staff_reply

AUTO = {"Auto-Submitted": "auto-replied"}


def test_hours_of_a_ticket_opened_by_automatic_mail_count_from_its_first_deadline(desk):
    """An out-of-office opens a standard ticket on Monday 10:00 (no deadline); the
    customer writes on Wednesday 10:00 (due 16:00); staff answer at 11:00: 1 hour, in
    time, not the 19 business hours since the out-of-office."""
    licensed(desk)
    tid = ingest_at(
        desk, at(23, 10), make_mail(sender=STANDARD, subject="Нет на месте", headers=AUTO)
    )
    ingest_at(desk, at(25, 10), make_mail(sender=STANDARD, subject=f"Вопрос [TID#{tid}]"))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-25T16:00:00+03:00"
    ingest_at(desk, at(25, 11), staff_reply(tid, "Ответ на вопрос."))
    b = sla(desk)["standard"]
    assert (b["tickets"], b["in_time"], b["breached"]) == (1, 1, 0)
    assert (b["median_reaction_hours"], b["p90_reaction_hours"]) == (1.0, 1.0)


def test_hours_of_such_a_ticket_given_a_level_by_staff_count_from_the_command(desk):
    """The same out-of-office, no mail from the customer: staff's `#level standard` on
    Wednesday 10:00 says a person waits, from then; the answer at 12:30: 2.5 hours."""
    tid = ingest_at(desk, at(23, 10), make_mail(subject="Нет на месте", headers=AUTO))
    ingest_at(desk, at(25, 10), staff_reply(tid, "#level standard"))
    ingest_at(desk, at(25, 12, 30), staff_reply(tid, "Ответ на вопрос."))
    b = sla(desk)["standard"]
    assert (b["tickets"], b["in_time"], b["median_reaction_hours"]) == (1, 1, 2.5)


def test_hours_of_such_a_ticket_merged_before_a_reaction_count_from_its_deadline(desk):
    """The out-of-office's ticket given its first deadline by the customer's mail on
    Wednesday 10:00, merged at 10:30 into the customer's other ticket, answered there
    at 12:00: its wait, counted where it went on, took 2 hours."""
    licensed(desk)
    auto = ingest_at(
        desk, at(23, 10), make_mail(sender=STANDARD, subject="Нет на месте", headers=AUTO)
    )
    ingest_at(desk, at(25, 10), make_mail(sender=STANDARD, subject=f"Вопрос [TID#{auto}]"))
    other = ingest_at(desk, at(25, 10), make_mail(sender=STANDARD, subject="Вопрос ещё раз"))
    ingest_at(desk, at(25, 10, 30), staff_reply(auto, f"#merge {other}"))
    ingest_at(desk, at(25, 12), staff_reply(other, "Ответ на оба."))
    b = sla(desk)["standard"]
    assert (b["tickets"], b["in_time"], b["breached"]) == (2, 2, 0)
    assert (b["median_reaction_hours"], b["p90_reaction_hours"]) == (2.0, 2.0)


def test_a_level_corrected_after_closing_is_timed_from_the_first_deadlines_start(desk):
    """The out-of-office's ticket given its first deadline by the customer's mail on
    Wednesday 10:00, answered and closed at 11:00; then staff correct its level to VIP:
    2 hours from Wednesday 10:00 is 12:00, so the answer was in time, not a breach of
    a VIP deadline on Monday, two days before the customer wrote."""
    licensed(desk)
    tid = ingest_at(
        desk, at(23, 10), make_mail(sender=STANDARD, subject="Нет на месте", headers=AUTO)
    )
    ingest_at(desk, at(25, 10), make_mail(sender=STANDARD, subject=f"Вопрос [TID#{tid}]"))
    ingest_at(desk, at(25, 11), staff_reply(tid, "Ответ на вопрос.\n#close"))
    ingest_at(desk, at(25, 11, 30), staff_reply(tid, "#level vip"))
    assert desk.ticket(tid)["level"] == "vip"
    b = sla(desk)["vip"]
    assert (b["tickets"], b["in_time"], b["breached"]) == (1, 1, 0)
    assert b["median_reaction_hours"] == 1.0
