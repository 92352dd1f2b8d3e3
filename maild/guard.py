"""What keeps outsiders out, applied: the quarantine gate, staff marking spam,
robots, who may join a ticket, and the caps on automatic mail.

The rules are pure (domain/spam.py, robots.py, caps.py, replyaddr.py); this module
looks things up for them and turns their answers into store writes and Decisions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maild.app import App
from maild.domain import robots
from maild.domain.caps import Caps, cap_reached
from maild.domain.message import ParsedMessage
from maild.domain.screen import Screening
from maild.domain.spam import verdict
from maild.domain.ticket import participants_of

log = logging.getLogger("maild.guard")

AUTO_KINDS = ("confirmation", "notice")


# -- the quarantine gate ------------------------------------------------------------


def quarantine_reason(
    app: App, msg: ParsedMessage, scr: Screening, resumed: str | None = None
) -> str | None:
    """Why this message goes to the quarantine instead of the desk, or None.

    ``resumed``: the ticket the Message-ID is indexed to. A message processed again
    (crash recovery) keeps its ticket; one of a ticket staff marked #spam (delivered
    again) goes back to the quarantine instead of bringing the ticket back."""
    if resumed is not None:
        if app.store.ticket_exists(resumed) or not app.quarantine.spammed(resumed):
            return None
        return f"spam: #spam [TID#{resumed}]"
    if app.staff_verified(msg) or app.quarantine.released(msg.message_id):
        return None  # a filter's mistake must not swallow a staff reply
    if app.quarantine.blocked(msg.from_addr):
        return "blocked"
    spam = app.config.spam
    if spam.enabled:
        reason = verdict(msg.headers, spam.headers, app.config.support.authserv_id)
        if reason:
            return reason
    if scr.bounce and not (
        msg.reported_message_id and app.tid_for_msgid(msg.reported_message_id)
    ):  # backscatter of mail someone else sent in our name: nothing for staff to do
        return "bounce: not about our mail"
    return None


def quarantine(
    app: App,
    msg: ParsedMessage,
    raw: bytes,
    reason: str,
    received_at: datetime,
    tid: str = "",
    spool_key: str | None = None,
) -> str:
    qid = app.quarantine.add(
        raw,
        {
            "message_id": msg.message_id,
            "from": msg.from_addr,
            "subject": msg.subject,
            "received_at": received_at.isoformat(),
            "reason": reason,
            "blocked_by": app.quarantine.blocked(msg.from_addr) if reason == "blocked" else None,
            "text": msg.text,
            "tid": tid or None,
            "spool_key": spool_key,  # its arrival copy, deleted with the entry (drop)
        },
    )
    log.info("%s from %s quarantined as %s: %s", msg.message_id, msg.from_addr, qid, reason)
    return qid


def quarantine_ticket(app: App, ticket: dict[str, Any], messages: list[dict[str, Any]]) -> int:
    """#spam: the ticket's incoming mail moves to the quarantine, the ticket goes."""
    from maild.domain.message import parse

    n = 0
    for m in messages:
        if m.get("direction") != "in" or m.get("kind") not in ("customer", "notice"):
            continue
        key = m.get("spool_key")
        raw = app.spool.read(key) if key and app.spool.path(key) is not None else None
        if raw is None:
            raw = f"From: <{m['from']}>\r\nSubject: {m.get('subject') or ''}\r\n\r\n".encode()
            raw += (m.get("text") or "").encode()
        when = datetime.fromisoformat(m["received_at"])
        msg = parse(raw)
        quarantine(app, msg, raw, f"spam: #spam [TID#{ticket['tid']}]", when, ticket["tid"])
        n += 1
    app.store.remove(ticket["tid"])
    app.quarantine.mark_spammed(ticket["tid"])
    return n


def block_for_spam(app: App, sender: str, whole_domain: bool) -> str:
    entry = sender.rpartition("@")[2] if whole_domain else sender
    app.quarantine.block(entry)
    return entry


# -- staff commands of this module: #spam, #cc, #uncc -------------------------------


def apply_participant_command(
    app: App, ticket: dict[str, Any], name: str, arg: str | None
) -> tuple[dict[str, Any], str | None]:
    """#cc / #uncc ADDRESS; returns (ticket, Russian error or None)."""
    people = set(ticket.get("participants") or ())
    arg = (arg or "").lower()
    if name == "uncc":
        people.discard(arg)
        return dict(ticket, participants=sorted(people | {ticket["requester"]} - {""})), None
    cap = app.config.limits.max_participants
    others = people - {ticket["requester"]}
    if arg not in people and len(others) >= cap:
        return ticket, f"#cc: у обращения уже {cap} участников (limits.max_participants)"
    return dict(ticket, participants=sorted(people | {arg})), None


# -- robots and Cc -------------------------------------------------------------------


