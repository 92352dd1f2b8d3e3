"""Robots recognised without their cooperation, caps on automatic mail, and reply
addresses signed per staff member (maild.domain.robots, caps, replyaddr)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain.caps import (
    Caps,
    automatic,
    cap_reached,
    confirmations_cap_reached,
    counted_copy,
    counted_record,
    mailbox_of,
    uncounted,
)
from maild.domain.replyaddr import sign, sign_for, signed_for, verify
from maild.domain.robots import (
    FOREIGN_TAG_RE,
    answered,
    answered_from_side,
    auto_ids,
    fast_reply,
    robot_reason,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STAFF = ("anna@example.com",)
BOT = "desk@other.example"


def out(mid: str, at: datetime, to: str = BOT, kind: str = "confirmation") -> dict:
    return {
        "message_id": mid,
        "direction": "out",
        "kind": kind,
        "to": [to],
        "received_at": at.isoformat(),
    }


def inc(at: datetime, fast: bool) -> dict:
    return {
        "direction": "in",
        "from": BOT,
        "received_at": at.isoformat(),
        "fast_reply_to_auto": fast,
    }


@pytest.mark.parametrize(
    "subject",
    ["Ticket Received - 286614 - [#117904]", "[Ticket#2026112510000017] Re: x", "[RT #42] ok",
     "Case 00123456: received", "Request #5531 created", "RE: [Case #991] x"],
)  # fmt: skip
def test_foreign_ticket_tags(subject: str) -> None:
    assert FOREIGN_TAG_RE.search(subject)


@pytest.mark.parametrize(
    "subject", ["Re: Ошибка 500 [TID#4821-7730]", "Заказ #123", "Re: case study", "Вопрос"]
)
def test_not_foreign_tags(subject: str) -> None:
    assert not FOREIGN_TAG_RE.search(subject)


def reason(subject: str, refs: list[str], at: datetime, messages: list[dict]) -> str | None:
    return robot_reason(
        sender=BOT, subject=subject, refs=refs, received_at=at, messages=messages, staff=STAFF
    )


def test_a_foreign_tag_counts_only_in_a_reply_to_our_automatic_mail() -> None:
    thread = [out("<c1@x>", T0), out("<s1@x>", T0, kind="staff")]
    assert reason("[#117904] Re: x", ["<c1@x>"], T0 + timedelta(hours=5), thread)
    assert reason("[#117904] Re: x", ["<s1@x>"], T0 + timedelta(minutes=1), thread) is None
    assert reason("[#117904] Re: x", ["<other@y>"], T0, thread) is None


def test_the_third_fast_reply_to_our_automatic_mail_is_a_robot() -> None:
    thread = [out("<c1@x>", T0)]
    at = T0 + timedelta(seconds=20)
    assert reason("Re: x", ["<c1@x>"], at, thread) is None
    thread += [inc(at, True), out("<a1@x>", at)]
    assert reason("Re: x", ["<a1@x>"], at, thread) is None
    thread += [inc(at, True), out("<a2@x>", at)]
    assert reason("Re: x", ["<a2@x>"], at, thread)
    # a slow reply (a person thinking) is not
    assert reason("Re: x", ["<a2@x>"], at + timedelta(hours=1), thread) is None


def test_fast_replies_count_only_in_a_row() -> None:
    # a person who once answered fast, then took their time, is not a robot
    at = T0 + timedelta(seconds=20)
    thread = [out("<c1@x>", T0), inc(at, True), inc(at, False), inc(at, True)]
    thread.append(out("<a1@x>", at))
    assert reason("Re: x", ["<a1@x>"], at, thread) is None
    thread += [inc(at, True), out("<a2@x>", at)]
    assert reason("Re: x", ["<a2@x>"], at, thread)


def test_without_in_reply_to_the_last_automatic_mail_to_the_sender_is_answered() -> None:
    thread = [out("<c1@x>", T0), inc(T0, True), inc(T0, True)]
    assert reason("Re: x [TID#1-2]", [], T0 + timedelta(minutes=1), thread)


def test_a_fast_reply_comes_within_five_minutes_of_our_automatic_mail() -> None:
    thread = [out("<c1@x>", T0), inc(T0, True), inc(T0, True)]

    def fast(after: timedelta, refs: tuple[str, ...] = ("<c1@x>",)) -> bool:
        return fast_reply(list(refs), BOT, T0 + after, thread, STAFF)

    assert fast(timedelta(minutes=5)) and not fast(timedelta(minutes=5, seconds=1))
    assert not fast(timedelta(seconds=1), refs=("<other@y>",))  # no answer to ours
    assert reason("Re: x", ["<c1@x>"], T0 + timedelta(minutes=5), thread) == (
        "ответ робота: 3-й ответ подряд на автоматическое письмо быстрее чем через 5 минут"
    )
    assert reason("Re: x", ["<c1@x>"], T0 + timedelta(minutes=5, seconds=1), thread) is None


def test_only_our_automatic_mail_to_customers_is_answered_by_robots() -> None:
    # a notice to staff alone is ours and automatic, but no robot of a customer got it
    notice = out("<n1@x>", T0, to=STAFF[0], kind="notice")
    no_id = out("", T0)
    del no_id["message_id"]
    thread = [no_id, out("<c1@x>", T0), notice]
    assert auto_ids(thread, STAFF) == {"<c1@x>": T0}
    # with no reference, the last mail the thread sent this sender is answered: not
    # the staff notice sent after it
    assert answered([], BOT, thread, STAFF) == T0
    assert answered([], BOT, [notice], STAFF) is None  # nothing was sent to them
    assert answered([], BOT, [out("<c1@x>", T0), no_id], STAFF) is None  # the last: no id


def test_a_robot_answers_its_own_copy_of_our_automatic_mail() -> None:
    # one copy per recipient, each under its own id: the second customer's robot names
    # the id of the copy it got, not the first copy's
    closing = {**out("<c1@x>", T0, to="ivan@c.example"), "to": ["ivan@c.example", BOT]}
    closing["copies"] = {"ivan@c.example": "<c1@x>", BOT: "<c1-1@x>"}
    assert auto_ids([closing], STAFF) == {"<c1@x>": T0, "<c1-1@x>": T0}
    assert reason("[#117904] Re: x", ["<c1-1@x>"], T0 + timedelta(hours=5), [closing])


def test_a_run_of_fast_replies_is_the_senders_own() -> None:
    # another person's slow mail in between does not break the sender's run
    at = T0 + timedelta(seconds=20)
    other = {**inc(at, False), "from": "olga@shop-example.ru"}
    thread = [out("<c1@x>", T0), inc(at, True), other, inc(at, True), out("<a1@x>", at)]
    assert reason("Re: x", ["<a1@x>"], at, thread)


def test_caps() -> None:
    caps = Caps(per_address_hour=2, per_address_day=3, per_ticket_hour=2)
    assert cap_reached(caps, [], [], T0) is None
    assert "в час" in cap_reached(caps, [T0, T0], [], T0)
    hours_ago = [T0 - timedelta(hours=h) for h in (2, 3, 4)]
    assert "в сутки" in cap_reached(caps, hours_ago, [], T0)
    assert cap_reached(caps, [T0 - timedelta(days=2)] * 5, [], T0) is None
    assert "по обращению" in cap_reached(caps, [], [T0, T0], T0)


@pytest.mark.parametrize(
    ("ago", "counts"),
    [(timedelta(minutes=59, seconds=59), True), (timedelta(hours=1), False)],
)
def test_the_hourly_caps_count_the_last_hour_and_no_more(ago: timedelta, counts: bool) -> None:
    caps = Caps(per_address_hour=2, per_address_day=10, per_ticket_hour=2)
    earlier = [T0 - ago, T0 - timedelta(minutes=1)]
    by_address = cap_reached(caps, earlier, [], T0)
    by_ticket = cap_reached(caps, [], earlier, T0)
    if counts:
        assert by_address == "не больше 2 автоматических писем адресу в час"
        assert by_ticket == "не больше 2 автоматических писем по обращению в час"
    else:
        assert by_address is None and by_ticket is None


@pytest.mark.parametrize(
    ("ago", "counts"),
    [(timedelta(hours=23, minutes=59, seconds=59), True), (timedelta(days=1), False)],
)
def test_the_daily_cap_counts_the_last_day_and_no_more(ago: timedelta, counts: bool) -> None:
    caps = Caps(per_address_hour=10, per_address_day=3, per_ticket_hour=10)
    earlier = [T0 - ago, T0 - timedelta(hours=5), T0 - timedelta(hours=6)]
    got = cap_reached(caps, earlier, [], T0)
    assert got == ("не больше 3 автоматических писем адресу в сутки" if counts else None)


def test_a_withdrawn_copy_gives_its_count_back_once() -> None:
    """caps.uncounted: the times of automatic mail to an address without the one
    withdrawn copy queued then (one of two queued at once), None when none is."""
    hour = T0 - timedelta(hours=1)
    assert uncounted([hour, T0, T0], T0) == [hour, T0]
    assert uncounted([hour], T0) is None
    assert uncounted([], T0) is None
    caps = Caps(per_address_hour=10, per_address_day=2, per_ticket_hour=10)
    assert cap_reached(caps, uncounted([hour, T0], T0) or [], [], T0) is None


@pytest.mark.parametrize(
    ("kind", "auto", "unverified", "ours", "counted"),
    [
        ("confirmation", True, False, False, True),
        ("notice", True, False, False, True),
        ("notice", True, False, True, False),  # staff's own mail to staff
        ("confirmation", True, False, True, False),  # a proven staff member's ticket
        ("notice", True, True, True, True),  # answering a forged staff From
        ("confirmation", True, True, True, True),
        ("notice", False, False, False, False),  # a person wrote it
        ("staff", False, False, False, False),  # a staff member's answer: never capped
        ("staff", False, True, True, False),
        ("alert", True, False, False, False),
        ("report", True, False, False, False),
    ],
)
def test_which_copies_are_automatic_mail_the_caps_count(kind, auto, unverified, ours, counted):
    assert automatic(kind, auto=auto, unverified=unverified, ours=ours) is counted


@pytest.mark.parametrize(
    ("kind", "role", "counted"),
    [
        ("confirmation", None, True),
        ("notice", None, True),
        ("notice", "staff", False),  # queued to staff as such: no unverified claim
        ("notice", "head", False),
        ("staff", None, False),  # a staff member's answer: never capped
        ("alert", None, False),
        ("report", None, False),
    ],
)
def test_a_copy_queued_before_counted_was_kept_is_judged_by_its_record(kind, role, counted):
    """The copy's "counted" is what a withdrawal gives back; an older record without it
    is judged by what it holds, as mail answering no unverified claim."""
    assert counted_copy(None, kind, role) is counted
    assert counted_copy(True, kind, role) is True  # as it was counted when queued
    assert counted_copy(False, kind, role) is False


@pytest.mark.parametrize(
    ("record", "counts"),
    [
        ({"auto_to_customer": True}, True),
        ({"auto_to_customer": False}, False),
        ({}, False),  # a staff answer, an incoming mail
        ({"auto_to_customer": True, "suppressed": "cap"}, False),  # stopped: never went
        ({"auto_to_customer": True, "withdrawn": "uncc"}, False),  # withdrawn: never went
        ({"auto_to_customer": True, "withdrawn_copies": {"a@x.ru": "uncc"}}, True),  # some went
    ],
)
def test_the_thread_records_the_tickets_cap_counts(record, counts) -> None:
    assert counted_record(record) is counts


def test_reply_address_signed_per_staff_member() -> None:
    secret, support = b"k", "support@example.com"
    anna = sign_for("4821-7730", "Anna@Example.com", secret, support)
    assert signed_for(anna, "anna@example.com", secret, support) == "4821-7730"
    assert signed_for(anna, "boris@example.com", secret, support) is None
    customer = sign("4821-7730", secret, support)  # the customer's copy proves nothing
    assert customer != anna and signed_for(customer, "anna@example.com", secret, support) is None
    assert verify(anna, secret, support) == ("4821-7730", False)
    assert signed_for("support@example.com", "anna@example.com", secret, support) is None


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Support+1001@Vendor.example", "support@vendor.example"),
        ("a+b+c@x.ru", "a@x.ru"),
        ("ivan@shop.ru", "ivan@shop.ru"),
        ("+tag@x.ru", "+tag@x.ru"),
        ("no-at-sign", "no-at-sign"),
        ('"a+b"@x.ru', '"a+b"@x.ru'),
    ],
)
def test_the_caps_count_the_mailbox_without_its_plus_tag(address, mailbox):
    assert mailbox_of(address) == mailbox


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("v.ictim@gmail.com", "victim@gmail.com"),
        ("V.I.C.T.I.M+promo@GMail.com", "victim@gmail.com"),
        ("victim@googlemail.com", "victim@gmail.com"),
        ("vic.tim+1@googlemail.com", "victim@gmail.com"),
        ("...@gmail.com", "...@gmail.com"),  # nothing but dots: left as it is
        ("v.ictim@mail.ru", "v.ictim@mail.ru"),  # elsewhere a dot is part of the name
        ("v.ictim@gmail.com.evil.example", "v.ictim@gmail.com.evil.example"),
        ('"v.ictim"@gmail.com', '"v.ictim"@gmail.com'),
    ],
)
def test_the_caps_count_a_gmail_mailbox_whatever_its_dots_and_domain(address, mailbox):
    """The form's per-address limit, counted as the mail caps count, let
    v.ictim@gmail.com, vi.ctim@, victim@googlemail.com... each have an allowance of
    its own: eight confirmations to one person (audit). Gmail ignores the dots."""
    assert mailbox_of(address) == mailbox


@pytest.mark.parametrize(
    "address",
    ["ivan@окна.рф", "Ivan@ОКНА.РФ", "ivan@xn--80atjc.xn--p1ai", "IVAN+1001@XN--80ATJC.xn--p1ai"],
)
def test_the_caps_count_an_idn_domain_in_either_spelling_as_one(address):
    """A robot writing from ivan@окна.рф and ivan@xn--80atjc.xn--p1ai in turn had an
    allowance for each spelling (addresses.comparable_address: one in A-labels)."""
    assert mailbox_of(address) == "ivan@xn--80atjc.xn--p1ai"
    # a fullwidth letter or dot, a trailing dot: the mail system delivers to foo.ru, and
    # each such spelling had an allowance of its own (spelling.routed_address)
    assert mailbox_of("ivan@ｆoo｡ru") == mailbox_of("ivan@foo.ru.") == mailbox_of("ivan@foo.ru")
    assert mailbox_of("ivan@faß.de") != mailbox_of("ivan@fass.de")  # IDNA 2003's ß: apart


_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=20)


@given(
    local=_LOCAL,
    dots=st.lists(st.integers(0, 20), max_size=5),
    upper=st.lists(st.integers(0, 20), max_size=5),
    tag=st.one_of(st.just(""), st.text("abc123.-", max_size=8).map(lambda t: "+" + t)),
    domain=st.sampled_from(["gmail.com", "googlemail.com", "GMail.Com", "GOOGLEMAIL.COM"]),
)
def test_every_spelling_of_a_gmail_mailbox_is_one_mailbox(local, dots, upper, tag, domain):
    spelled = list(local)
    for at in sorted(dots, reverse=True):  # dots anywhere, even doubled or at the ends
        spelled.insert(min(at, len(spelled)), ".")
    for at in upper:
        if at < len(spelled):
            spelled[at] = spelled[at].upper()
    address = "".join(spelled) + tag + "@" + domain
    assert mailbox_of(address) == f"{local}@gmail.com"
    assert mailbox_of(mailbox_of(address)) == mailbox_of(address)


@given(local=_LOCAL, at=st.integers(1, 19), domain=st.sampled_from(["mail.ru", "yandex.ru"]))
def test_a_dot_elsewhere_makes_another_mailbox(local, at, domain):
    if at >= len(local):
        return
    dotted = local[:at] + "." + local[at:]
    assert mailbox_of(f"{dotted}@{domain}") != mailbox_of(f"{local}@{domain}")


def test_a_tag_of_the_customers_own_subject_is_no_sign_of_a_robot() -> None:
    """A customer who wrote «Problem with Case 12345» replied to our confirmation and
    was taken for a robot (audit): their client keeps the subject in every reply. A tag
    the ticket's own subject holds counts for nothing; another one still does."""
    thread = [out("<c1@x>", T0)]
    at = T0 + timedelta(hours=2)
    own = "Problem with Case 12345 from your portal"
    subject = f"Re: Обращение зарегистрировано: {own} [TID#1165-9422]"
    kw = dict(sender=BOT, refs=["<c1@x>"], received_at=at, messages=thread, staff=STAFF)
    assert robot_reason(subject=subject, **kw)  # without the ticket's subject: as before
    assert robot_reason(subject=subject, own_subject=own, **kw) is None
    assert robot_reason(subject=subject.replace("Re:", "[#117904] Re:"), own_subject=own, **kw)
    assert robot_reason(subject=subject, own_subject=own.upper().replace(" ", "  "), **kw) is None


