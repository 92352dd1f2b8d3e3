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

from maild.app import App
from maild.domain import attachments as att
from maild.domain import ticket as tk
from maild.domain.message import ParsedMessage, parse
from maild.domain.screen import Screening, screen
from maild.domain.sender import Identification, identify
from maild.domain.sla import LEVELS
from maild.domain.tid import clean_subject, find_tid, new_tid

log = logging.getLogger("maild.pipeline")

FREE_SUPPORT_MONTHS = 6


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


@dataclass
class Decision:
    outcome: str  # new | appended | duplicate
    tid: str
    ticket: dict[str, Any]
    messages: list[dict[str, Any]]
    incoming: dict[str, Any] | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
    attachments: list[tuple[att.AttachmentDecision, bytes]] = field(default_factory=list)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def msg_key(msgid: str, kind: str) -> str:
    return hashlib.sha1(f"{msgid}\0{kind}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


# -- steps -------------------------------------------------------------------


def thread(app: App, msg: ParsedMessage) -> str | None:
    """The ticket this message belongs to by subject tag or threading headers."""
    tid = find_tid(msg.subject)
    if tid and app.store.ticket_exists(tid):
        return tid
    for ref in (*msg.in_reply_to, *reversed(msg.references)):
        found = app.store.tid_for_msgid(ref)
        if found:
            return found
    return None


def identify_sender(app: App, address: str, today: date) -> Identification:
    licenses, groups = app.store.registry()
    return identify(address, licenses, groups, today)


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
    text: str | None = None,
) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "direction": direction,
        "from": msg.from_addr,
        "kind": kind,
        "received_at": received_at.isoformat(),
        "text": msg.text if text is None else text,
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
    }


def _att_ctx(attachments: list[tuple[att.AttachmentDecision, bytes]]) -> dict[str, Any]:
    decisions = [d for d, _ in attachments]
    return {
        "attachments": decisions,
        "refused": [d for d in decisions if not d.accepted],
        "bmp_refused": att.bmp_refused(decisions),
    }


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
    ident = identify_sender(app, sender, received_at.date())
    attachments = decide_attachments(app, msg)
    is_staff = sender in staff and not scr.automated
    kind = "staff" if is_staff else "customer"

    tid = resumed_tid or thread(app, msg)
    loaded = app.store.load(tid) if tid else None
    refers_to = None
    if loaded is not None and not tk.may_append(loaded[0], sender, ident, staff):
        log.warning(
            "%s sender %s is not a participant of %s: opening a new ticket",
            msg.message_id,
            sender or "(none)",
            tid,
        )
        refers_to, tid, loaded = tid, None, None
    if resumed_tid and loaded is None:
        tid = resumed_tid  # crash recovery: the index already names the new ticket
    record = message_record(
        msg,
        direction="out" if is_staff and loaded is not None else "in",
        kind=kind,
        received_at=received_at,
        attachments=attachments,
        spool_key=spool_key,
    )
    if scr.automated:
        record["automated"] = scr.reason
    participants = tk.participants_of((*msg.to, *msg.cc), cfg.address, staff)
    ctx_common = {
        "subject": clean_subject(msg.subject) or "(без темы)",
        "text": msg.text.strip() or "(пустое письмо)",
        "automated": scr.reason if scr.automated else None,
        **_att_ctx(attachments),
    }

    if loaded is None:
        decision = _decide_new(
            app, msg, scr, ident, tid, refers_to, record, participants, ctx_common, received_at
        )
        decision.attachments = attachments
        return decision
    ticket, messages = loaded
    if is_staff:
        ticket = tk.on_staff_reply(ticket, received_at)
        to = sorted({ticket["requester"], *ticket.get("participants", ())} - staff - {""})
        out = Outgoing(
            key=msg_key(msg.message_id, "relay"),
            kind="staff",
            template="staff_reply.txt",
            to=to,
            context={**ctx_common, "subject": ticket["subject"] or ctx_common["subject"]},
            record=False,
            auto=False,
            body=msg.text,
        )
        return Decision(
            "appended", ticket["tid"], ticket, [*messages, record], record, [out], attachments
        )
    ticket, reopened = tk.on_customer_message(ticket, received_at, app.due, participants)
    level = LEVELS[ticket["level"]]
    ctx = {
        **ctx_common,
        "tid": ticket["tid"],
        "sender": sender,
        "reopened": reopened,
        "level_id": level.id,
        "level_name": level.name_ru,
        "due": app.fmt_time(ticket["reaction_due"]),
    }
    outgoing = [
        Outgoing(
            msg_key(msg.message_id, "staff_followup"),
            "notice",
            "staff_followup.txt",
            _staff_to(app, ticket),
            ctx,
            record=True,
        ),
    ]
    if not scr.automated:
        outgoing.append(
            Outgoing(
                msg_key(msg.message_id, "ack"),
                "confirmation",
                "acknowledgement.txt",
                [sender],
                ctx,
                record=True,
            )
        )
    return Decision(
        "appended", ticket["tid"], ticket, [*messages, record], record, outgoing, attachments
    )


