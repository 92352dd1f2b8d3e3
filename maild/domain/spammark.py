"""#spam: a staff reply that marks its ticket spam (decide_spam: a note, the ticket
marked for guard.mark_spam to move to the quarantine), and mail of a ticket so marked
(decide_held: kept in the quarantine, never a ticket of its own).

Pure: the facts come from the Snapshot (Snapshot.spammed) and the Policy.
"""

from __future__ import annotations

from maild.domain.commands import Command
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.records import MessageRecord, Ticket
from maild.domain.spam import domain_blockable


def decide_spam(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    commands: tuple[Command, ...],
    body: str,
) -> Decision:
    """#spam in a staff reply: the reply is a note, the ticket is marked for effects
    (guard.mark_spam) to move to the quarantine; nothing is sent to anyone."""
    spam = next(c for c in commands if c.name == "spam")
    text = body or "#spam"
    domain = spam.arg == "domain"
    if domain and not domain_blockable(ticket["requester"]):
        domain = False  # a free-mail service: the whole of it is everybody's
        text += (
            f"\n(домен {ticket['requester'].rpartition('@')[2]} — бесплатная почта, "
            "заблокирован только адрес отправителя)"
        )
    ctx.record.update(kind="note", text=text)
    ticket = {**ticket, "spam": {"by": ctx.msg.from_addr, "domain": domain}}
    return Decision("spam", ticket["tid"], ticket, [*messages, ctx.record], ctx.record)


def decide_held(ctx: Context, claims_staff: bool) -> Decision:
    """Mail of a ticket staff marked #spam (Snapshot.spammed): kept in the quarantine
    with the ticket's mail, never a ticket of its own (a staff reply would open one
    under the spammer's TID, with the staff member as its customer), nothing to
    anyone but a verified staff member, who is told that the ticket is spam, by whom
    and when, and how the admin brings it back with the reply (staff_spammed.txt)."""
    snap, msg = ctx.snapshot, ctx.msg
    mark, tid = snap.spammed, snap.tid
    assert mark is not None
    outgoing = []  # (the pipeline logs where it is kept)
    if claims_staff and snap.staff_verified:
        context = {
            **ctx.common,
            "tid": tid,
            "subject": mark.subject or ctx.common["subject"],
            "marked_by": mark.by,
            "marked_at": ctx.policy.fmt_time(mark.at) if mark.at else "",
            "blocked": mark.blocked,
            "entries": mark.entries,
        }
        outgoing.append(
            Outgoing(
                ctx.key("spammed"), "notice", "staff_spammed.txt", [msg.from_addr], context, False
            )
        )
    return Decision("held", tid, None, [], ctx.record, outgoing)
