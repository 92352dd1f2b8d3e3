"""maild/app.py: what the App answers of itself, not of a layer it wires: the desk's
time and the Reply-To of mail about no ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from maild.app import App
from maild.config import load
from tests.helpers import SUPPORT, Desk, dead_port


def test_the_desks_day_is_its_zones_not_utcs(tmp_path: Path) -> None:
    """At 01:00 in Moscow on 6 December it is still the 5th in UTC: a contract
    `--until 2026-12-05` is expired to `license list --expired`, and what is dated today
    is dated the 6th, as the desk's staff read their calendar."""
    late = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
    app = App(load(Desk(tmp_path, dead_port()).config), clock=lambda: late)
    now = app.now()
    assert now.date() == date(2026, 12, 6) and now.utcoffset() is not None
    assert (now.hour, now.utcoffset().total_seconds()) == (1, 3 * 3600)


def test_mail_about_no_ticket_is_answered_to_the_support_address(tmp_path: Path) -> None:
    """A reply to mail that is about no ticket goes to the support address itself, not
    to an address signed for a ticket of no TID."""
    app = App(load(Desk(tmp_path, dead_port()).config))
    assert app.reply_address(None, "ivan@shop-example.ru") == SUPPORT
    assert app.reply_address("", "ivan@shop-example.ru") == SUPPORT
    assert app.reply_address("1234-5678", "ivan@shop-example.ru") != SUPPORT
