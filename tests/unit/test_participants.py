"""Unit tests for who is on a ticket (domain.participants): staff's #cc and #uncc, and who
joins by a follow-up's or a new ticket's To/Cc; one rule each."""

from __future__ import annotations

import dataclasses

from maild.domain.commands import parse_reply
from maild.domain.message import ParsedMessage
from maild.domain.participants import (
    apply_participant_command,
    first_joiners,
    joiners,
    participant_errors,
)
from maild.domain.ticket import customers
from tests.unit.test_decide import POLICY, _msg

IVAN, PETR, OLGA = "ivan@shop-example.ru", "petr@shop-example.ru", "olga@shop-example.ru"
TICKET = {"tid": "1111-2222", "requester": IVAN, "participants": [IVAN, PETR]}


def test_uncc_takes_a_participant_off_and_keeps_them_off() -> None:
    t, error = apply_participant_command(POLICY, TICKET, "uncc", "Petr@Shop-Example.ru")
    assert error is None and t["participants"] == [IVAN] and t["removed"] == [PETR]
    t, error = apply_participant_command(POLICY, {**TICKET, "removed": [OLGA]}, "uncc", PETR)
    assert t["removed"] == [OLGA, PETR]


def test_uncc_of_the_requester_or_a_stranger_is_an_error_that_changes_nothing() -> None:
    t, error = apply_participant_command(POLICY, TICKET, "uncc", IVAN)
    assert (
        t is TICKET and error == f"#uncc: {IVAN} — автор обращения, его нельзя убрать из участников"
    )
    t, error = apply_participant_command(POLICY, TICKET, "uncc", OLGA)
    assert t is TICKET
    assert error == f"#uncc: {OLGA} не участник обращения; участники: {IVAN}, {PETR}"


def test_cc_adds_a_customer_and_lifts_their_removal() -> None:
    ticket = {**TICKET, "removed": [OLGA, "x@y.ru"], "participants": None}
    t, error = apply_participant_command(POLICY, ticket, "cc", OLGA.upper())
    assert error is None and t["participants"] == [OLGA] and t["removed"] == ["x@y.ru"]


def test_cc_of_the_requester_or_a_participant_is_an_error_not_a_silent_no_op() -> None:
    """They get the ticket's mail already: staff would believe the #cc did something."""
    t, error = apply_participant_command(POLICY, TICKET, "cc", IVAN.upper())
    assert (
        t is TICKET
        and error == f"#cc: {IVAN} — автор обращения, ответы по обращению он уже получает"
    )
    t, error = apply_participant_command(POLICY, TICKET, "cc", PETR)
    assert t is TICKET and error is not None and f"{PETR} — уже участник обращения" in error


def test_cc_of_one_whose_mail_was_refused_names_them_again_and_lifts_the_mark() -> None:
    """The mailbox works now (README: refused for good): #cc of the requester or a
    participant whose mail was refused sends their mail again."""
    for who in (IVAN, PETR):
        ticket = {
            **TICKET,
            "undeliverable": {who: {"error": "550 5.1.1", "since": "2026-11-20T10:00:00+03:00"}},
        }
        t, error = apply_participant_command(POLICY, ticket, "cc", who)
        assert error is None and "undeliverable" not in t and t["participants"] == [IVAN, PETR]


def test_cc_of_supports_own_side_is_an_error() -> None:
    """The head too (Policy.internal): as a participant he got the customers' copies,
    signed as a customer's, and the customer read his address in To."""
    policy = dataclasses.replace(POLICY, head="head@example.com")
    own = ("support@example.com", "support+1111-2222.x@example.com", POLICY.staff[0])
    for address in (*own, "Head@Example.com"):
        t, error = apply_participant_command(policy, TICKET, "cc", address)
        assert t is TICKET and error is not None
        assert "адрес службы поддержки, сотрудника или руководителя поддержки" in error


def test_cc_stops_at_the_cap_of_participants_besides_the_requester() -> None:
    policy = dataclasses.replace(POLICY, max_participants=2)
    t, error = apply_participant_command(policy, TICKET, "cc", OLGA)  # petr and olga: two
    assert error is None and t["participants"] == [IVAN, OLGA, PETR]
    t, error = apply_participant_command(policy, t, "cc", "anna@shop-example.ru")
    assert error == (
        "#cc: anna@shop-example.ru не добавлен: у обращения уже предельное число участников"
        " (2, limits.max_participants)"
    )
    t, error = apply_participant_command(policy, t, "cc", PETR)  # already there: not the cap
    assert error is not None and "уже участник обращения" in error


def _follow_up(sender: str, to: str, cc: str = "") -> ParsedMessage:
    return _msg(sender=sender, to=to, headers={"Cc": cc} if cc else {})


def test_only_the_requesters_verified_follow_up_adds_whom_it_copies() -> None:
    msg = _follow_up(IVAN, f"support@example.com, {OLGA}", cc=f"{PETR}, anna@example.com")
    assert joiners(POLICY, msg, TICKET, verified=True) == ({OLGA}, [])
    # unverified, or from anyone but the requester: nobody joins, staff see who was asked
    assert joiners(POLICY, msg, TICKET, verified=False) == (set(), [OLGA])
    from_petr = _follow_up(PETR, f"support@example.com, {OLGA}")
    assert joiners(POLICY, from_petr, TICKET, verified=True) == (set(), [OLGA])
    # nobody new: nothing to add or to show
    assert joiners(POLICY, _follow_up(IVAN, "support@example.com", cc=PETR), TICKET, True) == (
        set(),
        [],
    )