def test_a_stranger_naming_nothing_answers_the_last_mail_to_its_domain_if_automatic() -> None:
    """Another desk's robot writes from a new address each round (ticket-1001@,
    ticket-1002@), threading by our tag alone: the last mail the ticket sent its
    domain was automatic, so it answers that; a staff answer after it is a person's."""
    conf = out("<c1@x>", T0, to="ticket-1000@desk.example")
    robot = "ticket-1001@desk.example"
    assert answered_from_side([], robot, [conf], STAFF) == T0
    assert answered_from_side([], "ticket-1002@desk.example.", [conf], STAFF) == T0
    answer = out("<s1@x>", T0 + timedelta(hours=1), to="ticket-1000@desk.example", kind="staff")
    assert answered_from_side([], robot, [conf, answer], STAFF) is None
    # mail to staff is no mail to the sender's side, whatever domain staff share
    notice = out("<n1@x>", T0 + timedelta(hours=2), to="anna@desk.example", kind="notice")
    assert answered_from_side([], robot, [conf, notice], (*STAFF, "anna@desk.example")) == T0


def test_a_stranger_at_another_domain_answers_no_automatic_mail_by_its_tag() -> None:
    conf = out("<c1@x>", T0, to="ivan@shop.example")
    assert answered_from_side([], "olga@other.example", [conf], STAFF) is None
    assert answered_from_side([], "", [conf], STAFF) is None


