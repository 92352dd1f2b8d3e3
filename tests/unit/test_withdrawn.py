"""domain.withdrawn: a copy withdrawn from the outbox marked on its record, and the
rules that ask what reached a customer reading the mark."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from maild.domain.closedcmd import unasked_errors
from maild.domain.commands import Command
from maild.domain.pageshown import shown_kind as shown
from maild.domain.robots import answered, auto_ids
from maild.domain.spam import BlockList, started_owed
from maild.domain.staleview import stale_view
from maild.domain.statusmail import last_staff_action
from maild.domain.threadhdr import customer_thread
from maild.domain.withdrawn import (
    Withdrawal,
    answer_reached,
    mark_withdrawn,
    unmark_withdrawn,
    withdrawn_for,
    withdrawn_ids,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC).isoformat()
STAFF = {"anna@example.com"}


def _out(**kw: Any) -> dict[str, Any]:
    return {"kind": "notice", "direction": "out", "from": "support@example.com",
            "received_at": T0, "text": "", "attachments": [], **kw}  # fmt: skip


def test_a_copy_is_found_by_its_id_and_the_mail_marked_once_none_of_it_went() -> None:
    mail = _out(message_id="<k@s>", to=["ivan@x.ru", "olga@y.ru"],
                copies={"ivan@x.ru": "<k@s>", "olga@y.ru": "<k-1@s>"})  # fmt: skip
    other = _out(message_id="<o@s>", to=["ivan@x.ru"])
    one = mark_withdrawn([other, mail], [Withdrawal("<k-1@s>", "<k@s>", 1, "olga@y.ru", "uncc")])
    assert one is not None and one[0] == other
    assert one[1]["withdrawn_copies"] == {"olga@y.ru": "uncc"} and "withdrawn" not in one[1]
    assert (
        withdrawn_for(one[1], "Olga@y.ru") == "uncc" and withdrawn_for(one[1], "ivan@x.ru") is None
    )
    both = mark_withdrawn(one, [Withdrawal("<k@s>", "<k@s>", 0, "ivan@x.ru", "blocked")])
    assert both is not None and both[1]["withdrawn"] == "blocked"
    assert withdrawn_ids(both[1]) == {"<k@s>", "<k-1@s>"}
    # withdrawn again (a re-run): the first reason stays, nothing changes
    assert mark_withdrawn(both, [Withdrawal("<k@s>", "<k@s>", 0, "ivan@x.ru", "erased")]) is None
    assert mark_withdrawn([other], [Withdrawal("<z@s>", "<z@s>", 0, "ivan@x.ru", "spam")]) is None


def test_a_copy_the_record_keeps_no_id_of_is_found_by_its_place() -> None:
    """One customer and staff on a mail (no `copies`), or a customer `maild forget`
    took out of them: the n-th copy is the n-th of the record's To."""
    mail = _out(message_id="<k@s>", to=["anna@example.com", "ivan@x.ru"])
    w = Withdrawal("<k-1@s>", "<k@s>", 1, "ivan@x.ru", "blocked")
    [marked] = mark_withdrawn([mail], [w]) or []
    assert marked["withdrawn_copies"] == {"ivan@x.ru": "blocked"} and "withdrawn" not in marked
    assert withdrawn_ids(marked) == set()  # its id is not kept: nothing to name
    wrong = Withdrawal("<k-1@s>", "<k@s>", 1, "olga@y.ru", "blocked")
    assert mark_withdrawn([mail], [wrong]) is None


def test_a_relayed_answer_is_found_by_the_id_it_went_out_as() -> None:
    answer = _out(kind="staff", message_id="<staff@mua>", sent_as="<a@s>", to=["ivan@x.ru"])
    [marked] = mark_withdrawn([answer], [Withdrawal("<a@s>", "<a@s>", 0, "ivan@x.ru", "erased")])
    assert marked["withdrawn"] == "erased"
    assert not shown(marked, "ivan@x.ru") and shown(answer, "ivan@x.ru")
    part = {**answer, "to": ["ivan@x.ru", "olga@y.ru"], "withdrawn_copies": {"olga@y.ru": "uncc"}}
    assert shown(part, "ivan@x.ru") and not shown(part, "olga@y.ru")


def test_started_owed_reads_the_mark_on_the_record() -> None:
    started = _out(template="started.txt", message_id="<1@s>", to=["ivan@x.ru"])
    removed = BlockList(["x.ru"])
    assert started_owed("open", [started], removed) == []  # it went
    blocked = {**started, "withdrawn": "blocked", "withdrawn_copies": {"ivan@x.ru": "blocked"}}
    assert started_owed("open", [blocked], removed) == ["ivan@x.ru"]
    erased = {**blocked, "withdrawn": "erased", "withdrawn_copies": {"ivan@x.ru": "erased"}}
    assert started_owed("open", [erased], removed) == []  # not held by the block
    later = _out(message_id="<2@s>", to=["ivan@x.ru"], withdrawn="blocked")
    assert started_owed("open", [blocked, later], removed) == ["ivan@x.ru"]  # never went


def test_robots_and_threading_skip_mail_that_never_went() -> None:
    conf = _out(kind="confirmation", message_id="<c@s>", to=["ivan@x.ru"], withdrawn="blocked")
    assert auto_ids([conf], STAFF) == {}
    assert answered([], "ivan@x.ru", [conf], STAFF) is None
    went = {**conf, "withdrawn": None}
    assert answered([], "ivan@x.ru", [went], STAFF) is not None
    customer = {"kind": "customer", "direction": "in", "from": "ivan@x.ru", "message_id": "<i@x>",
                "received_at": T0, "to": [], "text": "", "attachments": []}  # fmt: skip
    assert customer_thread([customer, went], STAFF, "", "ivan@x.ru") == (
        "<i@x>",
        ["<i@x>", "<c@s>"],
    )
    assert customer_thread([customer, conf], STAFF, "", "ivan@x.ru") == ("<i@x>", ["<i@x>"])


