"""Which rating rates a ticket's last closing: the one the ticket names with it
(`rated_closing`), else the thread's since the closing, never one #merge moved in;
a closing is rated once (the site's form, a rating by mail, `ticket show --json`)."""

from __future__ import annotations

from datetime import datetime

from maild.domain.records import MessageRecord, Ticket


def rating_of_closing(ticket: Ticket, messages: list[MessageRecord]) -> int | None:
    """The rating given since the ticket was last closed, None if none was: the page
    offers the rating form then, and a rating by mail is taken (a closing is rated
    once, customer.decide_followup). The ticket's own `rating` is the last one ever given:
    reopened and closed again, the ticket kept «Ваша оценка: 5» and no form, while the
    closing letter asked for a rating of the new answer (as mail takes it). This is
    also `rating` in `ticket show --json` (ticketjson.py), for the same reason.

    The ticket names the closing its rating is of (`rated_closing`, written with the
    rating under the store lock: ratemail.rating_decision), so a closing it names is rated
    whatever its thread holds. The thread alone is read for a rating stored before
    that key: walked back to the closing by arrival, it ended early at a message
    that arrived before the closing but was stored after the rating (an automatic
    reply put back from spool/bad/), and the closing took a second rating.

    A rating moved in by #merge (its record `merged_from`) rated the merged ticket's
    closing, never this one's, though it may have arrived after this one's closing:
    read from the thread, it gave this closing a rating its customer never gave and
    refused hers (ratemail.rating_decision)."""
    closed = ticket.get("closed_at")
    if ticket["status"] != "closed" or not closed:
        return None
    if ticket.get("rated_closing") == closed and ticket.get("rating"):
        return ticket["rating"]
    rated = closing_rated_by(ticket, messages)
    return rated["rating"] if rated else None


def closing_rated_by(ticket: Ticket, messages: list[MessageRecord]) -> MessageRecord | None:
    """The thread's message that rated the last closing (rating_of_closing), or None."""
    closed = ticket.get("closed_at")
    if ticket["status"] != "closed" or not closed:
        return None
    since = datetime.fromisoformat(closed)
    for m in reversed(messages):
        if datetime.fromisoformat(m["received_at"]) < since:
            return None
        if m.get("rating") and not m.get("merged_from"):
            return m
    return None
