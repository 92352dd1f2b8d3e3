"""After #wait: when the customer is reminded of the question, when the ticket closes
for want of an answer, and who hears of either. Pure: `now` is passed in; jobs.waiting
gathers the tickets and carries out the step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from maild.domain import automatic
from maild.domain import ticket as tk
from maild.domain.calendar import BusinessCalendar
from maild.domain.records import Ticket

__all__ = ["WaitSchedule", "WaitStep", "waiting_step"]


class WaitSchedule(Protocol):
    """What the rule reads of the config (configtypes.ScheduleConfig has it)."""

    @property
    def waiting_reminder_days(self) -> int: ...
    @property
    def waiting_autoclose_days(self) -> int: ...


@dataclass(frozen=True)
class WaitStep:
    """What is due at `now` for a ticket waiting for its customer: `remind` them
    (reminder_customer.txt, naming `close_at`, when the ticket will close) or `close`
    it (resolved.txt with the rating request; `close_at` is when it fell due), the mail
    to `to`. `since`: the moment the mail is keyed by (the wait's start for the
    reminder, the reminder's time for the close), so a rerun queues it once."""

    kind: Literal["remind", "close"]
    to: tuple[str, ...]
    since: str
    close_at: datetime


def waiting_step(
    ticket: Ticket,
    now: datetime,
    calendar: BusinessCalendar,
    schedule: WaitSchedule,
    people: tuple[Iterable[str], str],
) -> WaitStep | None:
    """The step due at `now` for `ticket`, None when nothing is (it waits for no
    customer: tk.waits_for_customer, or neither moment has come). The reminder goes
    `waiting_reminder_days` business days after the wait began (`waiting_since`, else
    the ticket's creation); the close `waiting_autoclose_days` business days after the
    reminder went, which the reminder names: counted from the reminder, not from the
    wait. Both go to the ticket's customers (tk.customers; `people`: support's own
    side and the support address), less the automatic addresses that get no notice
    (automatic.held_among)."""
    if not tk.waits_for_customer(ticket):
        return None
    own, support = people
    customers = tk.customers(ticket, own, support)
    held = automatic.held_among(ticket, customers)  # no automatic mail to automatic
    to = tuple(a for a in customers if a not in held)
    since = datetime.fromisoformat(ticket.get("waiting_since") or ticket["created_at"])
    reminded = (ticket.get("sent") or {}).get("waiting_reminder")
    if not reminded:
        if now < calendar.add_business_days(since, schedule.waiting_reminder_days):
            return None
        # the close below counts from this reminder: the customer is told when
        close_at = calendar.add_business_days(now, schedule.waiting_autoclose_days)
        return WaitStep("remind", to, since.isoformat(), close_at)
    close_at = calendar.add_business_days(
        datetime.fromisoformat(reminded), schedule.waiting_autoclose_days
    )
    return WaitStep("close", to, reminded, close_at) if now >= close_at else None
