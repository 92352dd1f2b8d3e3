"""Who gets a deadline's mail, and which: the regulation's reminder before a reaction
deadline and its escalation once it passed (sla.reminder_at has the reminder's moment,
sla.missed the deadline's instant). Pure: `now` is passed in; reminders.py gathers the
tickets and paces and queues what this says is due (domain.pace)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from maild.domain import pace
from maild.domain import ticket as tk
from maild.domain.calendar import BusinessCalendar
from maild.domain.pending import Deadline, deadlines, untold
from maild.domain.records import Ticket
from maild.domain.sla import missed, reminder_at

__all__ = ["Kind", "ListQueued", "ReminderStep", "reminder_steps"]

Kind = Literal["reminder", "escalation"]

# pace.waiting_for's test of a kind: the list a ticket's mark names (person, the
# mark's time) is in the outbox (reminders._Run.list_queued asks the outbox)
ListQueued = Callable[[str], Callable[[str, str], bool]]


@dataclass(frozen=True)
class ReminderStep:
    """One deadline mail due: its `kind`, the deadline as stored (`due`: its marks and
    mail are keyed so) and as a time (`at`), the people it is for (`to`: pace decides
    who of them gets it singly, who in a list, who has it already), and whose deadline
    it is (`whose`: pending.deadlines, less the customers already told: pending.untold)."""

    kind: Kind
    due: str
    to: tuple[str, ...]
    at: datetime
    whose: Deadline

    @property
    def step(self) -> tuple[str, str, list[str]]:
        """(kind, due, its people) as pace.marked takes it."""
        return self.kind, self.due, list(self.to)


def reminder_steps(
    ticket: Ticket,
    now: datetime,
    people: tuple[Iterable[str], str | None],
    fraction: float,
    calendar: BusinessCalendar,
    list_queued: ListQueued,
) -> list[ReminderStep]:
    """The deadline mail of `ticket` due at `now` (`people`: support.staff and the head,
    None when there is none; `fraction`: schedule.reminder_fraction): for each deadline
    (pending.deadlines: each once, all due then in it, less the merged customers it
    went about before their merge: pending.untold), the reminder to staff and the head
    at `fraction` of its time (sla.reminder_at, from its clock's start), the head's
    escalation once it passed (sla.missed: at the instant it is in time). A reminder
    due only once its deadline passed (the daemon was down over it, or its moment and
    the deadline fell in one run) goes to staff alone, late: the head hears of that
    deadline once, by the escalation, not by a late reminder beside it. A deadline
    whose reminder went to everyone before the head was among its people (marked
    done), or to staff alone once it passed, is not reminded to him afterwards:
    nothing goes twice or late. No head: no escalation."""
    staff_list, head = people
    sent = ticket.get("sent") or {}
    staff = tk.staff_mail_to(staff_list)
    # the head hears of a deadline before it passes too (SPEC: "reminder and escalation
    # emails before and when SLA deadlines are missed"): the reminder's people
    reminded = [*staff, *([head] if head and head not in staff else [])]
    escalated = [head] if head else []
    out: list[ReminderStep] = []
    for d in deadlines(ticket):  # its mail carries it: outstale.py withdraws it once stale
        due = datetime.fromisoformat(d.due)
        late = missed(due, now)  # past the deadline the head's word of it is the escalation
        mails: tuple[tuple[Kind, list[str]], ...] = (
            ("reminder", staff if late else reminded),
            ("escalation", escalated),
        )
        for kind, to in mails:
            if not to or (kind == "escalation" and not late):
                continue
            told = _told(sent, (kind, d.due, to), list_queued(kind))
            mine = untold(ticket, d, told)
            if mine is None:
                continue
            start = datetime.fromisoformat(mine.start)
            if kind == "reminder" and now < reminder_at(start, due, fraction, calendar):
                continue
            out.append(ReminderStep(kind, d.due, tuple(to), due, mine))
    return out


def _told(
    sent: Mapping[str, str], step: tuple[str, str, list[str]], queued: Callable[[str, str], bool]
) -> Callable[[str], bool]:
    """Whether the `step` (kind, deadline, its people) went to all of them about the
    customer of a TID before a merge (the marks #merge keys for them: pace.customer_due):
    a merged customer's, or the ticket's own before one joined its moment."""
    kind, due, people = step
    return lambda tid: not pace.waiting_for(sent, kind, pace.customer_due(due, tid), people, queued)
