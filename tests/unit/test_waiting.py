"""domain.waiting: after #wait, when the customer is reminded, when the ticket closes
for want of an answer, and who hears of either (schedule.waiting_reminder_days 3,
waiting_autoclose_days 7: the example config's and the schema's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.configtypes import ScheduleConfig
from maild.domain.calendar import BusinessCalendar
from maild.domain.waiting import WaitStep, waiting_step

MSK = ZoneInfo("Europe/Moscow")
CAL = BusinessCalendar()
SCHEDULE = ScheduleConfig(waiting_reminder_days=3, waiting_autoclose_days=7)
PEOPLE = (["staff@support.example", "head@support.example"], "support@support.example")
SINCE = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # a Monday


def msk(d: int, h: int, mi: int = 0, mo: int = 11) -> datetime:
    return datetime(2026, mo, d, h, mi, tzinfo=MSK)


def waiting(**kw) -> dict:
    ticket = {
        "tid": "1234-5678",
        "status": "waiting",
        "reaction_due": None,
        "requester": "client@example.com",
        "participants": [],
        "created_at": msk(20, 12).isoformat(),
        "waiting_since": SINCE.isoformat(),
        "sent": {},
    }
    return {**ticket, **kw}


def step(ticket: dict, now: datetime) -> WaitStep | None:
    return waiting_step(ticket, now, CAL, SCHEDULE, PEOPLE)


def test_the_customer_is_reminded_three_business_days_into_the_wait():
    assert step(waiting(), msk(26, 9, 59)) is None
    got = step(waiting(), msk(26, 10))
    # the reminder names the close: seven business days from it (Thu -> next Mon week)
    assert got == WaitStep("remind", ("client@example.com",), SINCE.isoformat(), msk(7, 10, 0, 12))


def test_the_wait_is_counted_in_business_days_over_a_weekend():
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=MSK)
    ticket = waiting(waiting_since=friday.isoformat())
    assert step(ticket, msk(1, 14, 59, 12)) is None  # Tue: two business days
    assert step(ticket, msk(2, 15, 0, 12)).kind == "remind"  # Wed: three


def test_a_wait_without_its_start_counts_from_the_ticket_s_creation():
    ticket = waiting(waiting_since=None)  # created Fri 20th, 12:00: due Wed 25th 12:00
    assert step(ticket, msk(25, 11, 59)) is None
    assert step(ticket, msk(25, 12)).since == msk(20, 12).isoformat()


def test_the_close_counts_from_the_reminder_not_from_the_wait():
    reminded = msk(26, 10, 1).isoformat()
    ticket = waiting(sent={"waiting_reminder": reminded})
    assert step(ticket, msk(7, 10, 0, 12)) is None  # seven business days: Mon 7th 10:01
    got = step(ticket, msk(7, 10, 1, 12))
    assert got == WaitStep("close", ("client@example.com",), reminded, msk(7, 10, 1, 12))


@pytest.mark.parametrize(
    "ticket",
    [
        waiting(status="open"),  # staff's turn
        waiting(status="closed"),
        waiting(reaction_due=msk(30, 12).isoformat()),  # a customer's mail waits for staff
    ],
)
def test_a_ticket_not_waiting_for_its_customer_gets_neither(ticket):
    late = msk(20, 12, mo=12)  # long past both moments
    assert step(ticket, late) is None
    assert step({**ticket, "sent": {"waiting_reminder": SINCE.isoformat()}}, late) is None


def test_customers_hear_of_it_not_support_s_side_nor_an_automatic_address():
    ticket = waiting(
        participants=["staff@support.example", "support@support.example", "a@example.com"],
        requester="noreply@shop.example",
        automatic="noreply",  # the requester's first mail was automatic: no notice to it
    )
    assert step(ticket, msk(26, 10)).to == ("a@example.com",)
    reminded = waiting(**{**ticket, "sent": {"waiting_reminder": msk(26, 10).isoformat()}})
    assert step(reminded, msk(7, 10, 0, 12)).to == ("a@example.com",)


def test_with_every_customer_held_the_reminder_and_the_close_still_fall_due():
    """(to no one: the ticket is still marked reminded, then closed)"""
    ticket = waiting(automatic="noreply")
    assert step(ticket, msk(26, 10)) == WaitStep("remind", (), SINCE.isoformat(), msk(7, 10, 0, 12))


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(MSK)
)


@given(since=moments, later=st.timedeltas(timedelta(0), timedelta(days=40)))
def test_the_reminder_once_due_stays_due_and_never_comes_within_three_days(since, later):
    ticket = waiting(waiting_since=since.isoformat())
    first = step(ticket, since + later)
    if first is None:
        return
    assert first.kind == "remind" and later >= timedelta(days=3)
    assert first.close_at >= since + later + timedelta(days=7)
    assert step(ticket, since + later + timedelta(minutes=1, days=1)) is not None


@given(reminded=moments, later=st.timedeltas(timedelta(0), timedelta(days=40)))
def test_the_close_once_due_stays_due_and_never_comes_within_seven_days(reminded, later):
    ticket = waiting(sent={"waiting_reminder": reminded.isoformat()})
    got = step(ticket, reminded + later)
    if got is None:
        assert later < timedelta(days=30)  # seven business days, the New Year's days off too
        return
    assert got.kind == "close" and got.since == reminded.isoformat()
    assert got.close_at <= reminded + later and later >= timedelta(days=7)
    assert step(ticket, reminded + later + timedelta(days=1)) is not None


def test_a_new_wait_reminds_the_customer_afresh_before_any_close():
    """Reminded in a first #wait, the customer answered; weeks later staff #wait again.
    The old reminder is no reminder of this wait: kept, the close counted from it was
    long past and the ticket closed the next minute, the customer never asked. The new
    wait reminds first, three business days in."""
    from maild.domain import ticket as tk

    answered = waiting(status="open", sent={"waiting_reminder": msk(26, 10).isoformat()})
    again = msk(14, 10, 0, 12)  # a Monday, weeks after that reminder
    t, _ = tk.apply_command(answered, "wait", None, again, lambda lv, at: at, "anna@s.ru")
    assert step(t, again + timedelta(minutes=1)) is None
    assert step(t, msk(17, 10, 0, 12)).kind == "remind"
