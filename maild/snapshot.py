"""Gather, under the store lock, what the decision about one message needs: the
ticket it threads to (after #merge), whether the sender may write there, the
sender's level and the licenses a customer's mail names by key, the verification
facts, and what only some branches need (a fresh TID and the sender's first ticket
for a new ticket, the tickets a staff reply's #merge names, the raw mail its
#charset reads again). Each is looked up only when the message can need it: the
store reads per message stay those of the decision.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from maild import guard, ownreports
from maild.adapters.quarantine import entry_id
from maild.adapters.store import CorruptFile
from maild.app import App
from maild.domain import (
    mergecmd,
    recharset,
    robots,
    staffforward,
    undeliverable,
    verify,
)
from maild.domain import ticket as tk
from maild.domain.belongs import TicketLookups, ticket_of
from maild.domain.commands import parse_reply
from maild.domain.licensekeys import named_licenses
from maild.domain.listreply import list_reply
from maild.domain.logid import logged_id
from maild.domain.merge import final_target
from maild.domain.message import ParsedMessage
from maild.domain.participants import newcomers
from maild.domain.policy import Policy
from maild.domain.records import Ticket
from maild.domain.replyaddr import signed_for
from maild.domain.screen import Screening
from maild.domain.sender import Identification, License, checked, identify
from maild.domain.snapshot import Loaded, Snapshot, Spammed
from maild.domain.staffforward import Registry
from maild.domain.textnamed import named_tids
from maild.domain.tid import clean_subject, new_tid, tid_seed
from maild.issued import gone_ticket, known, missing_ticket, signed_tids
from maild.openedbefore import opened_before

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
    claims_staff = app.policy.claims_staff(msg.from_addr, scr.automated)
    ident, named, registry = registry_facts(app, msg, received_at.date(), claims_staff)
    base: dict[str, Any] = {
        "ident": ident,
        "staff_verified": staff_verified,
        "spool_key": spool_key,
    }
    if not resumed_tid and (to_list := _to_list(app, msg, ident, staff_verified, spool_key)):
        return to_list  # a reply to a list mail itself: on none of its tickets
    tid, loaded, refers_to, report_of, merged_source = find_ticket(
        app, msg, scr, ident, resumed_tid, staff_verified
    )
    off_store = {} if loaded else _off_store(app, msg, tid, staff_verified, claims_staff)
    if off_store:  # the ticket it names is in the quarantine, or is none
        return Snapshot(loaded=None, **base, **off_store)
    signed = _staff_signed(app, msg, loaded is not None, claims_staff)
    if signed is not None:  # staff's own reply address, someone else's From; the head's
        if signed[0] != tid:  # another ticket than the one threaded to: none of its chain
            merged_source = None
        tid, person = signed
        loaded = app.store.load(tid)
    if loaded is None:
        return Snapshot(
            tid=tid or new_tid(app.store.tid_taken, tid_seed(app.reply_secret, spool_key)),
            loaded=None,
            refers_to=refers_to,
            **_named_facts(app, msg, refers_to, staff_verified),
            **_forward_facts(app, msg, (claims_staff, staff_verified), registry, received_at),
            licenses_named=named,
            opened_before=opened_before(app, msg, tid, received_at, claims_staff or scr.automated),
            **base,
        )
    ticket = loaded[0]
    staff = claims_staff and staff_verified
    staff_reply = _staff_reply_facts(app, msg, loaded, registry) if staff else {}
    return Snapshot(
        tid=ticket["tid"],
        loaded=loaded,
        our_bounce=report_of is not None,
        report_of=report_of,
        **_customer_facts(app, msg, ticket, ident, claims_staff),
        licenses_named=named,
        staff_signed=signed[1] if signed else None,
        merged_source=merged_source,
        written_at=app.now(),
        **base,
        **staff_reply,
    )


def _forward_facts(
    app: App, msg: ParsedMessage, staff: tuple[bool, bool], registry: Registry, at: datetime
) -> dict[str, Any]:
    """staffforward.facts (``staff``: claims_staff, verified), the requester looked up."""
    fwd = staffforward.forward_of(msg, app.policy if staff[0] else None, staff[1])
    seen = app.store.sender_first_seen(fwd.requester) if fwd.requester else None
    return staffforward.facts(fwd, registry, seen, at.date())


def _customer_facts(
    app: App, msg: ParsedMessage, ticket: Ticket, ident: Identification, claims_staff: bool
) -> dict[str, Any]:
    """Of a customer's follow-up: whether it proves it comes from the ticket's side
    (_requester_proven), and, to a closed ticket it may reopen, the date of its
    sender's first ticket (a reopening tells of the free term as a new ticket would:
    levelnow.reopened_free)."""
    if claims_staff:
        return {"requester_verified": False}
    closed = ticket["status"] == "closed" and msg.from_addr
    return {
        "requester_verified": _requester_proven(app, msg, ticket, ident),
        "first_seen": app.store.sender_first_seen(msg.from_addr) if closed else None,
    }


def _requester_proven(app: App, msg: ParsedMessage, ticket: Ticket, ident: Identification) -> bool:
    """Whether a follow-up that asks for it (_proof_wanted) proves it comes from the
    ticket's side (verify.requester_verified)."""
    wanted = _proof_wanted(app.policy, msg, ticket, ident)
    people = (ticket["requester"], *(ticket.get("participants") or ()))
    return wanted and verify.requester_verified(msg, ticket["tid"], app.policy, people)


