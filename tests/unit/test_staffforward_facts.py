"""Whose a new ticket is when a staff member forwards a customer's mail
(domain.staffforward.forward_of) and the facts of its requester (facts), from values
the gatherer (maild.snapshot) looked up: the registry and his first ticket."""

from __future__ import annotations

from datetime import date

from maild.domain.staffforward import Forward, facts, forward_of
from tests.unit.test_decide import CUSTOMER, LICENSE, POLICY, _msg

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
