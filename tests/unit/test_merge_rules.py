"""#merge (domain.merge): the people staff took off either ticket with #uncc stay off
the merged ticket, unless the merge brings them in as a customer of the other; a closed
target opens again only for a ticket still open."""

from __future__ import annotations

from datetime import UTC, datetime

from maild.domain.merge import merge

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
IVAN, PETR, OLGA = "ivan@shop-example.ru", "petr@shop-example.ru", "olga@shop-example.ru"


def _ticket(tid: str, requester: str, **kw: object) -> dict[str, object]:
    return {
        "tid": tid,
        "status": "open",
        "level": "free",
        "requester": requester,
        "created_at": "2026-11-24T10:00:00+03:00",
        "first_reaction_at": None,
        "reaction_due": None,
        "participants": [],
        **kw,
    }


def test_one_removed_on_a_ticket_but_a_customer_of_the_other_is_no_longer_removed() -> None:
    """Petr was taken off the source, but is a customer of the target: merged, he gets
    its mail and writes into it, and `ticket show` named him «removed by staff» too.
    Olga, removed on the source and no customer of the target, stays off."""
    source = _ticket("1111-1111", IVAN, removed=[PETR, OLGA])
    target = _ticket("2222-2222", "anna@shop-example.ru", participants=["Petr@Shop-Example.ru"])
    _s, t, _m = merge(source, [], target, [], AT)  # type: ignore[arg-type]
    assert t["removed"] == [OLGA]
    assert IVAN in t["participants"]


def test_removed_on_the_target_and_brought_by_the_source_is_a_customer_again() -> None:
    source = _ticket("1111-1111", PETR)
    target = _ticket("2222-2222", IVAN, removed=[PETR])
    _s, t, _m = merge(source, [], target, [], AT)  # type: ignore[arg-type]
    assert "removed" not in t and PETR in t["participants"]


def test_a_closed_ticket_merged_into_a_closed_one_opens_nothing() -> None:
    """Two tickets of one problem, both closed: merged, the target stays closed (no
    deadline, nobody waits); an open one merged into it opens it."""
    closed = {"status": "closed", "closed_at": "2026-11-24T12:00:00+03:00"}
    target = _ticket("2222-2222", IVAN, **closed)
    _s, t, _m = merge(_ticket("1111-1111", PETR, **closed), [], target, [], AT)  # type: ignore[arg-type]
    assert (t["status"], t["closed_at"]) == ("closed", closed["closed_at"])
    _s, t, _m = merge(_ticket("1111-1111", PETR), [], target, [], AT)  # type: ignore[arg-type]
    assert (t["status"], t["closed_at"]) == ("open", None)


def test_the_sources_customer_and_refused_addresses_come_into_the_target() -> None:
    """Merged, the source's customer gets the target's answers (a participant there)
    and an address the relay refused for good on the source is refused on the target
    too (no automatic mail to it from there)."""
    refused = {PETR: {"since": "2026-11-24T11:00:00+03:00", "why": "550 5.1.1"}}
    source = _ticket("1111-1111", PETR, participants=[OLGA], undeliverable=refused)
    _s, t, _m = merge(source, [], _ticket("2222-2222", IVAN), [], AT)  # type: ignore[arg-type]
    assert t["participants"] == sorted([PETR, OLGA])
    assert t["undeliverable"] == refused


def test_a_critical_source_makes_the_target_critical() -> None:
    """#critical on the source: its problem jumps the queue in the target it goes on in."""
    source = _ticket("1111-1111", PETR, critical=True)
    _s, t, _m = merge(source, [], _ticket("2222-2222", IVAN), [], AT)  # type: ignore[arg-type]
    assert t.get("critical") is True
    _s, t, _m = merge(_ticket("1111-1111", PETR), [], _ticket("2222-2222", IVAN), [], AT)  # type: ignore[arg-type]
    assert not t.get("critical")


def test_staffs_notes_of_both_tickets_are_kept() -> None:
    """A note (#note, her words over a forward) has no Message-ID: each ticket's notes
    are in the merged thread, none dropped as a copy of the other's."""
    note = {"message_id": "", "direction": "in", "from": "anna@example.com"}
    mine = {**note, "text": "Клиент звонил", "received_at": "2026-11-24T10:00:00+03:00"}
    theirs = {**note, "text": "Проверить логи", "received_at": "2026-11-24T11:00:00+03:00"}
    s, t = _ticket("1111-1111", PETR), _ticket("2222-2222", IVAN)
    _s, _t, messages = merge(s, [theirs], t, [mine], AT)  # type: ignore[arg-type, list-item]
    assert [m["text"] for m in messages] == ["Клиент звонил", "Проверить логи"]


def test_a_mail_both_tickets_hold_is_in_the_merged_thread_once() -> None:
    """One mail filed in both (its Message-ID the same): merged, the thread shows it
    once, not twice."""
    mail = {
        "message_id": "<same@shop-example.ru>",
        "direction": "in",
        "from": PETR,
        "text": "Корзина не работает",
        "received_at": "2026-11-24T10:00:00+03:00",
    }
    s, t = _ticket("1111-1111", PETR), _ticket("2222-2222", IVAN)
    _s, _t, messages = merge(s, [mail], t, [mail], AT)  # type: ignore[arg-type, list-item]
    assert [m["message_id"] for m in messages] == ["<same@shop-example.ru>"]


def test_a_waiting_target_opens_for_a_customer_merged_in_who_waits_for_staff() -> None:
    """The target waits for its customer's answer (#wait, no deadline); merged in, the
    source's customer nobody answered yet waits for staff there by their own deadline
    (mergedwait): the target is open, or #wait's job reminded its customer and closed
    it with the other customer's mail unanswered."""
    target = _ticket("2222-2222", IVAN, status="waiting", first_reaction_at=AT.isoformat())
    source = _ticket("1111-1111", PETR, reaction_due="2026-11-25T14:00:00+03:00")
    source["reaction_level"] = "free"
    _s, t, _m = merge(source, [], target, [], AT)  # type: ignore[arg-type]
    assert t.get("merged_waits") and t["status"] == "open"


def test_the_merged_away_ticket_is_closed_with_no_deadline_left() -> None:
    """The source is closed, points at the target and owes no reaction of its own: its
    deadline waits on in the target, once (reminders, escalations, the SLA report)."""
    source = _ticket("1111-1111", PETR, reaction_due="2026-11-25T14:00:00+03:00")
    s, t, _m = merge(source, [], _ticket("2222-2222", IVAN), [], AT)  # type: ignore[arg-type]
    assert (s["status"], s["reaction_due"], s["merged_into"]) == ("closed", None, "2222-2222")
    assert s["closed_at"] == AT.isoformat()
