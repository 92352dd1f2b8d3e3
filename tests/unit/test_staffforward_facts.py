"""Whose a new ticket is when a staff member forwards a customer's mail
(domain.staffforward.forward_of) and the facts of its requester (facts), from values
the gatherer (maild.snapshot) looked up: the registry and his first ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime

from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.staffforward import Forward, facts, forward_of
from tests.unit.test_decide import CUSTOMER, LICENSE, NOW, POLICY, _decide, _msg

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
