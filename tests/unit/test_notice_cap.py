"""The cap on staff notices about one sender's mail (caps.notice_cap), pure, with a
fixed `now`; and whose mail it counts (trust.notice_sender, through the decision)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from maild.domain.caps import NoticeCap, notice_cap, notice_cap_reason
from maild.domain.decide import decide
from maild.domain.replyaddr import sign_for
from maild.domain.screen import screen
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.tid import tag
from tests.unit.test_decide import NOW, POLICY, SECRET, SUPPORT, _decide, _msg, _ticket

MIN = timedelta(minutes=1)


def minutes(*ago: int) -> list:
    """Times `ago` minutes before NOW."""
    return [NOW - m * MIN for m in ago]


def test_notices_go_until_the_limit_is_reached_within_an_hour():
    assert notice_cap(3, [], None, NOW) == NoticeCap(True)
    assert notice_cap(3, minutes(5, 1), None, NOW).send
    stopped = notice_cap(3, minutes(10, 5, 1), None, NOW)
    assert stopped == NoticeCap(False, tell=True, until=NOW + 50 * MIN)


def test_notices_older_than_an_hour_count_for_none():
    assert notice_cap(3, minutes(60, 61, 600, 1), None, NOW).send  # only the last counts


def test_staff_are_told_once_per_flood_not_once_per_mail():
    sent = minutes(30, 20, 10)
    told_now = notice_cap(3, sent, None, NOW)
    assert told_now.tell and told_now.until == NOW + 30 * MIN
    again = notice_cap(3, sent, NOW, NOW + MIN)  # the next mail of the same flood
    assert again == NoticeCap(False, tell=False, until=NOW + 30 * MIN)


def test_held_till_the_notice_that_filled_the_cap_is_an_hour_old():
    sent = minutes(50, 40, 30)
    stop = notice_cap(3, sent, None, NOW)
    assert not stop.send and stop.until == NOW + 10 * MIN
    assert not notice_cap(3, sent, NOW, stop.until - timedelta(seconds=1)).send
    assert notice_cap(3, sent, NOW, stop.until).send  # the oldest left the hour


def test_a_cap_filled_again_after_staff_were_told_is_told_again():
    """The flood went on past the hour: notices went again till the cap filled up
    with notices sent after staff were told; then staff are told once more."""
    told = NOW - 70 * MIN
    refilled = notice_cap(2, minutes(9, 5), told, NOW)
    assert refilled == NoticeCap(False, tell=True, until=NOW + 51 * MIN)
    # told within the hour that still counts one of the notices before it: not again
    assert not notice_cap(2, minutes(9, 5), NOW - 7 * MIN, NOW).tell


def test_a_lowered_limit_holds_till_enough_notices_are_an_hour_old():
    stop = notice_cap(2, minutes(40, 30, 20, 10), None, NOW)
    assert not stop.send and stop.until == NOW + 40 * MIN  # then only 1 of 2 is left


def test_limit_zero_sends_none_and_tells_no_one():
    """0 turns the notices about customers' mail off, as 0 does for the caps on
    automatic mail to customers: the admin chose it, nothing to warn about."""
    assert notice_cap(0, [], None, NOW) == NoticeCap(False)
    assert "отключены" in notice_cap_reason(0, "x@y.example")


@pytest.mark.parametrize(
    ("n", "word"), [(1, "уведомления"), (2, "уведомлений"), (5, "уведомлений"), (21, "уведомления")]
)
def test_the_reason_names_the_limit_in_the_genitive(n, word):
    why = notice_cap_reason(n, "x@y.example")
    assert (
        why
        == f"не больше {n} {word} сотрудникам в час о непроверенных письмах от имени x@y.example"
    )


# -- whose mail counts: the decision marks each staff notice (Outgoing.about_sender) --


def _staff_notice(
    sender: str, verified: bool = False, headers: dict | None = None, policy=POLICY, **kw
):
    msg = _msg(sender=sender, headers=headers or {}, **kw)
    snap = Snapshot("5555-0001", None, identify(sender, [], [], NOW.date()), verified)
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, policy)
    [notice] = [o for o in d.outgoing if o.template == "staff_new.txt"]
    return notice


def _followup_notice(msg, **snapshot) -> object:
    ident = identify("ivan@shop-example.ru", [], [], NOW.date())
    followup = _decide(Snapshot("1111-2222", _ticket(), ident, False, **snapshot), msg)
    [notice] = [o for o in followup.outgoing if o.template == "staff_followup.txt"]
    return notice


TRUSTING = dataclasses.replace(POLICY, authserv_id="mx.example.com")


def test_a_customers_mail_counts_against_its_sender_a_staff_reply_is_not_a_notice():
    assert _staff_notice("Иван <ivan@shop-example.ru>").about_sender == "ivan@shop-example.ru"
    msg = _msg(subject=f"Re: Заказ {tag('1111-2222')}")
    assert _followup_notice(msg).about_sender == "ivan@shop-example.ru"


def test_proven_staff_and_head_mail_is_never_capped_a_forged_one_is():
    assert _staff_notice("anna@example.com", verified=True).about_sender is None
    assert _staff_notice("anna@example.com", verified=False).about_sender == "anna@example.com"
    proven = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
    head = _staff_notice("head@example.com", headers=proven, policy=TRUSTING)
    assert head.about_sender is None
    forged = _staff_notice("head@example.com", policy=TRUSTING)
    assert forged.about_sender == "head@example.com"


def test_a_customers_mail_that_proves_its_from_is_neither_capped_nor_counted():
    """Forgers may write any From: had their mail and the customer's counted alike,
    twenty forgeries would silence staff about the customer's own mail. Mail DKIM/SPF
    proves under our MTA's authserv_id is never capped so; a result another host
    added, or a failed one, proves nothing."""
    sender = "victim@bigshop.ru"
    passed = {"Authentication-Results": "mx.example.com; dkim=pass header.d=bigshop.ru"}
    assert _staff_notice(sender, headers=passed, policy=TRUSTING).about_sender is None
    failed = {"Authentication-Results": "mx.example.com; dkim=fail header.d=bigshop.ru"}
    assert _staff_notice(sender, headers=failed, policy=TRUSTING).about_sender == sender
    theirs = {"Authentication-Results": "mx.evil.example; dkim=pass header.d=bigshop.ru"}
    assert _staff_notice(sender, headers=theirs, policy=TRUSTING).about_sender == sender
    # without authserv_id nothing is read from Authentication-Results
    assert _staff_notice(sender, headers=passed).about_sender == sender


def test_mail_to_a_reply_address_signed_for_its_from_is_neither_capped_nor_counted():
    """Only maild's mail to that very address carries a reply address signed for it
    (any ticket's); one signed for someone else proves nothing about this From."""
    theirs = sign_for("1111-2222", "ivan@shop-example.ru", SECRET, SUPPORT)
    assert _staff_notice("ivan@shop-example.ru", to=theirs).about_sender is None
    assert _staff_notice("Ivan@Shop-Example.ru", to=theirs).about_sender is None
    forger = _staff_notice("mallory@evil.example", to=theirs)
    assert forger.about_sender == "mallory@evil.example"


def test_a_proven_followup_and_a_report_of_our_mail_are_not_counted():
    """A follow-up the snapshot found proven (verify.requester_verified) is not
    capped; nor is a report of our own mail (snapshot.our_bounce): bounded by the mail
    we sent, the relay's MAILER-DAEMON is no outsider flooding us."""
    msg = _msg(subject=f"Re: Заказ {tag('1111-2222')}")
    assert _followup_notice(msg, requester_verified=True).about_sender is None
    bounce = _msg(
        sender="MAILER-DAEMON@mx.example.com",
        subject=f"Undelivered Mail Returned to Sender {tag('1111-2222')}",
    )
    assert _followup_notice(bounce).about_sender == "mailer-daemon@mx.example.com"
    assert _followup_notice(bounce, our_bounce=True).about_sender is None
