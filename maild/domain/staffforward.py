"""A customer's mail a staff member forwards to support@ with no TID (the customer wrote
to them, not to support): «Коллеги, заведите обращение на клиента», the customer's mail
inline under «-------- Пересланное сообщение -------- / От: ...» or attached as
message/rfc822. As a desk does ("forward to open for the customer"), the ticket is the
customer's when the mail proves the staff member (verify.staff_verified: for a new mail
DKIM/SPF with authserv_id, as no signed reply address names a ticket yet): the
customer named in the forward (forwards.forwarded_sender) its requester, the level
their address is owed (sender.identify), the confirmation with the TID theirs, the
staff member named as who opened it (``opened_by``). Unproven, anyone could have
written it: the ticket stays the sender's, the customer is mailed nothing, and staff's
notice names him and the `#cc` that adds him, which judges his level then (cc_level).

Pure: the store is asked (Store) only for what the mail needs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Protocol

from maild.domain import levelnow
from maild.domain import ticket as tk
from maild.domain.commands import ParsedReply
from maild.domain.decision import Context
from maild.domain.forwards import forwarded_sender
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.records import MessageRecord, Ticket
from maild.domain.sender import Group, License, better_level, identify


class Store(Protocol):
    """What of the store the facts read (adapters.store.tickets)."""

    def registry(self) -> tuple[list[License], list[Group]]: ...

    def sender_first_seen(self, address: str) -> str | None: ...


def facts(
    msg: ParsedMessage, ours: Policy | None, verified: bool, store: Store, today: date
) -> dict[str, Any]:
    """The Snapshot's facts of a new ticket's requester: the first ticket of theirs
    (Snapshot.first_seen), and of a staff member's mail (``ours``: the policy, None
    for anyone else's) forwarding a customer's, that customer (forwarded) and, when the
    mail proves the staff member (``verified``), the level his address is owed
    (forwarded_ident), he the requester then. The level is that address's own
    (sender.identify): the staff member vouches for it, as a #level of theirs would,
    and no SPF/DKIM of the customer's is in their mail to check."""
    found = None
    if ours is not None:
        found = forwarded_sender(msg.text, {*ours.internal, ours.support_address})
    out: dict[str, Any] = {"forwarded": found} if found else {}
    requester = msg.from_addr
    if found is not None and verified:
        requester = found[0]
        out["forwarded_ident"] = identify(requester, *store.registry(), today)
    out["first_seen"] = store.sender_first_seen(requester) if requester else None
    return out


def for_customer(ctx: Context) -> tuple[Context, str | None]:
    """The context a new ticket is decided in, and who opened it for the customer: a
    proven staff member's forward is decided as the customer's own mail (their address
    and name its From, their level), ``ctx`` as it is otherwise (None)."""
    snap = ctx.snapshot
    if snap.forwarded is None or snap.forwarded_ident is None:
        return ctx, None
    address, name = snap.forwarded
    msg = replace(ctx.msg, from_addr=address, from_name=name, reply_to=None)
    return replace(ctx, msg=msg, ident=snap.forwarded_ident), ctx.msg.from_addr


def notice_ctx(ctx: Context, opened_by: str | None) -> dict[str, Any]:
    """What the staff notice and the confirmation say of it: who opened the ticket for
    the customer; or, unproven, the customer the forward names (never mailed), for
    staff's `#cc`."""
    forwarded = ctx.snapshot.forwarded
    unproven = forwarded[0] if forwarded and opened_by is None else None
    return {"opened_by": opened_by, "forwarded": unproven}


def cc_facts(
    reply: ParsedReply, ticket: Ticket, ours: Policy, store: Store, today: date
) -> dict[str, Any]:
    """Of a staff reply to a ticket a staff member opened for no customer (its
    requester one of support's own, no customer on it: a forward not proven, or their
    own mail to support@): the level the address its first `#cc` adds is owed, as its
    own new ticket's would be (sender.identify; Snapshot.cc_ident); else nothing."""
    own, support = ours.internal, ours.support_address
    if ticket["requester"] not in own or tk.customers(ticket, own, support):
        return {}
    first = next((c.arg for c in reply.commands if c.name == "cc" and c.arg), None)
    if first is None:
        return {}
    return {"cc_ident": identify(first, *store.registry(), today)}


def cc_level(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Ticket:
    """``ticket`` at the level its first customer's address is owed when this reply's
    `#cc` adds them (cc_facts), a better level than the ticket's: its pending deadline
    moved as any better level moves it (levelnow.raised), before the reply's other
    commands run and are checked (#development on the customer's VIP level). A level
    staff set by command stays theirs (levelnow.staff_set)."""
    ident = ctx.snapshot.cc_ident
    if ident is None or levelnow.staff_set(messages):
        return ticket
    if not better_level(ident.level, ticket["level"]):
        return ticket
    ticket = {**ticket, "identification": tk.identification_record(ident)}
    return levelnow.raised(ticket, ident.level, ctx.received_at, ctx.policy.due)
