"""One message through maild: parse → screen → thread → identify → attachments → decide.

`decide` is pure given what was looked up; `process` does the look-ups and hands
the Decision to effects.apply. Every step is named here, in order.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from maild import guard
from maild.app import App
from maild.domain import attachments as att
from maild.domain import ticket as tk
from maild.domain.commands import parse_reply
from maild.domain.logid import logged_id
from maild.domain.merge import final_target as merge_target
from maild.domain.message import ParsedMessage, parse
from maild.domain.quotes import trim_reply
from maild.domain.replyaddr import verify
from maild.domain.screen import Screening, screen
from maild.domain.sender import Identification, checked, free_support_expired, identify
from maild.domain.sla import LEVELS
from maild.domain.tid import clean_subject, find_tid, new_tid
from maild.web.links import without_tokens

log = logging.getLogger("maild.pipeline")


@dataclass
class Outgoing:
    """A mail to send because of this message; `key` makes its id deterministic."""

    key: str
    kind: str  # confirmation | notice | staff
    template: str | None
    to: list[str]
    context: dict[str, Any]
    record: bool  # keep it in the ticket's thread
    auto: bool = True
    body: str | None = None  # for relayed staff replies: the text as written
    subject: str | None = None  # with `body`: a notice's own subject instead of "Re: ..."
    attach: list[tuple[str, str, bytes]] = field(default_factory=list)


@dataclass
class Decision:
    outcome: str  # new | appended | duplicate
    tid: str
    ticket: dict[str, Any]
    messages: list[dict[str, Any]]
    incoming: dict[str, Any] | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
    attachments: list[tuple[att.AttachmentDecision, bytes]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # "confirmation to ...": for the log
    also: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)


def msg_key(msgid: str, kind: str) -> str:
    return hashlib.sha1(f"{msgid}\0{kind}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


# -- steps -------------------------------------------------------------------


def thread(app: App, msg: ParsedMessage) -> str | None:
    """The ticket this message belongs to: subject tag, signed reply address,
    or threading headers pointing at mail of the ticket."""
    tid = find_tid(msg.subject)
    if tid and app.store.ticket_exists(tid):
        return tid
    for addr in (*msg.to, *msg.cc):
        signed, valid = verify(addr, app.reply_secret, app.config.support.address)
        if signed and not valid and app.staff_verified(msg):
            valid = True  # signed for this staff member (a staff notice's Reply-To)
        if signed and valid and app.store.ticket_exists(signed):
            return signed
    bounced = (msg.reported_message_id,) if msg.reported_message_id else ()
    for ref in (*bounced, *msg.in_reply_to, *reversed(msg.references)):
        found = app.tid_for_msgid(ref)
        if found:
            return found
    return None


def identify_sender(app: App, msg: ParsedMessage, today: date) -> Identification:
    """The level the sender is entitled to; with a trusted authserv-id, commercial
    levels need SPF or DKIM for the From domain (a From line is easy to forge)."""
    licenses, groups = app.store.registry()
    ident = identify(msg.from_addr, licenses, groups, today)
    can_verify = bool(app.config.support.authserv_id)
    verified = ident.commercial and can_verify and app.sender_verified(msg)
    return checked(ident, can_verify=can_verify, verified=verified)


def decide_attachments(app: App, msg: ParsedMessage) -> list[tuple[att.AttachmentDecision, bytes]]:
    parts = [(a.filename, a.content_type, a.data) for a in msg.attachments]
    decisions = att.decide_all(parts, app.attachment_policy)
    return list(zip(decisions, [a.data for a in msg.attachments], strict=True))


def message_record(
    msg: ParsedMessage,
    *,
    direction: str,
    kind: str,
    received_at: datetime,
    attachments: list[tuple[att.AttachmentDecision, bytes]],
    spool_key: str | None,
) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "direction": direction,
        "from": msg.from_addr,
        "kind": kind,
        "received_at": received_at.isoformat(),
        "text": msg.text,
        "subject": msg.subject,
        "to": list(msg.to),
        "cc": list(msg.cc),
        "attachments": [
            {
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "accepted": d.accepted,
                "reason": d.reason,
                "sha256": hashlib.sha256(data).hexdigest() if d.accepted else None,
            }
            for d, data in attachments
        ],
        "spool_key": spool_key,
        "automated": None,
        "parse_problem": msg.parse_problem,
        **({"recipients_cut": msg.recipients_cut} if msg.recipients_cut else {}),
    }


def _att_ctx(attachments: list[tuple[att.AttachmentDecision, bytes]]) -> dict[str, Any]:
    decisions = [d for d, _ in attachments]
    return {
        "attachments": decisions,
        "refused": [d for d in decisions if not d.accepted],
        "bmp_refused": att.bmp_refused(decisions),
    }


def _accepted_files(attachments: list[tuple[att.AttachmentDecision, bytes]]) -> list:
    return [(d.filename, d.content_type, data) for d, data in attachments if d.accepted]


@dataclass
class Context:
    """What every branch of `decide` needs about the message at hand."""

    app: App
    msg: ParsedMessage
    scr: Screening
    ident: Identification
    record: dict[str, Any]
    attachments: list[tuple[att.AttachmentDecision, bytes]]
    received_at: datetime
    common: dict[str, Any]

    def key(self, kind: str) -> str:
        return msg_key(self.msg.message_id, kind)


def decide(
    app: App,
    msg: ParsedMessage,
    scr: Screening,
    *,
    resumed_tid: str | None,
    spool_key: str | None,
    received_at: datetime,
) -> Decision:
    """What this message does to the store and which mail it causes."""
    cfg = app.config.support
    staff = set(cfg.staff)
    sender = msg.from_addr
    ident = identify_sender(app, msg, received_at.date())
    attachments = decide_attachments(app, msg)
    claims_staff = sender in staff and not scr.automated
    is_staff = claims_staff and app.staff_verified(msg)
    forged = claims_staff and not is_staff

    tid = resumed_tid or thread(app, msg)
    loaded = app.store.load(tid) if tid else None
    if loaded is not None and loaded[0].get("merged_into") and not resumed_tid:
        tid = merge_target(tid, lambda t: (app.store.load(t) or ({},))[0].get("merged_into"))
        loaded = app.store.load(tid)  # #merge: later mail lands in the surviving ticket
    refers_to = None
    # a bounce of our own mail belongs to the ticket that mail was about
    is_our_bounce = bool(
        scr.bounce
        and loaded is not None
        and msg.reported_message_id
        and app.tid_for_msgid(msg.reported_message_id) == tid
    )
    if (
        loaded is not None
        and not is_our_bounce
        and not tk.may_append(loaded[0], sender, ident, staff)
    ):
        log.warning(
            "%s sender %s is not a participant of %s: opening a new ticket",
            msg.message_id,
            sender or "(none)",
            tid,
        )
        refers_to, tid, loaded = tid, None, None
    if resumed_tid and loaded is None:
        tid = resumed_tid  # crash recovery: the index already names the new ticket
    robot, fast = None, False
    if loaded is not None and not claims_staff and not scr.automated:
        robot, fast = guard.robot_check(app, msg, *loaded, received_at)
        scr = Screening(True, robot) if robot else scr  # no automatic mail to robots
    record = message_record(
        msg,
        direction="in",
        kind="customer",
        received_at=received_at,
        attachments=attachments,
        spool_key=spool_key,
    )
    if scr.automated:
        record["automated"] = scr.reason
    if is_our_bounce:
        record["kind"] = "notice"
    if fast:
        record["fast_reply_to_auto"] = True
    ctx = Context(
        app,
        msg,
        scr,
        ident,
        record,
        attachments,
        received_at,
        {
            "subject": clean_subject(msg.subject) or "(без темы)",
            "text": msg.text.strip() or "(пустое письмо)",
            "automated": scr.reason if scr.automated else None,
            "sender": sender,
            "charset_doubt": msg.charset_doubt,
            **_att_ctx(attachments),
        },
    )
    if loaded is None:
        participants = tk.participants_of((*msg.to, *msg.cc), cfg.address, staff)
        participants = guard.cap_participants(app, msg.from_addr, participants)
        decision = _decide_new(ctx, tid, refers_to, participants)
    elif is_staff:
        decision = _decide_staff(ctx, *loaded)
    elif forged:  # kept as a note; the staff member is told how to reply so it counts
        decision = guard.decide_unverified(ctx, *loaded)
    else:
        decision = _decide_customer(ctx, *loaded)
    if robot:
        guard.note_robot(decision, sender, robot, received_at)
    decision.attachments = attachments
    return decision


def _level_ctx(app: App, ticket: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS[ticket["level"]]
    return {
        "tid": ticket["tid"],
        "level_id": level.id,
        "level_name": level.name_ru,
        "reaction": level.reaction_ru(),
        "due": app.fmt_time(ticket["reaction_due"]),
        "due_short": app.fmt_time(ticket["reaction_due"], short=True),
    }


def _decide_customer(
    ctx: Context, ticket: dict[str, Any], messages: list[dict[str, Any]]
) -> Decision:
    """A customer (or a colleague, or a robot) wrote into an existing ticket."""
    from maild import statusmail

    app, msg = ctx.app, ctx.msg
    rating = tk.rating_of(trim_reply(msg.text)) if ticket["status"] == "closed" else None
    if rating is not None:
        ticket = dict(ticket, rating=rating)
        ctx.record["rating"] = rating
        log.info("%s [TID#%s] rated %d", logged_id(msg.message_id), ticket["tid"], rating)
        thanks = [] if ctx.scr.automated else [statusmail.thanks(ctx, ticket, rating)]
        return Decision(
            "appended", ticket["tid"], ticket, [*messages, ctx.record], ctx.record, thanks
        )
    if not ctx.scr.automated and statusmail.asks_status(msg):  # changes nothing else
        out = statusmail.status_reply(ctx, ticket, messages)
        return Decision(
            "appended", ticket["tid"], ticket, [*messages, ctx.record], ctx.record, [out]
        )
    participants, asked = guard.joiners(app, msg, ticket)
    if asked:  # shown to staff; #cc ADDRESS adds them
        ctx.record["asked_to_join"] = asked
    reopened = False
    if not ctx.scr.automated:  # an out-of-office neither reopens nor starts a deadline
        ticket, reopened = tk.on_customer_message(ticket, ctx.received_at, app.due, participants)
    c = {**ctx.common, **_level_ctx(app, ticket), "reopened": reopened, "asked_to_join": asked}
    outgoing = [
        Outgoing(
            ctx.key("staff_followup"),
            "notice",
            "staff_followup.txt",
            tk.staff_recipients(ticket, app.config.support.staff),
            c,
            record=True,
            attach=_accepted_files(ctx.attachments),
        ),
    ]
    if not ctx.scr.automated:
        outgoing.append(
            Outgoing(
                ctx.key("ack"),
                "confirmation",
                "acknowledgement.txt",
                [msg.from_addr],
                c,
                record=True,
            )
        )
    return Decision(
        "appended", ticket["tid"], ticket, [*messages, ctx.record], ctx.record, outgoing
    )


def _decide_staff(ctx: Context, ticket: dict[str, Any], messages: list[dict[str, Any]]) -> Decision:
    """A staff reply: commands anywhere in its own text, then one mail to the customer."""
    from maild import staffmail

    app, msg, record = ctx.app, ctx.msg, ctx.record
    tid = ticket["tid"]
    reply = parse_reply(msg.text)
    record["kind"] = "staff"
    extras = staffmail.check(app, reply, ticket, messages)
    errors = [*reply.errors, *extras.errors]
    if errors:
        return _staff_error(ctx, ticket, messages, errors)
    # only commands + the client's quote must not send the quote to the customer
    body = trim_reply(extras.body, fallback=False).strip()
    note_inline = next((c.arg for c in reply.commands if c.name == "note" and c.arg), "")
    if note_inline:  # "#note text" on one line: the text is the note
        body = f"{note_inline}\n{body}".strip()
    record["commands"] = [f"#{c.name}" + (f" {c.arg}" if c.arg else "") for c in reply.commands]
    if any(c.name == "spam" for c in reply.commands):  # to the quarantine, nothing sent
        return guard.decide_spam(ctx, ticket, messages, reply.commands, body)
    notices: list[str] = []
    outgoing: list[Outgoing] = []
    customers = tk.customers(ticket, app.config.support.staff)
    replied = not reply.note and bool(body)
    if replied:
        # the reply is the reaction; a command after it may start a new clock (#level)
        ticket = tk.on_staff_reply(ticket, ctx.received_at)
    for cmd in reply.commands:
        if cmd.name in ("cc", "uncc"):
            ticket, err = guard.apply_participant_command(app, ticket, cmd.name, cmd.arg)
            record.setdefault("command_errors", []).extend([err] if err else [])
            continue
        ticket, more = tk.apply_command(
            ticket, cmd.name, cmd.arg, ctx.received_at, app.due, msg.from_addr
        )
        notices += [n for n in more if n not in notices]
    sent = dict(ticket.get("sent") or {})
    ticket, merged = staffmail.merge_into(app, extras, ticket, [*messages, record], ctx.received_at)
    if merged is not None:  # the conversation goes on there: no rating request here
        notices = [n for n in notices if n != tk.RESOLVED] + [staffmail.MERGED]
    if extras.recharset is not None:
        outgoing.append(_recharset(ctx, ticket, messages, extras.recharset))
    if replied or sent.get(tk.STARTED):  # the answer itself says work has started
        notices = [n for n in notices if n != tk.STARTED]
        sent.setdefault(tk.STARTED, ctx.received_at.isoformat())
    elif tk.STARTED in notices:
        sent[tk.STARTED] = ctx.received_at.isoformat()
    c = {
        **ctx.common,
        **_level_ctx(app, ticket),
        "subject": ticket["subject"] or "(без темы)",
        "keep_days": app.config.schedule.credentials_keep_days,
        "merged_into": ticket.get("merged_into"),
    }
    if replied:
        # an "out" record names whom it went to (the customers, not the signed address
        # staff wrote to): robots.answered finds the last mail a customer got by it
        record.update(direction="out", text=body, folded=notices, to=list(customers))
        relay_c = {**c, "subject": ticket["subject"] or ctx.common["subject"]}
        outgoing.append(_one_mail(ctx, customers, relay_c, notices, body))
    else:
        record.update(kind="note", text=body or "(только команды)")
        outgoing += [_one_mail(ctx, customers, c, notices)] if notices else []
    also = [merged] if merged is not None else []
    ticket = dict(ticket, sent=sent)
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing, also=also)


def _staff_error(
    ctx: Context, ticket: dict[str, Any], messages: list[dict[str, Any]], errors: list[str]
) -> Decision:
    """Bad command lines stop the whole reply: staff are told why, the customer nothing."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    record.update(kind="note", command_errors=errors)
    log.warning(
        "%s [TID#%s] staff commands refused: %s", logged_id(msg.message_id), tid, "; ".join(errors)
    )
    out = Outgoing(
        ctx.key("staff_error"),
        "notice",
        "staff_error.txt",
        [msg.from_addr],
        {**ctx.common, "tid": tid, "errors": errors},
        record=True,
    )
    return Decision("appended", tid, ticket, [*messages, record], record, [out])


