"""imapbatch.move_batch when the connection breaks in the middle of a batch's move (the
moves themselves, against a real Dovecot: tests/integration/test_imap_backlog.py): the
spooled messages not moved yet are remembered, so the next round moves them without
fetching (and spooling) them a second time."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient

from maild.adapters.imapbatch import move_batch
from maild.adapters.imapmove import MoveWatch
from tests.unit.test_imapfetch import CFG
from tests.unit.test_imapmove import CAPS

BATCH = [(5, "<m5@x>"), (6, "<m6@x>"), (7, "<m7@x>")]


class Breaking:
    """A client of a folder holding every UID asked for, whose MOVEs answer in turn
    `answers` (None: moved; an error: raised)."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.moved: list[int] = []

    def search(self, criteria: list[bytes]) -> list[int]:
        return [int(u) for u in criteria[1].decode().split(",")]

    def move(self, uids: list[int], folder: str) -> None:
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        self.moved += uids


FULL = IMAPClient.Error("move failed: [OVERQUOTA] Quota exceeded (mailbox for user is full)")


@pytest.mark.parametrize(
    "error",
    [ConnectionResetError(104, "Connection reset by peer"), IMAPClient.AbortError("EOF")],
    ids=["socket", "abort"],
)
@pytest.mark.parametrize(
    "before, left",
    [([], [5, 6, 7]), ([FULL, None], [6, 7])],
    ids=["the-batch-move", "a-move-of-one"],
)
def test_a_batch_whose_move_the_connection_broke_is_moved_next_round_not_fetched_again(
    error, before, left
):
    """The connection breaks at the batch's UID MOVE, or (the server refused the batch,
    so each is moved on its own) at the move of UID 6 after 5's: the ones not moved are
    moved at once by the next round and never fetched, nor spooled, again."""
    watch = MoveWatch(CFG, None, retry=300)
    assert watch.order([5, 6, 7, 8], 1) == ([5, 6, 7, 8], [])
    client = Breaking(*before, error)
    with pytest.raises(type(error)):
        move_batch(watch, client, CAPS, list(BATCH))  # type: ignore[arg-type]
    folder = [u for u in (5, 6, 7, 8) if u not in client.moved]
    assert watch.order(folder, 1) == ([8], left)  # moved at once, never fetched
