"""What a customer's mail decides: a new ticket (confirmation to the customer, notice
to staff), or a follow-up to one (a rating, a status question, or news for staff).

Called by decide.decide with the Snapshot's facts; the rules live in ticket.py,
sender.py, status_query.py, ratingtext.py (a rating, or only thanks, to a closed
ticket), participants.py (who joins), textnamed.py (a ticket its text names), trust.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from maild.domain import (
    automatic,
    levelnow,
    ratemail,
    robotrounds,
    said,
    staffforward,
    statusmail,
    textnamed,
    trust,
    undeliverable,
)
from maild.domain import ticket as tk
from maild.domain.decision import Context, Decision, Outgoing, accepted_files, level_ctx, saying
from maild.domain.greeting import addressable
from maild.domain.licensekeys import license_ctx, mentions_license
from maild.domain.logid import logged_id
from maild.domain.longtext import MAX_MAILED_TEXT, zipped_text
from maild.domain.ownside import staff_side
from maild.domain.owntext import own_text
from maild.domain.participants import copies_ctx, joiners
from maild.domain.pending import due_for
from maild.domain.records import MessageRecord, Ticket
from maild.domain.said import Said
from maild.domain.sender import free_term_ctx
from maild.domain.sla import passed, unattended
from maild.domain.tid import clean_subject
from maild.domain.verify import own_side_verified, proves_sender

LOG = "maild.pipeline"


def decide_new(
    ctx: Context,
    joined: list[str],
    left_out: list[str],
    asked: list[str],
    opened_by: str | None = None,
) -> Decision:
    """A new ticket: staff are told, the customer confirmed. Staff's notice names
    ``joined`` (To/Cc who get every answer), ``left_out`` (past the limit) and
    ``asked`` (To/Cc of mail that does not prove its From: participants.first_joiners).
    ``opened_by``: the staff member whose forward of the customer's mail ``ctx`` is
    (staffforward.for_customer); the ticket names them, both mails say so."""
    policy, msg, ident, snap = ctx.policy, ctx.msg, ctx.ident, ctx.snapshot
    requester = msg.from_addr  # never the Reply-To by itself: it proves no one
    first_seen = snap.first_seen if requester else None
    free = free_term_ctx(ident, first_seen, ctx.received_at.date())  # the confirmation's
    ticket = tk.new_ticket(
        snap.tid,
        requester,
        clean_subject(msg.subject, policy.own_subjects),
        ident,
        ctx.received_at,
        policy.due,
        participants=joined,
        **textnamed.refers(snap, requester, ident, policy.internal),
        screening=ctx.scr,  # automatic mail starts no deadline (sla.unattended)
    )
    # (answers)
    ticket.update({"free_expired": free["free_expired"], "requester_name": msg.from_name})
    if opened_by:
        ticket["opened_by"] = opened_by
    c = {
        **_new_context(ctx, ticket, snap.refers_to),
        **staffforward.notice_ctx(ctx, opened_by),
        **free,  # the confirmation names the term it keeps
        **copies_ctx(policy, joined, left_out, asked),
        "answers_its_auto": snap.answers_its_auto,
        # a license the mail names by key, its sender not on it: staff check (clause 8)
        **license_ctx(
            snap.licenses_named,
            requester,
            ticket["level"],
            ctx.received_at.date(),
            mentions_license((msg.subject, msg.text)),
        ),
    }
    if left_out or asked:  # kept with the message, as a follow-up's Cc asked to join are
        ctx.record["asked_to_join"] = left_out or asked
    unconfirmed = {"unconfirmed": None, "unconfirmed_wave": None}  # effects._unconfirmed
    notice = _staff_notice(ctx, ticket, "staff_new", {**c, **unconfirmed})
    # staff read whether the confirmation went: one a cap stopped is theirs to send
    unnamed = ident.source != "license"  # an address a license names: alone (Outgoing)
    outgoing = [replace(notice, tells_capped=ctx.key("confirmation"), new_ticket=unnamed)]
    outgoing += _confirmation(ctx, c, opened_by)
    return Decision("new", snap.tid, ticket, [ctx.record], ctx.record, outgoing)


def _confirmation(ctx: Context, c: dict[str, Any], opened_by: str | None) -> list[Outgoing]:
    """The confirmation of a new ticket to its requester (context ``c``), when one goes."""
    policy, msg, snap = ctx.policy, ctx.msg, ctx.snapshot
    requester = msg.from_addr
    # an answer to automatic mail of the ticket it names, sent to another address: a
    # robot writing from a new address each round got a confirmation each round; a
    # forward staff did not prove: its sender is staff, told by the notice (no
    # confirmation of a ticket «from» them with a lecture on licences)
    if not ctx.scr.may_answer or not requester or snap.answers_its_auto or c["forwarded"]:
        return []
    out = Outgoing(
        ctx.key("confirmation"),
        "confirmation",
        "confirmation.txt",
        [requester],
        c,
        record=True,
        # to support's own side a forged From names: capped as automatic mail is
        unverified=requester in policy.internal and not own_side_verified(msg, policy),
        # a proven staff member vouches for the customer's address they forward
        desk_capped=not (opened_by or proves_sender(msg, policy)),
    )
    return [out]


def _new_context(ctx: Context, ticket: Ticket, refers_to: str | None) -> dict[str, Any]:
    """What the confirmation and the staff notice of a new ticket say."""
    msg, ident = ctx.msg, ctx.ident
    return {
        **ctx.common,
        **level_ctx(ctx.policy, ticket),
        "requester": ticket["requester"],
        "name": addressable(msg.from_name),  # the greeting's; staff read it as it came
        "from_name": msg.from_name,
        "commercial": ident.commercial,
        "listed": ident.source != "none",  # a license or a group whose level is free
        "expired": ident.expired,
        "unverified": ident.unverified,
        "reason": ident.reason,
        "refers_to": refers_to,
        "refers_own": ticket.get("names_own"),
        **textnamed.told(ctx.snapshot, msg.subject),  # of an earlier ticket it named
        "problem": msg.parse_problem,
        "spool_key": ctx.record.get("spool_key"),
        "reply_to": _reply_elsewhere(ctx, ticket),
        "empty": _empty(ctx),
    }


def _empty(ctx: Context) -> bool:
    """The mail came with nothing in it: no subject, no text, no file. Clause 2 of the
    regulation asks for a description of the problem: the confirmation asks for it. A
    mail whose text was never read (too big for the desk, or not parsed) is no empty
    one: its confirmation says what happened instead."""
    msg = ctx.msg
    unread = ctx.common.get("oversize") or ctx.common.get("in_parts") or msg.parse_problem
    return not (msg.subject.strip() or msg.text.strip() or ctx.attachments or unread)


def _reply_elsewhere(ctx: Context, ticket: Ticket) -> str | None:
    """A Reply-To other than the requester (a site's form: From noreply@, the visitor
    in Reply-To): named to staff, who may #cc it. Answers never go there by themselves:
    a Reply-To proves no one, and would send what the From line is told elsewhere."""
    people = ticket.get("participants") or ()
    wanted = tk.participants_of(
        [ctx.msg.reply_to or ""], ctx.policy.support_address, ctx.policy.internal
    )
    return next((a for a in wanted if a not in people), None)


def decide_followup(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """A customer (or a colleague, or a robot) wrote into an existing ticket."""
    policy, msg, tid = ctx.policy, ctx.msg, ticket["tid"]
    confirmed = None
    if ctx.snapshot.requester_verified:  # its mailbox exists: mail goes to it again
        ticket = undeliverable.lift(ticket, [msg.from_addr])
        if tk.is_requester(ticket, msg.from_addr):  # the level its license or group gives
            confirmed = levelnow.address_confirmed(
                ticket, messages, ctx.ident, ctx.received_at, policy.due
            )
            ticket = confirmed or ticket
    # the requester writing as a person: a person waits there, staff's notices go again
    ticket = automatic.attended(ticket, msg.from_addr, ctx.scr)
    ticket, bounced, failed = _on_report(ctx, ticket)
    rated = ratemail.rating_decision(ctx, ticket, messages)
    if rated is not None:
        return rated
    ticket, rated_line = ratemail.rated_beside(ctx, ticket, messages)  # «Оценка: 4. Но ...»
    if ratemail.thanks_only(ctx, ticket):  # kept in the thread: no reopening, no deadline, no mail
        line = said.info(LOG, "%s [TID#%s] thanks only: kept", logged_id(msg.message_id), tid)
        ctx.record["thanks"] = True
        kept = Decision("appended", tid, ticket, [*messages, ctx.record], ctx.record, [])
        return saying(kept, rated_line, line)
    if ctx.scr.may_answer and statusmail.asks_status(msg):  # changes nothing else
        out = statusmail.status_reply(ctx, ticket, messages)
        answered = Decision("appended", tid, ticket, [*messages, ctx.record], ctx.record, [out])
        return saying(answered, rated_line)
    verified = ctx.snapshot.requester_verified
    participants, asked = joiners(policy, msg, ticket, verified)
    if asked:  # shown to staff; #cc ADDRESS adds them
        ctx.record["asked_to_join"] = asked
    reopened, was, level_line = False, ticket, None
    # an out-of-office neither reopens nor starts a deadline, as it would start none
    # opening a ticket; a site's form does both (sla.unattended: the one rule)
    if unattended(ctx.scr) is None:
        if confirmed is None:  # the level the registry gives now (levelnow)
            ticket, level_line = _level_now(ctx, ticket, messages)
        ticket, reopened = tk.on_customer_message(
            ticket, ctx.received_at, policy.due, participants, msg.from_addr
        )
    c = {**ctx.common, **level_ctx(policy, ticket), "reopened": reopened}
    seen, today = ctx.snapshot.first_seen, ctx.received_at.date()  # a reopening: a new one's
    c.update(levelnow.reopened_free(ticket, msg.from_addr, reopened, ctx.ident, seen, today))
    c.update(bounced=bounced, failed=failed)
    c.update(confirmed=confirmed is not None, **levelnow.change_ctx(was, ticket))
    c["rated"] = ctx.record.get("rating")  # the acknowledgement thanks for it
    due = due_for(ticket, msg.from_addr)  # a customer merged in: their own deadline
    c.update(due=policy.fmt_time(due), due_short=policy.fmt_time(due, short=True))
    c["overdue"] = passed(due, ctx.written_at)  # no past time ahead
    c.update(_own_text_ctx(ctx, messages))
    # the ticket's subject: a reply's own is "Re: [TID#...]" or our mail's subject
    c["subject"] = ticket["subject"] or c["subject"]
    c.update(_asked_ctx(ticket, asked))
    named = ctx.snapshot.licenses_named  # by key, not by address: staff check (clause 8)
    mentioned = mentions_license((msg.subject, msg.text))
    c.update(license_ctx(named, msg.from_addr, ticket["level"], ctx.received_at.date(), mentioned))
    outgoing = _followup_mail(ctx, ticket, messages, c)
    decision = Decision("appended", tid, ticket, [*messages, ctx.record], ctx.record, outgoing)
    return saying(decision, rated_line, level_line)


def _on_report(ctx: Context, ticket: Ticket) -> tuple[Ticket, list[str], list[dict[str, str]]]:
    """A report of our mail (undeliverable.on_report): what failed is told to staff;
    failed for good, marked when it returns our mail, not when it was found by its
    subject's tag alone (ownreports.by_subject: Snapshot.report_of is then another)."""
    msg, snap = ctx.msg, ctx.snapshot
    report = msg.delivery_status if snap.our_bounce and not ctx.scr.receipt else None
    returned = snap.report_of in (None, msg.reported_message_id)
    since = ctx.received_at.isoformat() if returned else None
    return undeliverable.on_report(ticket, report, since)


