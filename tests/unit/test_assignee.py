"""Unit tests for maild.domain.assignee: whom #assign may name, and the staff member
its error suggests only when the address typed is close to theirs."""

from __future__ import annotations

import dataclasses

from maild.domain.assignee import assign_errors, near_staff
from maild.domain.commands import Command
from tests.unit.test_decide import POLICY

STAFF = ("anna@example.com", "boris@example.com")


def test_a_slip_or_the_same_name_elsewhere_suggests_the_staff_member() -> None:
    for typed in ("anan@example.com", "ann@example.com", "anna@exmaple.com", "anna@example.ru"):
        assert near_staff(typed, STAFF) == "anna@example.com", typed
    assert near_staff("bors@example.com", STAFF) == "boris@example.com"


def test_an_address_nothing_like_a_staff_members_suggests_none() -> None:
    """«head@example.com» shares the domain and most letters with «anna@example.com»
    (difflib's ratio 0.875), and was offered as the one meant."""
    for typed in ("head@example.com", "ivan@shop-example.ru", "nnaa@example.com"):
        assert near_staff(typed, STAFF) is None, typed


def test_assign_of_the_head_says_he_is_no_staff_member_to_assign() -> None:
    policy = dataclasses.replace(POLICY, staff=STAFF, head="head@example.com")
    [error] = assign_errors(policy, [Command("assign", "head@example.com")])
    assert error.startswith("#assign: head@example.com — руководитель поддержки (support.head)")
    assert "anna@example.com, boris@example.com" in error and "Возможно" not in error
    [error] = assign_errors(policy, [Command("assign", "anan@example.com")])
    assert error.endswith(" Возможно, имелся в виду anna@example.com?")
    assert assign_errors(policy, [Command("assign", "boris@example.com")]) == []
    # the head who is on staff too is a staff member
    both = dataclasses.replace(policy, head="anna@example.com")
    assert assign_errors(both, [Command("assign", "anna@example.com")]) == []


def test_assign_with_no_staff_configured_says_the_list_is_empty() -> None:
    """With support.staff empty the error says so, not «…support.staff: .» naming
    nothing: staff read why no one can be assigned."""
    policy = dataclasses.replace(POLICY, staff=(), head=None)
    [error] = assign_errors(policy, [Command("assign", "anna@example.com")])
    assert "support.staff: (список пуст)." in error
