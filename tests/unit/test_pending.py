"""domain.pending: which deadline a ticket's reminder and escalation are about, and
whether it still waits for staff when that mail is about to go."""

from __future__ import annotations

from datetime import datetime

import pytest

from maild.domain.pending import about, due_for, next_due, pending_due, stale, still_pending
from maild.domain.queue import queue_for

DUE = "2026-12-08T12:00:00+03:00"


def _ticket(status: str = "open", due: str | None = DUE) -> dict:
    return {"tid": "1234-5678", "status": status, "reaction_due": due}


@pytest.mark.parametrize("status", ["new", "open"])
def test_a_deadline_waiting_for_staff_is_pending(status):
    assert pending_due(_ticket(status)) == DUE
    assert still_pending(_ticket(status), DUE)


@pytest.mark.parametrize(
    "ticket",
    [
        _ticket(due=None),  # answered
        _ticket("waiting", None),  # put to waiting
        _ticket("closed", None),
        _ticket("closed", DUE),  # a closed ticket owes none, whatever its record says
        _ticket(due="2026-12-09T10:00:00+03:00"),  # its level or deadline changed
        None,  # gone from the store
    ],
)
def test_mail_about_a_deadline_no_longer_pending_is_stale(ticket):
    assert not still_pending(ticket, DUE)


def test_the_same_deadline_written_with_another_offset_is_still_pending():
    """support.timezone changed since: the same instant, other text."""
    assert still_pending(_ticket(due="2026-12-08T09:00:00+00:00"), DUE)
    assert not still_pending(_ticket(due="2026-12-08T12:00:00+00:00"), DUE)


def test_unreadable_times_are_compared_as_text():
    assert still_pending(_ticket(due="garbage"), "garbage")
    assert not still_pending(_ticket(due="garbage"), DUE)


EARLIER = "2026-12-08T10:00:00+03:00"
WAIT = {
    "tid": "1111-2222",
    "level": "vip",
    "created_at": "2026-12-08T08:00:00+03:00",
    "first_reaction_due": EARLIER,
    "first_reaction_at": None,
    "reaction_due": EARLIER,
    "requester": "b@x.ru",
}


def _merged(status: str = "open", due: str | None = DUE, **wait) -> dict:
    return {**_ticket(status, due), "requester": "a@x.ru", "merged_waits": [{**WAIT, **wait}]}


def test_the_next_deadline_is_the_nearest_of_its_own_and_the_waits_merged_in():
    """#merge leaves the survivor its own deadline: what shows when the next reaction is
    due (the queue, `ticket list`, the overdue counts) takes the nearest of them all."""
    assert next_due(_ticket()) == DUE and next_due(_ticket(due=None)) is None
    assert next_due(_merged()) == EARLIER
    assert next_due(_merged(due=None)) == EARLIER  # the survivor's own was answered
    assert next_due(_merged(reaction_due="2026-12-09T10:00:00+03:00")) == DUE
    assert next_due(_merged(first_reaction_at=EARLIER)) == DUE  # that wait ended
    assert next_due(_merged("closed")) is None


def test_each_customer_sees_their_own_deadline():
    assert due_for(_merged(), "a@x.ru") == DUE
    assert due_for(_merged(), "b@x.ru") == EARLIER
    assert due_for(_merged(), None) == DUE
    assert due_for(_merged(first_reaction_at=EARLIER), "b@x.ru") == DUE
    assert due_for(_merged("closed"), "b@x.ru") is None


def test_a_merged_customer_is_never_shown_the_survivors_nearer_deadline():
    """Only the survivor's own requester waits by the nearer of the two: a customer
    merged in is shown their own deadline, not the survivor's nearer one, which is
    not theirs (their status mail would promise a reaction staff do not owe them)."""
    nearer = "2026-12-08T09:30:00+03:00"  # the survivor's own, before b@x.ru's
    assert due_for(_merged(due=nearer), "b@x.ru") == EARLIER
    assert due_for(_merged(due=nearer), "a@x.ru") == nearer


