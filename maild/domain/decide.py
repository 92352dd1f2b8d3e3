"""The decision about one message, pure: from what the store said (the Snapshot),
the parsed message, its screening, the time and the Policy to a Decision that
effects.apply carries out.

The branches: a new ticket or a customer's follow-up (customer.py), a verified
staff reply (staffreply.py), mail that claims a staff address without proving it
(staffmail.decide_unverified), mail of a ticket staff marked #spam
(spammark.decide_held), staff mail naming a ticket that is not there
(staffmail.decide_missing), a reply to a list mail itself
(listreply.decide_list_reply), a staff member's automatic mail
(staffmail.decide_staff_auto), the head's answer to mail maild sent them about a
ticket (staffmail.decide_head), the head's other mail into a ticket
(headmail.decide_unsigned).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from maild.domain import attachments as att
from maild.domain import encrypted as enc
from maild.domain import (
    headmail,
    humans,
    inquote,
    leak,
    leftout,
    oversize,
    partial,
    said,
    spammark,
    staffforward,
    staffmail,
    trust,
)
from maild.domain import knownfiles as known
from maild.domain.customer import decide_followup, decide_new
from maild.domain.decision import Context, Decision, att_ctx, saying
from maild.domain.filetypes import invitation
from maild.domain.listreply import decide_list_reply
from maild.domain.logid import logged_id
from maild.domain.longtext import text_ctx
from maild.domain.message import ParsedMessage
from maild.domain.mimeparts import RawAttachment, is_logo
from maild.domain.participants import first_joiners
from maild.domain.policy import Policy
from maild.domain.records import Attachments, MessageRecord, Ticket, message_record
from maild.domain.said import Said
from maild.domain.screen import Screening
from maild.domain.snapshot import Snapshot
from maild.domain.staffreply import decide_staff
from maild.domain.ticket import customers
from maild.domain.tid import clean_subject, shown_subject
from maild.domain.undeliverable import repeated, report_key
from maild.domain.verify import requester_verified, sender_verified

LOG = "maild.pipeline"


def decide(
    snap: Snapshot, msg: ParsedMessage, scr: Screening, now: datetime, policy: Policy
) -> Decision:
    """What this message does to the store and which mail it causes."""
    sender = msg.from_addr
    claims_staff = policy.claims_staff(sender, scr.automated)
    staff_reply = claims_staff and snap.staff_verified
    logos = [a for a in msg.attachments if is_logo(a)] if staff_reply else []
    if staff_reply:  # what the customer gets, and the site shows
        msg = without_client_parts(msg)
    loaded = (snap.loaded[0], list(snap.loaded[1])) if snap.loaded is not None else None
    gone: list[RawAttachment] = []
    held: tuple[Said, ...] = ()  # the line that says so, before the branch's own
    if loaded is not None:  # files the ticket holds already are no new files of this mail
        msg, gone, held = _without_held_files(msg, *loaded, policy if staff_reply else None)
    attachments = decide_attachments(policy, msg, staff=staff_reply)
    robot, marks, proven = None, trust.RobotMarks(), trust.proven(snap, msg, policy)
    if not claims_staff and not policy.is_head(sender) and not scr.automated:
        if loaded is not None:
            robot, marks, loaded = trust.judge_robot(policy, msg, loaded, now, attachments, proven)
        else:  # a new ticket: the same canned text a round, each after our confirmation
            robot = trust.opening_robot(msg, snap, now, attachments)
        scr = Screening(True, robot) if robot else scr  # no automatic mail to robots
    record = incoming_record(msg, scr, snap, now, attachments)
    record.update(marks)  # a reply to our automatic mail: the next is compared with it
    common = {**_common(msg, scr, attachments, policy), **leftout.names(gone, logos)}
    common.update(humans.marked_ctx(robot, sender, loaded[0] if loaded else None))
    if logos:  # the logos of this answer: the next answer's are judged by them (leftout)
        record["logos"] = [known.digest(a.data) for a in logos]
    ctx = Context(msg, scr, snap.ident, record, attachments, now, common, policy, snap)
    decision = _branch(ctx, loaded, claims_staff)
    decision = replace(decision, said=(*held, *decision.said))
    if decision.ticket is None:  # kept in the quarantine (the pipeline)
        return decision
    decision = trust.note_robot(decision, sender, robot, now, proven, (snap.loaded or [None])[0])
    return _renewed(replace(decision, attachments=attachments), snap, msg, policy)


def _branch(
    ctx: Context, loaded: tuple[Ticket, list[MessageRecord]] | None, claims_staff: bool
) -> Decision:
    """The decision of the branch that applies (the module's doc): ``loaded``, the
    ticket and its thread as the message finds them (judged by trust.judge_robot)."""
    snap, msg, policy, record = ctx.snapshot, ctx.msg, ctx.policy, ctx.record
    sender, scr, now = msg.from_addr, ctx.scr, ctx.received_at
    if snap.list_to:  # a reply to a list mail itself: on none of its tickets
        return decide_list_reply(ctx)
    if snap.spammed is not None:  # its ticket is in the quarantine: kept there with it
        return spammark.decide_held(ctx, claims_staff)
    if snap.missing:  # staff name a ticket that is not there: no ticket of theirs
        return staffmail.decide_missing(ctx)
    if loaded is None:
        decision = _new(ctx)
    elif _kept_quietly(snap, msg, loaded[1], record):
        decision = _later_part(ctx, *loaded) if msg.fragment else _reported_before(ctx, *loaded)
    elif snap.staff_signed and snap.staff_signed not in policy.staff:  # for the head
        decision = staffmail.decide_head(ctx, *loaded, snap.staff_signed)
    elif snap.staff_signed and not claims_staff:  # staff's reply address, another From
        decision = staffmail.decide_alias(ctx, *loaded, snap.staff_signed)
    elif claims_staff and snap.staff_verified:
        decision = inquote.told(ctx, leftout.told(ctx, decide_staff(ctx, *loaded)))
        decision = humans.noted(decision, loaded[0], sender, now)  # #human's note
        if leak.seen_only(msg, policy, loaded[0], snap.merged_source):
            decision = leak.capped(decision, sender)
    elif claims_staff:  # forged: kept as a note; the staff member is told how to reply
        decision = staffmail.decide_unverified(ctx, *loaded)
    elif policy.is_head(sender) and not scr.automated and sender_verified(msg, policy):
        decision = staffmail.decide_head(ctx, *loaded, sender)  # DKIM/SPF: his own
    elif policy.is_head(sender) and not scr.automated:  # to support@: a note, he is told
        decision = headmail.decide_unsigned(ctx, *loaded)
    elif sender in policy.internal:  # automatic: a note, no one told
        decision = staffmail.decide_staff_auto(ctx, *loaded)
    else:
        decision = decide_followup(ctx, *loaded)
    return decision


def _new(ctx: Context) -> Decision:
    """A new ticket. Whom its mail copies join by a follow-up's rule
    (participants.first_joiners), its From proven as a follow-up's must be
    (verify.requester_verified: for a ticket no mail of ours has named yet, DKIM/SPF
    with authserv_id); otherwise staff are told they asked to be added. A proven
    staff member's forward of a customer's mail opens it for that customer
    (staffforward.py), whom the staff member's copies join; her own words above it a
    note after his mail (staffforward.thread)."""
    mail = ctx.msg
    ctx, opened_by, note = staffforward.for_customer(ctx)  # a customer's mail staff forwarded
    proven = opened_by is not None or requester_verified(mail, ctx.snapshot.tid, ctx.policy)
    new = decide_new(ctx, *first_joiners(ctx.policy, ctx.msg, proven), opened_by=opened_by)
    return replace(new, messages=[*new.messages, note]) if note else new  # her words: a note


def _renewed(decision: Decision, snap: Snapshot, msg: ParsedMessage, policy: Policy) -> Decision:
    """The decision with a new reply address on its ticket for each staff member whose
    address of it this mail showed someone outside support's side (leak.renewal), and
    on the ticket its #merge moved it into (mail to the old one is taken there):
    decided by the address it had (the mail that showed it is taken as ever), and the
    decision's own mail carries the new one."""
    if decision.ticket is None or decision.outcome == "new":
        return decision
    via = snap.merged_source  # its addresses reach the #merge target too, as this one's
    also, lines = [], []
    for t, m in decision.also:
        t, line = leak.renewal(t, msg, policy, via)
        also.append((t, m))
        lines.append(line)
    ticket, line = leak.renewal(decision.ticket, msg, policy, via)
    return saying(replace(decision, ticket=ticket, also=also), *lines, line)


def _reported_before(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """A report of our mail that the thread holds one of already, saying the same of
    the same mail (undeliverable.repeated): kept in the thread, told to no one,
    changing nothing. Each report of it with a fresh Message-ID had been a notice to
    each staff member, uncapped: reports of our mail are bounded by the mail we sent,
    and this one is not."""
    record = ctx.record
    line = said.info(
        LOG,
        "%s [TID#%s] a report of %s again: kept, no notice",
        logged_id(ctx.msg.message_id),
        ticket["tid"],
        logged_id(ctx.msg.reported_message_id or ""),
    )
    return Decision("appended", ticket["tid"], ticket, [*messages, record], record, said=(line,))


def _kept_quietly(
    snap: Snapshot, msg: ParsedMessage, messages: list[MessageRecord], record: MessageRecord
) -> bool:
    """Whether the message is kept in its thread telling no one: a report of our mail
    the thread holds already (_reported_before), or a part of a letter sent in parts
    after its first part to come (_later_part)."""
    if partial.seen(msg.fragment, messages):
        return True
    return bool(snap.our_bounce and repeated(messages, record["report_of"]))


def _later_part(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """A part of a letter sent in parts whose first part to come is in the ticket: kept
    in the thread, no mail: that part's confirmation and notice told of the letter."""
    line = said.info(
        LOG,
        "%s [TID#%s] part %s of a letter sent in parts: kept",
        logged_id(ctx.msg.message_id),
        ticket["tid"],
        ctx.msg.fragment.number if ctx.msg.fragment else "?",
    )
    record = ctx.record
    return Decision("appended", ticket["tid"], ticket, [*messages, record], record, said=(line,))


def _without_held_files(
    msg: ParsedMessage, ticket: Ticket, messages: list[MessageRecord], staff: Policy | None
) -> tuple[ParsedMessage, list[RawAttachment], tuple[Said, ...]]:
    """``msg`` without the files the ticket holds already (knownfiles.py): they are
    not judged, stored, listed, sent or counted as news again. A staff answer (``staff``:
    the policy) leaves out only what every customer it goes to has had. With the files
    left out, and the line that says so (none when none was)."""
    if staff is None:
        known_files = known.held(messages)
    else:
        to = customers(ticket, staff.internal, staff.support_address)
        known_files = known.had_by_all(messages, to)
    msg, gone = known.without_held(msg, known_files)
    if not gone:
        return msg, gone, ()
    line = said.info(
        LOG,
        "%s [TID#%s] %d file(s) the ticket holds already left out",
        logged_id(msg.message_id),
        ticket["tid"],
        len(gone),
    )
    return msg, gone, (line,)


def decide_attachments(policy: Policy, msg: ParsedMessage, staff: bool = False) -> Attachments:
    """Each attachment with the regulation's verdict on it. The regulation's file types
    are what customers may send; a verified staff member's reply sends the customer any
    type (a PDF manual, a log, a patch), within the same sizes and archive checks."""
    parts = [(a.filename, a.content_type, a.data) for a in msg.attachments]
    rules = replace(policy.attachments, accept_other_types=True) if staff else policy.attachments
    pasted = [a.embedded or not a.filename for a in msg.attachments]  # no name of theirs
    decisions = att.decide_all(parts, rules, pasted)
    decisions = enc.judged(decisions, [a.letter for a in msg.attachments])
    return list(zip(decisions, [a.data for a in msg.attachments], strict=True))


def without_client_parts(msg: ParsedMessage) -> ParsedMessage:
    """A staff member's mail without what their mail client adds by itself, which is no
    file of the answer, so neither sent to the customer nor kept under the answer: their
    signature's logo (mimeparts.is_logo), and a meeting request's calendar (Outlook's,
    Google's invite.ics), which names the staff member and the address they wrote to,
    the ticket's signed reply address, as its organizer and attendees (the answer's
    text says when to meet)."""
    kept = [a for a in msg.attachments if not (is_logo(a) or invitation(a.data))]
    return replace(msg, attachments=tuple(kept))


def incoming_record(
    msg: ParsedMessage, scr: Screening, snap: Snapshot, now: datetime, attachments: Attachments
) -> MessageRecord:
    """The thread record of the message itself, before a branch says what kind it is."""
    record = message_record(
        msg,
        direction="in",
        kind="customer",
        received_at=now,
        attachments=attachments,
        spool_key=snap.spool_key,
    )
    if msg.fragment:  # its letter's other parts are known by it (partial.seen)
        record["fragment"] = partial.record_of(msg.fragment)
    if scr.automated:
        record["automated"] = scr.reason
    if snap.our_bounce:
        record["kind"] = "notice"
        about = msg.reported_message_id if snap.report_of is None else snap.report_of
        record["report_of"] = report_key(about or "", msg.delivery_status)
    return record


def _common(
    msg: ParsedMessage, scr: Screening, attachments: Attachments, policy: Policy
) -> dict[str, Any]:
    """What every mail about this message may say of it."""
    files = att_ctx(attachments)
    return {
        "subject": shown_subject(clean_subject(msg.subject, policy.own_subjects)),
        **text_ctx(
            msg.text.strip()
            or enc.empty_text(files["encrypted_letter"], [d for d, _ in attachments])
        ),
        "automated": scr.reason if scr.automated else None,
        "quiet": scr.reason if scr.quiet else None,
        # a mail server's report (a bounce, a read receipt): no customer's words
        "report": scr.bounce,
        "sender": msg.from_addr,
        "charset_doubt": msg.charset_doubt,
        "in_parts": partial.shown(msg.fragment),  # a part of a letter sent in parts
        # taken over IMAP as its header and a note: the customer is asked to send again
        "oversize": oversize.sizes_of(msg.header(oversize.FIELD)),
        "oversize_folder": oversize.kept_in(msg.header(oversize.FIELD)),  # staff only
        **files,
    }