def test_a_withdrawn_mail_to_the_side_was_never_answered() -> None:
    conf = {**out("<c1@x>", T0, to="ticket-1000@desk.example"), "withdrawn": "blocked"}
    assert answered_from_side([], "ticket-1001@desk.example", [conf], STAFF) is None


def test_automatic_mail_after_a_staff_answer_to_the_side_is_a_persons_to_answer() -> None:
    """Once staff wrote to the robot's side, the person there may answer by the tag
    alone whatever acknowledgement went after: no robot's answer, no robot mark."""
    side = "ticket-1000@desk.example"
    conf = out("<c1@x>", T0, to=side)
    answer = out("<s1@x>", T0 + timedelta(hours=1), to=side, kind="staff")
    ack = out("<a1@x>", T0 + timedelta(hours=2), to=side, kind="notice")
    assert answered_from_side([], "ticket-1001@desk.example", [conf, answer, ack], STAFF) is None


def test_a_staff_answer_withdrawn_before_it_went_is_no_mail_the_sender_answers() -> None:
    """A staff answer withdrawn from the queue (maild forget, #uncc, the block list)
    never reached anyone: a reply naming nothing answers the automatic mail before it,
    from the same address or from the robot's next one."""
    conf = out("<c1@x>", T0)
    gone = {**out("<s1@x>", T0 + timedelta(hours=1), kind="staff"), "withdrawn": "blocked"}
    assert answered([], BOT, [conf, gone], STAFF) == T0
    side = "ticket-1000@desk.example"
    conf = out("<c2@x>", T0, to=side)
    gone = {
        **out("<s2@x>", T0 + timedelta(hours=1), to=side, kind="staff"),
        "withdrawn": "forgotten",
    }
    assert answered_from_side([], "ticket-1001@desk.example", [conf, gone], STAFF) == T0