def robot_check(
    app: App,
    msg: ParsedMessage,
    ticket: dict[str, Any],
    messages: list[dict[str, Any]],
    at: datetime,
) -> tuple[str | None, bool]:
    """(why the sender is a robot on this ticket, or None; whether this message
    answers our automatic mail faster than a person would)."""
    staff = app.config.support.staff
    refs = msg.in_reply_to or msg.references[-1:]  # what it answers, not the history
    fast = robots.fast_reply(refs, msg.from_addr, at, messages, staff)
    if msg.from_addr in (ticket.get("robots") or {}):
        return ticket["robots"][msg.from_addr], fast
    reason = robots.robot_reason(
        sender=msg.from_addr,
        subject=msg.subject,
        refs=refs,
        received_at=at,
        messages=messages,
        staff=staff,
    )
    return reason, fast


def joiners(app: App, msg: ParsedMessage, ticket: dict[str, Any]) -> tuple[set[str], list[str]]:
    """(addresses of To/Cc that join the ticket, those only shown to staff as "asked
    to be added"). Only a verified follow-up adds people, up to max_participants."""
    support = app.config.support
    current = set(ticket.get("participants") or ())
    new = participants_of((*msg.to, *msg.cc), support.address, support.staff) - current
    new.discard(ticket["requester"])
    if not new:
        return set(), []
    if not app.requester_verified(msg, ticket["tid"]):
        return set(), sorted(new)
    room = app.config.limits.max_participants - len(current - {ticket["requester"]})
    added = sorted(new)[: max(room, 0)]
    return set(added), sorted(new - set(added))


def cap_participants(app: App, requester: str, people: set[str]) -> set[str]:
    """A new ticket's To/Cc, capped at limits.max_participants besides the requester."""
    others = sorted(people - {requester})
    return set(others[: app.config.limits.max_participants])


def copies(app: App, tid: str, to: list[str], staff_only: bool) -> list[tuple[list[str], str]]:
    """(recipients, Reply-To) of each copy of one mail: each staff member gets their
    own, its Reply-To signed for them alone (see App.staff_verified)."""
    if staff_only and tid:
        return [([a], app.staff_reply_address(tid, a)) for a in to]
    return [(to, app.reply_address(tid))]


# -- caps on automatic mail ---------------------------------------------------------


def capped(
    app: App, to: list[str], messages: list[dict[str, Any]], now: datetime
) -> tuple[list[str], str | None]:
    """(recipients that may get one more automatic mail, why the others may not)."""
    s = app.config.support
    limits = Caps(
        s.max_auto_replies_per_hour,
        s.max_auto_replies_per_day,
        s.max_auto_replies_per_ticket_per_hour,
    )
    to_ticket = [
        datetime.fromisoformat(m["received_at"])
        for m in messages
        if m.get("auto_to_customer") and not m.get("suppressed")
    ]
    allowed, why = [], None
    for addr in to:
        reason = cap_reached(limits, app.store.auto_replies(addr), to_ticket, now)
        if reason is None:
            allowed.append(addr)
        else:
            why = reason
    return allowed, why


@dataclass(frozen=True)
class CapCheck:
    """Of one mail about to be queued: who gets it, the "suppressed: cap" note when no
    one may, in the outbox already, automatic mail to a customer (what caps count)."""

    to: list[str]
    suppressed: dict[str, Any] | None
    queued: bool
    automatic: bool


def check_caps(
    app: App,
    *,
    key: str,
    to: list[str],
    staff: set[str],
    mail: tuple[str, str | None, str],
    thread: list[dict[str, Any]],
    now: datetime,
    kind: str = "notice",
    auto: bool = True,
    may_be_queued: bool = True,
) -> CapCheck:
    """The one rule capping a mail about to be queued as outbox id `key`, pipeline and
    jobs alike (`mail`: TID, template, Message-ID of its cause or ""; `staff`: the
    ticket's staff side). A mail in the outbox already (a re-run after a crash, a
    redelivery) is neither capped again nor queued twice (`may_be_queued` False: it
    cannot be there, the outbox is not asked). Only automatic mail (`auto`, kind in
    AUTO_KINDS; the jobs' mail: an automatic notice) to someone off the staff side is
    capped (domain.caps)."""
    tid, template, msgid = mail
    automatic = auto and kind in AUTO_KINDS and not set(to) <= staff
    queued = may_be_queued and app.outbox.known(key)
    if queued or not automatic:
        return CapCheck(to, None, queued, automatic)
    allowed, why = capped(app, to, thread, now)
    if allowed:
        return CapCheck(allowed, None, False, True)
    log.warning("%s [TID#%s] no %s to %s: %s", msgid or "-", tid, template, ", ".join(to), why)
    return CapCheck([], suppressed_record(app, template, to, why or "", now), False, True)


