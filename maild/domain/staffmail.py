"""Mail on staff's side that is no staff reply, each a note of its ticket or kept in
the quarantine, never relayed, no command run: mail from a staff address that is not
verified (forged, or sent around the signing: decide_unverified), mail to a staff
member's signed reply address from an address that is not staff (an alias of theirs,
or their client sending as support: decide_alias), the head's answer to mail about a
ticket (decide_head; his other mail into a ticket: headmail.py), a staff member's
automatic mail and the head's (decide_staff_auto), mail of staff or the head
naming a ticket that is not there (decide_missing), and a staff member's Outlook
asking to recall an answer sent before (decide_recall).

Pure: the facts come from the Snapshot and the Policy; what is told to whom goes out
as Outgoing within the caps of automatic mail.
"""

from __future__ import annotations

from dataclasses import replace

from maild.domain import headmail, said, screen
from maild.domain import ticket as tk
from maild.domain.decision import Context, Decision, Outgoing, accepted_files, tell_writer
from maild.domain.direct import named
from maild.domain.leak import epoch
from maild.domain.logid import logged_id
from maild.domain.records import MessageRecord, Ticket
from maild.domain.replyaddr import LIST_KEY, is_support_address
from maild.domain.tid import shown_subject

LOG = "maild.trust"  # (the name its lines have always had)


def decide_unverified(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """Mail from a staff address that is not verified: a note, never relayed, no
    command run; the staff member gets one mail per ticket saying how to reply, or,
    when its To/Cc named customers of the ticket (her "reply all" to their mail), that
    they got it directly and how to close the ticket it may have answered
    (direct.named)."""
    msg, record = ctx.msg, ctx.record
    sender, tid, support = msg.from_addr, ticket["tid"], ctx.policy.support_address
    line = said.warning(
        LOG,
        "%s [TID#%s] claims staff address %s but is not verified (not to her signed reply "
        "address, no DKIM/SPF pass under support.authserv_id: README, Trust): kept as a "
        "note, not relayed, no command run",
        logged_id(msg.message_id),
        tid,
        sender,
    )
    record.update({"kind": "note", "unverified_staff": True})
    sent = dict(ticket.get("sent") or {})
    outgoing = []
    if not sent.get(f"unverified:{sender}"):
        sent[f"unverified:{sender}"] = ctx.received_at.isoformat()
        context = {
            **ctx.common,
            "tid": tid,
            # the ticket's own subject, not the letter's (often only "Re:" and the tag)
            "subject": ticket.get("subject") or ctx.common["subject"],
            "authserv_id": ctx.policy.authserv_id,
            "reply_address": ctx.policy.reply_address(tid, sender, epoch(ticket, sender)),
            # the customers it named got it from her mail system (reply-all to their
            # mail): the notice says so, and how to close the ticket if it is answered
            "direct": named(msg, tk.customers(ticket, ctx.policy.internal, support)),
        }
        outgoing.append(
            Outgoing(
                ctx.key("unverified"),
                "notice",
                "staff_unverified.txt",
                [sender],
                context,
                True,
                unverified=True,
            )
        )
    ticket = {**ticket, "sent": sent}
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing, said=(line,))


def decide_alias(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], staff: str
) -> Decision:
    """Mail to the reply address signed for staff member ``staff`` from an address
    that is not staff: an address of theirs not on support.staff, or their client
    sending "as" the support address itself. It opened a ticket of its own, its
    sender (support itself, even) made a customer; now it is a note of the ticket
    the notice was about, nothing is sent and no command runs, and ``staff`` (the
    address the notice went to) is told, once per sender and ticket, within the caps
    of automatic mail: anyone who has the address may write to it."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    line = said.warning(
        LOG,
        "%s [TID#%s] from %s to the reply address of %s: kept as a note",
        logged_id(msg.message_id),
        tid,
        msg.from_addr or "(none)",
        staff,
    )
    record.update({"kind": "note", "signed_for": staff})
    sent, outgoing = dict(ticket.get("sent") or {}), []
    if _by_hand(ctx) and not sent.get(f"alias:{msg.from_addr}"):
        sent[f"alias:{msg.from_addr}"] = ctx.received_at.isoformat()
        context = {
            **ctx.common,
            "tid": tid,
            "subject": ticket.get("subject") or ctx.common["subject"],
            "staff": staff,
            "as_support": is_support_address(msg.from_addr, ctx.policy.support_address),
        }
        out = Outgoing(
            ctx.key("alias"), "notice", "staff_alias.txt", [staff], context, True, unverified=True
        )
        outgoing.append(out)
    ticket = {**ticket, "sent": sent}
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing, said=(line,))


def decide_head(ctx: Context, ticket: Ticket, messages: list[MessageRecord], head: str) -> Decision:
    """Mail to the reply address signed for the head (an escalation, an alert about the
    ticket), or the head's own mail proving its From by DKIM/SPF: a note of the ticket,
    and staff get its text and files. Nothing goes to the customer, no command runs
    (the head is told so once per ticket: headmail.told), no deadline changes; staff's
    "Reply" to that goes to the head (its Reply-To), not through maild. From another
    address (a forwarded escalation answered) or automatic (an out-of-office), it is a
    note only: nobody is told. The head's mail elsewhere (to support@ naming the
    ticket, or his client's reply to the escalation's From) is a note he is told about
    (headmail.decide_unsigned): never a ticket of his own with him its customer, which
    either once was."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    by_head = msg.from_addr == head and not ctx.scr.automated
    line = said.info(
        LOG,
        "%s [TID#%s] from %s to the head's reply address or proven: kept as a note%s",
        logged_id(msg.message_id),
        tid,
        msg.from_addr or "(none)",
        ", sent to staff" if by_head else "",
    )
    record.update({"kind": "note", "signed_for": head})
    outgoing = []
    if by_head:
        context = {**ctx.common, "tid": tid, "subject": shown_subject(ticket.get("subject"))}
        to = tk.staff_mail_to(ctx.policy.staff)
        files = accepted_files(ctx.attachments)
        # a list's kind of Message-ID: a reply threaded to it that reaches support@
        # (a client ignoring Reply-To, support@ in Cc) is one to a list, held, never
        # a staff answer to the customer (listreply.list_reply)
        key = LIST_KEY + ctx.key("head")
        out = Outgoing(key, "notice", "staff_head.txt", to, context, True)
        # "Reply" to the head's letter answers the head, as staff expect: at the
        # ticket's signed address a reply («Олег Петрович, клиент сложный...») would
        # go to the customer as a staff answer. The notice says how to answer the
        # customer instead (a reply to a notice of the ticket).
        outgoing.append(replace(out, attach=files, reply_to=head))
        ticket, notice = headmail.told(ctx, ticket, relayed=True)
        outgoing.extend(notice)
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing, said=(line,))