def test_a_copy_that_went_after_all_is_unmarked_once() -> None:
    """Withdrawn while the relay was taking it (adapters/outrace.py): the mark of that
    copy comes off, the other copy's stays, and the record is no longer "withdrawn"."""
    from maild.domain.withdrawn import unmark_withdrawn

    rec: Any = {"message_id": "<a@x>", "direction": "out", "to": ["p@x.ru", "q@x.ru"],
                "copies": {"q@x.ru": "<b@x>"}}  # fmt: skip
    both = [Withdrawal("<a@x>", "<a@x>", 0, "p@x.ru", "blocked"),
            Withdrawal("<b@x>", "<a@x>", 1, "q@x.ru", "blocked")]  # fmt: skip
    marked = mark_withdrawn([rec], both)
    assert marked is not None and marked[0]["withdrawn"] == "blocked"
    went = unmark_withdrawn(marked, both[:1])
    assert went is not None
    assert "withdrawn" not in went[0] and went[0]["withdrawn_copies"] == {"q@x.ru": "blocked"}
    assert withdrawn_for(went[0], "p@x.ru") is None
    assert unmark_withdrawn(went, both[:1]) is None  # twice: nothing changes
    assert unmark_withdrawn(went, both[1:]) == [rec]


def test_a_withdrawn_list_marks_the_note_that_its_ticket_went_in_it() -> None:
    """A list of reminders is no record of a ticket's thread: each ticket has a note
    that it went in it, marked by the list's Message-ID (and unmarked once it went)."""
    note = _out(message_id="", kind="note", to=["anna@example.com"], list_message_id="<list-a@s>")
    other = _out(message_id="", kind="note", to=["anna@example.com"], list_message_id="<list-b@s>")
    w = Withdrawal("<list-a@s>", "<list-a@s>", 0, "anna@example.com", "stale")
    marked = mark_withdrawn([note, other], [w])
    assert marked is not None and marked[0]["withdrawn"] == "stale" and marked[1] == other
    assert unmark_withdrawn(marked, [w]) == [note, other]
    assert mark_withdrawn([_out(message_id="", kind="note", to=["anna@example.com"])], [w]) is None


def test_a_staff_answer_withdrawn_unsent_reached_the_customer_for_no_rule() -> None:
    """One rule (answer_reached) of the staff answers that reached the customer: an
    answer withdrawn whole (maild forget, #spam, #uncc, the block list) is none, for a
    #wait after it, the status mail's last staff action and a reply on a stale view
    alike; one copy of it that went makes it one for all three."""
    customer = {"kind": "customer", "direction": "in", "from": "ivan@x.ru", "message_id": "<i@x>",
                "received_at": T0, "to": [], "text": "Ошибка", "attachments": []}  # fmt: skip
    notice = _out(message_id="<n@s>", to=["anna@example.com", "boris@example.com"])
    went = {"kind": "staff", "direction": "out", "from": "boris@example.com",
            "message_id": "<b@x>", "sent_as": "<b1@s>", "received_at": T0, "to": ["ivan@x.ru"],
            "text": "Иван, исправлено.", "attachments": [], "commands": []}  # fmt: skip
    policy = SimpleNamespace(fmt_time=lambda t: "25.11.2026 13:00")
    for why in ("erased", "spam", "uncc", "blocked"):
        never = {**went, "withdrawn": why, "withdrawn_copies": {"ivan@x.ru": why}}
        assert not answer_reached(never)
        thread = [customer, notice, never]
        [error] = unasked_errors([Command("wait")], False, thread, {"status": "open"})
        assert error.startswith("#wait не выполнена: клиент ещё не получил")
        assert last_staff_action(policy, thread) is None
        assert stale_view([], thread, 1, "anna@example.com", str).errors == []
    thread = [customer, notice, went]
    assert answer_reached(went)
    assert unasked_errors([Command("wait")], False, thread, {"status": "open"}) == []
    assert last_staff_action(policy, thread) == "ответ сотрудника, 25.11.2026 13:00"
    [error] = stale_view([], thread, 1, "anna@example.com", str).errors
    assert "boris@example.com — ответ клиенту: «Иван, исправлено.»" in error


def test_a_notice_withdrawn_unsent_is_no_staff_action_in_the_status_mail() -> None:
    """The status mail's last staff action is what the customer got: an «обращение
    закрыто» withdrawn before it went (the block list, #uncc) is none, and the answer
    before it is named; the same notice sent is named."""
    policy = SimpleNamespace(fmt_time=lambda t: t[:10])
    went = {"kind": "staff", "direction": "out", "from": "anna@example.com",
            "message_id": "<a@x>", "sent_as": "<a1@s>", "received_at": "2026-11-24T10:00",
            "to": ["ivan@x.ru"], "text": "Исправлено.", "attachments": []}  # fmt: skip
    resolved = _out(message_id="<r@s>", template="resolved.txt", to=["ivan@x.ru"])
    assert last_staff_action(policy, [went, resolved]) == "обращение закрыто, 2026-11-25"
    never = {**resolved, "withdrawn": "blocked"}
    assert last_staff_action(policy, [went, never]) == "ответ сотрудника, 2026-11-24"
