"""Gather, under the store lock, what the decision about one message needs: the
ticket it threads to (after #merge), whether the sender may write there, the
sender's level, the verification facts, and what only some branches need (a fresh
TID and the sender's first ticket for a new ticket, the tickets a staff reply's
#merge names, the raw mail its #charset reads again). Each is looked up only when
the message can need it: the store reads per message stay those of the decision.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from maild.app import App
from maild.domain import staffreply, verify
from maild.domain import ticket as tk
from maild.domain.commands import parse_reply
from maild.domain.merge import final_target
from maild.domain.message import ParsedMessage
from maild.domain.replyaddr import signed_for
from maild.domain.replyaddr import verify as verify_address
from maild.domain.screen import Screening
from maild.domain.sender import Identification, checked, identify
from maild.domain.snapshot import Loaded, Snapshot
from maild.domain.tid import find_tid, new_tid
from maild.domain.trust import newcomers

log = logging.getLogger("maild.pipeline")


def gather(
    app: App,
    msg: ParsedMessage,
    scr: Screening,
    *,
    staff_verified: bool,
    resumed_tid: str | None,
    spool_key: str | None,
    received_at: datetime,
) -> Snapshot:
    """The Snapshot for `domain.decide.decide`; call it holding the store lock.
    ``staff_verified``: verify.staff_verified for this message."""
    policy = app.policy
    claims_staff = msg.from_addr in policy.staff and not scr.automated
    ident = identify_sender(app, msg, received_at.date())
    found = find_ticket(app, msg, scr, ident, resumed_tid, staff_verified)
    tid, loaded, refers_to, our_bounce = found
    if loaded is None:
        requester = msg.from_addr or msg.reply_to or ""
        return Snapshot(
            tid=tid or new_tid(app.store.ticket_exists),
            loaded=None,
            ident=ident,
            staff_verified=staff_verified,
            refers_to=refers_to,
            first_seen=app.store.sender_first_seen(requester) if requester else None,
            spool_key=spool_key,
        )
    ticket = loaded[0]
    asks_to_join = not claims_staff and bool(newcomers(policy, msg, ticket))
    staff_reply = _staff_reply_facts(app, msg, loaded) if claims_staff and staff_verified else {}
    return Snapshot(
        tid=ticket["tid"],
        loaded=loaded,
        ident=ident,
        staff_verified=staff_verified,
        our_bounce=our_bounce,
        requester_verified=asks_to_join
        and verify.requester_verified(msg, ticket["tid"], app.policy),
        spool_key=spool_key,
        **staff_reply,
    )


def thread(app: App, msg: ParsedMessage, staff_verified: bool) -> str | None:
    """The ticket this message belongs to: subject tag, signed reply address,
    or threading headers pointing at mail of the ticket."""
    tid = find_tid(msg.subject)
    if tid and app.store.ticket_exists(tid):
        return tid
    secret, support = app.reply_secret, app.config.support.address
    for addr in (*msg.to, *msg.cc):
        signed, valid = verify_address(addr, secret, support)
        if signed and not valid:  # signed for one person: the sender, or staff's own
            valid = staff_verified or bool(signed_for(addr, msg.from_addr, secret, support))
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
    return checked(ident, can_verify=can_verify, verified=verify.sender_verified(msg, app.policy))


def find_ticket(
    app: App,
    msg: ParsedMessage,
    scr: Screening,
    ident: Identification,
    resumed_tid: str | None,
    staff_verified: bool,
) -> tuple[str | None, Loaded | None, str | None, bool]:
    """Thread the message, follow #merge, and keep strangers out of others' tickets:
    (TID, the ticket and its messages or None for a new one, refers_to, our_bounce)."""
    tid = threaded = resumed_tid or thread(app, msg, staff_verified)
    loaded = app.store.load(tid) if tid else None
    if loaded is not None and loaded[0].get("merged_into") and not resumed_tid:
        tid = _merged_into(app, tid)
        loaded = app.store.load(tid)  # #merge: later mail lands in the surviving ticket
    # a bounce of our own mail belongs to the ticket that mail was about (or to the one
    # it was merged into since)
    our_bounce = bool(
        scr.bounce
        and loaded is not None
        and msg.reported_message_id
        and app.tid_we_sent(msg.reported_message_id) in (threaded, tid)
    )
    staff = app.policy.staff
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
        return resumed_tid, None, tid, False
    if resumed_tid and loaded is None:
        tid = resumed_tid  # crash recovery: the index already names the new ticket
    return tid, loaded, None, our_bounce


def _merged_into(app: App, tid: str) -> str:
    """The ticket a chain of #merge ends at."""
    return final_target(tid, lambda t: (app.store.load(t) or ({},))[0].get("merged_into"))


def _staff_reply_facts(app: App, msg: ParsedMessage, loaded: Loaded) -> dict[str, Any]:
    """What a verified staff reply's #merge and #charset lines need from the store."""
    reply = parse_reply(msg.text)
    facts: dict[str, Any] = {}
    targets = staffreply.merge_targets(reply)
    if targets:
        facts["merge_targets"] = {a: app.store.load(_merged_into(app, a)) for a in targets}
    source = staffreply.charset_source(loaded[1]) if staffreply.charset_wanted(reply) else None
    if source is not None:
        index, key = source
        try:
            facts["charset_source"] = (index, app.spool.read(key))
        except FileNotFoundError:
            pass  # the decision says its copy is gone
    return facts
