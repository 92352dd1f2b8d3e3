"""A bare `#take` on a ticket whose customer's follow-up waits for staff: once the
customer was told work has started (the first `#take`), a second one sends them nothing,
so it is no reaction to the follow-up (they heard nothing, as after a `#wait` alone):
the follow-up's deadline stands, staff are reminded and the head escalated about it,
and `maild report sla` judges it by the answer that reaches the customer. One that does
tell them («работа начата», never sent before) is a reaction, as on a new ticket.
`maild ingest` with the clock fixed, `maild jobs run --now`, `maild report sla --json`,
a real aiosmtpd relay."""

from __future__ import annotations

from tests.helpers import make_mail
from tests.integration.test_deadlines_e2e import HEAD, at, ingest_at, jobs_run, mails_to
from tests.integration.test_sla_breach_e2e import VIP, followups, licensed, new_ticket, sla
from tests.integration.test_staff_e2e import staff_reply


def followup(desk, tid: str, when) -> None:
    more = make_mail(sender=VIP, subject=f"Re: [TID#{tid}]", body="Не помогло, та же ошибка.")
    ingest_at(desk, when, more)


def test_a_bare_take_that_tells_the_customer_nothing_leaves_the_followup_waiting(desk, sink):
    """VIP at 10:00, `#take` at 10:30 («работа начата» goes); the customer writes at
    11:00 (due 13:00); a second bare `#take` at 11:30 sends nothing; the head is told at
    13:01 that the deadline passed, the answer comes at 14:00: one follow-up, breached
    (it was counted in time at 11:30, and no escalation went)."""
    licensed(desk)
    tid = new_ticket(desk, 23, 10, VIP, "Не открывается админка")
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, "#take"))
    followup(desk, tid, at(23, 11))
    started = mails_to(desk, sink, VIP)
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T13:00:00+03:00"
    ingest_at(desk, at(23, 11, 30), staff_reply(tid, "#take"))
    assert len(mails_to(desk, sink, VIP)) == len(started)  # the customer heard nothing
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T13:00:00+03:00"
    assert followups(sla(desk)["vip"]) == (1, 0, 1)  # pending, past its deadline now
    jobs_run(desk, at(23, 13, 1))
    told = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert len(told) == 1 and f"[TID#{tid}]" in told[0], told
    ingest_at(desk, at(23, 14), staff_reply(tid, "Исправили, проверьте."))
    assert desk.ticket(tid)["reaction_due"] is None
    levels = sla(desk)
    assert followups(levels["vip"]) == (1, 0, 1)
    assert (levels["vip"]["tickets"], levels["vip"]["in_time"]) == (1, 1)  # the first #take


def test_a_bare_take_after_an_answer_is_no_reaction_to_the_followup(desk, sink):
    """VIP at 10:00 answered at 10:30 (the answer says work has started); the customer
    writes at 11:00 (due 13:00); a bare `#take` at 11:30 sends nothing: the deadline
    stands until the answer at 12:30, in time."""
    licensed(desk)
    tid = new_ticket(desk, 23, 10, VIP, "Не открывается админка")
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, "Очистите кэш, пожалуйста."))
    followup(desk, tid, at(23, 11))
    before = len(mails_to(desk, sink, VIP))
    ingest_at(desk, at(23, 11, 30), staff_reply(tid, "#take"))
    assert len(mails_to(desk, sink, VIP)) == before
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T13:00:00+03:00"
    assert desk.ticket(tid)["first_reaction_at"] == "2026-11-23T10:30:00+03:00"
    ingest_at(desk, at(23, 12, 30), staff_reply(tid, "Исправили, проверьте."))
    assert followups(sla(desk)["vip"]) == (1, 1, 0)


def test_a_bare_take_that_tells_the_customer_work_started_is_the_followups_reaction(desk, sink):
    """VIP at 10:00 closed at 10:30 by a `#close` alone (its notice the reaction); the
    customer's reply at 11:00 opens it again (due 13:00); a bare `#take` at 11:30 sends
    «работа начата», never sent before: the reaction, in time."""
    licensed(desk)
    tid = new_ticket(desk, 23, 10, VIP, "Не открывается админка")
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, "#close"))
    followup(desk, tid, at(23, 11))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T13:00:00+03:00"
    before = len(mails_to(desk, sink, VIP))
    ingest_at(desk, at(23, 11, 30), staff_reply(tid, "#take"))
    [started] = mails_to(desk, sink, VIP)[before:]
    assert "начата" in started.subject + started.text
    assert desk.ticket(tid)["reaction_due"] is None
    assert followups(sla(desk)["vip"]) == (1, 1, 0)
