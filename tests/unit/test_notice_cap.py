"""The cap on staff notices about one sender's mail (caps.notice_cap), pure, with a
fixed `now`; and whose mail it counts, in which bucket (trust.notice_sender, through
the decision)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from maild.domain.caps import (
    NOTICE_LIMIT_DEFAULT,
    NoticeCap,
    notice_cap,
    notice_cap_reason,
    notice_limit,
)
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
    proven = notice_cap_reason(n, "x@y.example", proven=True)
    assert (
        proven == f"не больше {n} {word} сотрудникам в час о подтверждённых письмах от x@y.example"
    )


def test_proven_mail_has_the_same_limit_and_zero_turns_off_only_unproven_notices():
    """Both buckets count to support.max_staff_notices_per_sender_per_hour; 0 was
    documented as turning off the notices about unverified mail, proven mail
    notified still: it still is, capped at the key's default (a robot's proven flood
    must not notify staff without end, and real customers must not go unnoticed)."""
    assert [notice_limit(n, proven=False) for n in (0, 2, 20)] == [0, 2, 20]
    assert [notice_limit(n, proven=True) for n in (0, 2, 20)] == [NOTICE_LIMIT_DEFAULT, 2, 20]
    assert NOTICE_LIMIT_DEFAULT == 20


# -- whose mail counts, and in which bucket: the decision marks each staff notice
# (Outgoing.about_sender, Outgoing.sender_proven)


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


def counted(notice) -> tuple:
    """(whose mail a notice counts as, whether in the bucket of proven mail)."""
    return notice.about_sender, notice.sender_proven


def test_a_customers_mail_counts_against_its_sender_a_staff_reply_is_not_a_notice():
    assert counted(_staff_notice("Иван <ivan@shop-example.ru>")) == ("ivan@shop-example.ru", False)
    msg = _msg(subject=f"Re: Заказ {tag('1111-2222')}")
    assert counted(_followup_notice(msg)) == ("ivan@shop-example.ru", False)


def test_proven_staff_and_head_mail_is_never_capped_a_forged_one_is():
    """Support's own side, proven, is never capped so (nor counted); a forgery of
    it is an outsider's unproven mail. Without a head configured its address is
    anyone's: proven, it counts as proven mail."""
    assert counted(_staff_notice("anna@example.com", verified=True)) == (None, False)
    forged_staff = _staff_notice("anna@example.com", verified=False)
    assert counted(forged_staff) == ("anna@example.com", False)
    proven = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
    with_head = dataclasses.replace(TRUSTING, head="head@example.com")
    head = _staff_notice("head@example.com", headers=proven, policy=with_head)
    assert counted(head) == (None, False)
    forged = _staff_notice("head@example.com", policy=with_head)
    assert counted(forged) == ("head@example.com", False)
    no_head = _staff_notice("head@example.com", headers=proven, policy=TRUSTING)
    assert counted(no_head) == ("head@example.com", True)


def test_the_heads_own_mail_proves_the_head_as_anyones_proves_its_sender():
    """A From naming the head proves support's own side only as mail proves anyone
    (verify.own_side_verified: DKIM/SPF, a reply address signed for them): a forged
    one is an outsider's, its confirmation capped as automatic mail is."""
    from maild.domain.verify import own_side_verified

    with_head = dataclasses.replace(TRUSTING, head="head@example.com")
    proven = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
    assert own_side_verified(_msg(sender="head@example.com", headers=proven), with_head)
    assert not own_side_verified(_msg(sender="head@example.com"), with_head)
    assert not own_side_verified(_msg(sender="ivan@example.com", headers=proven), with_head)


def test_a_customers_mail_that_proves_its_from_counts_in_a_bucket_of_its_own():
    """Forgers may write any From: had their mail and the customer's counted alike,
    twenty forgeries would silence staff about the customer's own mail. Mail DKIM/SPF
    proves under our MTA's authserv_id counts apart (capped too: a robot may sign its
    mail); a result another host added, or a failed one, proves nothing."""
    sender = "victim@bigshop.ru"
    passed = {"Authentication-Results": "mx.example.com; dkim=pass header.d=bigshop.ru"}
    assert counted(_staff_notice(sender, headers=passed, policy=TRUSTING)) == (sender, True)
    failed = {"Authentication-Results": "mx.example.com; dkim=fail header.d=bigshop.ru"}
    assert counted(_staff_notice(sender, headers=failed, policy=TRUSTING)) == (sender, False)
    theirs = {"Authentication-Results": "mx.evil.example; dkim=pass header.d=bigshop.ru"}
    assert counted(_staff_notice(sender, headers=theirs, policy=TRUSTING)) == (sender, False)
    # without authserv_id nothing is read from Authentication-Results
    assert counted(_staff_notice(sender, headers=passed)) == (sender, False)


