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

import logging
from dataclasses import replace
from datetime import datetime

from maild import guard, keptindex
from maild.adapters.store.attachfiles import keep_file
from maild.app import App
from maild.domain import partial
from maild.domain.decision import Decision, Outgoing
from maild.domain.heard import unheard
from maild.domain.logid import logged_id
from maild.domain.maildigest import as_sent
from maild.domain.message import ParsedMessage
from maild.domain.ownside import staff_side
from maild.domain.records import MessageRecord
from maild.domain.screen import Screening
from maild.domain.threadhdr import Thread, per_copy
from maild.outgoing import Threading, queued_in, send

log = logging.getLogger("maild.effects")


def apply(
    app: App, msg: ParsedMessage, decision: Decision, scr: Screening, indexed: str | None = None
) -> list[str]:
    """Store the decision and queue its mail; what was queued, for the log line
    ("confirmation to ..."), in order. `indexed`: the ticket the Message-ID index
    named when the pipeline looked (a re-run, or mail kept with a #spam ticket)."""
    store = app.store
    tid = decision.tid
    now = app.now()
    if decision.outcome == "spam":  # staff's #spam: the ticket leaves for the quarantine
        guard.mark_spam(app, msg, decision)
        # then the one who marked it is told what went and what was blocked (no
        # ticket to record it in: it is gone)
        return _send_all(app, msg, decision, now, [])
    ticket = decision.ticket
    if ticket is None:  # "held": kept in the quarantine (pipeline): no ticket to save
        return _send_all(app, msg, decision, now, [])
    resumed = indexed is not None
    if decision.outcome == "new" and indexed not in (None, tid):
        # indexed to the #spam ticket it was kept with, released after that ticket came
        # back: a stranger's, it opens a ticket of its own, where the index must lead
        store.unindex_msgid(msg.message_id)
    elif decision.outcome == "new" and indexed == tid:  # a #spam ticket back: its mark
        keptindex.ticket_back(app, tid)  # goes, and what it named of staff's mail
    store.index_msgid(msg.message_id, tid)
    if parts := partial.parts_key(msg.from_addr, msg.fragment):  # the letter's other
        store.index_msgid(parts, tid)  # parts come to this ticket (domain/partial.py)
    messages = list(decision.messages)
    if decision.withdraw:  # #uncc: nothing more goes to them, queued mail neither
        n = guard.withdraw_removed(app, ticket, decision.withdraw, messages)  # marked there
        log.info("%s [TID#%s] %d queued mail(s) to %s withdrawn (#uncc)",
                 logged_id(msg.message_id), tid, n, ", ".join(decision.withdraw))  # fmt: skip
    _store_attachments(app, decision)
    relayed: dict[str, dict[str, str]] = {}
    merged: list[MessageRecord] = []
    queued = _send_all(app, msg, decision, now, messages, resumed, relayed, merged)
    for out in decision.outgoing:  # a notice that was the reaction, and did not go
        if out.unheard is not None and not queued_in(app, out.key, decision.tid, messages):
            ticket = unheard(ticket, out.unheard)
    messages = _with_copies(messages, relayed)
    # #merge: the target first; both saves land in the batch's one commit (all or none,
    # the store's redo journal), and the target never holds a message twice (_joined)
    for other, its_messages in decision.also:
        store.save(other, _with_copies(_joined(its_messages, merged), relayed))
    store.save(ticket, messages)  # our own Message-IDs need no index: signed
    if ticket["status"] == "closed" and (closed_at := ticket.get("closed_at")):
        store.mark_for_redaction(tid, closed_at)
    if decision.outcome == "new" and ticket["requester"]:
        store.record_sender(ticket["requester"], tid, ticket["created_at"])
    return queued