def test_the_queue_orders_and_marks_by_the_nearest_deadline():
    now = datetime.fromisoformat("2026-12-08T11:00:00+03:00")
    rows = [
        {**_ticket(), "tid": "1", "created_at": EARLIER},
        {**_merged(), "tid": "2", "created_at": "2026-12-08T09:00:00+03:00"},
    ]
    q = queue_for("anna@x.ru", rows, now)
    assert [(r["tid"], r["overdue"]) for r in q.others] == [("2", True), ("1", False)]
    assert not q.waiting
    # #wait alone is no reaction to the customer merged in: still staff's turn
    q = queue_for("anna@x.ru", [{**rows[1], "status": "waiting", "reaction_due": None}], now)
    assert [r["tid"] for r in q.others] == ["2"] and not q.waiting


def test_a_merged_customer_waits_by_their_wait_in_either_spelling_and_so_does_the_requester() -> (
    None
):
    """The review: a merged customer replying from the other spelling of their domain
    (boss@xn--80atjc.xn--p1ai, as our mail names boss@окна.рф), and the survivor's own
    requester who filed both tickets, were each given the survivor's own deadline, or
    none: their mail then started a second deadline for one unanswered question."""
    from maild.domain.mergedwait import wait_of
    from maild.domain.pending import due_for

    wait = {"tid": "2222-2222", "requester": "boss@окна.рф", "level": "free",
            "created_at": "2026-11-23T11:00:00+03:00",
            "reaction_due": "2026-11-25T17:00:00+03:00"}  # fmt: skip
    ticket = {"tid": "1111-1111", "status": "open", "requester": "ivan@x.ru",
              "reaction_due": None, "merged_waits": [wait]}  # fmt: skip
    assert wait_of(ticket, "boss@xn--80atjc.xn--p1ai") == wait
    assert due_for(ticket, "BOSS@xn--80atjc.xn--p1ai") == wait["reaction_due"]
    own = {**ticket, "requester": "boss@окна.рф"}  # filed both; their own was answered
    assert due_for(own, "boss@окна.рф") == wait["reaction_due"]
    earlier = {**own, "reaction_due": "2026-11-24T10:00:00+03:00"}
    assert due_for(earlier, "boss@окна.рф") == "2026-11-24T10:00:00+03:00"  # the nearer
    assert due_for(earlier, "olga@x.ru") == "2026-11-24T10:00:00+03:00"


def test_one_moment_of_its_own_and_of_waits_merged_in_is_one_deadline_naming_all() -> None:
    """Two customers due together (a night's mail all starts at 09:00): the reminder and
    the escalation of that moment (one of each per moment and person: pace) name the
    survivor's own customer first and each merged wait due then; they named the merged
    one alone. Its clock is the earliest of theirs: the reminder goes by it."""
    from maild.domain.pending import deadlines

    own = {**_merged(due=EARLIER), "reaction_from": "2026-12-08T07:30:00+03:00"}
    [d] = deadlines(own)
    assert (d.due, d.start, d.wait, d.also) == (EARLIER, "2026-12-08T07:30:00+03:00", None, (WAIT,))
    assert still_pending(own, EARLIER) and next_due(own) == EARLIER
    # the same moment written with another offset: one deadline, as the ticket writes it
    utc = {**WAIT, "reaction_due": "2026-12-08T07:00:00+00:00"}
    [d] = deadlines({**own, "merged_waits": [utc]})
    assert (d.due, d.wait, d.also) == (EARLIER, None, (utc,))
    # two waits merged in, due together, and none of its own: the first named, then the other
    other = {**WAIT, "tid": "3333-4444", "requester": "c@x.ru", "created_at": EARLIER}
    [d] = deadlines({**own, "reaction_due": None, "merged_waits": [WAIT, other]})
    assert (d.due, d.start, d.wait, d.also) == (EARLIER, WAIT["created_at"], WAIT, (other,))
    # its own at another moment: a deadline of its own, as ever
    assert [(d.due, d.wait, d.also) for d in deadlines(_merged())] == [
        (EARLIER, WAIT, ()),
        (DUE, None, ()),
    ]