def _to_list(
    app: App, msg: ParsedMessage, ident: Identification, staff_verified: bool, key: str | None
) -> Snapshot | None:
    """The Snapshot of a reply to a list mail itself (domain.listreply), else None:
    no ticket of its own, ``tid`` the list's first (the notice's subject names it)."""
    internal = app.config.support.internal
    first, list_to = list_reply(msg, app.policy, internal)
    if not list_to:
        return None
    return Snapshot(
        tid=first,
        loaded=None,
        ident=ident,
        staff_verified=staff_verified,
        spool_key=key,
        list_to=list_to,
    )


def _proof_wanted(
    policy: Policy, msg: ParsedMessage, ticket: Ticket, ident: Identification
) -> bool:
    """Whether it matters that a customer's follow-up proves its From (it is looked up
    only then): verified, it may add people, prove that an address refused for good
    exists, or prove the address SPF/DKIM did not confirm when the ticket opened or
    does not confirm now (``ident``: the level the registry gives now, levelnow)."""
    requester = tk.is_requester(ticket, msg.from_addr)
    return (
        bool(newcomers(policy, msg, ticket))
        or undeliverable.marked(ticket, msg.from_addr)
        or (requester and "owed" in (ticket.get("identification") or {}))
        or (requester and ident.unverified)
    )


def thread(app: App, msg: ParsedMessage, staff_verified: bool) -> str | None:
    """The ticket this message belongs to (the rule: domain/belongs.ticket_of): one in
    the store, or one staff marked #spam (in the quarantine: held_by_spam)."""
    look = TicketLookups(
        known=lambda tid: known(app, tid),
        signed=lambda: signed_tids(app, msg, staff_verified),
        indexed=app.tid_for_msgid,
    )
    return ticket_of(msg, staff_verified, look)


def _staff_signed(
    app: App, msg: ParsedMessage, threaded: bool, claims_staff: bool
) -> tuple[str, str] | None:
    """(the ticket, after #merge; the staff member or the head) of a To/Cc reply address
    signed for a staff member or the head (an escalation, a report), of a ticket in the
    store: the sender, not that member, answers a notice sent to them, or the head
    answers mail sent to them. None for staff's own mail, and for mail ``threaded`` to
    a ticket it may write into, but the head's: he may write into any ticket
    (find_ticket), yet his reply address says where his mail goes, to staff, about the
    ticket the escalation was about (staffmail.decide_head)."""
    if claims_staff or (threaded and not app.policy.is_head(msg.from_addr)):
        return None
    secret, support = app.reply_secret, app.config.support.address
    internal = app.config.support.internal
    for addr in (*msg.to, *msg.cc):
        for person in internal:
            tid = signed_for(addr, person, secret, support)
            if tid and app.store.ticket_exists(tid):
                return _merged_into(app, tid), person
    return None


