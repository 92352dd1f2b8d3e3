"""Unit tests for maild.domain.heard: a notice is the reaction only when it is queued."""

from __future__ import annotations

from maild.domain.decision import Outgoing
from maild.domain.heard import if_queued, reaction_of, unheard

AT = "2026-12-03T10:20:00+03:00"
WAIT = {"tid": "1-2", "created_at": AT, "first_reaction_due": None, "first_reaction_at": None}


def mail(kind: str = "notice") -> Outgoing:
    return Outgoing("k", kind, "resolved.txt", ["ivan@s.ru"], {}, record=True)


def test_a_notice_that_made_the_reaction_carries_the_reaction_before_it() -> None:
    before = {"tid": "1-2", "first_reaction_at": None, "merged_waits": [WAIT]}
    after = {**before, "first_reaction_at": AT, "merged_waits": [{**WAIT, "first_reaction_at": AT}]}
    marked = if_queued(mail(), reaction_of(before), after)
    none = {"reaction_due": None, "reaction_from": None}
    assert marked.unheard == {
        "first_reaction_at": None,
        "merged_waits": [WAIT],
        **none,
        "reaction_level": None,  # (domain/followups.py: where set; none here)
        "later_reactions": None,
        "reaction_judged": None,
        "merged_followups": None,
        "started": None,
    }
    assert unheard(after, marked.unheard) == {**before, **none}
    # «работа начата» that did not go: the customer was not told, a later #take tells them
    told = {**after, "sent": {"started": AT, "resolved": AT}}
    assert unheard(told, marked.unheard) == {**before, **none, "sent": {"resolved": AT}}


def test_an_answer_or_a_notice_after_the_reaction_carries_nothing() -> None:
    before = {"first_reaction_at": None}
    assert if_queued(mail("staff"), reaction_of(before), {"first_reaction_at": AT}).unheard is None
    reacted = {"first_reaction_at": AT}
    assert if_queued(mail(), reaction_of(reacted), {**reacted, "status": "closed"}).unheard is None


def test_unheard_leaves_no_merged_waits_where_there_were_none() -> None:
    after = {"status": "closed", "first_reaction_at": AT, "merged_waits": []}
    assert unheard(after, {"first_reaction_at": None, "merged_waits": None}) == {
        "status": "closed",
        "first_reaction_at": None,
    }


DUE, FROM = "2026-12-04T10:20:00+03:00", "2026-12-03T09:00:00+03:00"


def test_unheard_puts_back_the_deadline_the_notice_ended_while_one_is_owed() -> None:
    """#take ended the deadline with its reaction: a notice queued to no one leaves the
    deadline waiting as before, so reminders and the escalation still come. A ticket
    closed, or waiting for the customer, owes them nothing: no deadline comes back."""
    before = {
        "status": "new",
        "first_reaction_at": None,
        "reaction_due": DUE,
        "reaction_from": FROM,
    }
    taken = {**before, "status": "open", "first_reaction_at": AT, "reaction_due": None}
    marked = if_queued(mail(), reaction_of(before), taken)
    assert unheard(taken, marked.unheard) == {**before, "status": "open"}
    for status in ("closed", "waiting"):
        done = {**taken, "status": status}
        assert unheard(done, marked.unheard) == {**done, "first_reaction_at": None}
    # a reaction kept before the deadline was (an outbox record of an older maild)
    old = {"first_reaction_at": None, "merged_waits": None}
    assert unheard(taken, old) == {**taken, "first_reaction_at": None}


def test_a_notice_that_only_answered_a_merged_wait_puts_back_that_wait_alone() -> None:
    """The ticket had its reaction and told its customer work started (#take); a ticket
    merged in since waits for its own. A #close alone ends that wait: its notice queued
    to no one puts the wait back, and keeps the mark that work started, so a later #take
    does not tell the customer «Работа начата» a second time."""
    before = {
        "tid": "1-2",
        "status": "open",
        "first_reaction_at": FROM,
        "merged_waits": [WAIT],
        "sent": {"started": FROM},
    }
    after = {**before, "status": "closed", "merged_waits": [{**WAIT, "first_reaction_at": AT}]}
    marked = if_queued(mail(), reaction_of(before), after)
    assert marked.unheard is not None and marked.unheard["merged_waits"] == [WAIT]
    back = unheard(after, marked.unheard)
    assert back["merged_waits"] == [WAIT] and back["sent"] == {"started": FROM}
    assert back["first_reaction_at"] == FROM