def _followup_mail(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], c: dict[str, Any]
) -> list[Outgoing]:
    """A follow-up's mail: the notice to staff, the acknowledgement to its sender;
    none past robotrounds.ACK_ROUNDS answers in a row to our automatic mail with no
    staff answer between (the notice says so: ``acks_stopped``, the round)."""
    stopped = robotrounds.acks_stopped(ctx.msg.from_addr, messages, ctx.record)
    c = {**c, "acks_stopped": stopped, "ack_rounds": robotrounds.ACK_ROUNDS}
    # a sender already known as a robot here: its mail stays in the thread (and on the
    # site), staff were told once by the robot note; a notice each time would be a loop
    known_robot = ctx.msg.from_addr in (ticket.get("robots") or {})
    # a read receipt of our mail stays in the thread too: that it was read asks nothing
    silent = known_robot or _about_staff_mail(ctx) or (ctx.snapshot.our_bounce and ctx.scr.receipt)
    outgoing = [] if silent else [_staff_notice(ctx, ticket, "staff_followup", c)]
    if ctx.scr.may_answer and not stopped:
        ack = "acknowledgement.txt"
        outgoing.append(
            Outgoing(ctx.key("ack"), "confirmation", ack, [ctx.msg.from_addr], c, record=True)
        )
    return outgoing


