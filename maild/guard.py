"""What keeps outsiders out, applied against the store: the quarantine gate, staff
marking spam (effects), the copies of a mail (one per recipient), and the caps on automatic mail.

The rules are pure (the quarantine gate in domain/gate.py, domain/spam.py, caps.py,
replyaddr.py; the decision's own trust rules: robots in domain/trust.py, who may join a
ticket in domain/participants.py, #spam in domain/spammark.py); this module looks
things up for them and turns their answers into store writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from maild import deskcap, keptindex, noticecap, ownreports, withdrawals
from maild.app import App
from maild.domain import gate
from maild.domain.caps import Caps, automatic, cap_reached, counted_record, mailbox_of
from maild.domain.decision import Decision, OutgoingKind
from maild.domain.gate import GateFacts, SpamCheck
from maild.domain.leak import epoch
from maild.domain.logid import logged_id
from maild.domain.mailnames import unsent_note
from maild.domain.message import ParsedMessage
from maild.domain.ownside import People
from maild.domain.records import MessageRecord, OutboxEntry, Ticket, note_record
from maild.domain.screen import Screening
from maild.domain.spam import BlockList, withheld
from maild.domain.spammark import kept
from maild.withdrawals import Held

log = logging.getLogger("maild.guard")


# -- the quarantine gate ------------------------------------------------------------


def quarantine_reason(
    app: App, msg: ParsedMessage, scr: Screening, staff_ok: bool, resumed: str | None = None
) -> str | None:
    """Why this message goes to the quarantine instead of the desk, or None: the rule
    is domain/gate.quarantine_reason; here its look-ups, each made only where the rule
    reaches it. ``staff_ok``: verify.staff_verified for this message; ``resumed``: the
    ticket the Message-ID is indexed to."""
    facts = GateFacts(
        staff_ok,
        resumed,
        spammed=lambda: spammed_ticket(app, resumed),
        released=lambda: app.quarantine.released(msg.message_id),
        blocked=lambda: app.quarantine.blocked(msg.from_addr),
        about_ours=lambda: ownreports.about_ours(app, msg, scr),
    )
    spam = app.config.spam
    check = SpamCheck(spam.enabled, spam.headers, app.config.support.authserv_id)
    return gate.quarantine_reason(facts, msg, scr, check)


def spare_copy(app: App, decision: Decision, spool_key: str) -> bool:
    """Whether the spool copy ``decision`` was made of is no record's: a mail delivered
    twice (its ticket keeps the first copy), or again while a quarantine entry holds it
    (to a ticket marked #spam, from a blocked sender), and the staff reply that says
    #spam (the ticket goes; no entry keeps staff's mail). Not the copy its ticket names:
    a re-run of a batch whose commit a kill cut short, and serve finished, finds its
    mail stored already, by this very copy."""
    if decision.outcome == "spam":
        return True
    if decision.outcome == "duplicate":
        return all(m.get("spool_key") != spool_key for m in decision.messages)
    entry = app.quarantine.get(decision.tid) if decision.outcome == "quarantined" else None
    return entry is not None and entry.get("spool_key") not in (None, spool_key)


def spammed_ticket(app: App, tid: str | None) -> bool:
    """``tid`` is a ticket staff marked #spam and still in the quarantine: mail indexed
    to it (delivered again) goes back there and never brings the ticket back."""
    if not tid:
        return False
    return not app.store.ticket_exists(tid) and app.quarantine.spammed(tid)


def quarantine(
    app: App,
    msg: ParsedMessage,
    raw: bytes,
    reason: str,
    received_at: datetime,
    tid: str = "",
    spool_key: str | None = None,
    since: str | None = None,
) -> str:
    """Keep ``raw`` in the quarantine; ``since``: when it went there, if long after it
    arrived (#spam on an old ticket): spam.keep_days count from then."""
    extra = {"quarantined_at": since} if since else {}
    qid = app.quarantine.add(
        raw,
        {
            **extra,
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
    log.info(
        "%s from %s quarantined as %s: %s", logged_id(msg.message_id), msg.from_addr, qid, reason
    )
    return qid


def quarantine_ticket(
    app: App, ticket: Ticket, messages: list[MessageRecord], mark: dict[str, str]
) -> int:
    """#spam: the ticket's incoming mail moves to the quarantine, the ticket goes
    (``mark``: who marked it, when, what was blocked: Quarantine.mark_spammed)."""
    n, staffs = 0, []
    for m in messages:
        key = m.get("spool_key")
        if not kept(m):  # staff's mail: no entry's, no ticket's (its copy outlived
            if key:  # both as mail in no ticket, and fsck --repair re-queued it)
                app.spool.discard(key)
            staffs.append(m["message_id"])
            continue
        raw = app.spool.read(key) if key and app.spool.path(key) is not None else None
        if raw is None:
            key = None
            raw = f"From: <{m['from']}>\r\nSubject: {m.get('subject') or ''}\r\n\r\n".encode()
            raw += (m.get("text") or "").encode()
        when = datetime.fromisoformat(m["received_at"])
        msg = app.parse(raw)
        reason = f"spam: #spam [TID#{ticket['tid']}]"
        # its spool copy goes with the entry (deleted or expired), as other spam's does
        # spam.keep_days count from the #spam: a ticket older than that was deleted
        # for good by the next minute's expiry, though staff may still release it
        quarantine(app, msg, raw, reason, when, ticket["tid"], spool_key=key, since=mark.get("at"))
        n += 1
    app.store.remove(ticket["tid"])
    app.quarantine.mark_spammed(ticket["tid"], mark, staffs)
    return n


def withdraw_outgoing(app: App, tid: str) -> int:
    """#spam: the ticket's queued mail to anyone but staff and the head (the
    confirmation to the spammer, an answer not sent yet) is never sent: it moves to
    outbox sent/ marked "withdrawn": "spam", as `maild forget` erases queued mail
    (OutQueue.withdraw; in the caller's locked section, so no later pass sends it)."""
    return _withdraw(app, "spam", lambda meta, to: meta.get("tid") == tid)


def withdraw_blocked(app: App, entry: str) -> int:
    """`maild block add`: queued automatic mail (a confirmation, an acknowledgement, a
    reminder) whose every recipient the new entry blocks is never sent, marked
    "withdrawn": "blocked". A staff member's answer still goes: a person wrote it."""
    blocks = BlockList([entry])  # the rule queueing follows: domain.spam.withheld
    return _withdraw(
        app, "blocked", lambda meta, to: set(withheld(blocks, to, meta.get("kind") or "")) == to
    )


def withdraw_removed(
    app: App, ticket: Ticket, addresses: tuple[str, ...], messages: list[MessageRecord]
) -> int:
    """#uncc: the ticket's mail still queued to the people staff took off it (an answer
    or a notice the relay has not taken yet; of a ticket merged into this one too) is
    never sent, marked "withdrawn": "uncc": they no longer get the ticket's mail, and
    mail already written to them is its mail. Everyone else's copies still go (one copy
    per recipient, guard.copies). `messages`: the ticket's thread, which the caller
    saves afterwards: the withdrawn mail is marked there."""
    tids = {ticket["tid"], *(ticket.get("merged_from") or ())}
    gone = set(addresses)
    held = {ticket["tid"]: messages}
    return _withdraw(app, "uncc", lambda meta, to: meta.get("tid") in tids and to <= gone, held)


def _withdraw(
    app: App, why: str, which: Callable[[OutboxEntry, set[str]], bool], held: Held | None = None
) -> int:
    """Withdraw the queued mails `which` picks among those to someone besides staff
    and the head, each marked withdrawn on its ticket's thread (withdrawals.note;
    `held`: threads the caller saves itself); how many."""
    ours, done = app.config.support.internal, []  # support's own people (ownside)
    for meta in app.outbox.queued_records():
        to = {a.lower() for a in meta["to"]}
        if ours.holds(to) or not which(meta, to):
            continue
        if app.outbox.withdraw(meta["id"], {"withdrawn": why}):
            done.append((meta, withdrawals.withdrawal(app, meta, why)))
    withdrawals.note(app, done, held)
    return len(done)


def block_for_spam(app: App, entry: str) -> str:
    app.quarantine.block(entry)
    return entry


def copies(
    app: App, tid: str, to: list[str], staff_only: bool, ticket: Ticket | None = None
) -> list[tuple[list[str], str, str]]:
    """(To header, recipient, Reply-To) of each copy of one mail about ``tid``: each its
    own, its Reply-To signed for that recipient alone (in the epoch of ``ticket``: leak),
    so a reply to it proves them only (verify.staff_verified, verify.requester_verified):
    a Cc participant's copy cannot speak for the requester. Staff see only their own
    address; a customer's copy names all its customers (reply-all)."""
    return [([a] if staff_only else to, a, app.reply_address(tid, a, epoch(ticket, a))) for a in to]


# -- caps on automatic mail ---------------------------------------------------------


def capped(
    app: App, to: list[str], messages: list[MessageRecord], now: datetime
) -> tuple[list[str], str | None]:
    """(recipients that may get one more automatic mail, why the others may not)."""
    s = app.config.support
    limits = Caps(
        s.max_auto_replies_per_hour,
        s.max_auto_replies_per_day,
        s.max_auto_replies_per_ticket_per_hour,
    )
    to_ticket = [datetime.fromisoformat(m["received_at"]) for m in messages if counted_record(m)]
    allowed, why = [], None
    for addr in to:
        reason = cap_reached(limits, app.store.auto_replies(mailbox_of(addr)), to_ticket, now)
        if reason is None:
            allowed.append(addr)
        else:
            why = reason
    return allowed, why


@dataclass(frozen=True)
class CapCheck:
    """Of one mail about to be queued: who gets it, the "suppressed: cap" note when no
    one of those the caps count may (the copies they do not count still go), in the
    outbox already, automatic mail (caps.automatic) to someone of `to`;
    `counted`: the recipients whose copies are that, which the caps count;
    `held`: a staff notice a bucket stopped (noticecap.Held; its `until` set for the
    first of a flood: staff are to be told so); `why`: the cap on automatic mail to
    customers that stopped it (caps.cap_reached), in Russian; `desk`: that cap was
    the desk-wide one on confirmations (deskcap.py)."""

    to: list[str]
    suppressed: MessageRecord | None
    queued: bool
    automatic: bool
    held: noticecap.Held | None = None
    why: str | None = None
    desk: bool = False
    counted: tuple[str, ...] = ()


def check_caps(
    app: App,
    *,
    key: str,
    to: list[str],
    staff: People,
    mail: tuple[str, str | None, str],
    thread: list[MessageRecord],
    now: datetime,
    kind: OutgoingKind = "notice",
    auto: bool = True,
    unverified: bool = False,
    may_be_queued: bool = True,
    about_sender: str | None = None,
    proven: bool = False,
    desk: bool = False,
    new_ticket: bool = False,
) -> CapCheck:
    """The one rule capping a mail about to be queued as outbox id `key`, pipeline and
    jobs alike (`mail`: TID, template, Message-ID of its cause or ""; `staff`: the
    ticket's staff side). A mail in the outbox already (a re-run after a crash, a
    redelivery) is neither capped again nor queued twice (`may_be_queued` False: it
    cannot be there, the outbox is not asked). Only the copies that are automatic mail
    (caps.automatic: `auto`, `kind`; to someone off the staff side, or answering mail
    nobody verified, `unverified`; the jobs' mail: an automatic notice) are capped and
    counted (domain.caps); and a staff notice about an outsider's mail
    (`about_sender`, Outgoing.about_sender; `proven`, Outgoing.sender_proven) per
    sender, and `new_ticket` (Outgoing.new_ticket) per domain and desk-wide
    (sender_cap); `desk`: desk-wide too (Outgoing.desk_capped, deskcap.py)."""
    tid, template, msgid = mail
    counted = [a for a in to if automatic(kind, auto=auto, unverified=unverified, ours=a in staff)]
    queued = may_be_queued and app.outbox.known(key)
    if not queued and about_sender is not None:
        return sender_cap(app, to, (about_sender, proven, new_ticket), mail, now)
    if queued or not counted:
        return CapCheck(to, None, queued, bool(counted), counted=tuple(counted))
    allowed, why = capped(app, counted, thread, now)
    wave = bool(allowed and desk and (why := deskcap.reached(app, now)))
    if allowed and not wave:  # and the copies the caps do not count
        to = [a for a in to if a in allowed or a not in counted]
        return CapCheck(to, None, False, True, counted=tuple(allowed))
    # the copies the caps count are stopped; the others (staff's, the head's) still go
    log.warning("%s [TID#%s] no %s to %s: %s", msgid or "-", tid, template, ", ".join(counted), why)
    note = suppressed_record(app, template, (counted, staff), why or "", now)
    # the copies that go (staff's) are no automatic mail: recorded and counted as none
    rest = [a for a in to if a not in counted]
    return CapCheck(rest, note, False, not rest, why=why, desk=wave)


def sender_cap(
    app: App,
    to: list[str],
    sender: tuple[str, bool, bool],
    mail: tuple[str, str | None, str],
    now: datetime,
) -> CapCheck:
    """The caps on staff notices about an outsider's mail (noticecap.check; `sender`:
    its address, whether the mail proves it, whether the notice is a new ticket's): a
    notice that goes is counted now (its caller queues it in the same locked section);
    one that does not leaves the ticket a "suppressed: cap" note, and the first of a
    flood sets `held.until`."""
    address, proven, new_ticket = sender
    tid, template, msgid = mail
    held = noticecap.check(app, (address, proven), new_ticket, (tid, msgid), now)
    if held is None:
        return CapCheck(to, None, False, False)
    log.warning("%s [TID#%s] no %s to %s: %s", msgid or "-", tid, template, ", ".join(to), held.why)
    note = suppressed_record(app, template, (to, People(to)), held.why, now)  # to staff alone
    return CapCheck([], note, False, False, held)


def suppressed_record(
    app: App, template: str | None, whom: tuple[list[str], People], why: str, now: datetime
) -> MessageRecord:
    """The note that an automatic mail was not sent: a cap was reached (`whom`: its
    recipients, and the staff side, whom the note calls staff, not customers)."""
    to, staff = whom
    text = f"{unsent_note(template, to, staff, why, app.renderer.subject_words(template))}."
    note = note_record(sender=app.config.support.address, direction="out", text=text, at=now)
    return {**note, "to": to, "template": template, "suppressed": "cap"}


def drop(app: App, qid: str) -> bool:
    """Delete a quarantine entry and the spool copy it arrived as (the spool is the
    record of what arrived: `maild fsck` would otherwise take it for lost mail)."""
    entry = app.quarantine.get(qid)
    if entry is None:
        return False
    app.quarantine.delete(qid)
    if entry.get("spool_key"):
        app.spool.discard(entry["spool_key"])
    keptindex.forget_dropped(app, entry)  # (kept with a #spam ticket that is back)
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


def mark_spam(app: App, msg: ParsedMessage, decision: Decision) -> None:
    """Apply #spam: quarantine the ticket's mail, block its sender (or domain)."""
    ticket = decision.ticket
    assert ticket is not None  # a "spam" decision carries the ticket it marks
    app.store.index_msgid(msg.message_id, decision.tid)
    entry = block_for_spam(app, ticket["spam"]["entry"])  # spammark.blocked_entry
    incoming = decision.incoming  # the staff reply that says #spam
    at = incoming["received_at"] if incoming is not None else app.now().isoformat()
    mark = {"by": ticket["spam"]["by"], "at": at, "blocked": entry}
    n = quarantine_ticket(app, ticket, decision.messages, mark)
    withdrawn = withdraw_outgoing(app, decision.tid)
    withdrawn += withdraw_blocked(app, entry)  # the sender's other tickets, as block add
    log.info(
        "%s [TID#%s] marked spam by %s: %d message(s) quarantined, %d queued mail(s) "
        "withdrawn, %s blocked",
        logged_id(msg.message_id),
        decision.tid,
        ticket["spam"]["by"],
        n,
        withdrawn,
        entry,
    )


def quarantined_since(app: App, since: datetime) -> int:
    """How many messages the quarantine took since ``since`` (for the daily report)."""
    return sum(
        1
        for e in app.quarantine.entries()
        if e.get("received_at") and datetime.fromisoformat(e["received_at"]) >= since
    )
