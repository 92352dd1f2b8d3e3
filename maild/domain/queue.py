"""The morning queue: which open tickets a staff member should handle, in what order.

The regulation: tickets are handled in order of arrival, critical ones jump the
queue; a deadline that has passed is marked. Pure: summaries and `now` in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from maild.domain.pending import next_due
from maild.domain.records import Summary
from maild.domain.sla import passed
from maild.domain.ticket import waits_for_customer

__all__ = ["Queue", "handling_order", "jumps_queue", "queue_for"]

_FAR = "9999-12-31T23:59:59+00:00"


class QueueRow(Summary):
    overdue: bool  # its deadline (or a merged customer's) passed


@dataclass(frozen=True)
class Queue:
    """One staff member's morning view; each row is a ticket summary plus "overdue"."""

    mine: tuple[QueueRow, ...]
    others: tuple[QueueRow, ...]
    waiting: tuple[QueueRow, ...]

    @property
    def empty(self) -> bool:
        return not (self.mine or self.others or self.waiting)


def jumps_queue(row: Summary) -> bool:
    """Whether a ticket goes before every other (the regulation: critical ones jump
    the queue): marked #critical. Both orders start with it, each then its own:
    handling_order's (the morning queue, the reminders) and `ticket list`'s
    (ops.listing.rows: arrival alone, README «Beyond INTERFACE.md»)."""
    return bool(row.get("critical"))


def handling_order(row: Summary) -> tuple[bool, datetime, datetime, str]:
    """The regulation's order of tickets, for the morning queue and the reminders alike:
    critical first, then the nearest deadline (of its own and those of the waits merged
    into it: pending.next_due), then arrival (as times: the offsets of two may differ,
    support.timezone changed), the TID only between tickets that came at the same
    moment."""
    due = datetime.fromisoformat(next_due(row) or _FAR)
    return (not jumps_queue(row), due, datetime.fromisoformat(row["created_at"]), row["tid"])


def queue_for(staff: str, rows: list[Summary], now: datetime) -> Queue:
    """Open tickets for ``staff``: their own assignments first, then the rest; tickets
    waiting for the customer (and not for staff) apart."""
    active: list[QueueRow] = []
    waiting: list[QueueRow] = []
    for row in rows:
        if row["status"] == "closed":
            continue
        due = next_due(row)  # the nearest: a merged customer's passed is overdue too
        marked: QueueRow = {**row, "overdue": passed(due, now)}
        # waiting for the customer, unless a customer's mail waits for staff too (one
        # merged into it before merge opened such a ticket): that one is to do
        (waiting if waits_for_customer(row) else active).append(marked)
    active.sort(key=handling_order)
    waiting.sort(key=lambda r: (r["created_at"], r["tid"]))
    mine = tuple(r for r in active if r.get("assignee") == staff)
    others = tuple(r for r in active if r.get("assignee") != staff)
    return Queue(mine, others, tuple(waiting))
