"""One message through maild: parse → screen → thread → identify → attachments → decide.

`process` takes a message through the steps named here, in order, and hands the
Decision to effects.apply; `decide` picks the branch: a new ticket or a customer's
follow-up (customer.py), a staff reply (staffmail.py), forged staff mail (guard.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from maild import guard
from maild.app import App
from maild.customer import decide_followup, decide_new
from maild.decision import Context, Decision, Outgoing, att_ctx
from maild.domain import attachments as att
from maild.domain import ticket as tk
from maild.domain.logid import logged_id
from maild.domain.merge import final_target as merge_target
from maild.domain.message import ParsedMessage, parse
from maild.domain.records import Attachments, message_record
from maild.domain.replyaddr import verify
from maild.domain.screen import Screening, screen
from maild.domain.sender import Identification, checked, identify
from maild.domain.tid import clean_subject, find_tid
from maild.effects import apply
from maild.staffmail import decide_staff
from maild.web.links import without_tokens

__all__ = ["Decision", "Outgoing", "decide", "process", "thread"]

log = logging.getLogger("maild.pipeline")


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
    return checked(ident, can_verify=can_verify, verified=app.sender_verified(msg))


def decide_attachments(app: App, msg: ParsedMessage) -> Attachments:
    parts = [(a.filename, a.content_type, a.data) for a in msg.attachments]
    decisions = att.decide_all(parts, app.attachment_policy)
    return list(zip(decisions, [a.data for a in msg.attachments], strict=True))


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
    found = find_ticket(app, msg, scr, ident, resumed_tid)
    loaded = found.loaded
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
    if found.our_bounce:
        record["kind"] = "notice"
    if fast:
        record["fast_reply_to_auto"] = True
    ctx = Context(
        app, msg, scr, ident, record, attachments, received_at, _common(msg, scr, attachments)
    )
    if loaded is None:
        participants = tk.participants_of((*msg.to, *msg.cc), cfg.address, staff)
        participants = guard.cap_participants(app, msg.from_addr, participants)
        decision = decide_new(ctx, found.tid, found.refers_to, participants)
    elif is_staff:
        decision = decide_staff(ctx, *loaded)
    elif claims_staff:  # forged: kept as a note; the staff member is told how to reply
        decision = guard.decide_unverified(ctx, *loaded)
    else:
        decision = decide_followup(ctx, *loaded)
    if robot:
        guard.note_robot(decision, sender, robot, received_at)
    decision.attachments = attachments
    return decision


@dataclass(frozen=True)
class Found:
    """The ticket a message goes to: ``loaded`` (ticket, messages) or None for a new
    one, under ``tid`` when that is already known (crash recovery)."""

    tid: str | None
    loaded: tuple[dict[str, Any], list[dict[str, Any]]] | None
    refers_to: str | None = None  # a TID the sender may not write into
    our_bounce: bool = False  # a bounce of our own mail about this ticket


def find_ticket(
    app: App,
    msg: ParsedMessage,
    scr: Screening,
    ident: Identification,
    resumed_tid: str | None,
) -> Found:
    """Thread the message, follow #merge, and keep strangers out of others' tickets."""
    tid = resumed_tid or thread(app, msg)
    loaded = app.store.load(tid) if tid else None
    if loaded is not None and loaded[0].get("merged_into") and not resumed_tid:
        tid = merge_target(tid, lambda t: (app.store.load(t) or ({},))[0].get("merged_into"))
        loaded = app.store.load(tid)  # #merge: later mail lands in the surviving ticket
    # a bounce of our own mail belongs to the ticket that mail was about
    our_bounce = bool(
        scr.bounce
        and loaded is not None
        and msg.reported_message_id
        and app.tid_for_msgid(msg.reported_message_id) == tid
    )
    staff = set(app.config.support.staff)
    if (
        loaded is not None
        and not our_bounce
        and not tk.may_append(loaded[0], msg.from_addr, ident, staff)
    ):
        log.warning(
            "%s sender %s is not a participant of %s: opening a new ticket",
            msg.message_id,
            msg.from_addr or "(none)",
            tid,
        )
        return Found(resumed_tid, None, refers_to=tid)
    if resumed_tid and loaded is None:
        tid = resumed_tid  # crash recovery: the index already names the new ticket
    return Found(tid, loaded, our_bounce=our_bounce)


def _common(msg: ParsedMessage, scr: Screening, attachments: Attachments) -> dict[str, Any]:
    """What every mail about this message may say of it."""
    return {
        "subject": clean_subject(msg.subject) or "(без темы)",
        "text": msg.text.strip() or "(пустое письмо)",
        "automated": scr.reason if scr.automated else None,
        "sender": msg.from_addr,
        "charset_doubt": msg.charset_doubt,
        **att_ctx(attachments),
    }


def process(
    app: App,
    raw: bytes,
    *,
    spool_key: str | None,
    received_at: datetime,
    msg: ParsedMessage | None = None,
) -> Decision:
    """Take one raw message all the way to the store and the outbox."""
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