def _by_hand(ctx: Context) -> bool:
    """Written by a person: not automatic, or screened only for its From, the support
    address a client sends "as": the mail's own signs (screen.automatic_signs, the one
    rule of what is automatic) say a person's. maild's own mail coming back carries its
    X-Loop; an out-of-office says so by its Precedence, X-Autoreply or subject."""
    msg, support = ctx.msg, ctx.policy.support_address
    if not ctx.scr.automated:
        return True
    if ctx.scr.bounce or not is_support_address(msg.from_addr, support):
        return False
    return not screen.automatic_signs(msg, support).automated


def decide_staff_auto(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """Automatic mail from a staff address or the head's into a ticket (an
    out-of-office answering a notice at its signed address): a note of the ticket.
    It is no answer to the customer, and no customer's mail to tell staff of; the
    ticket's status and deadline stay."""
    ctx.record.update({"kind": "note"})
    line = said.info(
        LOG,
        "%s [TID#%s] automatic mail from staff address or the head's %s (%s): kept as a note",
        logged_id(ctx.msg.message_id),
        ticket["tid"],
        ctx.msg.from_addr,
        ctx.scr.reason,
    )
    record = ctx.record
    return Decision("appended", ticket["tid"], ticket, [*messages, record], record, said=(line,))


def decide_missing(ctx: Context) -> Decision:
    """Mail of staff or the head naming a ticket that is not in the store
    (Snapshot.missing: deleted by storage.keep_closed_days, or a typo in the subject):
    it would open a ticket of its own with its writer as its customer. It is kept in the
    quarantine (the pipeline) and its writer is told there is no such ticket: within
    the caps of automatic mail when the mail is not verified, as anyone can forge a
    staff address with a new [TID#...] each time. Staff by staff_noticket.txt (no
    answer went to the customer); the head by head_noticket.txt, in his words: his
    mail goes to no customer on any path, and, as his mail to support@ naming no
    ticket opens one with him its customer, he is sent to staff, never there.
    Automatic mail (an out-of-office answering a notice of a ticket deleted since) is
    kept with no one told, as on a ticket that is there (decide_staff_auto): an answer
    to a robot may bring another."""
    snap, msg = ctx.snapshot, ctx.msg
    if ctx.scr.automated:
        line = said.info(
            LOG,
            "%s automatic mail from staff address or the head's %s names [TID#%s], not "
            "there (%s): kept, no one told",
            *(logged_id(msg.message_id), msg.from_addr, snap.tid, ctx.scr.reason),
        )
        return Decision("held", snap.tid, None, [], ctx.record, [], said=(line,))
    context = {**ctx.common, "tid": snap.tid, "issued": snap.missing == "issued"}
    head = ctx.policy.is_head(msg.from_addr)
    out = Outgoing(
        ctx.key("noticket"),
        "notice",
        "head_noticket.txt" if head else "staff_noticket.txt",
        [msg.from_addr],
        context,
        False,
        unverified=not snap.staff_verified,
    )
    return Decision("held", snap.tid, None, [], ctx.record, [out])


def decide_recall(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """A verified staff member's Outlook asking to recall a mail (recall.is_recall):
    their answer has gone to the customer, and no mail system takes mail back out of
    another's mailbox. Relayed as an answer it was a second mail to the customer, with
    the notice's subject (level, deadline) in it. It is a note of the ticket; nothing
    is sent to the customer, no command runs, the ticket's status and deadline stay;
    its writer is told that the answer cannot be recalled and that to correct it they
    answer again (staff_recall.txt, a reply to it goes to the ticket)."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    line = said.info(
        LOG,
        "%s [TID#%s] a recall request from %s: kept as a note, not relayed",
        logged_id(msg.message_id),
        tid,
        msg.from_addr,
    )
    record["kind"] = "note"
    answers = [
        m
        for m in messages
        if m["direction"] == "out" and m["kind"] == "staff" and m.get("from") == msg.from_addr
    ]
    at = ctx.policy.fmt_time(answers[-1]["received_at"]) if answers else None
    decision = Decision("appended", tid, ticket, [*messages, record], record, said=(line,))
    return tell_writer(ctx, decision, "staff_recall", {"answered_at": at})
