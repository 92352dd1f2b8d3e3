"""The tickets a message proves maild sent mail about: a signed reply address in its
To/Cc that it may use, a signed Message-ID of ours it answers (replyaddr.py). With
such a ticket gone from the store (storage.keep_closed_days deleted it, `maild forget`
erased it), what its writer is told says so: staff that there is no such ticket any
more (missing_ticket), a customer that the earlier ticket was closed and removed, so
the mail opens a new one (gone_ticket), not that it is someone else's ticket.
"""

from __future__ import annotations

from collections.abc import Iterator

from maild import guard
from maild.app import App
from maild.domain.message import ParsedMessage
from maild.domain.replyaddr import signed_for, tid_of_message_id
from maild.domain.replyaddr import verify as verify_address
from maild.domain.tid import find_tid


def known(app: App, tid: str) -> bool:
    """``tid`` is a ticket in the store, or one staff marked #spam (the quarantine)."""
    return app.store.ticket_exists(tid) or guard.spammed_ticket(app, tid)


def signed_tids(app: App, msg: ParsedMessage, staff_verified: bool) -> Iterator[str]:
    """The TIDs of the signed reply addresses in To/Cc that this mail may use: the
    ticket-wide one, one signed for its sender, or (staff verified) staff's own."""
    secret, support = app.reply_secret, app.config.support.address
    for addr in (*msg.to, *msg.cc):
        signed, valid = verify_address(addr, secret, support)
        if signed and not valid:  # signed for one person: the sender, or staff's own
            valid = staff_verified or bool(signed_for(addr, msg.from_addr, secret, support))
        if signed and valid:
            yield signed


def issued_tids(app: App, msg: ParsedMessage, staff_verified: bool) -> Iterator[str]:
    """The TIDs maild sent mail about that this mail proves it answers: its signed
    reply addresses (signed_tids), then our signed Message-IDs it answers."""
    yield from signed_tids(app, msg, staff_verified)
    for ref in (*msg.in_reply_to, *reversed(msg.references)):
        ours = tid_of_message_id(ref, app.reply_secret, app.config.support.domain)
        if ours:
            yield ours


def missing_ticket(app: App, msg: ParsedMessage, staff_verified: bool) -> tuple[str, str] | None:
    """(TID, how it is known) of a ticket a staff member's mail names that is not in the
    store: "issued" when the mail proves maild sent mail about it (a signed reply
    address, a signed Message-ID it answers: the ticket was deleted since, as
    storage.keep_closed_days does), "named" for a subject tag alone (a typo?)."""
    for issued in issued_tids(app, msg, staff_verified):
        return issued, "issued"
    tid = find_tid(msg.subject)
    return (tid, "named") if tid else None


def gone_ticket(app: App, msg: ParsedMessage, staff_verified: bool) -> str | None:
    """The first ticket a new ticket's mail proves maild sent mail about (issued_tids)
    that is gone from the store (Snapshot.gone), else None. A subject tag alone proves
    nothing: of it, the customer is told the same whether or not the ticket exists
    (a reply that told them apart would let anyone try TIDs: textnamed.told)."""
    return next((t for t in issued_tids(app, msg, staff_verified) if not known(app, t)), None)
