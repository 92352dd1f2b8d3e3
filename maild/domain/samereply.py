"""A staff member's answer that says again, word for word, what she already sent the
customer on this ticket: not sent twice.

A crude auto-responder of hers (no Auto-Submitted, no auto-reply subject: only
"Re: <subject>" and the same vacation text) answers every notice from her own address,
to the reply address signed for her: a verified staff reply each time, relayed to the
customer uncapped. With another desk as the customer, whose acknowledgement brings a new
notice, that looped for days. Now such an answer within a day of the same one is a note
of the ticket, and she is told once per ticket (the ``sent`` mark ``same:<address>``)
that it was not sent.
Pure: the ticket's thread records are passed in.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from maild.domain.commands import ParsedReply
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.logid import logged_id
from maild.domain.records import MessageRecord, Ticket, aware_time

log = logging.getLogger("maild.staffmail")

TEMPLATE = "staff_same_answer.txt"
# An auto-responder answers each notice within minutes, and once its answer is held
# nothing brings the next notice; a person who says the same again a day later (a
# reminder: «пришлите, пожалуйста, лог») means it to go.
WINDOW = timedelta(days=1)


def _words(text: str) -> str:
    """A text as compared: its words, whitespace aside (line breaks, indents)."""
    return " ".join((text or "").split())


def repeated(sender: str, body: str, messages: list[MessageRecord], now: datetime) -> bool:
    """Whether ``body``, what a reply of ``sender`` would send the customer, is the text
    of an answer she sent them on this ticket (or that was held so) within WINDOW
    before ``now``."""
    words, since = _words(body), now - WINDOW
    return bool(words) and any(
        m.get("from") == sender
        and (m.get("direction") == "out" and m.get("kind") == "staff" or m.get("same_answer"))
        and _words(m.get("text") or "") == words
        and (aware_time(m.get("received_at")) or since) > since
        for m in messages
    )


def held(
    ctx: Context, reply: ParsedReply, body: str, ticket: Ticket, messages: list[MessageRecord]
) -> Decision | None:
    """The reply kept as a note, told to its writer once per ticket, when it is an
    answer she sent already (repeated) and no command of hers rides on it (what a
    person types: the commands run, the answer goes again); else None."""
    sender, record = ctx.msg.from_addr, ctx.record
    if reply.note or reply.commands or not repeated(sender, body, messages, ctx.received_at):
        return None
    tid = ticket["tid"]
    log.warning(
        "%s [TID#%s] %s sent the same answer again: kept as a note, not sent",
        logged_id(ctx.msg.message_id),
        tid,
        sender,
    )
    record.update(kind="note", text=body, same_answer=True)
    sent, outgoing = dict(ticket.get("sent") or {}), []
    if not sent.get(f"same:{sender}"):
        sent[f"same:{sender}"] = ctx.received_at.isoformat()
        context = {**ctx.common, "tid": tid, "subject": ticket.get("subject") or "(без темы)"}
        outgoing.append(Outgoing(ctx.key("same"), "notice", TEMPLATE, [sender], context, True))
    ticket = {**ticket, "sent": sent}
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing)