def _one_mail(
    ctx: Context, to: list[str], c: dict[str, Any], notices: list[str], answer: str | None = None
) -> Outgoing:
    """The one mail a staff reply sends the customer: the answer (or, without one, the
    first notice) with the other notices folded under it."""
    from maild import staffmail

    if answer is not None:
        body = staffmail.one_mail(ctx.app, answer, notices, c)
        return Outgoing(
            ctx.key("relay"),
            "staff",
            None,
            to,
            c,
            record=False,
            auto=False,
            body=body,
            attach=_accepted_files(ctx.attachments),
        )
    subject, first = ctx.app.renderer.text(f"{notices[0]}.txt", c)
    body = staffmail.one_mail(ctx.app, first, notices[1:], c)
    return Outgoing(
        ctx.key(notices[0]),
        "notice",
        f"{notices[0]}.txt",
        to,
        c,
        record=True,
        body=body,
        subject=subject,
    )


def _recharset(
    ctx: Context, ticket: dict[str, Any], messages: list[dict[str, Any]], found: tuple
) -> Outgoing:
    """#charset: the customer's message read again; staff get the new text."""
    index, codec, text = found
    messages[index] = dict(messages[index], text=text, recharset=codec)
    log.info(
        "%s [TID#%s] re-read %s as %s",
        ctx.msg.message_id,
        ticket["tid"],
        messages[index]["message_id"],
        codec,
    )
    return Outgoing(
        ctx.key("recharset"),
        "notice",
        "staff_charset.txt",
        [ctx.msg.from_addr],
        {**ctx.common, **_level_ctx(ctx.app, ticket), "codec": codec, "text": text},
        record=True,
    )


