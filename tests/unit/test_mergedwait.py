"""A merged ticket's customer waits on in the ticket it was merged into: the SLA report
judges that wait once, against the merged ticket's own first deadline (mergedwait)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from maild.domain import merge as mg
from maild.domain import mergedwait as mw
from maild.domain import pace
from maild.domain import ticket as tk
from maild.domain.pending import deadlines, still_pending, untold
from maild.domain.sender import Identification

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


def due(level: str, start: datetime) -> datetime:
    return start + timedelta(hours={"standard": 6, "vip": 2}[level])


def ticket(tid: str, level: str, at: datetime):
    ident = Identification(level, "license", tid, "")
    return tk.new_ticket(tid, f"{tid}@x.ru", "Тема", ident, at, due)


def iso(h: float) -> str:
    return (T0 + timedelta(hours=h)).isoformat()


def test_an_unreacted_ticket_merged_waits_on_in_the_target():
    old, new = ticket("A", "standard", T0), ticket("B", "vip", T0 + timedelta(hours=1))
    src, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(minutes=70))
    assert src["merged_into"] == "A" and "merged_waits" not in src
    [wait] = tgt["merged_waits"]
    assert wait == {
        "tid": "B",
        "level": "vip",
        "created_at": iso(1),
        "first_reaction_due": iso(3),
        "first_reaction_level": "vip",  # the report counts the wait under it
        "first_reaction_from": iso(1),  # and its hours from its arrival
        "first_reaction_at": None,
        # what its reminders and escalation go by and name (named)
        "reaction_due": iso(3),
        "reaction_from": iso(1),
        "requester": "B@x.ru",
        "subject": "Тема",
    }
    # A keeps its own deadline (merge.py): B's earlier one is B's wait, no longer A's
    # (A's own was lost, never reminded nor escalated, when the earlier one won)
    assert tgt["reaction_due"] == iso(6)
    # the answer on A at 15:00 is the first reaction for both customers
    later = tk.on_staff_reply(tgt, T0 + timedelta(hours=5))
    assert later["first_reaction_at"] == later["merged_waits"][0]["first_reaction_at"] == iso(5)
    # a second answer changes neither
    again = tk.on_staff_reply(later, T0 + timedelta(hours=6))
    assert again["merged_waits"] == later["merged_waits"]


def test_a_reacted_ticket_merged_carries_no_wait():
    old = ticket("A", "standard", T0)
    new = tk.on_staff_reply(ticket("B", "vip", T0), T0 + timedelta(minutes=30))
    _, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(hours=1))
    assert "merged_waits" not in tgt


def test_a_wait_is_ended_by_take_and_by_a_close_alone_on_an_answered_target():
    old = tk.on_staff_reply(ticket("A", "standard", T0), T0 + timedelta(minutes=5))
    _, tgt, _ = mg.merge(ticket("B", "vip", T0), [], old, [], T0 + timedelta(hours=1))
    taken, _ = tk.apply_command(tgt, "take", None, T0 + timedelta(hours=2), due, "anna")
    assert taken["merged_waits"][0]["first_reaction_at"] == iso(2)
    assert taken["first_reaction_at"] == iso(5 / 60)  # A's own stays
    closed, _ = tk.apply_command(tgt, "close", None, T0 + timedelta(hours=4), due, "anna")
    told = tk.on_mail_to_customer(closed, T0 + timedelta(hours=4))
    assert told["merged_waits"][0]["first_reaction_at"] == iso(4)


def test_pending_waits_follow_a_chain_of_merges():
    a, b, c = (ticket(x, "standard", T0) for x in "ABC")
    _, b2, _ = mg.merge(c, [], b, [], T0 + timedelta(hours=1))  # C into B
    b2 = {
        **b2,
        "merged_waits": [
            *b2["merged_waits"],
            {**b2["merged_waits"][0], "tid": "D", "first_reaction_at": iso(1)},
        ],
    }
    src, a2, _ = mg.merge(b2, [], a, [], T0 + timedelta(hours=2))  # B into A
    assert [w["tid"] for w in a2["merged_waits"]] == ["B", "C"]
    assert [w["tid"] for w in src["merged_waits"]] == ["D"]  # ended: counted where it ended


def test_report_rows_count_each_customer_once():
    old, new = ticket("A", "standard", T0), ticket("B", "vip", T0 + timedelta(hours=1))
    src, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(minutes=70))
    tgt = tk.on_staff_reply(tgt, T0 + timedelta(hours=5))
    assert mw.report_rows(src) == []  # its wait is counted in A
    rows = mw.report_rows(tgt)
    assert [
        (r["tid"], r["level"], r["first_reaction_due"], r["first_reaction_at"]) for r in rows
    ] == [
        ("A", "standard", iso(6), iso(5)),
        ("B", "vip", iso(3), iso(5)),
    ]
    assert rows[1]["status"] == "closed"  # A is the one open or overdue
    reacted = {**src, "first_reaction_at": iso(1.5)}  # answered before it was merged
    assert mw.report_rows(reacted) == [reacted]


def test_a_merged_wait_is_judged_under_the_level_its_first_deadline_was_set_by():
    """B's first deadline was set by standard, then its level rose to vip (a license
    added, after that deadline passed): merged, its wait is still filed under standard
    (ticket.first_level), as B itself would be, not judged by vip's shorter time."""
    old = ticket("A", "standard", T0)
    raised = {**ticket("B", "standard", T0 + timedelta(hours=1)), "level": "vip"}
    _src, tgt, _ = mg.merge(raised, [], old, [], T0 + timedelta(hours=8))
    [wait] = tgt["merged_waits"]
    assert (wait["level"], wait["first_reaction_level"]) == ("vip", "standard")
    row = mw.report_rows(tk.on_staff_reply(tgt, T0 + timedelta(hours=9)))[1]
    assert (row["tid"], row["first_reaction_level"]) == ("B", "standard")
    assert row["first_reaction_due"] == iso(7)