def test_mail_to_a_reply_address_signed_for_its_from_counts_as_proven():
    """Only maild's mail to that very address carries a reply address signed for it
    (any ticket's); one signed for someone else proves nothing about this From."""
    theirs = sign_for("1111-2222", "ivan@shop-example.ru", SECRET, SUPPORT)
    ivan = ("ivan@shop-example.ru", True)
    assert counted(_staff_notice("ivan@shop-example.ru", to=theirs)) == ivan
    assert counted(_staff_notice("Ivan@Shop-Example.ru", to=theirs)) == ivan
    forger = _staff_notice("mallory@evil.example", to=theirs)
    assert counted(forger) == ("mallory@evil.example", False)


def test_a_proven_followup_counts_as_proven_a_report_of_our_mail_not_at_all():
    """A follow-up the snapshot found proven (verify.requester_verified) counts in the
    proven bucket; a report of our own mail (snapshot.our_bounce) in none: bounded by
    the mail we sent, the relay's MAILER-DAEMON is no outsider flooding us."""
    msg = _msg(subject=f"Re: Заказ {tag('1111-2222')}")
    proven = _followup_notice(msg, requester_verified=True)
    assert counted(proven) == ("ivan@shop-example.ru", True)
    bounce = _msg(
        sender="MAILER-DAEMON@mx.example.com",
        subject=f"Undelivered Mail Returned to Sender {tag('1111-2222')}",
    )
    assert counted(_followup_notice(bounce)) == ("mailer-daemon@mx.example.com", False)
    assert counted(_followup_notice(bounce, our_bounce=True)) == (None, False)


def test_a_lists_posts_count_as_the_list_whoever_wrote_them() -> None:
    from maild.domain.caps import list_key, listed_id, mailbox_of, notice_cap_reason

    key = list_key("Devel list <Devel.Lists.Example.org>")
    assert key == list_key("<devel.lists.example.org>") == list_key(" devel.lists.example.org ")
    assert listed_id(key) == "devel.lists.example.org"
    assert "@" not in mailbox_of(key)  # never any mailbox's key
    assert list_key(None) is None and list_key("  ") is None and list_key("<>") is None
    assert listed_id("ivan@shop-example.ru") is None and listed_id(None) is None
    assert "рассылки <devel.lists.example.org>" in notice_cap_reason(3, key)


def test_a_lists_post_counts_unproven_though_its_poster_proves_his_mail() -> None:
    """A list that keeps its posters' From and DKIM: each post proves its poster, yet
    counts as the list's in the unproven bucket (its posters are many, and the list
    is no sender that proved itself); a poster's own mail, not through the list,
    counts as his, proven."""
    from maild.domain.caps import list_key

    poster = "p1@corp1.example"
    passed = {"Authentication-Results": "mx.example.com; dkim=pass header.d=corp1.example"}
    post = {"List-Id": "Devel <devel.lists.example.org>", **passed}
    listed = list_key("devel.lists.example.org")
    assert counted(_staff_notice(poster, headers=post, policy=TRUSTING)) == (listed, False)
    assert counted(_staff_notice(poster, headers=passed, policy=TRUSTING)) == (poster, True)


def test_times_stamped_while_the_clock_ran_ahead_hold_no_cap():
    """A VM booted with its clock a month ahead, then stepped back by NTP: the notices
    and letters counted in that last hour by the wrong clock held every cap (staff heard
    of no new ticket from an unproven sender, senders got no confirmation) until the
    clock caught up, a month on. A time ahead of now counts nothing; a minute's slack
    (another process's batch `now`) still counts."""
    from maild.domain.caps import (
        Caps,
        cap_reached,
        confirmations_cap_reached,
        held_by,
        notice_buckets,
    )

    ahead = [NOW + timedelta(days=30) - m * MIN for m in range(60)]
    buckets = notice_buckets("new@someone.example", False, True, 20, 40, 60)
    bucket, cap = held_by(buckets, [([], None), ([], None), (ahead, None)], NOW)
    assert bucket is None and cap.send
    told_ahead = NOW + timedelta(days=30)
    held = notice_cap(3, minutes(10, 5, 1), told_ahead, NOW)
    assert not held.send and held.tell  # staff are told of this flood, not a month on
    assert confirmations_cap_reached(5, ahead, NOW) is None
    caps = Caps(per_address_hour=2, per_address_day=3, per_ticket_hour=2)
    assert cap_reached(caps, ahead, ahead, NOW) is None
    just_ahead = [NOW + 30 * timedelta(seconds=1)] * 3
    assert not notice_cap(3, just_ahead, None, NOW).send
    assert cap_reached(caps, just_ahead, [], NOW) is not None
