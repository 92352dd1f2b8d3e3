"""domain.leftstaff: whom a mail is queued to as (staff, the head, or a customer), and
whether it may still go to them when the relay takes it."""

from __future__ import annotations

import pytest

from maild.domain.leftstaff import HEAD, STAFF, Members, still_ours

ANNA, BORIS, HEAD_ADDR = "anna@example.com", "boris@example.com", "head@example.com"
CUSTOMER = "ivan@shop-example.ru"
# Anna and the head at a Cyrillic domain, in U-labels and in A-labels (IDNA)
IDN_ANNA, ACE_ANNA = "anna@поддержка.рф", "anna@xn--80ahaefyxhn.xn--p1ai"
IDN_HEAD, ACE_HEAD = "head@поддержка.рф", "head@xn--80ahaefyxhn.xn--p1ai"
THEN = Members.of(["Anna@Example.com", BORIS, IDN_ANNA], IDN_HEAD)  # when it was queued


@pytest.mark.parametrize(
    ("to", "kind", "role"),
    [
        ([ANNA], "notice", STAFF),
        (["ANNA@example.com"], "report", STAFF),  # the morning queue; case does not count
        ([IDN_HEAD], "notice", HEAD),  # an escalation
        ([IDN_HEAD], "alert", HEAD),
        ([CUSTOMER], "notice", None),
        ([ANNA, CUSTOMER], "notice", None),  # anyone of no side: a customer's
        ([ANNA], "confirmation", None),  # customers' kinds of mail never are staff's
        ([ANNA], "staff", None),  # (a staff member's answer, relayed)
        ([], "notice", None),
        ([ACE_ANNA], "notice", STAFF),  # queued in the other spelling of her domain
        ([ACE_HEAD.upper()], "notice", HEAD),
    ],
)
def test_whom_mail_is_queued_to_as(to, kind, role):
    assert THEN.role_of(to, kind) == role


@pytest.mark.parametrize(
    ("now", "role", "to", "goes"),
    [
        (Members.of([ANNA, BORIS], HEAD_ADDR), STAFF, [BORIS], True),
        (Members.of([ANNA], HEAD_ADDR), STAFF, [BORIS], False),  # Boris left
        (Members.of([ANNA], BORIS), STAFF, [BORIS], False),  # head now, no longer staff
        (Members.of([ANNA], "maria@example.com"), HEAD, [HEAD_ADDR], False),  # another head
        (Members.of([ANNA, HEAD_ADDR], "maria@example.com"), HEAD, [HEAD_ADDR], True),
        (Members.of([ANNA], "HEAD@example.com"), HEAD, [HEAD_ADDR], True),
        # the config spells a Cyrillic domain one way, the record the other: still her
        (Members.of([IDN_ANNA], HEAD_ADDR), STAFF, [ACE_ANNA], True),
        (Members.of([ACE_ANNA.upper()], HEAD_ADDR), STAFF, [IDN_ANNA], True),
        (Members.of([ANNA], IDN_HEAD), HEAD, [ACE_HEAD], True),
        (Members.of([ANNA], None), HEAD, [HEAD_ADDR], False),  # no head any more
        (Members.of([], None), None, [CUSTOMER], True),  # a customer's mail always goes
        (Members.of([], None), None, [BORIS], True),  # queued before roles were kept
    ],
)
def test_whether_it_still_goes(now, role, to, goes):
    assert still_ours(now, role, "notice", to) is goes


def test_alerts_and_reports_queued_before_roles_count_as_the_heads():
    now = Members.of([ANNA], HEAD_ADDR)
    assert still_ours(now, None, "alert", [BORIS]) is False
    assert still_ours(now, None, "report", [ANNA]) is True
    assert still_ours(now, None, "report", [HEAD_ADDR]) is True


def test_the_sender_asks_by_the_mails_kind_when_it_has_no_role():
    """An alert or a report queued before mail kept its role (no "role" in its record)
    is the head's: the outbox's look (adapters/outleft.py) passes its kind, so it is not
    sent to a head who has since been replaced; a customer's mail of no role goes."""
    from maild.adapters.outleft import _ours

    now = Members.of([ANNA], "new-head@example.com")
    assert not _ours(now, {"id": "a", "to": [HEAD_ADDR], "kind": "alert"})
    assert not _ours(now, {"id": "r", "to": [HEAD_ADDR], "kind": "report"})
    assert _ours(now, {"id": "n", "to": [CUSTOMER], "kind": "notice"})


def test_mail_to_a_head_who_is_on_staff_too_is_the_heads():
    """Queued as the head's, an escalation still goes once the admin takes him off
    support.staff while he stays the head; as staff's, it was withdrawn."""
    then = Members.of([ANNA, HEAD_ADDR], HEAD_ADDR)
    assert then.role_of([HEAD_ADDR], "notice") == HEAD
    assert then.role_of([ANNA, HEAD_ADDR], "notice") == HEAD
    assert still_ours(Members.of([ANNA], HEAD_ADDR), HEAD, "notice", [HEAD_ADDR]) is True


def test_staff_mail_to_several_goes_only_while_every_one_of_them_is_staff():
    """One of its recipients left: the mail is not to reach them (nor go half)."""
    assert still_ours(Members.of([ANNA], HEAD_ADDR), STAFF, "notice", [ANNA, BORIS]) is False
    assert still_ours(Members.of([ANNA], HEAD_ADDR), HEAD, "notice", [HEAD_ADDR, BORIS]) is False