def suppressed_record(
    app: App, template: str | None, to: list[str], why: str, now: datetime
) -> dict[str, Any]:
    return {
        "message_id": "",
        "direction": "out",
        "from": app.config.support.address,
        "kind": "note",
        "received_at": now.isoformat(),
        "text": f"suppressed: cap — {template or 'письмо'} для {', '.join(to)} "
        f"не отправлено: {why}",
        "to": to,
        "attachments": [],
        "template": template,
        "suppressed": "cap",
    }


def drop(app: App, qid: str) -> bool:
    """Delete a quarantine entry and the spool copy it arrived as (the spool is the
    record of what arrived: `maild fsck` would otherwise take it for lost mail)."""
    entry = app.quarantine.get(qid)
    if entry is None:
        return False
    app.quarantine.delete(qid)
    if entry.get("spool_key"):
        app.spool.discard(entry["spool_key"])
    return True


def expire(app: App, now: datetime) -> int:
    """The scheduler's job: quarantined mail older than spam.keep_days goes."""
    old = app.quarantine.expired(now, app.config.spam.keep_days)
    for qid in old:
        drop(app, qid)
    n = len(old)
    if n:
        log.info(
            "quarantine: %d message(s) older than %d days deleted", n, app.config.spam.keep_days
        )
    return n


# -- decisions this module makes ------------------------------------------------------


def decide_unverified(ctx: Any, ticket: dict[str, Any], messages: list[dict[str, Any]]) -> Any:
    """Mail from a staff address that is not verified: a note, never relayed, no
    command run; the staff member gets one mail per ticket saying how to reply."""
    from maild.decision import Decision, Outgoing

    msg, record = ctx.msg, ctx.record
    sender, tid = msg.from_addr, ticket["tid"]
    log.warning(
        "%s [TID#%s] claims staff address %s but is not verified", msg.message_id, tid, sender
    )
    record.update(kind="note", unverified_staff=True)
    sent = dict(ticket.get("sent") or {})
    outgoing = []
    if not sent.get(f"unverified:{sender}"):
        sent[f"unverified:{sender}"] = ctx.received_at.isoformat()
        context = {
            **ctx.common,
            "tid": tid,
            "authserv_id": ctx.app.config.support.authserv_id,
            "reply_address": ctx.app.staff_reply_address(tid, sender),
        }
        outgoing.append(
            Outgoing(
                ctx.key("unverified"), "notice", "staff_unverified.txt", [sender], context, True
            )
        )
    ticket = dict(ticket, sent=sent)
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing)


def decide_spam(
    ctx: Any, ticket: dict[str, Any], messages: list[dict[str, Any]], commands: Any, body: str
) -> Any:
    """#spam in a staff reply: the reply is a note, the ticket is marked for effects
    (mark_spam) to move to the quarantine; nothing is sent to anyone."""
    from maild.decision import Decision

    spam = next(c for c in commands if c.name == "spam")
    ctx.record.update(kind="note", text=body or "#spam")
    ticket = dict(ticket, spam={"by": ctx.msg.from_addr, "domain": spam.arg == "domain"})
    return Decision("spam", ticket["tid"], ticket, [*messages, ctx.record], ctx.record)


def note_robot(decision: Any, sender: str, reason: str, at: datetime) -> None:
    """The first time a sender shows itself a robot on a ticket: remember it (no more
    automatic mail to it there) and leave staff one note saying so."""
    known = dict(decision.ticket.get("robots") or {})
    if sender in known:
        return
    known[sender] = reason
    decision.ticket = dict(decision.ticket, robots=known)
    decision.messages.append(
        {
            "message_id": "",
            "direction": "in",
            "from": sender,
            "kind": "note",
            "received_at": at.isoformat(),
            "text": f"{sender} — робот ({reason}): автоматических писем по этому "
            "обращению он больше не получает; его письма по-прежнему видны здесь.",
            "attachments": [],
        }
    )
    log.info("[TID#%s] %s treated as a robot: %s", decision.tid, sender, reason)


def mark_spam(app: App, msg: ParsedMessage, decision: Any) -> None:
    """Apply #spam: quarantine the ticket's mail, block its sender (or domain)."""
    ticket = decision.ticket
    app.store.index_msgid(msg.message_id, decision.tid)
    n = quarantine_ticket(app, ticket, decision.messages)
    entry = block_for_spam(app, ticket["requester"], ticket["spam"]["domain"])
    log.info(
        "%s [TID#%s] marked spam by %s: %d message(s) quarantined, %s blocked",
        msg.message_id,
        decision.tid,
        ticket["spam"]["by"],
        n,
        entry,
    )


def quarantined_since(app: App, since: datetime) -> int:
    """How many messages the quarantine took since ``since`` (for the daily report)."""
    return sum(
        1
        for e in app.quarantine.entries()
        if e.get("received_at") and datetime.fromisoformat(e["received_at"]) >= since
    )
