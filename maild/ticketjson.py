"""The ticket JSON of `ticket show --json` and `ticket list --json`: INTERFACE.md's
shape, then a few keys of our own at the end (README: `rating` under ratings by mail)."""

from __future__ import annotations

from typing import Any

from maild.domain.records import MessageRecord, Ticket
from maild.domain.ticket import rating_of_closing
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
    for key in ("merged_into", "merged_from", "removed", "undeliverable", "robots", "humans"):
        if ticket.get(key):
            out[key] = ticket[key]
    return out
