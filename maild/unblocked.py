"""`maild block remove`: the «работа начата» a block held back goes once it is lifted
(not queued while it was on, or withdrawn from the queue when it came), to a ticket
still in work whose customer nothing has told since (the rule:
domain.spam.started_owed). The other automatic mail held meanwhile is not sent late:
a confirmation or a reminder of days ago is stale news, and the ticket's next mail
(an answer, the closing) tells them where it stands.
"""

from __future__ import annotations

import logging
from datetime import datetime

from maild.app import App
from maild.domain import ticket as tk
from maild.domain.spam import STARTED_TEMPLATE, BlockList, started_owed
from maild.jobkit import job_key, ticket_ctx
from maild.outgoing import queue_notice, queued_in

log = logging.getLogger("maild.outgoing")


def tell_started(app: App, entry: str, now: datetime) -> int:
    """Queue the «работа начата» the removed `entry` held back, in the caller's locked
    section (the entry already off the list; an address another entry still covers
    stays without it). How many tickets told: one whose notice a cap or an address
    refused for good kept back (its thread notes why) is not."""
    removed = BlockList([entry])
    support = app.config.support
    withdrawn: set[str] | None = None
    n = 0
    for row in app.store.open_summaries():
        loaded = app.store.load(row["tid"]) if row["status"] == "open" else None
        if loaded is None:
            continue
        ticket, messages = loaded
        if withdrawn is None:  # read once, when a ticket in work is there to ask about
            withdrawn = withdrawn_blocked(app)
        owed = started_owed(ticket["status"], messages, removed, withdrawn)
        to = [
            a
            for a in tk.customers(ticket, support.internal, support.address)
            if a.lower() in owed and app.quarantine.blocked(a) is None
        ]
        if not to:
            continue
        tid = ticket["tid"]
        key = job_key(tid, "started-unblocked", *to, now.isoformat())
        queue_notice(
            app,
            ticket,
            messages,
            key=key,
            template=STARTED_TEMPLATE,
            to=to,
            context=ticket_ctx(app, ticket),
            now=now,
        )
        told = queued_in(app, key, tid, messages)  # not when a cap or a refusal kept it
        if told:  # the reaction the block kept (heard.py)
            ticket = tk.reacted(ticket, now)
            ticket["sent"] = {**(ticket.get("sent") or {}), tk.STARTED: now.isoformat()}
        app.store.save(ticket, messages)  # with the notice's record, or the note why not
        if told:
            log.info("[TID#%s] %s unblocked (%s): told work has started", tid, ", ".join(to), entry)
            n += 1
    return n


def withdrawn_blocked(app: App) -> set[str]:
    """The Message-IDs of the mail `block add` or the outbox's sender withdrew as
    blocked (outbox sent/, `"withdrawn": "blocked"`): never sent, so the «работа
    начата» among them was held back as surely as one a block kept from being queued.
    One with a line in the sent log went all the same (withdrawn while the relay was
    taking it, its record not yet put right: adapters/outrace.py)."""
    return {
        meta["message_id"]
        for meta in app.outbox.sent_entries()
        if meta.get("withdrawn") == "blocked" and meta.get("message_id") and not meta.get("sent_at")
    }
