"""«Critical first», decided once (domain.queue.jumps_queue) and used by both orders
of tickets: the morning queue's and the reminders' (queue.handling_order: then the
nearest deadline, then arrival) and `ticket list`'s (ops.listing.rows: then arrival
alone, README «Beyond INTERFACE.md»)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.queue import handling_order, jumps_queue
from maild.ops.listing import Filter, rows

START = datetime(2026, 12, 1, 9, tzinfo=UTC)


class OpenOnly:
    """What `ticket list` reads of a store with open tickets only."""

    def __init__(self, summaries: list[dict[str, Any]]) -> None:
        self.summaries = summaries

    def open_summaries(self) -> list[dict[str, Any]]:
        return list(self.summaries)

    def archive_files(self) -> list[Any]:
        return []


_row = st.tuples(st.booleans(), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 50)))


@given(st.lists(_row, max_size=12))
def test_both_orders_put_the_tickets_that_jump_the_queue_first_each_its_own_way(
    made: list[tuple[bool, int, int | None]],
) -> None:
    summaries = [
        {
            "tid": f"T{n:03d}",
            "status": "open",
            "level": "free",
            "critical": critical,
            "created_at": (START + timedelta(hours=came)).isoformat(),
            "reaction_due": None if due is None else (START + timedelta(hours=due)).isoformat(),
            "reaction_from": None,
        }
        for n, (critical, came, due) in enumerate(made)
    ]
    first = [r for r in summaries if jumps_queue(r)]
    assert [bool(r["critical"]) for r in summaries] == [jumps_queue(r) for r in summaries]
    queued = sorted(summaries, key=handling_order)
    assert queued[: len(first)] == sorted(first, key=handling_order)
    listed = list(rows(OpenOnly(summaries), Filter()))

    def arrival(r: dict[str, Any]) -> tuple[str, str]:
        return r["created_at"], r["tid"]

    rest = [r for r in summaries if not jumps_queue(r)]
    assert listed == sorted(first, key=arrival) + sorted(rest, key=arrival)