def _staff_to(app: App, ticket: dict[str, Any]) -> list[str]:
    assignee = ticket.get("assignee")
    return [assignee] if assignee else list(app.config.support.staff)


def _decide_new(
    app: App,
    msg: ParsedMessage,
    scr: Screening,
    ident: Identification,
    tid: str | None,
    refers_to: str | None,
    record: dict[str, Any],
    participants: set[str],
    ctx_common: dict[str, Any],
    received_at: datetime,
) -> Decision:
    tid = tid or new_tid(app.store.ticket_exists)
    requester = msg.from_addr or msg.reply_to or ""
    first_seen = app.store.sender_first_seen(requester) if requester else None
    free_expired = bool(
        ident.level == "free"
        and first_seen
        and add_months(date.fromisoformat(first_seen), FREE_SUPPORT_MONTHS) < received_at.date()
    )
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
    level = LEVELS[ticket["level"]]
    ctx = {
        **ctx_common,
        "tid": tid,
        "requester": requester,
        "name": msg.from_name,
        "from_name": msg.from_name,
        "level_id": level.id,
        "level_name": level.name_ru,
        "reaction": level.reaction_ru(),
        "due": app.fmt_time(ticket["reaction_due"]),
        "due_short": app.fmt_time(ticket["reaction_due"], short=True),
        "commercial": ident.commercial,
        "expired": ident.expired,
        "reason": ident.reason,
        "refers_to": refers_to,
        "problem": msg.parse_problem,
        "spool_key": record.get("spool_key"),
        "free_expired": free_expired,
        "free_since": first_seen,
    }
    outgoing = [
        Outgoing(
            msg_key(msg.message_id, "staff_new"),
            "notice",
            "staff_new.txt",
            _staff_to(app, ticket),
            ctx,
            record=True,
        ),
    ]
    if not scr.automated and requester:
        outgoing.append(
            Outgoing(
                msg_key(msg.message_id, "confirmation"),
                "confirmation",
                "confirmation.txt",
                [requester],
                ctx,
                record=True,
            )
        )
    return Decision("new", tid, ticket, [record], record, outgoing, [])


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

    msg = msg or parse(raw)
    scr = screen(msg, app.config.support.address)
    with app.store.locked():
        resumed = app.store.tid_for_msgid(msg.message_id)
        if resumed:
            loaded = app.store.load(resumed)
            if loaded and any(m["message_id"] == msg.message_id for m in loaded[1]):
                log.info("%s duplicate of a message in %s: stored once", msg.message_id, resumed)
                return Decision("duplicate", resumed, loaded[0], loaded[1])
        decision = decide(
            app, msg, scr, resumed_tid=resumed, spool_key=spool_key, received_at=received_at
        )
        apply(app, msg, decision, scr)
    log.info(
        "%s %s ticket %s from %s (%s)%s",
        msg.message_id,
        "opened" if decision.outcome == "new" else "added to",
        decision.tid,
        msg.from_addr or "(no sender)",
        decision.ticket["level"],
        f"; automated: {scr.reason}" if scr.automated else "",
    )
    return decision