def test_a_follow_ups_deadline_runs_from_the_follow_up_not_from_the_opening() -> None:
    """A customer's follow-up a week after the opening starts a new deadline
    (reaction_from): its reminder is timed from then; timed from the opening, it would
    go to staff at once, the moment the follow-up came."""
    from maild.domain.pending import deadlines

    later = {**_ticket(), "created_at": "2026-12-01T10:00:00+03:00"}
    later["reaction_from"] = "2026-12-08T09:00:00+03:00"
    assert [(d.due, d.start) for d in deadlines(later)] == [(DUE, "2026-12-08T09:00:00+03:00")]
    # a merged customer's follow-up the same: their wait runs from it
    wait = {**WAIT, "reaction_due": LATER_WAIT, "reaction_from": "2026-12-09T09:00:00+03:00"}
    assert [(d.due, d.start) for d in deadlines({**later, "merged_waits": [wait]})] == [
        (DUE, "2026-12-08T09:00:00+03:00"),
        (LATER_WAIT, "2026-12-09T09:00:00+03:00"),
    ]


LATER_WAIT = "2026-12-10T10:00:00+03:00"


def test_a_moment_of_its_own_and_a_wait_that_started_earlier_runs_from_the_wait() -> None:
    """The survivor's own clock started after the merged customer's, both due at one
    moment: the reminder of that moment goes by the earlier clock (the merged customer
    waited longer), not by the survivor's own, which would remind staff late."""
    from maild.domain.pending import deadlines

    own = {**_merged(due=EARLIER), "reaction_from": "2026-12-08T08:30:00+03:00"}
    [d] = deadlines(own)
    assert (d.due, d.start, d.wait, d.also) == (EARLIER, WAIT["created_at"], None, (WAIT,))


def test_an_own_deadline_that_came_with_a_merged_wait_is_that_waits_alone() -> None:
    """A survivor merged into before #merge kept its own took the merged ticket's
    earlier deadline and its clock: that moment is the merged customer's alone."""
    from maild.domain.pending import deadlines

    legacy = {**_merged(due=EARLIER), "reaction_from": WAIT["created_at"]}
    [d] = deadlines(legacy)
    assert (d.due, d.wait, d.also) == (EARLIER, WAIT, ())


LATER = "2026-12-09T10:00:00+03:00"


def test_a_queued_mail_is_about_its_deadline_or_its_lists_tickets_deadlines():
    single = {"tid": "1111-1111", "about_due": DUE}
    assert about(single) == [("1111-1111", DUE)]
    listed = {"tid": None, "about_dues": {"1111-1111": [DUE], "2222-2222": [DUE, LATER]}}
    assert about(listed) == [("1111-1111", DUE), ("2222-2222", DUE), ("2222-2222", LATER)]
    # other mail, deadline mail queued before its record kept them, fields of other shapes
    for meta in (
        {"tid": "1111-1111"},
        {"tid": None, "about_due": DUE},
        {"tid": "1111-1111", "about_due": 5},
        {"tid": None, "about_dues": ["1111-1111"]},
        {"tid": None, "about_dues": {"1111-1111": DUE, "2222-2222": [None]}},
    ):
        assert about(meta) == []


def test_mail_is_stale_once_none_of_its_deadlines_waits_and_a_list_goes_whole_before():
    waiting = {("1111-1111", DUE)}
    asked: list[str] = []

    def waits(tid: str, due: str) -> bool:
        asked.append(tid)
        return (tid, due) in waiting

    assert stale([("2222-2222", DUE), ("3333-3333", LATER)], waits)  # every one answered
    assert not stale([("2222-2222", DUE), ("1111-1111", DUE)], waits)  # one still owed
    assert not stale([("1111-1111", DUE), ("2222-2222", DUE)], waits)
    assert asked[-1] == "1111-1111"  # asked up to the first still waiting
    assert not stale([], waits)  # about nothing: goes as ever
