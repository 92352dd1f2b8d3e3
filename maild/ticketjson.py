"""The ticket JSON of `ticket show --json` and `ticket list --json`: INTERFACE.md's
shape, then a few keys of our own at the end (README: `rating` under ratings by mail).
`reaction_due` is when the next staff reaction is due: on a ticket with customers merged
into it before any reaction, the nearest of its own deadline and theirs (pending.next_due;
`merged_waits` lists theirs, and `own_reaction_due` beside it the ticket's own pending
deadline, pending.pending_due: null while its own customer's mail waits for no one)."""

from __future__ import annotations

from typing import Any

from maild.domain.closingrating import rating_of_closing
from maild.domain.pending import next_due, pending_due
from maild.domain.records import MessageRecord, Ticket
from maild.threadview import message_json

PUBLIC_TICKET = (
    "tid",
    "status",
    "level",
    "requester",
    "subject",
    "created_at",
    "reaction_due",
    "first_reaction_at",
)


def ticket_json(ticket: Ticket, messages: list[MessageRecord]) -> dict[str, Any]:
    """The INTERFACE.md shape, plus a few extra keys at the end."""
    out = {k: ticket.get(k) for k in PUBLIC_TICKET}
    if ticket.get("merged_waits"):
        out["reaction_due"] = next_due(ticket)
    out["messages"] = [message_json(m) for m in messages]
    out.update(
        critical=ticket.get("critical", False),
        assignee=ticket.get("assignee"),
        # of the current closing (null while open or unrated): the ticket keeps the last
        # one ever given, an earlier closing's stays in the thread as the customer wrote it
        rating=rating_of_closing(ticket, messages),
        closed_at=ticket.get("closed_at"),
        refers_to=ticket.get("refers_to"),
        identification=ticket.get("identification"),
    )
    out["participants"] = list(ticket.get("participants") or [])
    # robots: sender -> why maild took it for one; humans: those staff vouched for (#human)
    # merged_waits: the waits of customers merged in unreacted (mergedwait.MergedWait);
    # names_own: a ticket of the sender's own the first mail's text named (textnamed);
    # automatic: why an address's mail was automatic, while staff's notices to it are
    # held: a string for the requester alone, else address -> why (domain/automatic.py)
    for key in (
        "names_own",
        "merged_into",
        "merged_from",
        "merged_waits",
        "removed",
        "undeliverable",
        "robots",
        "humans",
        "automatic",
    ):
        if ticket.get(key):
            out[key] = ticket[key]
    if "merged_waits" in out:  # reaction_due may be theirs: this one is the ticket's own
        out["own_reaction_due"] = pending_due(ticket)
    return out
