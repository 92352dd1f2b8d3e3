"""The buckets of staff notices beyond one sender's (caps.notice_buckets, held_by,
bucket_reason), pure, with a fixed `now`: a flood under a new address per mail, at
one domain or at a new domain each, fills no sender's bucket; the notices of new
tickets from unproven senders are counted per From domain and desk-wide too."""

from __future__ import annotations

from datetime import timedelta

from maild.domain.caps import (
    DESK_NOTICE_DEFAULT,
    Bucket,
    NoticeCap,
    bucket_reason,
    held_by,
    list_key,
    notice_buckets,
    shown_domain,
)
from tests.unit.test_decide import NOW

MIN = timedelta(minutes=1)


def kinds(buckets: list[Bucket]) -> list[tuple[str, str, int]]:
    return [(b.kind, b.key, b.limit) for b in buckets]


def test_a_new_tickets_unproven_notice_counts_per_sender_domain_and_desk():
    buckets = notice_buckets("Ivan+shop@Mail.Example", False, True, 20, 2 * 20, 60)
    assert kinds(buckets) == [
        ("sender", "ivan@mail.example", 20),
        ("domain", "@mail.example", 40),  # larger than one sender's
        ("desk", "", 60),
    ]


def test_follow_ups_and_proven_mail_count_for_their_sender_alone():
    """A follow-up names a ticket staff heard of; mail proving its From is one real
    sender, whose own bucket holds its flood."""
    assert kinds(notice_buckets("ivan@mail.example", False, False, 20, 2 * 20, 60)) == [
        ("sender", "ivan@mail.example", 20)
    ]
    assert kinds(notice_buckets("ivan@mail.example", True, True, 20, 2 * 20, 60)) == [
        ("sender", "ivan@mail.example", 20)
    ]


def test_a_list_and_mail_without_a_from_have_no_domain_but_count_desk_wide():
    listed = list_key("Devel <devel.lists.example.org>")
    for sender in (listed, ""):
        assert [b.kind for b in notice_buckets(sender, False, True, 20, 40, 60)] == [
            "sender",
            "desk",
        ]


def test_zero_leaves_out_the_desk_wide_bucket():
    assert [b.kind for b in notice_buckets("a@x.example", False, True, 20, 2 * 20, 0)] == [
        "sender",
        "domain",
    ]
    assert DESK_NOTICE_DEFAULT == 60


def _flood(senders: list[str], per_sender: int, per_desk: int) -> list[tuple[str, bool]]:
    """Each sender's new ticket in turn, a minute apart, against counts kept as the
    store keeps them: (which bucket held it, or "", whether staff are told now)."""
    sent: dict[tuple[str, str], list] = {}
    told: dict[tuple[str, str], object] = {}
    out = []
    for n, sender in enumerate(senders):
        now = NOW + n * MIN
        buckets = notice_buckets(sender, False, True, per_sender, 2 * per_sender, per_desk)
        keys = [(b.kind, b.key) for b in buckets]
        counts = [(sent.get(k, []), told.get(k)) for k in keys]
        bucket, cap = held_by(buckets, counts, now)
        if bucket is None:
            for k in keys:
                sent.setdefault(k, []).append(now)
        elif cap.tell:
            told[(bucket.kind, bucket.key)] = now
        out.append(("" if bucket is None else bucket.kind, cap.tell))
    return out


def test_random_local_parts_at_one_domain_fill_the_domains_bucket_and_tell_once():
    senders = [f"u{n}x@one.example" for n in range(10)]
    assert (
        _flood(senders, per_sender=2, per_desk=6)
        == [("", False)] * 4 + [("domain", True)] + [("domain", False)] * 5
    )


def test_random_domains_fill_the_desks_bucket_and_tell_once():
    senders = [f"u{n}@d{n}.example" for n in range(10)]
    assert (
        _flood(senders, per_sender=2, per_desk=6)
        == [("", False)] * 6 + [("desk", True)] + [("desk", False)] * 3
    )


def test_a_full_bucket_holds_until_its_notices_are_an_hour_old():
    buckets = notice_buckets("a@one.example", False, True, 2, 2 * 2, 60)
    full = [NOW - 50 * MIN, NOW - 40 * MIN, NOW - 30 * MIN, NOW - 20 * MIN]
    bucket, cap = held_by(buckets, [([], None), (full, None), ([], None)], NOW)
    assert bucket is not None and bucket.kind == "domain"
    assert cap == NoticeCap(False, tell=True, until=NOW + 10 * MIN)
    assert held_by(buckets, [([], None), (full, NOW), ([], None)], NOW + 10 * MIN)[0] is None


def test_the_ticket_notes_name_the_bucket_that_held_the_notice():
    domain, desk = notice_buckets("a@one.example", False, True, 2, 2 * 2, 5)[1:]
    assert bucket_reason(domain, "a@one.example") == (
        "не больше 4 уведомлений сотрудникам в час о новых обращениях"
        " по непроверенным письмам с адресов домена one.example"
    )
    assert bucket_reason(desk, "a@one.example") == (
        "не больше 5 уведомлений сотрудникам в час о новых обращениях"
        " по непроверенным письмам всех отправителей вместе"
    )
    sender = notice_buckets("a@one.example", False, True, 2, 2 * 2, 5)[0]
    assert "от имени a@one.example" in bucket_reason(sender, "a@one.example")


def test_a_cyrillic_domain_is_named_in_its_letters():
    """The caps key a domain in A-labels; staff read it as it is written."""
    assert shown_domain("xn--80atjc.xn--p1ai") == "окна.рф"
    assert shown_domain("one.example") == "one.example"
    assert shown_domain("xn--zz-.example") == "xn--zz-.example"  # not an A-label: kept
    held = Bucket("domain", "@xn--80atjc.xn--p1ai", 40)
    assert bucket_reason(held, "a@xn--80atjc.xn--p1ai").endswith("с адресов домена окна.рф")