def test_threading_headers_say_what_a_stranger_answers() -> None:
    """Named in In-Reply-To: our automatic mail to anyone (its own copy too), or a
    person's mail of the thread; a Message-ID the thread does not hold names nothing,
    and the mail to the sender's side decides."""
    conf = out("<c1@x>", T0, to="ivan@shop.example")
    answer = out("<s1@x>", T0 + timedelta(hours=1), to="ivan@shop.example", kind="staff")
    thread = [conf, answer]
    assert answered_from_side(["<c1@x>"], "bot@desk.example", thread, STAFF) == T0
    assert answered_from_side(["<s1@x>"], "petr@shop.example", thread, STAFF) is None
    assert answered_from_side(["<own@desk>"], "bot@desk.example", thread, STAFF) is None
    robot_side = [out("<c2@x>", T0, to="ticket-1000@desk.example")]
    assert answered_from_side(["<own@desk>"], "bot@desk.example", robot_side, STAFF) == T0


def test_the_other_spelling_of_a_domain_is_the_same_side() -> None:
    conf = out("<c1@x>", T0, to="ticket-1000@xn--80atjc.xn--p1ai")
    assert answered_from_side([], "ticket-1001@окна.рф", [conf], STAFF) == T0


def test_the_desk_wide_cap_counts_every_senders_confirmations_of_the_last_hour() -> None:
    sent = [T0 - timedelta(minutes=m) for m in (1, 20, 59)]
    assert confirmations_cap_reached(4, sent, T0) is None
    why = confirmations_cap_reached(3, sent, T0)
    assert why == "не больше 3 писем о регистрации в час всем непроверенным отправителям вместе"
    assert confirmations_cap_reached(1, sent[:1], T0).startswith("не больше 1 письма ")
    old = [T0 - timedelta(minutes=60), T0 - timedelta(hours=5)]  # an hour old: counts not
    assert confirmations_cap_reached(1, old, T0) is None
    assert confirmations_cap_reached(0, sent * 1000, T0) is None  # 0: no desk-wide cap


