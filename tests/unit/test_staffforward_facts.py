"""Whose a new ticket is when a staff member forwards a customer's mail
(domain.staffforward.forward_of) and the facts of its requester (facts), from values
the gatherer (maild.snapshot) looked up: the registry and his first ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime

from maild.domain.commands import parse_reply
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.staffforward import Forward, cc_facts, facts, forward_of
from tests.unit.test_decide import CUSTOMER, LICENSE, NOW, POLICY, _decide, _msg, _ticket

TODAY = date(2026, 11, 25)
ANNA = "Анна <anna@example.com>"


def _forward(sender: str) -> str:
    return (
        "Коллеги, заведите обращение на клиента.\n\n"
        "-------- Пересланное сообщение --------\n"
        "Тема: Корзина\n"
        f"От: {sender}\n"
        "Кому: anna@example.com\n\n"
        "Корзина не работает.\n"
    )


def test_a_proven_forward_is_the_customers_ticket_at_his_own_level() -> None:
    msg = _msg(sender=ANNA, body=_forward(f"Иван Петров <{CUSTOMER}>"))
    fwd = forward_of(msg, POLICY, verified=True)
    assert fwd == Forward((CUSTOMER, "Иван Петров"), CUSTOMER, True)
    got = facts(fwd, ([LICENSE], []), "2026-01-05", TODAY)
    assert got["forwarded"] == (CUSTOMER, "Иван Петров")
    assert got["forwarded_ident"].level == "vip"
    assert got["first_seen"] == "2026-01-05"  # his, as the gatherer looked it up


def test_an_unproven_forward_or_a_robots_mail_stays_the_senders() -> None:
    msg = _msg(sender=ANNA, body=_forward(f"Иван Петров <{CUSTOMER}>"))
    fwd = forward_of(msg, POLICY, verified=False)
    assert fwd == Forward((CUSTOMER, "Иван Петров"), "anna@example.com", False)
    got = facts(fwd, ([LICENSE], []), None, TODAY)
    assert got == {"forwarded": (CUSTOMER, "Иван Петров"), "first_seen": None}
    bounce = _msg(sender=ANNA, body=_forward("Mail Delivery <MAILER-DAEMON@mx.example.net>"))
    fwd = forward_of(bounce, POLICY, verified=True)
    assert fwd.requester == "anna@example.com" and not fwd.proven


def test_anyone_elses_mail_is_no_forward() -> None:
    msg = _msg(body=_forward("Пётр <petr@shop-example.ru>"))  # a customer's own mail
    assert forward_of(msg, None, verified=True) == Forward(None, CUSTOMER, False)
    assert facts(forward_of(msg, None, True), ([], []), None, TODAY) == {"first_seen": None}


def test_his_forwarded_mail_is_never_dated_after_the_forward() -> None:
    """His first message is dated by the forward's Date line, but never later than the
    forward came: a Date ahead (his clock, a typo) dated the mail heading the thread
    after her note on it and after the forward itself, a mail from the future. A Date
    before the forward is kept."""
    for date_line, written in (
        ("Mon, 30 Nov 2026 09:15:00 +0300", NOW),  # days ahead of NOW: the forward's time
        ("Tue, 24 Nov 2026 09:15:00 +0300", datetime(2026, 11, 24, 6, 15, tzinfo=UTC)),
    ):
        body = _forward(f"Иван Петров <{CUSTOMER}>").replace(
            "Тема: Корзина\n", f"Тема: Корзина\nДата: {date_line}\n"
        )
        msg = _msg(sender=ANNA, body=body)
        got = facts(forward_of(msg, POLICY, verified=True), ([LICENSE], []), None, TODAY)
        ident = identify("anna@example.com", [], [], TODAY)
        d = _decide(Snapshot("5555-0001", None, ident, True, **got), msg)
        first, note = d.messages
        assert (first["from"], first["text"]) == (CUSTOMER, "Корзина не работает.")
        assert datetime.fromisoformat(first["received_at"]) == written, date_line
        assert datetime.fromisoformat(note["received_at"]) == NOW


def test_her_reply_to_is_not_his_on_a_proven_forward() -> None:
    """A proven forward is decided as his own mail, Reply-To and all: hers (her own
    mailbox outside, say) is nothing he set, so no mail names it to staff as where
    he asks answers to go, for a `#cc` that would send his ticket to her."""
    body = _forward(f"Иван Петров <{CUSTOMER}>")
    msg = _msg(sender=ANNA, body=body, headers={"Reply-To": "anna.home@mail.example.net"})
    got = facts(forward_of(msg, POLICY, verified=True), ([LICENSE], []), None, TODAY)
    ident = identify("anna@example.com", [], [], TODAY)
    d = _decide(Snapshot("5555-0001", None, ident, True, **got), msg)
    assert d.ticket["requester"] == CUSTOMER
    assert [o.context.get("reply_to") for o in d.outgoing if "reply_to" in o.context]
    assert all(o.context.get("reply_to") is None for o in d.outgoing)


def test_a_proven_forward_suggests_no_cc_of_its_customer() -> None:
    """Proven, the ticket is his and its mail says who opened it for him: the «#cc»
    of him an unproven forward's notice suggests would add its own requester."""
    msg = _msg(sender=ANNA, body=_forward(f"Иван Петров <{CUSTOMER}>"))
    got = facts(forward_of(msg, POLICY, verified=True), ([LICENSE], []), None, TODAY)
    ident = identify("anna@example.com", [], [], TODAY)
    d = _decide(Snapshot("5555-0001", None, ident, True, **got), msg)
    told = [o.context for o in d.outgoing if "opened_by" in o.context]
    assert told and all(c["opened_by"] == "anna@example.com" for c in told)
    assert all(c["forwarded"] is None for c in told)


