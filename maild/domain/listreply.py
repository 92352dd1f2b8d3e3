"""A reply to a list mail itself (reminders, escalations, refused mail: several
tickets in one mail to staff; the morning queue, the SLA report: its first ticket
tid.NO_TICKET) is on none of its tickets: the list's subject names its first ticket
only because every subject names one. Such a reply is known by the
list's own signed Reply-To or Message-ID (replyaddr.sign_list, LIST_KEY), never relayed
to a customer nor run as commands; it is kept in the quarantine (the pipeline) and
whom the list went to told to write to the address on the line of the ticket they
mean, or, when someone else wrote (a forwarded list, an old one: anyone holding the
address may), told who did. Automatic mail there (an out-of-office) is answered by
nothing (RFC 3834): the notice is automatic mail with the list's Reply-To again, and
an autoresponder answering it would loop.
"""

from __future__ import annotations

from collections.abc import Collection

from maild.domain import said
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.logid import logged_id
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.replyaddr import LIST_KEY, list_signed_for, list_tid_of_message_id
from maild.domain.replyaddr import verify as verify_address

TEMPLATE = "staff_list_reply.txt"
# the quarantine's reason for such a reply (with the list's first [TID#...] after it):
# `maild spam release` keeps it there, as the pipeline would again
HELD = "staff: reply to a list"

LOG = "maild.pipeline"


def list_reply(msg: ParsedMessage, policy: Policy, internal: Collection[str]) -> tuple[str, str]:
    """(the list's first TID, whom the list went to) of a reply to a list mail, or
    ("", "") for any other mail. ``internal``: staff and the head, who get lists.

    Sent to a list's reply address signed for its sender or for one of ``internal``
    (an alias of theirs answering), or, from ``internal``, answering a list's
    Message-ID (a client that ignores Reply-To) while naming no ticket's reply address
    in To/Cc: a new mail to the address on a ticket's line is that ticket's."""
    secret, support = policy.reply_secret, policy.support_address
    addresses = (*msg.to, *msg.cc)
    people = [p for p in dict.fromkeys((msg.from_addr, *internal)) if p]
    for addr in addresses:
        for person in people:
            tid = list_signed_for(addr, person, secret, support)
            if tid:
                return tid, person
    if msg.from_addr not in internal:
        return "", ""
    if any(verify_address(a, secret, support)[0] for a in addresses):
        return "", ""  # a ticket's own address: that ticket's mail
    for ref in (*msg.in_reply_to, *reversed(msg.references)):
        tid = list_tid_of_message_id(ref, secret, policy.domain)
        if tid:
            return tid, msg.from_addr
    return "", ""


def decide_list_reply(ctx: Context) -> Decision:
    """A reply to a list (Snapshot.list_to): nothing to any customer, no command run,
    no ticket changed; kept in the quarantine (the pipeline), and whom the list went
    to told how to write about one of its tickets (staff_list_reply.txt), or, when
    its From is another's (``from_reader`` False), whose mail it is, its text marked
    as that sender's, never as theirs. The notice carries the list's kinds of Reply-To
    and Message-ID: a reply to it is one to the list again. It is always within the
    caps of automatic mail: a From naming the reader proves nothing (anyone can write
    it), and even a signed one may be an autoresponder that marks nothing, answering
    each notice with another reply to the list. Automatic mail (the screening's
    ``automated``) gets no notice at all: kept, logged, no one told, as a staff
    member's out-of-office on a ticket is (staffmail.decide_staff_auto)."""
    snap, msg, policy = ctx.snapshot, ctx.msg, ctx.policy
    if ctx.scr.automated:
        line = said.info(
            LOG,
            "%s automatic mail to the list address of %s [TID#%s] (%s): kept, no one told",
            logged_id(msg.message_id),
            snap.list_to,
            snap.tid,
            ctx.scr.reason,
        )
        return Decision("held", snap.tid, None, [], ctx.record, [], said=(line,))
    context = {**ctx.common, "tid": snap.tid, "from_reader": snap.list_to == msg.from_addr}
    out = Outgoing(
        LIST_KEY + ctx.key("list-reply"),  # a list's kind of Message-ID
        "notice",
        TEMPLATE,
        [snap.list_to],
        context,
        False,
        unverified=True,
        reply_to=policy.list_address(snap.tid, snap.list_to),
    )
    return Decision("held", snap.tid, None, [], ctx.record, [out])
