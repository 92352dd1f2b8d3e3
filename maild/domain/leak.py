"""A staff member's reply address that leaked to someone outside support's side.

Each staff member's mail about a ticket carries a reply address signed for them
(replyaddr.sign_for), and mail to it from their address proves them on that ticket
(verify.staff_verified). Their answer sent "reply all" with the customer in Cc (or
To) shows everyone it went to that address: maild's copy of the mail is the one they
got (the MTA delivers the same message), so its To/Cc say who saw it. Anyone of them
could then write From: the member to it: their text relayed as staff's, #close,
#merge into another customer's ticket (its mail and link then theirs), #cc anyone.

So the ticket counts, per member, how many times their address of it leaked
(``reply_epochs``: absent, 0); the count is signed into the address (replyaddr's
epoch), and each leak gives a new one: the member's next mail about the ticket
carries it, and the old one proves no one (a mail to it from their address is
unverified staff mail: a note, and they are told the new address). The answer that
leaked it went before the leak counted, proven: it is taken as ever. Only a leak
maild sees is counted: a forward outside, or a Bcc, it never learns of.

Pure: the epochs of the addresses a message names come from the Snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from maild.domain.message import ParsedMessage, normalize_address
from maild.domain.policy import Policy
from maild.domain.records import Ticket
from maild.domain.replyaddr import signed_for
from maild.domain.ticket import is_internal

log = logging.getLogger("maild.trust")

FIELD = "reply_epochs"  # the ticket's: staff address -> epoch of their reply address


def epoch(ticket: Ticket | None, person: str) -> int:
    """The epoch of ``person``'s reply address of ``ticket`` (0: never leaked)."""
    epochs = (ticket or {}).get(FIELD) or {}
    return int(epochs.get(normalize_address(person), 0))


def leaked(
    msg: ParsedMessage, policy: Policy, epochs: Mapping[str, int]
) -> tuple[str, int, list[str]] | None:
    """(the TID, the epoch, who else saw it) when ``msg``, a staff member's, went to
    their reply address valid now (``epochs``: TID -> its epoch, Snapshot.staff_epochs)
    and to someone outside support's side (ticket.is_internal) as well; else None."""
    member = msg.from_addr
    if member not in policy.staff:
        return None
    secret, support = policy.reply_secret, policy.support_address
    named = (*msg.to, *msg.cc)
    outside = [a for a in named if a and not is_internal(a, support, policy.staff, policy.head)]
    if not outside:
        return None
    for addr in named:
        tid = signed_for(addr, member, secret, support, epochs=epochs)
        if tid:
            return tid, epochs.get(tid, 0), outside
    return None


def rotated(
    ticket: Ticket, msg: ParsedMessage, policy: Policy, epochs: Mapping[str, int], own: set[str]
) -> Ticket:
    """``ticket`` with the sender's reply address renewed when this message leaked the
    one it went to (leaked), an address of the ticket or of one merged into it
    (``own``: their TIDs, lower-case); else ``ticket`` itself. The member's next mail
    to that address is unverified staff mail, which they are told of once per ticket:
    they are told again (its mark in ``sent`` goes)."""
    found = leaked(msg, policy, epochs)
    if found is None or found[0] not in own:
        return ticket
    tid, was, outside = found
    member = normalize_address(msg.from_addr)
    log.warning(
        "%s [TID#%s] the reply address of %s went to %s as well: a new one from now on",
        msg.message_id,
        ticket["tid"],
        member,
        ", ".join(outside),
    )
    now = max(was, epoch(ticket, member)) + 1
    told = f"unverified:{msg.from_addr}"  # (staffmail.decide_unverified's mark)
    sent = {k: v for k, v in (ticket.get("sent") or {}).items() if k != told}
    return {**ticket, FIELD: {**(ticket.get(FIELD) or {}), member: now}, "sent": sent}