def test_a_follow_up_adds_up_to_the_cap_and_never_whom_staff_removed() -> None:
    anna, boris = "anna@shop-example.ru", "boris@shop-example.ru"
    msg = _follow_up(IVAN, "support@example.com", cc=f"{OLGA}, {anna}, {boris}")
    policy = dataclasses.replace(POLICY, max_participants=3)  # petr and two more
    assert joiners(policy, msg, TICKET, verified=True) == ({OLGA, anna}, [boris])
    removed = {**TICKET, "removed": [OLGA], "participants": None}
    assert joiners(policy, msg, removed, verified=True) == ({anna, boris}, [OLGA])
    full = dataclasses.replace(POLICY, max_participants=0)
    assert joiners(full, msg, TICKET, verified=True) == (set(), [OLGA, anna, boris])


def test_a_proven_new_tickets_copies_join_up_to_the_cap_in_the_order_written() -> None:
    anna = "anna@shop-example.ru"
    msg = _follow_up(IVAN, f"support@example.com, {IVAN}", cc=f"{OLGA}, {PETR}, {anna}")
    policy = dataclasses.replace(POLICY, max_participants=2)
    # the sender copying themselves takes no place of the cap
    assert first_joiners(policy, msg, verified=True) == ([OLGA, PETR], [anna], [])
    full = dataclasses.replace(POLICY, max_participants=0)
    assert first_joiners(full, msg, verified=True) == ([], [OLGA, PETR, anna], [])


def test_an_unproven_new_ticket_adds_no_one_and_names_whom_it_copies() -> None:
    """A first mail's From proves nothing without DKIM/SPF: its To/Cc join by the
    follow-up's rule, so they are only named to staff (asked to be added), all of
    them and in the order written, whatever the cap."""
    anna = "anna@shop-example.ru"
    msg = _follow_up(IVAN, f"support@example.com, {IVAN}", cc=f"{OLGA}, {PETR}, {anna}")
    policy = dataclasses.replace(POLICY, max_participants=2)
    assert first_joiners(policy, msg, verified=False) == ([], [], [OLGA, PETR, anna])
    assert first_joiners(POLICY, _follow_up(IVAN, "support@example.com"), False) == ([], [], [])


def test_the_head_never_joins_by_to_or_cc_as_staff_never_do() -> None:
    """The head is support's own side (Policy.internal), as #cc already holds: copied on
    a customer's mail he would get staff's answer as a customer's copy, with a Reply-To
    signed as a customer's, and the customers would read his address in To."""
    head = "head@example.com"
    policy = dataclasses.replace(POLICY, head=head)
    msg = _follow_up(IVAN, f"support@example.com, {head}", cc=f"{OLGA}, anna@example.com")
    assert first_joiners(policy, msg, verified=True) == ([OLGA], [], [])
    assert first_joiners(policy, msg, verified=False) == ([], [], [OLGA])
    assert joiners(policy, msg, TICKET, verified=True) == ({OLGA}, [])
    assert joiners(policy, msg, TICKET, verified=False) == (set(), [OLGA])
    # a ticket that took him in before: he hears from support as staff, not as a customer
    ticket = {**TICKET, "participants": [IVAN, PETR, head]}
    assert customers(ticket, policy.internal, policy.support_address) == [IVAN, PETR]


def test_cc_and_uncc_know_a_participant_in_either_spelling_of_the_domain() -> None:
    """Our headers name anna@магазин.рф as anna@xn--80aairftm.xn--p1ai, and staff copy
    her from there: «#cc» of that added her a second time (two copies of every answer),
    «#uncc» of it was refused as «не участник». Either spelling is the one participant,
    and what the ticket keeps is the spelling it had."""
    anna, anna_ascii = "anna@магазин.рф", "anna@xn--80aairftm.xn--p1ai"
    ticket = {**TICKET, "participants": [IVAN, anna]}
    t, error = apply_participant_command(POLICY, ticket, "cc", anna_ascii)
    assert t is ticket and error is not None and "уже участник" in error
    t, error = apply_participant_command(POLICY, ticket, "uncc", anna_ascii)
    assert error is None and t["participants"] == [IVAN] and t["removed"] == [anna]
    t, error = apply_participant_command(POLICY, t, "cc", anna_ascii.upper())
    assert error is None and t["participants"] == sorted([IVAN, anna]) and t["removed"] == []


def test_the_same_cc_twice_in_one_reply_counts_once() -> None:
    """«#cc olga@…» and «#cc OLGA@…» in one reply stopped it: «уже участник», of one
    who was not yet; a #cc after an #uncc of the same address still counts."""
    twice = parse_reply(f"Текст.\n#cc {OLGA}\n#cc {OLGA.upper()}\n").commands
    assert participant_errors(POLICY, TICKET, twice) == []
    again = parse_reply(f"Текст.\n#cc {OLGA}\n#uncc {OLGA}\n#cc {OLGA}\n#cc {OLGA}\n").commands
    assert participant_errors(POLICY, TICKET, again) == []
    [error] = participant_errors(POLICY, TICKET, parse_reply(f"#cc {PETR}\n#cc {PETR}").commands)
    assert "уже участник" in error  # on the ticket before the reply: told once


def test_a_cc_and_an_uncc_of_one_address_each_count_in_one_reply() -> None:
    """Only a line repeating the last one about its address counts once: «#cc x» and
    «#uncc x» are two lines staff wrote, each told of its own error («#cc» of support's
    own address, «#uncc» of one not on the ticket)."""
    body = "#cc support@example.com\n#uncc support@example.com\n#cc support@example.com\n"
    errors = participant_errors(POLICY, TICKET, parse_reply(body).commands)
    assert [e.split(":")[0] for e in errors] == ["#cc", "#uncc", "#cc"]
