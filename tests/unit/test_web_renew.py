"""maild.web.renew: a new link pressed for again soon after one went mails none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maild.web.renew import LINK_TEMPLATE, SENT_LATELY, sent_lately

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def letter(to: str, ago: timedelta, template: str = LINK_TEMPLATE) -> dict:
    return {
        "kind": "notice",
        "template": template,
        "to": [to],
        "received_at": (NOW - ago).isoformat(),
    }


def test_a_link_sent_minutes_ago_to_the_same_address_is_not_sent_again():
    """Back loads the expired page anew (a new form, another letter's key): the button
    pressed again within SENT_LATELY of the letter mails nothing; later, to another
    address, or after another mail, it does."""
    owner = "ivan@shop-example.ru"
    assert sent_lately([letter(owner, timedelta(seconds=5))], owner, NOW)
    assert sent_lately([letter(owner, SENT_LATELY - timedelta(seconds=1))], owner, NOW)
    assert not sent_lately([letter(owner, SENT_LATELY)], owner, NOW)
    assert not sent_lately([letter("olga@shop-example.ru", timedelta(seconds=5))], owner, NOW)
    assert not sent_lately([letter(owner, timedelta(seconds=5), "status.txt")], owner, NOW)
    assert not sent_lately([], owner, NOW)
    assert timedelta(minutes=2) <= SENT_LATELY <= timedelta(minutes=15)  # «a few minutes»