def test_a_merged_wait_with_no_deadline_is_waited_on_by_no_one():
    """A ticket opened by automatic mail has no deadline (no one waits there): merged
    unreacted, its wait is no pending one, so no reminder or escalation is about it
    and its customer does not wait by it (wait_of)."""
    robot = {**ticket("B", "standard", T0), "requester": "robot@x.example"}
    robot.update(first_reaction_due=None, reaction_due=None)
    _src, tgt, _ = mg.merge(robot, [], ticket("A", "standard", T0), [], T0 + timedelta(hours=1))
    [wait] = tgt["merged_waits"]
    assert wait["first_reaction_at"] is None and mw.due(wait) is None
    assert mw.pending(tgt) == [] and mw.wait_of(tgt, "robot@x.example") is None


def test_the_deadline_mail_of_a_merged_wait_is_about_the_merged_ticket():
    """B (VIP, due 13:00) merged into A (standard, due 16:00): A waits on B's 13:00,
    which is B's wait, and on its own 16:00. (This asserted that A's own deadline was
    no longer pending there, #merge giving A the earlier one: that lost A's customer's
    deadline; A keeps it now, and it is owed as ever.)"""
    old, new = ticket("A", "standard", T0), ticket("B", "vip", T0 + timedelta(hours=1))
    _, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(minutes=70))
    d, own = deadlines(tgt)
    assert (d.due, d.start, d.wait and d.wait["tid"]) == (iso(3), iso(1), "B")
    assert (own.due, own.start, own.wait) == (iso(6), iso(0), None)
    named = mw.named(tgt, d.wait)
    assert (named["tid"], named["requester"], named["level"]) == ("B", "B@x.ru", "vip")
    assert (named["reaction_due"], named["merged_into"]) == (iso(3), "A")
    assert still_pending(tgt, iso(3))
    # a reaction in A ends it: no deadline mail about it goes any more
    assert deadlines(tk.on_staff_reply(tgt, T0 + timedelta(hours=2))) == []


def test_a_merged_wait_due_later_has_its_own_deadline_mail():
    # B (standard, due 16:00) merged into A (VIP, due 12:00): both deadlines are owed
    old, new = ticket("A", "vip", T0), ticket("B", "standard", T0)
    _, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(minutes=30))
    assert [(d.due, d.wait and d.wait["tid"]) for d in deadlines(tgt)] == [
        (iso(2), None),
        (iso(6), "B"),
    ]
    assert still_pending(tgt, iso(6)) and still_pending(tgt, iso(2))
    assert deadlines({**tgt, "status": "closed"}) == []


def test_what_went_about_a_merged_ticket_deadline_comes_with_its_wait():
    # B's reminder went before the merge; its deadline is later than A's: the mark
    # comes along, B's, so the reminder of B's deadline does not go again from A
    old, new = ticket("A", "vip", T0), ticket("B", "standard", T0)
    new = {**new, "sent": {f"reminder:{iso(6)}": iso(5)}}
    _, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(hours=5, minutes=10))
    theirs = pace.customer_due(iso(6), "B")
    assert tgt["sent"] == {f"reminder:{theirs}": iso(5)}
    assert pace.waiting_for(tgt["sent"], "reminder", theirs, ["anna"], lambda p, a: True) == []
    [d] = [d for d in deadlines(tgt) if d.due == iso(6)]
    assert untold(tgt, d, lambda tid: tid == "B") is None  # no one left to tell


def test_what_went_about_a_merged_ticket_at_the_survivors_own_moment_is_that_customers():
    # B (standard, from 10:00) and A (VIP, from 14:00) are both due at 16:00; B's
    # reminder and escalation went before the merge: they name B's customer alone, so
    # A's own customer's deadline is still to be told (its own marks are none)
    old, new = ticket("A", "vip", T0 + timedelta(hours=4)), ticket("B", "standard", T0)
    assert old["reaction_due"] == new["reaction_due"] == iso(6)
    marks = {f"reminder:{iso(6)}": iso(4.5), f"escalation:{iso(6)}:to:head": iso(6)}
    _, tgt, _ = mg.merge({**new, "sent": marks}, [], old, [], T0 + timedelta(hours=6.1))
    theirs = pace.customer_due(iso(6), "B")
    assert tgt["sent"] == {f"reminder:{theirs}": iso(4.5), f"escalation:{theirs}:to:head": iso(6)}
    [d] = deadlines(tgt)
    assert (d.wait, [w["tid"] for w in d.also]) == (None, ["B"])
    for kind in pace.KINDS:
        assert pace.waiting_for(tgt["sent"], kind, iso(6), ["head"], lambda p, a: True)
    told = untold(tgt, d, lambda tid: tid == "B")
    assert told == d._replace(start=iso(4), also=())  # A's own, its own clock


