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
So is a proven forward of a robot's mail (MAILER-DAEMON@'s bounce, noreply@): no
customer wrote it (ownside.no_customer). A From of support's own side (its people and
addresses, plus-tagged or not, its role mailboxes) is a colleague's forward, passed
over for a customer's under it.

Pure: the gatherer (maild.snapshot) looks up in the store what forward_of names.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

from maild.domain import levelnow
from maild.domain import ticket as tk
from maild.domain.commands import ParsedReply
from maild.domain.decision import Context
from maild.domain.forwards import forward_at, forwarded_sender
from maild.domain.message import ParsedMessage
from maild.domain.ownside import OwnAddresses, no_customer
from maild.domain.policy import Policy
from maild.domain.records import MessageRecord, Ticket, note_record
from maild.domain.sender import Group, License, better_level, identify

Registry = tuple[list[License], list[Group]]  # the store's licenses and groups


class Forward(NamedTuple):
    """Whose a new ticket's mail is (forward_of)."""

    named: tuple[str, str] | None  # the customer a staff member's forward names
    requester: str  # he when the forward is proven (proven), else the From
    proven: bool


def forward_of(msg: ParsedMessage, ours: Policy | None, verified: bool) -> Forward:
    """Of a staff member's mail (``ours``: the policy, None for anyone else's)
    forwarding a customer's, that customer; he is the requester when the mail proves
    the staff member (``verified``) and the address may be a customer's (no robot's:
    _customer), else the From. The gatherer looks up what facts takes of him."""
    found = None
    if ours is not None:
        found = forwarded_sender(msg.text, OwnAddresses(ours.support_address, ours.internal))
    if found is not None and ours is not None and verified and _customer(found[0], ours):
        return Forward(found, found[0], True)
    return Forward(found, msg.from_addr, False)


def facts(fwd: Forward, registry: Registry, first_seen: str | None, today: date) -> dict[str, Any]:
    """The Snapshot's facts of a new ticket's requester (``fwd.requester``): the first
    ticket of theirs (``first_seen``: Snapshot.first_seen), the customer a forward
    names (forwarded) and, proven, the level his address is owed (forwarded_ident).
    The level is that address's own (sender.identify in ``registry``): the staff member
    vouches for it, as a #level of theirs would, and no SPF/DKIM of the customer's is
    in their mail to check."""
    out: dict[str, Any] = {"forwarded": fwd.named} if fwd.named else {}
    if fwd.proven:
        out["forwarded_ident"] = identify(fwd.requester, *registry, today)
    out["first_seen"] = first_seen
    return out


def for_customer(ctx: Context) -> tuple[Context, str | None, MessageRecord | None]:
    """The context a new ticket is decided in, who opened it for the customer, and the
    note of her own words: a proven staff member's forward is decided as the customer's
    own mail (their address and name its From, their level), its record his forwarded
    text (thread), ``ctx`` as it is otherwise (None, None)."""
    snap = ctx.snapshot
    if snap.forwarded is None or snap.forwarded_ident is None:
        return ctx, None, None
    address, name = snap.forwarded
    record, note = thread(ctx, address)
    msg = replace(ctx.msg, from_addr=address, from_name=name, reply_to=None)
    return replace(ctx, msg=msg, ident=snap.forwarded_ident, record=record), ctx.msg.from_addr, note


def thread(ctx: Context, customer: str) -> tuple[MessageRecord, MessageRecord | None]:
    """The first message of a ticket a staff member opened for ``customer`` by her
    forward (``ctx``: her mail): his forwarded text, from him, written when its
    header's Date says (never later than the forward came; the forward's time when it
    gives none) and with the forward's files, which the page shows him; and her own
    words above the mark, a note for staff as a #note is (None when she wrote none):
    the customer is never shown what she says of him."""
    own = OwnAddresses(ctx.policy.support_address, ctx.policy.internal)
    words, his, written = split(ctx.record["text"], own)
    when = min(written or ctx.received_at, ctx.received_at)
    record: MessageRecord = {
        **ctx.record,
        "from": customer,
        "text": his,
        "received_at": when.isoformat(),
    }
    if not words:
        return record, None
    at = ctx.received_at
    return record, note_record(sender=ctx.msg.from_addr, direction="in", text=words, at=at)


# A forward's Date line: Thunderbird's «Дата:», «Date:», Outlook's «Sent:», «Отправлено:»
_DATE_LINE = re.compile(r"(?:date|sent|дата|отправлено)\s*:\s*(.+)", re.IGNORECASE)
# A field line of a forward's header block («Кому: ...», «Subject: ...»)
_FIELD_LINE = re.compile(r"[^\s:,.!?][^:,.!?]{0,30}:.*")


def split(text: str, own: Container[str]) -> tuple[str, str, datetime | None]:
    """Of a forward in ``text`` (forwards.forward_at): the words above its mark, the
    forwarded text under its header block (the field lines from the mark on, to the
    first line no field), and when its Date line, as RFC 5322 writes it with a zone,
    says that text was written (None: no such line). No forward: all is forwarded."""
    lines = text.splitlines()
    found = forward_at(lines, own)
    if found is None:
        return "", text.strip(), None
    mark, sender_line, _sender = found
    end = sender_line + 1
    while end < len(lines) and _FIELD_LINE.fullmatch(lines[end].strip()):
        end += 1
    fields = (_DATE_LINE.fullmatch(line.strip()) for line in lines[mark + 1 : end])
    dates = [_date(m.group(1)) for m in fields if m]
    his = "\n".join(lines[end:]).strip()
    return "\n".join(lines[:mark]).strip(), his, next((d for d in dates if d), None)


def _date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else None


def notice_ctx(ctx: Context, opened_by: str | None) -> dict[str, Any]:
    """What the staff notice and the confirmation say of it: who opened the ticket for
    the customer; or, unproven, the customer the forward names (never mailed), for
    staff's `#cc`: none when the address may be no customer's (_customer: a bounce's
    MAILER-DAEMON@, support's own), as no `#cc` of it judges a level."""
    forwarded = ctx.snapshot.forwarded
    named = forwarded[0] if forwarded and opened_by is None else None
    unproven = named if named and _customer(named, ctx.policy) else None
    return {"opened_by": opened_by, "forwarded": unproven}


def cc_facts(
    reply: ParsedReply, ticket: Ticket, ours: Policy, registry: Registry, today: date
) -> dict[str, Any]:
    """Of a staff reply to a ticket a staff member opened for no customer (its
    requester one of support's own, no customer on it: a forward not proven, or their
    own mail to support@): the level the address its first `#cc` adds is owed, as its
    own new ticket's would be (sender.identify; Snapshot.cc_ident), support's own side
    and robots passed over (_customer); else nothing."""
    own, support = ours.internal, ours.support_address
    if ticket["requester"] not in own or tk.customers(ticket, own, support):
        return {}
    cc = (c.arg for c in reply.commands if c.name == "cc" and c.arg)
    first = next((a for a in cc if _customer(a, ours)), None)
    if first is None:
        return {}
    return {"cc_ident": identify(first, *registry, today)}


def _customer(address: str, ours: Policy) -> bool:
    """Whether ``address`` may be a customer's (ownside.no_customer): none of support's
    own side, its role mailboxes or a robot's (a bounce a staff member forwards)."""
    return not no_customer(address, ours.support_address, ours.internal)


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