def _decide_new(
    ctx: Context, tid: str | None, refers_to: str | None, participants: set[str]
) -> Decision:
    app, msg, ident = ctx.app, ctx.msg, ctx.ident
    received_at = ctx.received_at
    tid = tid or new_tid(app.store.ticket_exists)
    requester = msg.from_addr or msg.reply_to or ""
    first_seen = app.store.sender_first_seen(requester) if requester else None
    free_expired = free_support_expired(ident.level, first_seen, received_at.date())
    ticket = tk.new_ticket(
        tid,
        requester,
        clean_subject(msg.subject),
        ident,
        received_at,
        app.due,
        participants=participants,
        refers_to=refers_to,
    )
    ticket["free_expired"] = free_expired
    ticket["requester_name"] = msg.from_name  # for saved answers ("{{ name }}")
    c = {
        **ctx.common,
        **_level_ctx(app, ticket),
        "requester": requester,
        "name": msg.from_name,
        "from_name": msg.from_name,
        "commercial": ident.commercial,
        "expired": ident.expired,
        "unverified": ident.unverified,
        "reason": ident.reason,
        "refers_to": refers_to,
        "problem": msg.parse_problem,
        "spool_key": ctx.record.get("spool_key"),
        "free_expired": free_expired,
        "free_since": first_seen,
    }
    outgoing = [
        Outgoing(
            ctx.key("staff_new"),
            "notice",
            "staff_new.txt",
            tk.staff_recipients(ticket, app.config.support.staff),
            c,
            record=True,
            attach=_accepted_files(ctx.attachments),
        ),
    ]
    if not ctx.scr.automated and requester:
        outgoing.append(
            Outgoing(
                ctx.key("confirmation"),
                "confirmation",
                "confirmation.txt",
                [requester],
                c,
                record=True,
            )
        )
    return Decision("new", tid, ticket, [ctx.record], ctx.record, outgoing)


