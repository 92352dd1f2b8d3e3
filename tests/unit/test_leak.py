"""A staff member's reply address that leaked (domain/leak.py): the epoch signed into
the address (replyaddr.sign_for), which proves the member (verify.staff_verified), and
the decision's count of leaks in the ticket (leak.rotated). End to end:
tests/integration/test_leaked_reply_address_e2e.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from maild.domain import leak
from maild.domain.message import ParsedMessage, parse
from maild.domain.replyaddr import plus_tid, sign_for, signed_for
from maild.domain.verify import staff_verified
from tests.helpers import make_mail
from tests.unit.test_decide import POLICY, SECRET, SUPPORT

TID = "4821-7730"
ANNA = "anna@example.com"
IVAN = "ivan@shop-example.ru"


def _b32_head(message: bytes) -> str:
    digest = hmac.new(SECRET, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:10]


def test_epoch_0_is_the_address_mail_already_carries_and_another_epoch_another() -> None:
    signed = f"{TID}\0{ANNA}".encode()  # what an address signed before epochs
    before = f"support+{TID}.{_b32_head(signed)}@example.com"
    assert sign_for(TID, ANNA, SECRET, SUPPORT) == sign_for(TID, ANNA, SECRET, SUPPORT, 0)
    assert sign_for(TID, ANNA, SECRET, SUPPORT) == before
    renewed = sign_for(TID, ANNA, SECRET, SUPPORT, 1)
    assert renewed != before and plus_tid(renewed, SUPPORT) == TID
    assert signed_for(before, ANNA, SECRET, SUPPORT) == TID
    assert signed_for(before, ANNA, SECRET, SUPPORT, epochs={TID: 1}) is None
    assert signed_for(renewed, ANNA, SECRET, SUPPORT, epochs={TID: 1}) == TID
    assert signed_for(renewed, ANNA, SECRET, SUPPORT) is None
    # another ticket's epoch says nothing of this one's
    assert signed_for(before, ANNA, SECRET, SUPPORT, epochs={"1111-2222": 3}) == TID


def _mail(to: str, cc: str = "", **kw: Any) -> ParsedMessage:
    headers = {"Cc": cc} if cc else {}
    return parse(make_mail(sender=f"Анна <{ANNA}>", to=to, headers=headers, **kw))


def test_an_address_of_an_earlier_epoch_proves_the_member_no_more() -> None:
    old, new = (sign_for(TID, ANNA, SECRET, SUPPORT, n) for n in (0, 1))
    assert staff_verified(_mail(old), POLICY)
    assert not staff_verified(_mail(old), POLICY, {TID: 1})
    assert staff_verified(_mail(new), POLICY, {TID: 1})


def test_a_leak_is_the_valid_address_shown_to_someone_outside_supports_side() -> None:
    address = sign_for(TID, ANNA, SECRET, SUPPORT)
    assert leak.leaked(_mail(address, IVAN), POLICY, {}) == (TID, 0, [IVAN])
    assert leak.leaked(_mail(IVAN, address), POLICY, {}) == (TID, 0, [IVAN])
    # staff, the head (none here), support and its plus-addresses: support's side
    inside = f"boris@example.com, {SUPPORT}, support+{TID}@example.com"
    assert leak.leaked(_mail(address, inside), POLICY, {}) is None
    assert leak.leaked(_mail(address), POLICY, {}) is None
    # an address that leaked before (an earlier epoch) leaks nothing more
    assert leak.leaked(_mail(address, IVAN), POLICY, {TID: 1}) is None
    # a customer's mail leaks no staff address
    theirs = parse(make_mail(to=address, headers={"Cc": "petr@shop-example.ru"}))
    assert leak.leaked(theirs, POLICY, {}) is None


def test_a_leak_renews_the_members_address_of_that_ticket_alone() -> None:
    ticket: Any = {"tid": TID, "sent": {f"unverified:{ANNA}": "2026-11-25T10:00:00+03:00"}}
    msg = _mail(sign_for(TID, ANNA, SECRET, SUPPORT), IVAN)
    after = leak.rotated(ticket, msg, POLICY, {}, {TID})
    assert leak.epoch(after, ANNA) == 1 and leak.epoch(after, "boris@example.com") == 0
    assert after["sent"] == {}  # she is told again when she writes to the old one
    assert leak.epoch(ticket, ANNA) == 0  # (a new ticket, the Snapshot's untouched)
    # the address of another ticket (the subject's ticket is this one): not this one's
    assert leak.rotated(ticket, msg, POLICY, {}, {"1111-2222"}) is ticket
    # the address of a ticket merged into this one, at the epoch its chain has
    merged = _mail(sign_for("1111-2222", ANNA, SECRET, SUPPORT, 2), IVAN)
    later = leak.rotated(ticket, merged, POLICY, {"1111-2222": 2}, {TID, "1111-2222"})
    assert leak.epoch(later, ANNA) == 3
