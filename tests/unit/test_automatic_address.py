"""The hold of staff's notices is per address (domain.automatic): a ticket kept before
(`automatic` a string) holds its requester; #merge carries the held addresses into the
target; a person's mail or «#human ADDRESS» lifts one address's hold, not the others'."""

from __future__ import annotations

from maild.domain.automatic import attended, held, held_among, merged, notices_held, vouched
from maild.domain.humans import vouch
from maild.domain.screen import HUMAN

LIST = "devel@lists.example.org"
IVAN = "ivan@shop.example"
WHY = "письмо из рассылки (List-Id)"
POST = {"tid": "1111-2222", "requester": LIST, "participants": [LIST], "automatic": WHY}
PERSON = {"tid": "3333-4444", "requester": IVAN, "participants": [IVAN]}


def test_a_stored_string_holds_the_requester_alone() -> None:
    assert held(POST) == {LIST: WHY} and held(PERSON) == {}
    assert notices_held(POST, "Devel@Lists.Example.org") == WHY
    assert notices_held(POST, IVAN) is None and notices_held(POST) == WHY
    assert held_among({**POST, "participants": [LIST, IVAN]}, [IVAN, LIST]) == [LIST]


def test_merge_carries_the_held_address_either_way() -> None:
    into_person = merged(POST, {**PERSON, "participants": [IVAN, LIST]})
    assert into_person["automatic"] == {LIST: WHY}
    assert held_among(into_person, [IVAN, LIST]) == [LIST]
    into_list = merged(PERSON, {**POST, "participants": [IVAN, LIST]})
    assert into_list["automatic"] == WHY  # its requester alone: the shape it had
    assert "automatic" not in merged(PERSON, {**PERSON})
    vouched_there = merged(POST, {**PERSON, "humans": [LIST]})
    assert "automatic" not in vouched_there


def test_a_persons_mail_or_human_lifts_that_address_alone() -> None:
    both = {**PERSON, "automatic": {LIST: WHY, "mon@mon.example": "Auto-Submitted"}}
    assert held(attended(both, LIST, HUMAN)) == {"mon@mon.example": "Auto-Submitted"}
    assert attended(both, IVAN, HUMAN) == both
    assert held(vouched(both, LIST) or {}) == {"mon@mon.example": "Auto-Submitted"}
    assert vouched(both, IVAN) is None
    assert "automatic" not in (vouched(both, "") or {})
    t, error = vouch(both, LIST)
    assert error is None and t["humans"] == [LIST] and LIST not in held(t)


def test_a_robot_of_an_idn_domain_is_held_in_either_spelling() -> None:
    """A robot writing from noreply@магазин.рф (an SMTPUTF8 client keeps the Unicode
    spelling in the ticket) is held as the ASCII one too: the hold compares addresses
    as comparable_address does, and the robot gets no notice of staff's commands."""
    robot = "noreply@магазин.рф"
    ticket = {"tid": "5555-6666", "requester": robot, "participants": [robot], "automatic": WHY}
    assert notices_held(ticket, robot) == WHY
    assert notices_held(ticket, "noreply@xn--80aairftm.xn--p1ai") == WHY
    assert held_among(ticket, [IVAN, robot]) == [robot]