def _level_now(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord]
) -> tuple[Ticket, Said | None]:
    """``ticket`` at the level the registry gives its requester now (levelnow.level_now),
    and the line that says so when that changed it."""
    proven = ctx.snapshot.requester_verified
    t = levelnow.level_now(
        ticket,
        messages,
        ctx.msg.from_addr,
        ctx.ident,
        ctx.received_at,
        ctx.policy.due,
        proven=proven,
    )
    if t is None:
        return ticket, None
    line = said.info(
        LOG,
        "%s [TID#%s] level %s -> %s: %s",
        logged_id(ctx.msg.message_id),
        ticket["tid"],
        ticket["level"],
        t["level"],
        t["identification"]["reason"],
    )
    return t, line


def _own_text_ctx(ctx: Context, messages: list[MessageRecord]) -> dict[str, Any]:
    """The notice's text of a follow-up: what the customer wrote, without the quoted
    history their client appended (support's answer, the rating request, the notices
    under it), cut as the site cuts it (owntext); ``quote_cut`` when something was.
    A new ticket's notice keeps the mail whole: a forward there is the customer's
    content, and nothing before it in the ticket holds what it quotes. A text longer
    than a mail to staff shows keeps its notice (its start, the whole zipped: longtext):
    the cut never reads more than a page of the site does."""
    whole = ctx.msg.text.strip()
    if len(whole) > MAX_MAILED_TEXT:
        return {}
    own = own_text(whole, messages, ctx.policy.relayed).strip()
    if not own or own == whole:
        return {}
    return {"text": own, "text_cut": None, "quote_cut": True}