def process(
    app: App,
    raw: bytes,
    *,
    spool_key: str | None,
    received_at: datetime,
    msg: ParsedMessage | None = None,
) -> Decision:
    """Take one raw message all the way to the store and the outbox."""
    from maild.effects import apply

    msg = msg or parse(raw, app.config.limits.max_recipients)
    msg = without_tokens(app, msg)  # quoted site links: not kept
    scr = screen(msg, app.config.support.address)
    with app.store.locked():
        resumed = app.store.tid_for_msgid(msg.message_id)
        if resumed:
            loaded = app.store.load(resumed)
            if loaded and any(m["message_id"] == msg.message_id for m in loaded[1]):
                log.info(
                    "%s duplicate of a message in [TID#%s]: stored once",
                    logged_id(msg.message_id),
                    resumed,
                )
                return Decision("duplicate", resumed, loaded[0], loaded[1])
        held = guard.quarantine_reason(app, msg, scr, resumed)
        if held:  # spam or a blocked sender: kept for staff, nothing is sent
            qid = guard.quarantine(app, msg, raw, held, received_at, spool_key=spool_key)
            return Decision("quarantined", qid, {}, [])
        decision = decide(
            app, msg, scr, resumed_tid=resumed, spool_key=spool_key, received_at=received_at
        )
        apply(app, msg, decision, scr, resumed=resumed is not None)
    log.info(  # one line a message, naming its Message-ID as sent (or <none>) and TID
        "%s %s ticket [TID#%s] from %s (%s)%s%s",
        logged_id(msg.message_id),
        "opened" if decision.outcome == "new" else "added to",
        decision.tid,
        msg.from_addr or "(no sender)",
        decision.ticket["level"],
        f"; automated: {scr.reason}" if scr.automated else "",
        f"; queued {', '.join(decision.queued)}" if decision.queued else "",
    )
    return decision
