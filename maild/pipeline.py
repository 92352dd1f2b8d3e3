"""One message through maild: parse → screen → (store lock) gather → decide → apply.

`process` is the whole pipeline: the message is parsed and screened; under the store
lock a duplicate (the same mail again: reusedid.py, domain/gate.duplicate) is stored
once and spam goes to the quarantine (guard.py, domain/gate.quarantine_reason), else
snapshot.gather looks up what the decision needs, domain.decide.decide decides without
I/O, and effects.apply carries the Decision out.
"""

from __future__ import annotations

import logging
from datetime import datetime

from maild import erased, guard, reusedid
from maild.adapters.transaction import Transaction
from maild.app import App
from maild.domain import gate, verify
from maild.domain.decide import decide
from maild.domain.decision import Decision, Outgoing
from maild.domain.listreply import HELD as LIST_REPLY
from maild.domain.logid import logged_id
from maild.domain.message import ParsedMessage, fallback_message, proven_report, without_marks
from maild.domain.said import Said
from maild.domain.screen import Screening, screen
from maild.domain.snapshot import Snapshot
from maild.domain.spelling import from_as_listed
from maild.effects import apply
from maild.snapshot import gather
from maild.web.links import without_tokens

__all__ = ["Decision", "Outgoing", "process"]

log = logging.getLogger("maild.pipeline")


def process(
    app: App,
    raw: bytes,
    *,
    spool_key: str | None,
    received_at: datetime,
    msg: ParsedMessage | None = None,
) -> Decision | None:
    """Take one raw message all the way to the store and the outbox; None when
    `maild forget` erased it while it waited (maild.erased)."""
    msg, scr = _read(app, msg or app.parse(raw))
    with app.store.locked() as tx:
        if spool_key is not None:  # spooled before an erasure: as forget left it
            left = erased.as_left(app, spool_key, raw, msg.from_addr)
            if left is None:
                return None
            if left != raw:
                raw, (msg, scr) = left, _read(app, _parsed(app, left))
        # another mail's Message-ID: an id of its own; the ticket the index names for it
        msg, resumed = reusedid.distinct(app, msg, raw)
        if resumed:  # the same mail again? (domain/gate.duplicate)
            loaded = app.store.load(resumed)  # gone: marked #spam? (what its mark names)
            marked = None if loaded else app.quarantine.marked_ids(resumed)
            dup = gate.duplicate(msg.message_id, resumed, loaded, marked or ())
            if dup is not None:
                log.info(
                    "%s duplicate of a message in [TID#%s]: stored once",
                    logged_id(msg.message_id),
                    resumed,
                )
                return dup
        staff_ok = verify.staff_verified(msg, app.policy)  # (read by gate and decision)
        held = guard.quarantine_reason(app, msg, scr, staff_ok, resumed)
        if held:  # spam or a blocked sender: kept for staff, nothing is sent
            qid = guard.quarantine(app, msg, raw, held, received_at, spool_key=spool_key)
            return Decision("quarantined", qid, None, [])
        snap = gather(
            app,
            msg,
            scr,
            staff_verified=staff_ok,
            resumed_tid=resumed,
            spool_key=spool_key,
            received_at=received_at,
        )
        decision = decide(snap, msg, scr, received_at, app.policy)
        _say(tx, decision.said)
        ticket = decision.ticket
        if ticket is None:  # "held": its ticket is in the quarantine (#spam), or none
            return _hold(app, tx, msg, raw, decision, (scr, snap), received_at, spool_key)
        queued = apply(app, msg, decision, scr, indexed=resumed)
        _log_stored(tx, msg, decision, scr, queued)
    return decision