def _off_store(
    app: App,
    msg: ParsedMessage,
    tid: str | None,
    staff_verified: bool,
    claims_staff: bool,
) -> dict[str, Any]:
    """Of a message that threads to no ticket in the store: the Snapshot's ``tid`` and
    ``spammed`` when it threads to one marked #spam, its ``tid`` and ``missing`` when
    staff or the head name one that is not there (deleted, or a typo); else nothing:
    a new ticket. ``claims_staff``: Policy.claims_staff for this message."""
    own_side = msg.from_addr in app.config.support.internal
    if tid and held_by_spam(app, msg, tid, claims_staff):
        return {"tid": tid, "spammed": spam_facts(app, tid, msg.message_id)}
    if own_side and tid is None:
        named = missing_ticket(app, msg, staff_verified)
        if named is not None:
            return {"tid": named[0], "missing": named[1]}
    return {}


def held_by_spam(app: App, msg: ParsedMessage, tid: str, claims_staff: bool) -> bool:
    """``tid`` is a ticket staff marked #spam, and this message stays in the quarantine
    with it instead of opening a ticket (a staff member's under the spammer's TID, as
    the staff reply that a mail client threads by References would). Only the
    ticket's own mail that the admin released (`maild spam release`: the #spam was a
    mistake) brings it back, and only the first of the ticket's mail kept there: mail
    released before it (a stranger's that named the TID, the requester's reply) would
    open the ticket under its TID as its first message; it stays (`spam release` says
    which to release first)."""
    if not guard.spammed_ticket(app, tid):
        return False
    if claims_staff or not app.quarantine.released(msg.message_id):
        return True
    kept = app.quarantine.of_ticket(tid)
    return bool(kept) and kept[0]["id"] != entry_id(msg.message_id)


def spam_facts(app: App, tid: str, message_id: str) -> Spammed:
    """What the #spam mark of ``tid`` says, and the entries it is kept as."""
    mark = app.quarantine.spam_mark(tid)
    own = entry_id(message_id)
    kept = [e for e in app.quarantine.of_ticket(tid) if e["id"] != own]
    return Spammed(
        by=mark.get("by") or "",
        at=mark.get("at") or "",
        blocked=mark.get("blocked") or "",
        subject=clean_subject(kept[0].get("subject") or "", app.policy.own_subjects)
        if kept
        else "",
        entries=(*(e["id"] for e in kept), own),
    )


def registry_facts(
    app: App, msg: ParsedMessage, today: date, claims_staff: bool
) -> tuple[Identification, tuple[License, ...], Registry]:
    """What the license registry says of the message, read once: the level the sender
    is entitled to (with a trusted authserv-id commercial levels need SPF or DKIM for
    the From domain: a From line is easy to forge) and, of a customer's mail, the
    licenses its subject and text name by key (licensekeys.named_licenses; a key alone
    gives no level: clause 8); and the registry, for a forward's customer and a #cc's
    (staffforward)."""
    licenses, groups = app.store.registry()
    ident = identify(msg.from_addr, licenses, groups, today)
    can_verify = bool(app.config.support.authserv_id)
    ident = checked(ident, can_verify=can_verify, verified=verify.sender_verified(msg, app.policy))
    named = () if claims_staff else named_licenses((msg.subject, msg.text), licenses)
    return ident, named, (licenses, groups)


