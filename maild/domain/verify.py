"""Who a message proves to be. A From line proves nothing: mail counts as a staff
member's, or as coming from a ticket's side, only when it was sent to a reply address
signed for them (only our mail carries it), or when our own MTA's
Authentication-Results say SPF or DKIM passed for the From domain (with a trusted
authserv-id configured).
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.authres import sender_verified as authres_verified
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.replyaddr import signed_for
from maild.domain.tid import find_tid


def sender_verified(msg: ParsedMessage, policy: Policy) -> bool:
    """SPF/DKIM passed for the From domain per our own MTA's Authentication-Results."""
    if not policy.authserv_id:
        return False
    results = msg.headers.get("authentication-results", ())
    return authres_verified(results, policy.authserv_id, msg.from_addr, msg.authres_received)


def proves_sender(msg: ParsedMessage, policy: Policy) -> bool:
    """The message proves its From, whoever that is: sent to a reply address maild
    signed for that very address (any ticket's: only our mail to them carries it), or
    DKIM/SPF-aligned (sender_verified). A From line alone proves nothing."""
    if not msg.from_addr:
        return False
    secret, support = policy.reply_secret, policy.support_address
    for addr in (*msg.to, *msg.cc):
        if signed_for(addr, msg.from_addr, secret, support) is not None:
            return True
    return sender_verified(msg, policy)


def staff_verified(msg: ParsedMessage, policy: Policy) -> bool:
    """Mail from a staff address counts as staff only when sent to a reply address
    signed for that staff member, or DKIM/SPF-aligned for the address: in either
    spelling of a Cyrillic domain, as support.staff lists it (Policy.listed).

    A signed address proves the member for its own ticket alone: mail whose subject
    names another ticket is not proved by it. An address leaks (a customer put in Cc
    of the member's reply gets the mail sent to it), and the subject names the ticket
    mail goes to (snapshot.thread): with another TID there, whoever held the address
    acted as the member on any ticket, its customer sent their text, #close run."""
    member = policy.listed(msg.from_addr)
    if member not in policy.staff:
        return False
    named = find_tid(msg.subject)
    for addr in (*msg.to, *msg.cc):
        tid = signed_for(addr, member, policy.reply_secret, policy.support_address)
        if tid and named in (None, tid):
            return True
    return sender_verified(msg, policy)


def own_side_verified(msg: ParsedMessage, policy: Policy) -> bool:
    """Mail from one of support's own people (Policy.internal: staff, the head) proves
    it: a staff member's as staff_verified does, the head's as anyone's (proves_sender).
    A forged From of theirs gets automatic mail within its caps, as an outsider would."""
    member = policy.listed(msg.from_addr)
    if member in policy.staff:
        return staff_verified(msg, policy)
    return member in policy.internal and proves_sender(msg, policy)


def requester_verified(
    msg: ParsedMessage, tid: str, policy: Policy, people: Iterable[str] = ()
) -> bool:
    """A follow-up proves its From, a person of the ticket: sent to a reply address
    of the ticket signed for that very address (only the copy mailed to them carries
    it: each recipient gets their own), or DKIM/SPF-aligned. A Cc participant's copy
    proves the participant, never the requester; the ticket-wide address of older
    mail (replyaddr.sign), alike in every customer's copy, still threads a reply
    (snapshot.thread) but proves no one. The address may be signed for the other
    spelling of the From's domain, or as ``people`` (the ticket's) spell it
    (replyaddr.signed_for): boss@окна.рф answers from boss@xn--80atjc.xn--p1ai."""
    secret, support = policy.reply_secret, policy.support_address
    for addr in (*msg.to, *msg.cc):
        if signed_for(addr, msg.from_addr, secret, support, people) == tid.lower():
            return True
    return sender_verified(msg, policy)
