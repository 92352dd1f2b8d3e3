"""Unit tests for maild.domain.sla.unattended: which new ticket's first mail starts no
reaction deadline (automatic mail, as a follow-up of it starts none), and what
ticket.new_ticket, on_customer_message and #level make of it. Mail is raw, through
parse() and screen()."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maild.domain import ticket as tk
from maild.domain.message import parse
from maild.domain.screen import HUMAN, Screening, screen
from maild.domain.sender import Identification
from maild.domain.sla import unattended

SUPPORT = "support@example.com"
MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
FREE = Identification("free", "none", None, "неизвестный адрес")


def due(level: str, start: datetime) -> datetime:
    return start + timedelta(hours={"free": 24, "standard": 6}.get(level, 40))


def screened(
    *headers: str, sender: str = "ivan@shop.example", subject: str = "Вопрос"
) -> Screening:
    lines = [f"From: {sender}", f"To: {SUPPORT}", f"Subject: {subject}", *headers]
    lines += ["Message-ID: <m1@shop.example>", "Content-Type: text/plain; charset=utf-8", ""]
    return screen(parse("\r\n".join([*lines, "Текст."]).encode("utf-8")), SUPPORT)


@pytest.mark.parametrize(
    ("headers", "subject", "sign"),
    [
        (["Precedence: bulk"], "Новости за ноябрь", "Precedence: bulk"),
        (["Auto-Submitted: auto-generated"], "Заявка принята", "Auto-Submitted: auto-generated"),
        (["X-Autoreply: yes"], "Re: Вопрос", "x-autoreply"),
        ([], "Автоответ: в отпуске до 30.11", "тема автоответа «Автоответ:»"),
        (["List-Id: <devel.lists.example.org>"], "[devel] build", "письмо из рассылки (List-Id)"),
    ],
)
def test_automatic_mail_starts_no_deadline_and_says_by_which_sign(headers, subject, sign):
    assert unattended(screened(*headers, subject=subject)) == sign


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ["X-Auto-Response-Suppress: All"],  # a person's, asking for no automatic answer
        ["X-Loop: list@lists.example.org"],  # another's loop header: a person's too
        ["Auto-Submitted: no"],
        ["Precedence: normal"],
    ],
)
def test_a_persons_mail_keeps_its_deadline(headers):
    assert unattended(screened(*headers)) is None


def test_a_sites_form_from_noreply_with_the_visitor_in_reply_to_is_a_persons_request():
    form = screened("Reply-To: olga@mail.example", sender="noreply@shop.example")
    assert form.automated and unattended(form) is None
    assert unattended(screened(sender="noreply@shop.example")) is not None  # no one else
    # its own address in Reply-To is no visitor
    same = screened("Reply-To: noreply@shop.example", sender="noreply@shop.example")
    assert unattended(same) is not None
    # a newsletter from noreply@ says so by its other signs, whatever its Reply-To
    bulk = screened(
        "Precedence: bulk", "Reply-To: info@shop.example", sender="noreply@shop.example"
    )
    assert unattended(bulk) == "Precedence: bulk"


def make(screening: Screening = HUMAN) -> dict:
    return tk.new_ticket("1234-5678", "ivan@x.ru", "Тема", FREE, T0, due, screening=screening)


def test_new_ticket_of_automatic_mail_has_no_deadline_of_a_persons_the_levels_time():
    person = make()
    assert (
        person["reaction_due"]
        == person["first_reaction_due"]
        == (T0 + timedelta(hours=24)).isoformat()
    )
    robot = make(Screening(True, "Precedence: bulk"))
    assert (robot["reaction_due"], robot["first_reaction_due"], robot["reaction_from"]) == (
        None,
        None,
        None,
    )
    assert robot["status"] == "new" and tk.awaits_first(robot) and not tk.awaits_first(person)


def test_the_customers_next_mail_starts_the_first_deadline():
    later = T0 + timedelta(days=1)
    t, _ = tk.on_customer_message(make(Screening(True, "Precedence: bulk")), later, due)
    assert t["reaction_due"] == t["first_reaction_due"] == (later + timedelta(hours=24)).isoformat()
    assert t["first_reaction_level"] == "free" and not tk.awaits_first(t)


def test_level_sets_the_first_deadline_from_now_the_same_level_telling_no_one():
    at = T0 + timedelta(hours=1)
    robot = make(Screening(True, "Precedence: bulk"))
    t, notices = tk.apply_command(robot, "level", "free", at, due, "anna@example.com")
    assert (t["level"], notices) == ("free", [])
    assert t["reaction_due"] == t["first_reaction_due"] == (at + timedelta(hours=24)).isoformat()
    t, notices = tk.apply_command(robot, "level", "standard", at, due, "anna@example.com")
    assert notices == [tk.LEVEL_CHANGED] and t["first_reaction_level"] == "standard"
    assert t["reaction_due"] == (at + timedelta(hours=6)).isoformat()


def test_level_on_a_ticket_answered_or_with_its_deadline_changes_as_before():
    at = T0 + timedelta(hours=1)
    answered = tk.on_staff_reply(make(Screening(True, "Precedence: bulk")), at)
    t, _ = tk.apply_command(answered, "level", "free", at, due, "anna@example.com")
    assert t["reaction_due"] is None  # nothing waits for staff: no deadline
    person = make()
    t, notices = tk.apply_command(person, "level", "free", at, due, "anna@example.com")
    assert (t, notices) == ({**person, "sent": {}}, [])  # the same level: nothing to do
