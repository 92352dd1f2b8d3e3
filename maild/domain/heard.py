"""A reaction is staff's first word to the customer: a notice that never went is none.

A staff reply of commands alone tells the customer with a notice: «Работа начата»
(#take) or «Обращение закрыто» (#close alone), which is the ticket's first reaction
(ticket.apply_command, ticket.on_mail_to_customer). The cap on automatic mail (and the
block list, an address refused for good) may stop that notice when it is queued:
the customer then heard nothing, yet the ticket kept the reaction and the SLA report
counted it in time. The notice carries the ticket's reaction as it was before the
reply (Outgoing.unheard), and effects puts it back when the notice was queued to no
one, and with it the mark that the customer was told work has started (sent.started,
so a later #take tells them), and the deadline the reply ended (reaction_due and when
its clock started, reaction_from) while the ticket still owes the customer a word (not
closed, not waiting for them): the reminders and the escalation still come, and the
SLA report's "overdue" agrees with its "breached". Everything else the commands did
stays (taken, closed).
The «работа начата» `maild block remove` sends late is the reaction then (unblocked.py).

Pure: tickets and mails in, tickets and mails out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from maild.domain.decision import Outgoing
from maild.domain.records import Ticket
from maild.domain.ticket import STARTED

__all__ = ["if_queued", "reaction_of", "unheard"]

# What a reaction sets: its time, and the end of the waits of tickets merged in
# before any reaction (mergedwait.answered)
REACTION = ("first_reaction_at", "merged_waits")
FollowupKey = Literal["reaction_level", "later_reactions", "reaction_judged", "merged_followups"]
# The level of a deadline, and the follow-ups' outcomes, where a reply that ended a
# follow-up's deadline counted it (sla.followup_ended): only where set (followups.py)
FOLLOWUP: tuple[FollowupKey, ...] = (
    "reaction_level",
    "later_reactions",
    "reaction_judged",
    "merged_followups",
)
# What a reaction ends: the deadline that waited for it, and when its clock started
DeadlineKey = Literal["reaction_due", "reaction_from", FollowupKey]
DEADLINE: tuple[DeadlineKey, ...] = (
    "reaction_due",
    "reaction_from",
    *FOLLOWUP,
)


def reaction_of(ticket: Ticket) -> dict[str, Any]:
    """The ticket's reaction fields and its deadline, as a staff reply found them, and
    when its customer was told work has started (ticket.STARTED)."""
    started = (ticket.get("sent") or {}).get(STARTED)
    return {**{k: ticket.get(k) for k in (*REACTION, *DEADLINE)}, STARTED: started}


def if_queued(mail: Outgoing, before: Mapping[str, Any], after: Ticket) -> Outgoing:
    """``mail`` to the customer, carrying the reaction ``before`` the reply when it is
    a notice that made the reaction (``after``: the ticket with it): a reaction only if
    it is queued. An answer of staff's own is never capped, nor is a notice that
    changed no reaction (one came before)."""
    if mail.kind != "notice" or all(after.get(k) == before.get(k) for k in REACTION):
        return mail
    return replace(mail, unheard=dict(before))


def unheard(ticket: Ticket, before: Mapping[str, Any]) -> Ticket:
    """``ticket`` without the reaction of a notice queued to no one: its reaction
    fields, its customer's being told work has started, and, while it still owes them
    a word, its deadline (its level, and the follow-ups' outcomes as they were before
    the reply counted it: sla.followup_ended), as ``before`` (if_queued's) holds them.
    A closed ticket, or one waiting for the customer (ticket.waits_for_customer), owes
    none: staff decided so, and no reminder or escalation is due about it. A ``before``
    kept without the deadline leaves the ticket's own."""
    t: Ticket = {**ticket, "first_reaction_at": before.get("first_reaction_at")}
    if before.get(STARTED) is None and (t.get("sent") or {}).get(STARTED):
        t["sent"] = {k: v for k, v in t["sent"].items() if k != STARTED}
    if before.get("merged_waits") is None:
        t.pop("merged_waits", None)
    else:
        t["merged_waits"] = before["merged_waits"]
    if t.get("status") not in ("closed", "waiting"):
        for field in DEADLINE:
            if field in before:
                t[field] = before[field]
        for k in FOLLOWUP:
            if t.get(k) is None:
                t.pop(k, None)
    return t
