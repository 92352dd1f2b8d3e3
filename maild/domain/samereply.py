"""A staff member's answer that says again, word for word, what she already sent the
customer on this ticket: not sent twice.

A crude auto-responder of hers (no Auto-Submitted, no auto-reply subject: only
"Re: <subject>" and the same vacation text) answers every notice from her own address,
to the reply address signed for her: a verified staff reply each time, relayed to the
customer uncapped. With another desk as the customer, whose acknowledgement brings a new
notice, that looped for days. Now such an answer within a day of the same one is a note
of the ticket, and she is told once per ticket and text (the ``sent`` mark
``same:<address>:<digest of its words>``) that it was not sent. One that carries a
file goes: the file is news (an invoice corrected, «Во вложении счёт.» again).
Pure: the ticket's thread records are passed in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from maild.domain import said
from maild.domain.commands import ParsedReply
from maild.domain.decision import Context, Decision, tell_writer
from maild.domain.logid import logged_id
from maild.domain.records import MessageRecord, Ticket, aware_time
from maild.domain.withdrawn import answer_reached

LOG = "maild.staffmail"

TEMPLATE = "staff_same_answer"
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
        # (sent to all: one whose copy to someone was withdrawn did not reach them)
        and (answer_reached(m) and not m.get("withdrawn_copies") or m.get("same_answer"))
        and (aware_time(m.get("received_at")) or since) > since
        and _words(m.get("text") or "") == words  # (the dear test last)
        for m in messages
    )


def held(
    ctx: Context, reply: ParsedReply, body: str, ticket: Ticket, messages: list[MessageRecord]
) -> Decision | None:
    """The reply kept as a note, told to its writer once per ticket and text, when it is
    an answer she sent already (repeated) and no command or file of hers rides on it
    (what a person adds: it goes again); else None."""
    sender, record = ctx.msg.from_addr, ctx.record
    if reply.note or reply.commands or ctx.msg.attachments:  # (a file is news: it goes)
        return None
    if not repeated(sender, body, messages, ctx.received_at):
        return None
    tid = ticket["tid"]
    line = said.warning(
        LOG,
        "%s [TID#%s] %s sent the same answer again: kept as a note, not sent",
        logged_id(ctx.msg.message_id),
        tid,
        sender,
    )
    record.update({"kind": "note", "text": body, "same_answer": True})
    sent = dict(ticket.get("sent") or {})
    mark = f"same:{sender}:{hashlib.sha256(_words(body).encode()).hexdigest()[:16]}"
    told = sent.get(mark)  # once per text: an auto-responder's is one, a person's each
    sent[mark] = told or ctx.received_at.isoformat()
    ticket = {**ticket, "sent": sent}
    decision = Decision("appended", tid, ticket, [*messages, record], record, said=(line,))
    return decision if told else tell_writer(ctx, decision, TEMPLATE, {})