def _send_all(
    app: App,
    msg: ParsedMessage,
    decision: Decision,
    now: datetime,
    messages: list[MessageRecord],
    resumed: bool = True,
    relayed: dict[str, dict[str, str]] | None = None,
    merged: list[MessageRecord] | None = None,
) -> list[str]:
    """Queue the decision's mail, each recorded one added to ``messages``; what was
    queued, for the log line. ``relayed``: the copies (outgoing.copy_ids) of a staff
    answer relayed to more than one customer, by the id it went out as (sent_as).
    ``merged``: the records of the mail sent that #merge records in its target too
    (Outgoing.in_target), as the source's messages moved there are marked."""
    queued: list[str] = []
    # the cap's words, and whether it was the desk-wide one, by the key of the mail it stopped
    stopped: dict[str, tuple[str, bool]] = {}
    for out in _in_turn(decision.outgoing):
        if out.tells_capped in stopped:
            out = _unconfirmed(app, out, stopped[out.tells_capped])
        records = _send(app, msg, decision, out, now, resumed, messages, queued, stopped)
        for record in records:
            if out.record or record.get("suppressed"):
                messages.append(record)
            if out.in_target and merged is not None and not record.get("suppressed"):
                merged.append({**record, "merged_from": decision.tid})
        copies = records[-1].get("copies") if records else None
        if out.kind == "staff" and relayed is not None and copies:
            relayed[records[-1]["message_id"]] = copies  # for the staff member's record
    return queued


def _unconfirmed(app: App, out: Outgoing, stopped: tuple[str, bool]) -> Outgoing:
    """A new ticket's staff notice whose confirmation a cap stopped: the cap's words
    (`unconfirmed`), and for the desk-wide cap on confirmations its figure
    (`unconfirmed_wave`): not one customer's cap to answer by hand, a possible wave."""
    why, wave = stopped
    figure = app.config.support.max_confirmations_per_hour if wave else None
    return replace(out, context={**out.context, "unconfirmed": why, "unconfirmed_wave": figure})


def _in_turn(outgoing: list[Outgoing]) -> list[Outgoing]:
    """The decision's mail in the order it is queued: as decided, but a mail another
    one tells the fate of (Outgoing.tells_capped) before that one."""
    told = {out.tells_capped for out in outgoing if out.tells_capped}
    return sorted(outgoing, key=lambda out: out.key not in told)  # stable


def _with_copies(
    messages: list[MessageRecord], relayed: dict[str, dict[str, str]]
) -> list[MessageRecord]:
    """``messages`` with the copies of each staff answer relayed now on its record: the
    ticket's own and, after #merge in the same reply, the target's copy of it."""
    if not relayed:
        return messages
    return [
        {**m, "copies": relayed[m["sent_as"]]} if m.get("sent_as") in relayed else m
        for m in messages
    ]


def _joined(messages: list[MessageRecord], more: list[MessageRecord]) -> list[MessageRecord]:
    """``messages`` with those of ``more`` they do not hold yet: a merge is idempotent
    whatever a target already holds."""
    held = {m.get("message_id") for m in messages}
    return [*messages, *(m for m in more if m.get("message_id") not in held)]


def _store_attachments(app: App, decision: Decision) -> None:
    for d, data in decision.attachments:
        if d.accepted:  # in the locked section's commit
            keep_file(app.config.storage_path, app.store.files(), data)


def _send(
    app: App,
    msg: ParsedMessage,
    decision: Decision,
    out: Outgoing,
    now: datetime,
    resumed: bool,
    thread: list[MessageRecord],
    queued: list[str],
    stopped: dict[str, tuple[str, bool]],
) -> list[MessageRecord]:
    """Queue one mail of the decision (once per key, noted in `queued`); return its
    thread records (outgoing.send). Only a re-run (`resumed`) can find it queued
    already (module doc, 2). `stopped`: where the cap's words go, by the mail's key,
    when a cap stops it."""
    # the Message-ID as sent, not the id a reused one is filed under (maildigest):
    # the sender's client threads our answer under the mail it knows
    sent = as_sent(msg.message_id)
    to_sent: Thread = (sent, [*msg.references, sent])
    replying_to: Threading = to_sent
    staff = staff_side(app.config.support.staff)  # whose copies thread as staff's
    if msg.from_addr in staff and not staff.holds(out.to):  # a staff reply's, to customers
        replying_to = per_copy(thread, staff, sent, to_sent)
    records, to = send(
        app,
        out,
        tid=decision.tid,
        thread=thread,
        replying_to=replying_to,
        now=now,
        cause=msg.message_id,
        may_be_queued=resumed,
        ticket=decision.ticket,
        stopped=stopped,
    )
    if to:
        queued.append(f"{out.kind} to {', '.join(to)}")
    return records