def find_ticket(
    app: App,
    msg: ParsedMessage,
    scr: Screening,
    ident: Identification,
    resumed_tid: str | None,
    staff_verified: bool,
) -> tuple[str | None, Loaded | None, str | None, str | None, str | None]:
    """Thread the message, follow #merge, and keep strangers out of others' tickets:
    (TID, the ticket and its messages or None for a new one, refers_to, the Message-ID
    of our mail a report of it is about (None: no such report; Snapshot.report_of),
    the ticket it threaded to when #merge sent it on to TID, else None)."""
    tid = threaded = resumed_tid or thread(app, msg, staff_verified)
    loaded = app.store.load(tid) if tid else None
    merged_source = None
    if tid and loaded is not None and loaded[0].get("merged_into") and not resumed_tid:
        merged_source, tid = tid, _merged_into(app, tid)
        loaded = app.store.load(tid)  # #merge: later mail lands in the surviving ticket
    # a bounce of our own mail belongs to the ticket that mail was about (or to the one
    # it was merged into since)
    report_of = ownreports.report_of(app, msg, scr, (threaded, tid), loaded) if loaded else None
    our_bounce = report_of is not None
    # support's own side: staff, and the head, whose mail into a ticket is a note of it
    # (decide.decide), never a ticket of his own as a stranger's would be
    own = app.config.support.internal
    if (
        loaded is not None
        and not our_bounce
        and not tk.may_append(loaded[0], msg.from_addr, ident, own)
    ):
        log.warning(
            "%s sender %s is not a participant of %s: opening a new ticket",
            logged_id(msg.message_id),
            msg.from_addr or "(none)",
            tid,
        )
        # a new ticket under a fresh TID: never the resumed one, whose ticket is there
        # (mail indexed to a ticket staff marked #spam, released after the ticket)
        return None, None, tid, None, None
    if resumed_tid and loaded is None:
        tid = resumed_tid  # crash recovery: the index already names the new ticket
    return tid, loaded, None, report_of, merged_source


def _named_facts(
    app: App, msg: ParsedMessage, refers_to: str | None, staff_verified: bool
) -> dict[str, Any]:
    """Of a new ticket's mail, what else it names: of one naming a ticket its sender may
    not write into (``refers_to``), whether it answers that ticket's automatic mail;
    else the tickets its text names and the ticket of ours it answers that is gone."""
    if refers_to:
        return {"answers_its_auto": _answers_auto(app, msg, refers_to)}
    gone = gone_ticket(app, msg, staff_verified)
    return {"named_in_text": _named_in_text(app, msg), "gone": gone}


def _answers_auto(app: App, msg: ParsedMessage, tid: str) -> bool:
    """Whether ``msg`` answers automatic mail of ticket ``tid``, that ticket's mail to
    someone else: another desk's robot writing from a new address each round
    (ticket-1001@, ticket-1002@, ...), named in In-Reply-To or the last of References,
    or by the subject's tag alone (robots.answered_from_side)."""
    loaded = app.store.load(tid)
    if loaded is None:
        return False
    refs = msg.in_reply_to or msg.references[-1:]
    staff = app.policy.staff
    return robots.answered_from_side(refs, msg.from_addr, loaded[1], staff) is not None


def _named_in_text(app: App, msg: ParsedMessage) -> tuple[Ticket, ...]:
    """The tickets in the store a new mail's text names by tag (textnamed.named_tids),
    each the one #merge sent its mail on to. A ticket whose file cannot be read is left
    out: a name only adds to the new ticket, and its mail must not wait on that file."""
    found = []
    for tid in named_tids(msg.subject, msg.text):
        try:
            loaded = app.store.load(_merged_into(app, tid))
        except CorruptFile as e:
            log.warning("%s names [TID#%s], not read: %s", logged_id(msg.message_id), tid, e)
            continue
        if loaded is not None:
            found.append(loaded[0])
    return tuple(found)


def _merged_into(app: App, tid: str) -> str:
    """The ticket a chain of #merge ends at."""
    return final_target(tid, app.store.merged_into)


def _staff_reply_facts(
    app: App, msg: ParsedMessage, loaded: Loaded, registry: Registry
) -> dict[str, Any]:
    """What a verified staff reply's #merge and #charset lines need from the store, and
    the level the first customer its #cc adds is owed (staffforward.cc_facts)."""
    reply = parse_reply(msg.text)
    facts = staffforward.cc_facts(reply, loaded[0], app.policy, registry, app.now().date())
    targets = mergecmd.merge_targets(reply)
    if targets:
        facts["merge_targets"] = {a: app.store.load(_merged_into(app, a)) for a in targets}
    source = recharset.charset_source(loaded[1]) if recharset.charset_wanted(reply) else None
    if source is not None:
        index, key = source
        try:
            facts["charset_source"] = (index, app.spool.read(key))
        except FileNotFoundError:
            pass  # the decision says its copy is gone
    return facts
