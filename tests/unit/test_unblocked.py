"""maild.unblocked.withdrawn_blocked with domain.spam.started_owed: the «работа начата»
`block remove` sends is the one the block held back. A copy withdrawn from the queue
is owed only when it was withdrawn as blocked and never went; its ticket's record
not yet marked (the sender stopped between the outbox's withdrawal and the thread's
mark, a thread unreadable then), the outbox's sent/ record is what tells."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from maild.domain.spam import STARTED_TEMPLATE, BlockList, started_owed
from maild.unblocked import withdrawn_blocked

CUSTOMER = "ivan@shop-example.ru"
MID = "<started.1234-5678@example.com>"
# the thread's record of the «работа начата» queued at #take, its withdrawal unmarked
STARTED = {
    "direction": "out",
    "kind": "notice",
    "template": STARTED_TEMPLATE,
    "to": [CUSTOMER],
    "message_id": MID,
}


def _owed(meta: dict[str, Any]) -> list[str]:
    sent = {"id": "k-started", "tid": "1234-5678", "to": [CUSTOMER], "message_id": MID, **meta}
    app = SimpleNamespace(outbox=SimpleNamespace(sent_entries=lambda: [sent]))
    withdrawn = withdrawn_blocked(app)  # type: ignore[arg-type]
    return started_owed("open", [STARTED], BlockList(["shop-example.ru"]), withdrawn)


def test_a_copy_withdrawn_as_blocked_that_never_went_is_owed():
    assert _owed({"withdrawn": "blocked"}) == [CUSTOMER]


@pytest.mark.parametrize("why", ["uncc", "erased", "spam", "stale", "left"])
def test_a_copy_withdrawn_for_another_reason_is_no_notice_the_block_held(why):
    """Taken off the ticket (#uncc), erased by `maild forget`, #spam: the block kept
    nothing from them, so lifting it owes them nothing."""
    assert _owed({"withdrawn": why}) == []


def test_a_copy_withdrawn_as_blocked_that_went_all_the_same_is_not_owed():
    """Withdrawn while the relay was taking it (a line in the sent log): the customer
    has it, and a second «работа начата» would be one too many."""
    assert _owed({"withdrawn": "blocked", "sent_at": "2026-12-07T10:00:00+03:00"}) == []


def test_a_copy_that_went_is_not_owed():
    assert _owed({"sent_at": "2026-12-07T10:00:00+03:00"}) == []
