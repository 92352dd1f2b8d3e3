"""Apply a Decision: index, attachments, outbox, ticket — in the order that
makes a crash at any point safe to re-run (see pipeline.process).

1. Message-ID -> TID first: a re-run finds the same ticket, never a second one
   (the received mail's id; the ids of mail we send carry their TID, signed).
2. Outgoing mail is queued under ids derived from its cause: queued once. Only a
   re-run (`resumed`: the Message-ID was indexed, the message is not in its ticket)
   can find mail of its cause queued or sent: the index entry is committed before
   the mail, and is never removed. Other messages skip the look-up.
3. The ticket file is replaced in one durable write that includes the message.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from maild.adapters.durable import write_atomic
from maild.app import App
from maild.domain.message import ParsedMessage
from maild.domain.screen import Screening
from maild.pipeline import Decision, Outgoing
from maild.web.links import footer, masked, site_link

log = logging.getLogger("maild.effects")


def apply(
    app: App, msg: ParsedMessage, decision: Decision, scr: Screening, resumed: bool = True
) -> None:
    store = app.store
    tid = decision.tid
    now = app.now()
    store.index_msgid(msg.message_id, tid)
    _store_attachments(app, decision)
    messages = list(decision.messages)
    for out in decision.outgoing:
        record = _send(app, msg, decision, out, now, resumed)
        if record is not None and out.record:
            messages.append(record)
    # #merge: the target first; saving the ticket with the message commits the whole
    # (a re-run after a crash between the two merges again, idempotently)
    for ticket, its_messages in decision.also:
        store.save(ticket, its_messages)
    store.save(decision.ticket, messages)  # our own Message-IDs need no index: signed
    if decision.ticket["status"] == "closed" and decision.ticket.get("closed_at"):
        store.mark_for_redaction(tid, decision.ticket["closed_at"])
    if decision.outcome == "new" and decision.ticket["requester"]:
        store.record_sender(decision.ticket["requester"], decision.ticket["created_at"][:10])


def _store_attachments(app: App, decision: Decision) -> None:
    root = app.config.storage_path / "attachments"
    for d, data in decision.attachments:
        if not d.accepted:
            continue
        h = hashlib.sha256(data).hexdigest()
        path = root / h[:2] / h
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)


def _allowed_auto_reply(app: App, address: str, now: datetime) -> bool:
    """At most N automatic replies per address per hour: robots cannot ping-pong."""
    limit = app.config.support.max_auto_replies_per_hour
    recent = [t for t in app.store.auto_replies(address) if t > (now - timedelta(hours=1))]
    return len(recent) < limit


def _send(
    app: App, msg: ParsedMessage, decision: Decision, out: Outgoing, now: datetime, resumed: bool
) -> dict[str, Any] | None:
    """Render and queue one mail (once per key); return its thread record."""
    support = app.config.support
    tid = decision.tid
    if not out.to:
        return None
    message_id = app.message_id(out.key, tid)
    requester = decision.ticket.get("requester")
    link = site_link(app, tid, out.to, now, requester)  # customer mail only (maild.web.links)
    if out.body is not None:  # a staff reply goes out as the staff member wrote it
        subject = out.subject or f"Re: {out.context['subject']}"
        body = out.body + (footer(link) if link else "")
    else:
        subject, body = app.renderer.text(out.template, {**out.context, "site_link": link})
    if out.kind == "staff" and decision.incoming is not None:
        decision.incoming["sent_as"] = message_id
    already = resumed and app.outbox.known(out.key)
    customer_auto = out.auto and out.kind == "confirmation"
    if not already and customer_auto and not _allowed_auto_reply(app, out.to[0], now):
        log.warning(
            "%s [TID#%s] no %s to %s: automatic reply limit reached",
            msg.message_id,
            tid,
            out.template,
            out.to[0],
        )
        return None
    if not already:
        email_msg = app.renderer.message(
            subject=subject,
            body=body,
            to=out.to,
            tid=tid,
            message_id=message_id,
            now=now,
            in_reply_to=msg.message_id,
            references=[*msg.references, msg.message_id],
            auto=out.auto,
            reply_to=app.reply_address(tid),
            attachments=out.attach,
        )
        app.outbox.enqueue(
            out.key, email_msg, out.to, tid=tid, kind=out.kind, now=now, checked=True
        )
        if customer_auto:
            app.store.record_auto_reply(out.to[0], now)
        decision.queued.append(f"{out.kind} to {', '.join(out.to)}")  # logged by process
    return {
        "message_id": message_id,
        "direction": "out",
        "from": support.address,
        "kind": out.kind,
        "received_at": now.isoformat(),
        "text": masked(body, link),
        "to": out.to,
        "attachments": [],
        "template": out.template,
    }