_YANDEX = ["yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "narod.ru"]
_LOGIN = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@given(
    parts=st.lists(_LOGIN, min_size=1, max_size=4),
    joins=st.lists(st.sampled_from(".-"), min_size=3, max_size=3),
    tag=st.one_of(st.just(""), st.text("abc123", max_size=6).map(lambda t: "+" + t)),
    domain=st.sampled_from(_YANDEX + [d.upper() for d in _YANDEX]),
)
def test_every_spelling_of_a_yandex_mailbox_is_one_mailbox(parts, joins, tag, domain):
    """Yandex delivers a login at any of its domains to one mailbox and takes "." and
    "-" in it alike: 70 confirmations reached one mailbox, 14 spellings of 5 (audit)."""
    login = parts[0] + "".join(j + p for j, p in zip(joins, parts[1:], strict=False))
    address = f"{login}{tag}@{domain}"
    assert mailbox_of(address) == "-".join(parts) + "@yandex.ru"
    assert mailbox_of(mailbox_of(address)) == mailbox_of(address)


@given(
    login=_LOGIN,
    marks=st.lists(st.tuples(st.integers(0, 12), st.sampled_from(".-_")), max_size=4),
    domain=st.sampled_from(["proton.me", "protonmail.com", "pm.me", "protonmail.ch", "PM.ME"]),
)
def test_every_spelling_of_a_proton_mailbox_is_one_mailbox(login, marks, domain):
    """Proton delivers its domains to one mailbox and ignores ".", "-" and "_"."""
    spelled = list(login)
    for at, mark in marks:
        spelled.insert(min(at, len(spelled)), mark)
    assert mailbox_of("".join(spelled) + "@" + domain) == f"{login}@proton.me"


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Ivan.Petrov@me.com", "ivan.petrov@icloud.com"),  # iCloud: dots stay
        ("ivan.petrov+x@mac.com", "ivan.petrov@icloud.com"),
        ("ivan.petrov@icloud.com", "ivan.petrov@icloud.com"),
        ("ivan.petrov@yandex.com", "ivan-petrov@yandex.ru"),
        ("ivan_petrov@yandex.ru", "ivan_petrov@yandex.ru"),  # "_" is no Yandex login's
        ("...@ya.ru", "...@ya.ru"),  # nothing but dots: left as it is
        ("-@gmail.com", "-@gmail.com"),
        ("-@googlemail.com", "-@gmail.com"),  # a hyphen is a Gmail login's
        ("ivan.petrov@yandex.ru.evil.example", "ivan.petrov@yandex.ru.evil.example"),
        ("ivan.petrov@mail.ru", "ivan.petrov@mail.ru"),  # elsewhere a dot is the name's
        ("i.van@pm.me", "ivan@proton.me"),
    ],
)
def test_the_caps_count_icloud_yandex_and_proton_mailboxes_as_one(address, mailbox):
    assert mailbox_of(address) == mailbox


def test_no_side_at_a_free_mail_service() -> None:
    """gmail.com's users are no one side: a stranger there answers none of the
    automatic mail that went to another gmail.com address by the tag alone."""
    conf = out("<c1@x>", T0, to="ivan@gmail.com")
    assert answered_from_side([], "olga@gmail.com", [conf], STAFF) is None
    assert answered_from_side([], "olga@mx.gmail.com", [conf], STAFF) is None


def test_naming_a_mail_of_the_thread_that_is_no_automatic_one_answers_a_person() -> None:
    """In-Reply-To naming the thread's own incoming mail: it answers that mail, no
    automatic one of ours, whatever went to the sender's side since."""
    first = {
        "message_id": "<m0@desk>",
        "direction": "in",
        "kind": "customer",
        "from": "ticket-1000@desk.example",
        "received_at": T0.isoformat(),
    }
    conf = out("<c1@x>", T0, to="ticket-1000@desk.example")
    thread = [first, conf]
    assert answered_from_side([], "ticket-1001@desk.example", thread, STAFF) == T0
    assert answered_from_side(["<m0@desk>"], "ticket-1001@desk.example", thread, STAFF) is None
