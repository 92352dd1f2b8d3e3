"""A staff member's answer said again word for word is not sent twice
(maild.domain.samereply.repeated): the table of what counts as the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from maild.domain.samereply import repeated
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from tests.unit.test_decide import STAFF, _decide, _msg, _ticket

ANNA, BORIS = "anna@example.com", "boris@example.com"
SENT = "Здравствуйте!\nЯ в отпуске до 10.12.\n\nС уважением, Анна"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def relayed(text: str, sender: str = ANNA, ago: timedelta = timedelta(minutes=6), **kw) -> dict:
    at = (NOW - ago).isoformat()
    return {
        "direction": "out",
        "kind": "staff",
        "from": sender,
        "text": text,
        "received_at": at,
        **kw,
    }


@pytest.mark.parametrize(
    "body",
    [
        SENT,
        "Здравствуйте! Я в отпуске до 10.12. С уважением, Анна",  # reflowed
        "  Здравствуйте!\r\n  Я в отпуске до 10.12.\n С уважением,\tАнна\n\n",
    ],
)
def test_the_same_answer_by_the_same_member_is_repeated(body: str) -> None:
    assert repeated(ANNA, body, [relayed("Первый ответ."), relayed(SENT)], NOW)


@pytest.mark.parametrize(
    ("sender", "body", "thread"),
    [
        (ANNA, "Здравствуйте! Я в отпуске до 11.12. С уважением, Анна", [relayed(SENT)]),
        (ANNA, "здравствуйте! я в отпуске до 10.12. с уважением, анна", [relayed(SENT)]),
        (BORIS, SENT, [relayed(SENT)]),  # another member's answer is hers alone
        (ANNA, SENT, [relayed(SENT, kind="note", direction="in")]),  # a note went nowhere
        (ANNA, SENT, [{"direction": "in", "kind": "customer", "from": ANNA, "text": SENT}]),
        (ANNA, SENT, []),
        (ANNA, "", [relayed("")]),  # nothing to send is no answer (unsent.py)
        (ANNA, SENT, [relayed(SENT, ago=timedelta(days=1, minutes=1))]),  # a reminder, meant
        # a copy withdrawn (#uncc before it went, #cc again): it did not reach them
        (ANNA, SENT, [relayed(SENT, withdrawn_copies={"olga@shop.ru": "uncc"})]),
        (ANNA, SENT, [relayed(SENT, withdrawn="forget")]),
    ],
)
def test_what_is_no_repeated_answer(sender: str, body: str, thread: list[dict]) -> None:
    assert not repeated(sender, body, thread, NOW)


def test_an_answer_held_as_the_same_keeps_the_next_one_held() -> None:
    """Her auto-responder's text held an hour ago is what the next one is judged by,
    though the one it repeated went two days ago."""
    held = relayed(SENT, ago=timedelta(hours=1), kind="note", direction="in", same_answer=True)
    assert repeated(ANNA, SENT, [relayed(SENT, ago=timedelta(days=2)), held], NOW)


def test_each_member_is_told_once_of_her_own_answer_held() -> None:
    """Anna's answer held and she told; then Boris says his (the same words) again: he
    is told too, as she was not told twice."""
    ticket, messages = _ticket()
    text = "Здравствуйте! Очистите, пожалуйста, кэш."
    for member in STAFF:
        sent = {**messages[0], "from": member, "direction": "out", "kind": "staff"}
        messages.append({**sent, "text": text})
    for member in STAFF:
        ident = identify(member, [], [], NOW.date())
        msg = _msg(sender=member, body=text)
        d = _decide(Snapshot(ticket["tid"], (ticket, messages), ident, True), msg)
        assert d.incoming is not None and d.incoming["kind"] == "note"
        assert [o.to for o in d.outgoing] == [[member]]
        ticket, messages = d.ticket, d.messages
