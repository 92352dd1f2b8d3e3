"""domain.remindsteps: the regulation's reminder before a reaction deadline (to staff
and the head, at 75 % of its time) and its escalation once it passed (to the head), and
who gets which when the reminder is late. Whether one of them has it already, and
singly or in a list, is domain.pace's (test_pace.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain.calendar import BusinessCalendar
from maild.domain.pace import customer_due, done_key, list_key
from maild.domain.remindsteps import ReminderStep, reminder_steps
from maild.domain.sla import reminder_at

MSK = ZoneInfo("Europe/Moscow")
CAL = BusinessCalendar()
START = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # a Monday; standard level: 6 hours
DUE = datetime(2026, 11, 23, 16, 0, tzinfo=MSK)
REMIND = datetime(2026, 11, 23, 14, 30, tzinfo=MSK)  # 75 % of the six hours
STAFF = ["anna@support.example", "boris@support.example"]
HEAD = "head@support.example"


def ticket(**kw) -> dict:
    t = {
        "tid": "1234-5678",
        "status": "open",
        "requester": "client@example.com",
        "created_at": START.isoformat(),
        "reaction_from": START.isoformat(),
        "reaction_due": DUE.isoformat(),
        "sent": {},
    }
    return {**t, **kw}


def never_queued(kind: str):
    return lambda person, at: False


def steps(t: dict, now: datetime, staff=STAFF, head: str | None = HEAD, queued=never_queued):
    got = reminder_steps(t, now, (staff, head), 0.75, CAL, queued)
    return [(s.kind, list(s.to)) for s in got]


def test_nothing_is_due_before_three_quarters_of_the_reaction_time():
    assert steps(ticket(), REMIND - timedelta(minutes=1)) == []


def test_at_three_quarters_staff_and_the_head_are_reminded():
    [step] = reminder_steps(ticket(), REMIND, (STAFF, HEAD), 0.75, CAL, never_queued)
    assert (step.kind, step.to, step.due, step.at) == (
        "reminder",
        (*STAFF, HEAD),
        DUE.isoformat(),
        DUE,
    )
    assert step.step == ("reminder", DUE.isoformat(), [*STAFF, HEAD])
    assert step.whose.wait is None  # the ticket's own deadline


def test_at_the_deadline_s_very_instant_it_is_in_time_no_escalation():
    assert steps(ticket(), DUE) == [("reminder", [*STAFF, HEAD])]


def test_once_passed_the_head_is_escalated_to_and_a_late_reminder_is_staff_s_alone():
    late = DUE + timedelta(minutes=1)
    assert steps(ticket(), late) == [("reminder", STAFF), ("escalation", [HEAD])]


def test_a_head_on_the_staff_list_is_reminded_once_as_staff():
    staff = [*STAFF, HEAD]
    assert steps(ticket(), REMIND, staff=staff) == [("reminder", staff)]


def test_without_a_head_staff_are_reminded_and_no_one_escalated_to():
    assert steps(ticket(), REMIND, head=None) == [("reminder", STAFF)]
    assert steps(ticket(), DUE + timedelta(hours=1), head=None) == [("reminder", STAFF)]


@pytest.mark.parametrize("status", ["waiting", "closed"])
def test_a_ticket_whose_deadline_waits_for_no_one_gets_none(status):
    assert steps(ticket(status=status, reaction_due=None), DUE + timedelta(hours=1)) == []
    assert steps(ticket(status="closed"), DUE + timedelta(hours=1)) == []


def test_a_customer_told_before_a_merge_is_not_reminded_of_again():
    """#merge keys what went about a customer in their own ticket for them
    (pace.customer_due): the ticket's own customer already had it."""
    mark = done_key("reminder", customer_due(DUE.isoformat(), "1234-5678"))
    assert steps(ticket(sent={mark: REMIND.isoformat()}), REMIND) == []


def test_a_merged_customer_left_untold_is_reminded_at_three_quarters_of_their_own_time():
    """A customer merged in at the ticket's moment whose clock started later (an urgent
    wait from 13:00, due at 16:00 too) is the one left once the ticket's own customer
    had the reminder: theirs comes at 75 % of their own three hours (15:15), from the
    earliest start of those left (pending.untold), not of the moment's first (14:30),
    which would remind staff of them early."""
    wait = {
        "tid": "1111-2222",
        "level": "urgent",
        "created_at": datetime(2026, 11, 23, 13, 0, tzinfo=MSK).isoformat(),
        "first_reaction_due": DUE.isoformat(),
        "first_reaction_at": None,
        "reaction_due": DUE.isoformat(),
        "requester": "boss@example.com",
    }
    mark = done_key("reminder", customer_due(DUE.isoformat(), "1234-5678"))
    t = ticket(sent={mark: REMIND.isoformat()}, merged_waits=[wait])
    assert steps(t, REMIND) == []
    due = datetime(2026, 11, 23, 15, 15, tzinfo=MSK)
    assert steps(t, due - timedelta(minutes=1)) == []
    [step] = reminder_steps(t, due, (STAFF, HEAD), 0.75, CAL, never_queued)
    assert (step.kind, step.whose.wait) == ("reminder", wait)


def test_a_list_that_never_went_leaves_its_customer_untold():
    """A mark for a list the outbox does not hold (a crash between the marks and the
    list) is taken as not sent: the mail is due again."""
    key = list_key("reminder", customer_due(DUE.isoformat(), "1234-5678"), STAFF[0])
    t = ticket(sent={key: REMIND.isoformat()})
    assert steps(t, REMIND, staff=STAFF[:1], head=None) == [("reminder", STAFF[:1])]
    queued = lambda kind: lambda person, at: at == REMIND.isoformat()  # noqa: E731
    assert steps(t, REMIND, staff=STAFF[:1], head=None, queued=queued) == []


def test_an_escalation_s_list_is_looked_for_among_the_escalation_lists():
    """The head's escalation that went in his list of escalations is not due again:
    the outbox is asked for that kind's list, not the reminders' (nor the other way:
    a reminders' list of that moment does not stand for the escalation)."""
    late = DUE + timedelta(minutes=5)
    due = customer_due(DUE.isoformat(), "1234-5678")
    sent = {
        done_key("reminder", due): REMIND.isoformat(),
        list_key("escalation", due, HEAD): late.isoformat(),
    }
    t = ticket(sent=sent)
    for kind, expected in (("escalation", []), ("reminder", [("escalation", [HEAD])])):
        queued = lambda k, kind=kind: lambda person, at: k == kind  # noqa: E731
        assert steps(t, late, queued=queued) == expected


heads = st.sampled_from([None, HEAD, STAFF[0]])
offsets = st.timedeltas(timedelta(hours=-10), timedelta(days=5))


@given(head=heads, offset=offsets)
def test_who_gets_which_by_the_deadline_s_instant(head, offset):
    now = DUE + offset
    got = reminder_steps(ticket(), now, (STAFF, head), 0.75, CAL, never_queued)
    kinds = [s.kind for s in got]
    late = now > DUE
    assert ("escalation" in kinds) == (late and head is not None)
    assert ("reminder" in kinds) == (now >= reminder_at(START, DUE, 0.75, CAL))
    for s in got:
        if s.kind == "escalation":
            assert s.to == (head,)
        else:  # the head hears of it before, by the escalation after (once either way)
            apart = head is not None and head not in STAFF and not late
            assert s.to == (*STAFF, *([head] if apart else []))
        assert s.at == DUE and isinstance(s, ReminderStep)
