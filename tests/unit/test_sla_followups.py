"""Unit tests for the follow-ups' deadlines in maild.domain.sla: which deadline is a
follow-up's, when its reaction is in time, the level it counts under, and what the
SLA report counts of a ticket's follow-ups at a given moment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from maild.domain.merge import merge
from maild.domain.sla import deadline_fields, followup_ended, followup_outcomes
from maild.domain.ticket import apply_command, on_customer_message

MSK = ZoneInfo("Europe/Moscow")
DUE = "2026-11-24T14:00:00+03:00"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MSK)


def waiting(**kw: Any) -> dict[str, Any]:
    """A ticket answered at 23.11 11:00 whose customer wrote again: due 24.11 14:00."""
    return {
        "tid": "1111-2222",
        "status": "open",
        "level": "operative",
        "requester": "ivan@shop.ru",
        "created_at": at(23, 10).isoformat(),
        "first_reaction_at": at(23, 11).isoformat(),
        "reaction_due": DUE,
        "reaction_from": at(24, 10).isoformat(),
        "reaction_level": "operative",
        **kw,
    }


def answered(ticket: dict[str, Any]) -> dict[str, Any]:
    return {**ticket, "reaction_due": None, "reaction_from": None}


def test_a_followup_answered_by_its_deadline_is_in_time_at_its_very_instant_too() -> None:
    for when in (at(24, 13), at(24, 14)):
        before = waiting()
        after = followup_ended(before, answered(before), when)
        assert after["later_reactions"] == {"operative": {"in_time": 1, "breached": 0}}


def test_a_followup_answered_after_its_deadline_is_breached() -> None:
    before = waiting()
    after = followup_ended(before, answered(before), at(24, 14, 1))
    assert after["later_reactions"] == {"operative": {"in_time": 0, "breached": 1}}


def test_outcomes_add_up_under_the_level_each_deadline_was_set_by() -> None:
    """The ticket is VIP now (a license came, or #level vip with the answer): the
    deadline set at operative is judged and counted as operative's."""
    kept = {"operative": {"in_time": 2, "breached": 0}, "free": {"in_time": 0, "breached": 4}}
    before = waiting(later_reactions=kept)
    after = followup_ended(before, {**answered(before), "level": "vip"}, at(25, 9))
    assert after["later_reactions"] == {
        "operative": {"in_time": 2, "breached": 1},
        "free": {"in_time": 0, "breached": 4},
    }
    assert before["later_reactions"] == kept  # (not changed in place)


def test_a_deadline_kept_before_its_level_was_counts_under_the_tickets_level() -> None:
    before = {k: v for k, v in waiting(level="standard").items() if k != "reaction_level"}
    after = followup_ended(before, answered(before), at(24, 12))
    assert after["later_reactions"] == {"standard": {"in_time": 1, "breached": 0}}


def test_only_a_followups_deadline_that_ended_is_counted() -> None:
    # the first reaction's deadline: judged by first_reaction_due, not here
    first = waiting(first_reaction_at=None)
    assert "later_reactions" not in followup_ended(first, answered(first), at(25, 9))
    # moved, not ended (#level alone: the new level's time from the transfer)
    before = waiting()
    moved = {**before, "reaction_due": at(24, 13).isoformat(), "reaction_level": "vip"}
    assert "later_reactions" not in followup_ended(before, moved, at(24, 11))
    # nothing was pending: an answer to a ticket nobody waited on
    idle = answered(waiting())
    assert "later_reactions" not in followup_ended(idle, idle, at(25, 9))


def test_the_report_counts_ended_followups_and_a_pending_one_by_its_deadline() -> None:
    kept = {"operative": {"in_time": 1, "breached": 1}, "vip": {"in_time": 1, "breached": 0}}
    row = waiting(later_reactions=kept, level="vip")
    # before the deadline: the pending one is counted, not judged
    assert followup_outcomes(row, at(24, 14)) == {
        "operative": {"followups": 3, "followups_in_time": 1, "followups_breached": 1},
        "vip": {"followups": 1, "followups_in_time": 1, "followups_breached": 0},
    }
    # past it: breached, under the level it was set by, not the ticket's now
    assert followup_outcomes(row, at(24, 14, 1))["operative"] == {
        "followups": 3,
        "followups_in_time": 1,
        "followups_breached": 2,
    }
    # a closed ticket owes nothing (close ends the deadline: this is an old record)
    closed = followup_outcomes({**row, "status": "closed"}, at(30, 9))["operative"]
    assert closed["followups"] == 2
    # the first reaction still missing past its deadline is the first one's breach
    assert followup_outcomes(waiting(first_reaction_at=None), at(30, 9)) == {}
    # a row of a ticket stored before: no follow-ups
    old = {k: v for k, v in waiting().items() if k not in ("reaction_due", "reaction_level")}
    assert followup_outcomes(old, at(30, 9)) == {}


def due_of(level: str, start: datetime) -> datetime:
    """A stand-in for the desk's deadline function: a level's hours, no calendar."""
    return start + timedelta(hours={"vip": 2, "operative": 4, "free": 24}[level])


def test_each_setter_keeps_the_level_its_deadline_was_set_by() -> None:
    assert deadline_fields("vip", at(24, 10), at(24, 12)) == {
        "reaction_due": at(24, 12).isoformat(),
        "reaction_from": at(24, 10).isoformat(),
        "reaction_level": "vip",
    }
    quiet = answered(waiting(level="free", reaction_level=None))
    t, _ = on_customer_message(quiet, at(24, 10), due_of)
    assert (t["reaction_due"], t["reaction_level"]) == (at(25, 10).isoformat(), "free")
    t, _ = apply_command(t, "level", "vip", at(24, 11), due_of, "anna@example.com")
    assert (t["reaction_due"], t["reaction_level"]) == (at(24, 13).isoformat(), "vip")


def test_a_merge_brings_the_sources_deadline_with_its_level() -> None:
    """Staff reacted to the source, whose customer wrote again (VIP, due 12:00): the
    target (free, due tomorrow) waits on that deadline, judged as VIP's; the target's
    own customer's follow-up (free, due tomorrow) is judged beside it, once, as free's:
    it was dropped, the earlier of the two taking its place."""
    source = waiting(
        tid="3333-4444",
        level="vip",
        reaction_due=at(24, 12).isoformat(),
        reaction_level="vip",
        participants=[],
    )
    target = waiting(level="free", reaction_due=at(25, 10).isoformat(), reaction_level="free")
    _s, t, _m = merge(source, [], {**target, "participants": []}, [], at(24, 11))
    assert (t["reaction_due"], t["reaction_level"]) == (at(24, 12).isoformat(), "vip")
    after = followup_ended(t, answered(t), at(24, 13))
    assert after["later_reactions"] == {
        "vip": {"in_time": 0, "breached": 1},
        "free": {"in_time": 1, "breached": 0},
    }
    assert "merged_followups" not in after


def test_a_deadline_the_merge_brings_keeps_the_time_its_clock_started() -> None:
    """The source's earlier deadline comes with when its clock started (its customer's
    mail, 24.11 11:30; its creation when it has none): the reminder falls at a share of
    the time from then to that deadline (pending._own_start). With the target's own start
    (24.11 09:00) beside the source's deadline, its reminder went at the wrong time."""
    target = waiting(level="free", reaction_due=at(25, 10).isoformat(), reaction_level="free")
    target = {**target, "reaction_from": at(24, 9).isoformat(), "participants": []}
    for started, expected in ((at(24, 11, 30).isoformat(), at(24, 11, 30)), (None, at(23, 10))):
        source = waiting(
            tid="3333-4444",
            level="vip",
            reaction_due=at(24, 13, 30).isoformat(),
            reaction_from=started,
            reaction_level="vip",
            participants=[],
        )
        _s, t, _m = merge(source, [], target, [], at(24, 12))
        assert t["reaction_due"] == at(24, 13, 30).isoformat()
        assert datetime.fromisoformat(t["reaction_from"]) == expected, started


def test_a_transfer_after_a_followups_deadline_passed_judges_it_breached_once() -> None:
    """Passed at the transfer: breached under the level it was set by, and its end
    (in time by the new level's deadline) counts nothing more; before it passed, the
    transfer judges nothing."""
    from datetime import datetime

    from maild.domain.sla import followup_ended, followup_outcomes, followup_transferred

    t = {
        "tid": "t", "status": "open", "level": "vip",
        "first_reaction_at": "2026-11-23T10:30:00+03:00",
        "reaction_due": "2026-11-23T13:00:00+03:00", "reaction_level": "vip",
    }  # fmt: skip
    before = datetime.fromisoformat("2026-11-23T12:59:00+03:00")
    assert followup_transferred(t, before) == t
    after = datetime.fromisoformat("2026-11-23T14:00:00+03:00")
    judged = followup_transferred(t, after)
    assert judged["later_reactions"] == {"vip": {"in_time": 0, "breached": 1}}
    assert followup_transferred(judged, after) == judged  # once
    moved = {**judged, "reaction_due": "2026-11-23T18:00:00+03:00", "reaction_level": "standard"}
    counts = followup_outcomes(moved, after)
    assert counts == {"vip": {"followups": 1, "followups_in_time": 0, "followups_breached": 1}}
    ended = followup_ended(moved, {**moved, "reaction_due": None}, after)
    assert ended["later_reactions"] == judged["later_reactions"]
    assert "reaction_judged" not in ended


def unreacted(**kw: Any) -> dict[str, Any]:
    """A ticket of the same customer nobody has answered yet: due 24.11 12:00 (its first)."""
    return {
        **waiting(**{"tid": "5555-6666", "level": "vip", "participants": [], **kw}),
        "first_reaction_at": None,
        "first_reaction_due": at(24, 12).isoformat(),
        "reaction_due": at(24, 12).isoformat(),
        "reaction_level": "vip",
    }


def test_a_followup_merged_into_a_ticket_not_yet_answered_is_judged_there_once() -> None:
    """The source's follow-up (operative, due 24.11 14:00) goes into a target whose
    pending deadline is its first (judged as such): it is counted beside it, pending
    until the target's wait ends, then in time or breached by that reaction."""
    s, t, _m = merge(waiting(participants=[]), [], unreacted(), [], at(24, 11))
    assert "merged_followups" not in s
    assert t["merged_followups"] == [{"tid": "1111-2222", "due": DUE, "level": "operative"}]
    assert t["reaction_due"] == at(24, 12).isoformat()  # (reminded by the earlier)
    assert followup_outcomes(s, at(24, 15)) == {}  # counted where it went, not here
    counts = {"followups": 1, "followups_in_time": 0, "followups_breached": 1}
    assert followup_outcomes(t, at(24, 15)) == {"operative": counts}
    for when, outcome in ((at(24, 13), "in_time"), (at(24, 15), "breached")):
        after = followup_ended(t, answered(t), when)
        assert "merged_followups" not in after
        assert after["later_reactions"] == {"operative": {**ZERO, outcome: 1}}


ZERO = {"in_time": 0, "breached": 0}


def test_a_followup_judged_at_a_transfer_is_not_brought_to_be_judged_again() -> None:
    source = waiting(participants=[], reaction_judged=True)
    _s, t, _m = merge(source, [], unreacted(), [], at(24, 15))
    assert "merged_followups" not in t


def test_followups_merged_in_go_on_when_their_ticket_is_merged_again() -> None:
    """A ticket with a follow-up brought in, merged again before any reaction: the
    follow-up goes on into the next target, judged there once."""
    _s, t, _m = merge(waiting(participants=[]), [], unreacted(), [], at(24, 11))
    third = unreacted(tid="7777-8888")
    s2, t2, _m = merge(t, [], third, [], at(24, 11, 30))
    assert "merged_followups" not in s2 and followup_outcomes(s2, at(24, 13)) == {}
    assert t2["merged_followups"] == t["merged_followups"]
    after = followup_ended(t2, answered(t2), at(24, 13))
    assert after["later_reactions"] == {"operative": {"in_time": 1, "breached": 0}}
