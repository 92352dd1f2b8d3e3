"""Which ticket a message belongs to (clause 5 of the regulation: a follow-up is
attached by the TID in its subject), and what else proves it: a reply address maild
signed, or threading headers naming mail of a ticket.

Pure: what the store knows comes in as look-ups (TicketLookups), each asked only
where the rule reaches it, in its order (the Message-ID index is read only for mail
neither its subject nor a signed address placed). snapshot.thread gathers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from maild.domain import partial
from maild.domain.message import ParsedMessage
from maild.domain.tid import find_tid

__all__ = ["TicketLookups", "ticket_of"]


@dataclass(frozen=True)
class TicketLookups:
    """`known(tid)`: a ticket in the store, or one staff marked #spam (in the
    quarantine); `signed()`: the tickets of the reply addresses maild signed that the
    mail is addressed to (issued.signed_tids); `indexed(message_id)`: the ticket the
    Message-ID index names for a Message-ID, or None."""

    known: Callable[[str], bool]
    signed: Callable[[], Iterable[str]]
    indexed: Callable[[str], str | None]


def ticket_of(msg: ParsedMessage, staff_verified: bool, look: TicketLookups) -> str | None:
    """The ticket this message belongs to, or None (a new ticket): the TID in its
    subject; else a reply address maild signed; else the mail its threading headers
    name (a bounce's reported Message-ID, In-Reply-To, References from the newest,
    the earlier parts of a message/partial), the first the index knows."""
    tid = find_tid(msg.subject)
    if tid and look.known(tid):
        return tid
    signed = list(look.signed())
    for one in signed:
        if look.known(one):
            return one
    if staff_verified and signed:
        # a staff member's reply address proves them on its own ticket alone: with that
        # ticket gone, the mail answering another ticket's mail is no answer there
        # (issued.missing_ticket tells them the ticket is gone)
        return None
    bounced = (msg.reported_message_id,) if msg.reported_message_id else ()
    key = partial.parts_key(msg.from_addr, msg.fragment)
    parts = (key,) if key else ()
    for ref in (*bounced, *msg.in_reply_to, *reversed(msg.references), *parts):
        found = look.indexed(ref)
        if found:
            return found
    return None