def _read(app: App, msg: ParsedMessage) -> tuple[ParsedMessage, Screening]:
    """The message as the pipeline reads it, and its screening (no store needed)."""
    # staff and the head as the config lists them, whichever IDN spelling they wrote
    msg = from_as_listed(msg, app.policy.internal)
    support = app.config.support  # the mail system's banner and [EXTERNAL]: not the sender's
    msg = without_marks(msg, support.inbound_banners, support.inbound_subject_tags)
    msg = without_tokens(app, msg)  # quoted site links: not kept
    msg = proven_report(msg, app.tid_we_sent)  # Exchange's bounce, a template receipt
    return msg, screen(msg, app.config.support.address)


def _parsed(app: App, raw: bytes) -> ParsedMessage:
    """A spool copy forget scrubbed, parsed again (as raw text if it cannot be)."""
    try:
        return app.parse(raw)
    except Exception:
        return fallback_message(raw, "processing error, stored as raw text")


def _log_stored(
    tx: Transaction, msg: ParsedMessage, decision: Decision, scr: Screening, queued: list[str]
) -> None:
    """One line a message, naming its Message-ID as sent (or <none>) and TID."""
    ran = decision.incoming.get("commands") if decision.incoming else None
    when_stored(
        tx,
        "%s %s ticket [TID#%s] from %s (%s)%s%s%s%s",
        logged_id(msg.message_id),
        "opened" if decision.outcome == "new" else "added to",
        decision.tid,
        msg.from_addr or "(no sender)",
        decision.ticket["level"] if decision.ticket else "",
        f"; automated: {scr.reason}" if scr.automated else "",
        f"; asks for no automatic answer: {scr.reason}" if scr.quiet else "",
        f"; ran {' '.join(ran)}" if ran else "",  # staff commands: #close, #level vip
        f"; queued {', '.join(queued)}" if queued else "",
    )


def _say(tx: Transaction, said: tuple[Said, ...]) -> None:
    """Log what the decision says (domain/said.py), in its order, as its own lines were
    logged before the domain said them instead: once the section's commit is durable
    (when_stored), before the line of what was stored. A decision not carried out (its
    section rolled back) says nothing; one never made (the mail erased meanwhile, a
    duplicate) has nothing to say."""
    if said:
        tx.on_commit(object(), lambda: _logged(said), lambda: None)


def _logged(said: tuple[Said, ...]) -> None:
    for line in said:
        logging.getLogger(line.logger).log(line.level, line.text)


def when_stored(tx: Transaction, line: str, *args: object) -> None:
    """Log the line once the section's commit is durable (`tx`: the section's, asked
    while it is open): a section rolled back (a full disk) stored nothing, and its
    mail is processed again under new TIDs."""
    tx.on_commit(object(), lambda: log.info(line, *args), lambda: None)


def _hold(
    app: App,
    tx: Transaction,
    msg: ParsedMessage,
    raw: bytes,
    decision: Decision,
    facts: tuple[Screening, Snapshot],
    received_at: datetime,
    spool_key: str | None,
) -> Decision:
    """Mail of a ticket staff marked #spam goes to the quarantine with the ticket's
    (its Message-ID indexed there: delivered again, it goes back to the quarantine;
    released after the ticket, it is processed in the ticket); staff mail naming a
    ticket that is not there is kept there too (Snapshot.missing). The mail the
    decision has for staff is queued (effects.apply)."""
    scr, snap = facts
    tid = decision.tid
    why = "spam: #spam" if snap.spammed is not None else "staff: no ticket"
    why = LIST_REPLY if snap.list_to else why
    reason = f"{why} [TID#{tid}]"
    # a list reply is mail of no ticket: kept with the list's first, a #spam of that
    # ticket would count it among the ticket's mail, to be released with it
    kept_with = "" if snap.list_to else tid
    qid = guard.quarantine(app, msg, raw, reason, received_at, kept_with, spool_key)
    if snap.spammed is not None:
        app.store.index_msgid(msg.message_id, tid)
    queued = apply(app, msg, decision, scr)
    when_stored(
        tx,
        "%s kept in the quarantine as %s: %s%s",
        logged_id(msg.message_id),
        qid,
        reason,
        f"; queued {', '.join(queued)}" if queued else "",
    )
    return Decision("quarantined", qid, None, [])