def test_the_ticket_keeps_who_opened_it_for_the_customer() -> None:
    """Proven, the ticket's record names the staff member whose forward opened it
    (`opened_by`, README: the ticket file keeps her); unproven, the ticket is hers and
    names no one."""
    msg = _msg(sender=ANNA, body=_forward(f"Иван Петров <{CUSTOMER}>"))
    ident = identify("anna@example.com", [], [], TODAY)
    for verified, opened_by in ((True, "anna@example.com"), (False, None)):
        got = facts(forward_of(msg, POLICY, verified), ([LICENSE], []), None, TODAY)
        d = _decide(Snapshot("5555-0001", None, ident, True, **got), msg)
        assert d.ticket.get("opened_by") == opened_by, verified


def test_only_a_ticket_with_no_customer_takes_the_level_of_a_cc() -> None:
    """Her own ticket's first customer, added by `#cc`, sets its level; once a
    customer is on it, a later `#cc` of another (a VIP colleague of his) changes no
    level: the ticket is his, at the level it has."""
    ticket = {"requester": "anna@example.com", "participants": []}
    reply = parse_reply(f"#cc {CUSTOMER}\nДобавила клиента.")
    got = cc_facts(reply, ticket, POLICY, ([LICENSE], []), TODAY)
    assert got["cc_ident"].level == "vip"
    ticket["participants"] = ["petr@shop-example.ru"]
    assert cc_facts(reply, ticket, POLICY, ([LICENSE], []), TODAY) == {}


def _cc(ticket: dict, messages: list[dict], whom: str = CUSTOMER) -> dict:
    """Her reply «#cc <whom>» to her own ticket ``ticket``: the ticket after it (his
    address, CUSTOMER, owed VIP)."""
    snap = Snapshot(
        ticket["tid"],
        (ticket, messages),
        identify("anna@example.com", [], [], TODAY),
        True,
        cc_ident=identify(whom, [LICENSE], [], TODAY),
    )
    body = f"#cc {whom}\nДобавила клиента."
    msg = _msg(sender=ANNA, subject=f"Re: Заказ [TID#{ticket['tid']}]", body=body)
    return _decide(snap, msg).ticket


def test_a_cc_raises_her_tickets_level_but_never_lowers_or_overrules_staff() -> None:
    """The customer her `#cc` adds brings the level he is owed when it is better than
    the ticket's; a better one the ticket has stays (a level is never lowered by a
    `#cc`), and so does one staff set by command (#level is staff's word)."""
    ticket, messages = _ticket(requester="anna@example.com")
    assert ticket["level"] != "vip"
    assert _cc(ticket, messages)["level"] == "vip"
    vip = {**ticket, "level": "vip"}
    assert _cc(vip, messages, "petr@shop-example.ru")["level"] == "vip"  # he is owed less
    set_by_staff = {**messages[0], "direction": "out", "commands": ["#level standard"]}
    standard = {**ticket, "level": "standard"}
    assert _cc(standard, [*messages, set_by_staff])["level"] == "standard"


def test_a_date_line_without_a_zone_dates_his_mail_at_the_forward() -> None:
    """«Дата: ... -0000» (RFC 5322: the zone unknown) gives no moment to compare with
    the forward's: his mail is dated when the forward came, and the mail is decided
    (a naive time compared with an aware one stopped it)."""
    body = _forward(f"Иван Петров <{CUSTOMER}>").replace(
        "Тема: Корзина\n", "Тема: Корзина\nДата: Tue, 24 Nov 2026 09:15:00 -0000\n"
    )
    msg = _msg(sender=ANNA, body=body)
    got = facts(forward_of(msg, POLICY, verified=True), ([LICENSE], []), None, TODAY)
    ident = identify("anna@example.com", [], [], TODAY)
    first, _note = _decide(Snapshot("5555-0001", None, ident, True, **got), msg).messages
    assert datetime.fromisoformat(first["received_at"]) == NOW


def test_a_forward_with_no_words_of_hers_leaves_no_empty_note() -> None:
    """She forwarded his mail and wrote nothing above the mark: the thread holds his
    mail alone, no empty note of hers («Анна: » with nothing after it in the thread,
    on `ticket show`)."""
    body = _forward(f"Иван Петров <{CUSTOMER}>").replace(
        "Коллеги, заведите обращение на клиента.\n\n", ""
    )
    msg = _msg(sender=ANNA, body=body)
    got = facts(forward_of(msg, POLICY, verified=True), ([LICENSE], []), None, TODAY)
    ident = identify("anna@example.com", [], [], TODAY)
    d = _decide(Snapshot("5555-0001", None, ident, True, **got), msg)
    [first] = d.messages
    assert (first["from"], first["text"]) == (CUSTOMER, "Корзина не работает.")