def _about_staff_mail(ctx: Context) -> bool:
    """A report of our mail to a staff member (a full mailbox bounced a notice): a
    notice about it would go to that mailbox again and bounce again, a loop (or from
    one bouncing mailbox to another). It stays in the thread, told to no one (she is
    staff in any spelling the report names her: ownside.staff_side)."""
    staff = staff_side(ctx.policy.staff)
    named = undeliverable.named(ctx.msg.delivery_status) if ctx.snapshot.our_bounce else ()
    return any(a in staff for a in named)


def _asked_ctx(ticket: Ticket, asked: list[str]) -> dict[str, list[str]]:
    """The staff notice's two lists of To/Cc left out: those who asked to be added,
    and those staff removed with #uncc (named again, by a reply-all to older mail)."""
    removed = set(ticket.get("removed") or ())
    return {
        "asked_to_join": [a for a in asked if a not in removed],
        "asked_removed": [a for a in asked if a in removed],
    }


def _staff_notice(ctx: Context, ticket: Ticket, name: str, context: dict[str, Any]) -> Outgoing:
    """The notice to staff (ticket.staff_mail_to: every staff member, the assignee no
    more than the others) about a customer's message, with its files
    (and its whole text, zipped, when the notice shows only its start: longtext.py);
    capped per sender, proven mail and unproven apart (trust.notice_sender)."""
    about, proven = trust.notice_sender(ctx)
    files = accepted_files(ctx.attachments)
    if context.get("text_cut"):
        zipped = zipped_text(ctx.msg.text, ticket["tid"], ctx.received_at)
        if zipped is not None:  # else: "Весь текст сохранён в обращении."
            files.append(zipped)
            context = {**context, "text_file": zipped[0]}
    return Outgoing(
        ctx.key(name),
        "notice",
        f"{name}.txt",
        tk.staff_mail_to(ctx.policy.staff),
        context,
        record=True,
        attach=files,
        about_sender=about,
        sender_proven=proven,
    )