def test_a_customer_never_told_joining_the_survivors_moment_already_told_is_told():
    # A (standard, from 10:00) had its reminder of 16:00 at 14:30; B (VIP, from 14:00,
    # due 16:00 too), never told, is merged in: the mark was about A's customer, keyed
    # so now, and the moment's reminder is still to go about B's alone, by B's clock
    old, new = ticket("A", "standard", T0), ticket("B", "vip", T0 + timedelta(hours=4))
    assert old["reaction_due"] == new["reaction_due"] == iso(6)
    old = {**old, "sent": {f"reminder:{iso(6)}": iso(4.5)}}
    _, tgt, _ = mg.merge(new, [], old, [], T0 + timedelta(hours=4.8))
    mine = pace.customer_due(iso(6), "A")
    assert tgt["sent"] == {f"reminder:{mine}": iso(4.5)}
    [d] = deadlines(tgt)
    assert (d.wait, [w["tid"] for w in d.also]) == (None, ["B"])
    told = untold(tgt, d, lambda tid: tid == "A")
    assert told is not None and (told.wait["tid"], told.also, told.start) == ("B", (), iso(4))
    assert untold(tgt, d, lambda tid: True) is None  # both told: no one left
    # B reacted to: A's own deadline alone, already told
    alone = deadlines({**tgt, "merged_waits": []})[0]
    assert untold(tgt, alone, lambda tid: tid == "A") is None


def test_the_deadline_mail_of_a_merged_wait_names_its_subject_and_the_deadline_it_waits_on():
    """B («Счёт не пришёл»), passed to development before it was merged into A
    («Тема»): its mail names B's subject and the deadline the transfer moved it to, not
    its first one."""
    tgt = ticket("A", "standard", T0)
    wait = {
        **mg.merge(ticket("B", "vip", T0), [], tgt, [], T0)[1]["merged_waits"][0],
        "subject": "Счёт не пришёл",
        "first_reaction_due": iso(2),
        "reaction_due": iso(30),
    }
    named = mw.named(tgt, wait)
    assert (named["tid"], named["subject"], named["reaction_due"]) == (
        "B",
        "Счёт не пришёл",
        iso(30),
    )


def test_a_merged_wait_is_judged_by_its_first_deadline_and_reminded_by_the_one_it_waits_on():
    """B passed to development unanswered (its deadline moved to +30 h), then merged
    into A: the report judges B's wait by its first deadline, its mail goes by +30 h."""
    b = {**ticket("B", "vip", T0), "reaction_due": iso(30), "reaction_from": iso(1)}
    _, tgt = mw.carried(b, ticket("A", "standard", T0))
    [wait] = tgt["merged_waits"]
    assert (wait["first_reaction_due"], wait["reaction_due"]) == (iso(2), iso(30))
    assert (mw.due(wait), wait["reaction_from"]) == (iso(30), iso(1))


def test_a_merge_moves_each_pending_wait_once_and_keeps_the_targets():
    """A holds B's wait; C (opened by automatic mail: its clock from +1 h) holding D's is
    merged into A: A waits on B's, C's and D's, C on none (counted twice otherwise)."""
    a = {**ticket("A", "standard", T0), "merged_waits": [{"tid": "B", "created_at": iso(0)}]}
    c = {
        **ticket("C", "vip", T0),
        "first_reaction_from": iso(1),
        "merged_waits": [{"tid": "D", "created_at": iso(0)}],
    }
    src, tgt = mw.carried(c, a)
    assert "merged_waits" not in src
    assert [w["tid"] for w in tgt["merged_waits"]] == ["B", "C", "D"]
    assert tgt["merged_waits"][1]["first_reaction_from"] == iso(1)


def test_a_reaction_ends_the_pending_waits_and_keeps_when_the_others_ended():
    ended = {"tid": "B", "created_at": iso(0), "first_reaction_at": iso(1)}
    later = {"tid": "D", "created_at": iso(6)}  # came after the reaction's time
    waits = [ended, {"tid": "C", "created_at": iso(0)}, later]
    a = {**ticket("A", "standard", T0), "merged_waits": waits}
    waits = mw.answered(a, T0 + timedelta(hours=5))["merged_waits"]
    assert [w["first_reaction_at"] for w in waits] == [iso(1), iso(5), iso(6)]


def test_a_merged_wait_opened_by_automatic_mail_keeps_its_clock_in_the_report():
    wait = {"tid": "B", "level": "vip", "created_at": iso(0), "first_reaction_from": iso(1)}
    [_, row] = mw.report_rows({**ticket("A", "standard", T0), "merged_waits": [wait]})
    assert (row["tid"], row["first_reaction_from"]) == ("B", iso(1))
