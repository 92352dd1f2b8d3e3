"""Queue one outgoing mail, for the pipeline's effects, the scheduler's jobs and the
site's renewed link (web/renew.py) alike.

`send` is the whole path of a mail about a ticket: who it is held from (addresses
refused for good, blocked ones: keptback.kept_back), the site link (customers
only), rendering, the caps (guard.check_caps), queueing and the thread record. A mail
goes one copy per recipient, staff and customers alike, each with its own signed
Reply-To (guard.copies); the copies' outbox ids are `<key>`, `<key>-1`, ...
(copy_key, in the order of the record's `to`), which is how credential redaction
finds every copy of a recorded mail. Each copy has its own Message-ID (copy_ids), and
threads to what its own recipient holds (threadhdr.per_copy); a mail to more than one
customer records every copy's id (`copies`), which their replies name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from maild import deskcap, guard, noticecap
from maild.app import App
from maild.domain import capped, caps
from maild.domain.decision import Outgoing, copy_key
from maild.domain.onemail import above_signature
from maild.domain.ownside import People, staff_side
from maild.domain.records import (
    Kind,
    MessageRecord,
    OutboxKind,
    Ticket,
)
from maild.domain.threadhdr import Thread, per_copy
from maild.domain.tid import NO_TICKET
from maild.keptback import kept_back
from maild.web.links import footer, masked, site_link

log = logging.getLogger("maild.outgoing")


def copy_ids(app: App, key: str, tid: str, to: list[str]) -> dict[str, str]:
    """Recipient -> the Message-ID of their copy of the mail queued under `key` (the
    first copy's is the mail's own): derived from the key, the same on a re-run."""
    return {rcpt: app.message_id(copy_key(key, n), tid) for n, rcpt in enumerate(to)}


# (In-Reply-To, References) of every copy alike, or of each copy by its recipient
Threading = Thread | Callable[[str], Thread]


class _Letters:
    """Subject and body of one mail for each of its recipients: alike but for the
    site link, which a customer's copy carries bound to that customer alone (a Cc
    participant never gets the requester's); rendered once per link, so the copies
    without one (staff) share one rendering, and so do their bodies and files."""

    def __init__(
        self, app: App, out: Outgoing, tid: str, now: datetime, ticket: Ticket | None
    ) -> None:
        self.app, self.out, self.tid, self.now = app, out, tid, now
        self.ticket = ticket  # its reply addresses' epochs (guard.copies)
        self.links: dict[str, str | None] = {}
        self.made: dict[str | None, tuple[str, str]] = {}
        self.contents: dict[str | None, bytes] = {}

    def of(self, address: str) -> tuple[str, str, str | None]:
        """(subject, body, site link or None) of the copy to `address`."""
        if address not in self.links:  # customers only
            self.links[address] = site_link(self.app, self.tid, address, self.now)
        link = self.links[address]
        if link not in self.made:
            self.made[link] = _compose(self.app, self.out, link)
        return (*self.made[link], link)

    def content(self, address: str, message_id: str) -> bytes:
        """The copy's body and files as Renderer.content makes them (its multipart
        boundary from `message_id`, the first copy's: unique within each copy)."""
        _subject, body, link = self.of(address)
        if link not in self.contents:
            self.contents[link] = self.app.renderer.content(body, self.out.attach, message_id)
        return self.contents[link]


def _queue_copies(
    app: App,
    out: Outgoing,
    to: list[str],
    to_staff: bool,
    letters: _Letters,
    message_id: str,
    thread: Threading,
    counted: tuple[str, ...] = (),
) -> None:
    """Render and queue the mail to `to`, one copy per recipient (`to_staff`: all on
    the staff side), the first under `message_id`; `thread`: (In-Reply-To,
    References), or what gives them for each recipient; `counted`: those whose copies
    the caps count (CapCheck.counted), kept on each copy's record. The caller has asked
    the outbox whether `out.key` is known (guard.check_caps)."""
    tid, now = letters.tid, letters.now
    copies = guard.copies(app, tid, to, to_staff, letters.ticket)
    for n, (header_to, rcpt, reply_to) in enumerate(copies):
        one = copy_key(out.key, n)
        subject, body, _link = letters.of(rcpt)
        in_reply_to, references = thread(rcpt) if callable(thread) else thread
        reply_to = out.reply_to or reply_to
        msg = app.renderer.message(
            subject=subject,
            body=body,
            to=header_to,
            tid=tid,
            tagged=out.subject_tid,
            message_id=message_id if n == 0 else app.message_id(one, tid),
            now=now,
            in_reply_to=in_reply_to,
            references=references,
            auto=out.auto,
            replied=out.replied,
            reply_to=reply_to,
            content=letters.content(rcpt, message_id),
        )
        app.outbox.enqueue(
            one,
            msg,
            [rcpt],
            tid=tid,
            kind=out.kind,
            now=now,
            checked=True,
            about_due=out.about_due,
            counted=rcpt in counted,
        )


def send(
    app: App,
    out: Outgoing,
    *,
    tid: str,
    thread: list[MessageRecord],
    replying_to: Threading,
    now: datetime,
    cause: str = "",
    may_be_queued: bool = True,
    ticket: Ticket | None = None,
    stopped: dict[str, tuple[str, bool]] | None = None,
) -> tuple[list[MessageRecord], list[str]]:
    """Render, cap and queue `out`, a mail about ticket `tid` (once per out.key;
    `thread`: the ticket's messages so far, [] for mail kept in the quarantine, which
    has no ticket in the store; `replying_to`: In-Reply-To and References, or what
    gives them by recipient; `cause`: the Message-ID of the mail that caused it, for
    the log; `ticket`: as it is now, whose addresses refused for good get no automatic
    mail, undeliverable.held; `stopped`: gets (the cap's words, whether the cap was the
    desk-wide one: CapCheck.desk) under out.key when a cap on automatic mail stops it).
    Returns its thread records (`suppressed` notes of the recipients it was held
    from, refused for good or blocked, and the record of the mail that tells the staff
    member whose command caused it so, capped.kept_back; then its own: none when nobody
    is left, a `suppressed` note when a cap stopped it, and the record of the one notice
    that tells staff notices are held: guard.sender_cap) and whom it queued now."""
    # support's own people (ownside.own_side): mail to them is no automatic reply to an
    # outsider, not capped as one (the head's escalations domain.pace paces)
    own = app.config.support.internal
    again: dict[str, Any] = {"tid": tid, "thread": thread, "replying_to": replying_to, "now": now}
    again.update(cause=cause, may_be_queued=may_be_queued, ticket=ticket)
    notes, free = kept_back(app, out, tid, ticket, own, (cause, now))
    # the one whose command caused a notice learns whom it does not go to, and why
    notes += _also(app, capped.kept_back(out.if_capped, notes), again)
    if not free:
        return notes, []
    check = guard.check_caps(
        app,
        key=out.key,
        kind=out.kind,
        auto=out.auto,
        unverified=out.unverified,
        to=free,
        staff=own,
        mail=(tid, out.template, cause),
        thread=thread,
        now=now,
        may_be_queued=may_be_queued,
        about_sender=out.about_sender,
        proven=out.sender_proven,
        desk=out.desk_capped,
        new_ticket=out.new_ticket,
    )
    if check.suppressed is not None:  # a cap stopped the copies it counts
        notes += _capped(app, out, check, again, stopped)
        if not check.to:  # (the copies it does not count, staff's, still go)
            return notes, []
    record = _queue(app, out, check, (tid, now, ticket), own, replying_to)
    return [*notes, record], [] if check.queued else check.to


def _capped(
    app: App,
    out: Outgoing,
    check: guard.CapCheck,
    again: dict[str, Any],
    stopped: dict[str, tuple[str, bool]] | None,
) -> list[MessageRecord]:
    """The records of `out` a cap stopped (send): its "suppressed" note, and what tells
    the staff member whose command caused it; `stopped` learns the cap's words."""
    assert check.suppressed is not None
    if stopped is not None and check.why:
        stopped[out.key] = (check.why, check.desk)
    tell = _telling(app, out, again["tid"], check)
    return [check.suppressed, *_also(app, [tell] if tell is not None else [], again)]


def queued_in(app: App, key: str, tid: str, thread: list[MessageRecord]) -> bool:
    """The mail of `key` about ticket `tid` was queued (now, or before a re-run): the
    thread holds its record (_sent), under its own Message-ID; a mail stopped leaves
    only a `suppressed` note."""
    message_id = app.message_id(key, tid)
    return any(m.get("message_id") == message_id for m in thread)


def _also(app: App, mails: list[Outgoing], again: dict[str, Any]) -> list[MessageRecord]:
    """The thread records of the mails to staff that say a mail did not go, each sent
    as `send` sends any (`again`: the arguments of the send that did not go)."""
    return [record for mail in mails for record in send(app, mail, **again)[0]]


def _telling(app: App, out: Outgoing, tid: str, check: guard.CapCheck) -> Outgoing | None:
    """The mail to staff that a cap stopped `out`, if any: the first staff notice a
    flood's cap stopped (noticecap.held_notice), or the customer notice a staff member's command
    caused (Outgoing.if_capped: they are not to believe the customer was told)."""
    held = check.held
    if held is not None and held.until is not None and check.suppressed is not None:
        return noticecap.held_notice(app, out, tid, check.suppressed.get("to") or [], held)
    if out.if_capped is not None and check.why:
        return replace(out.if_capped, context={**out.if_capped.context, "why": check.why})
    return None


def _queue(
    app: App,
    out: Outgoing,
    check: guard.CapCheck,
    about: tuple[str, datetime, Ticket | None],
    staff: People,
    replying_to: Threading,
) -> MessageRecord:
    """Render and queue `out` to whom `check` lets it go (unless it was queued before),
    counting automatic mail for the caps; its thread record. `about`: (TID, now, the
    ticket as it is to be saved, or None)."""
    tid, now, ticket = about
    to = check.to
    message_id = app.message_id(out.key, tid)
    letters = _Letters(app, out, tid, now, ticket)
    if not check.queued:
        counted = check.counted
        _queue_copies(app, out, to, staff.holds(to), letters, message_id, replying_to, counted)
        if check.automatic:
            for addr in counted:
                app.store.record_auto_reply(caps.mailbox_of(addr), now)
            if out.desk_capped:
                deskcap.count(app, now)
    return _sent(app, out, letters, check, staff)


def _sent(
    app: App, out: Outgoing, letters: _Letters, check: guard.CapCheck, staff: People
) -> MessageRecord:
    """The thread record of `out`, queued to `check.to`: the first copy's text (every
    copy's link masks alike), each copy's Message-ID when more than one customer got it."""
    to, tid = check.to, letters.tid
    _subject, body, link = letters.of(to[0])
    return sent_record(
        app,
        message_id=app.message_id(out.key, tid),
        kind=out.kind,
        now=letters.now,
        text=masked(body, link),
        to=to,
        template=out.template,
        auto_to_customer=check.automatic,
        copies=copy_ids(app, out.key, tid, to) if len(_customers(to, staff)) > 1 else None,
    )


def _customers(to: list[str], staff: People) -> set[str]:
    return {a for a in to if a not in staff}


def queue_notice(
    app: App,
    ticket: Ticket,
    messages: list[MessageRecord],
    *,
    key: str,
    template: str,
    to: list[str],
    context: dict[str, Any],
    now: datetime,
    about_due: str | None = None,
) -> None:
    """An automatic notice to staff about `ticket` (a reminder, an escalation, a
    refused address): queued once (by key) and recorded in its thread, `messages`,
    once: a thread that holds its record already (a re-run) gets nothing again;
    `about_due`: the deadline a reminder or escalation is about (Outgoing.about_due)."""
    if queued_in(app, key, ticket["tid"], messages):
        return
    to = [a for a in dict.fromkeys(to) if a]
    out = Outgoing(key, "notice", template, to, context, True, about_due=about_due, replied=False)
    last_in = next((m["message_id"] for m in reversed(messages) if m["direction"] == "in"), None)
    # staff's copies thread to the last mail in, which their notices named; any other's
    # (a customer's, the head's) to what its recipient holds (threadhdr.per_copy)
    staff = staff_side(app.config.support.staff)
    records, queued = send(
        app,
        out,
        tid=ticket["tid"],
        thread=messages,
        # staff: the last mail in; a customer (a reminder, the closing): their own mail
        replying_to=per_copy(messages, staff, "", (last_in, [last_in] if last_in else [])),
        now=now,
        ticket=ticket,
    )
    if queued:
        log.info("[TID#%s] queued %s to %s", ticket["tid"], template, ", ".join(queued))
    messages += records


def _compose(app: App, out: Outgoing, link: str | None) -> tuple[str, str]:
    """Subject and body: a relayed staff reply as the staff member wrote it (with the
    site's link under it for a customer), else the template rendered."""
    if out.body is not None:
        subject = out.subject or f"Re: {out.context['subject']}"
        return subject, above_signature(out.body, footer(link)) if link else out.body
    assert out.template is not None  # (mail without a body of its own has one)
    return app.renderer.text(out.template, {**out.context, "site_link": link})


def queue_ticketless(
    app: App,
    key: str,
    mail: tuple[str, str],
    to: list[str],
    now: datetime,
    kind: OutboxKind = "report",
    list_of: str = NO_TICKET,
) -> None:
    """Queue (once by key) a mail to staff or the head about no one ticket: a report,
    the morning queue, an alert; `mail`: (subject, body), one copy per address of `to`
    (`<key>`, `<key>-1`, ...), as every mail is: a relay's answer is about the one
    recipient of each. Each is list mail: `list_of`, the list's first ticket (the
    morning queue's; tid.NO_TICKET for the rest), and a list's Message-ID and Reply-To
    signed for its reader, so that a reply to it is one to the list
    (domain.listreply), on no ticket, never a new ticket of the writer's. Raises
    OSError when it cannot be queued."""
    subject, body = mail
    for n, rcpt in enumerate(to):
        one = copy_key(key, n)
        msg = app.renderer.message(
            subject=subject,
            body=body,
            to=to,
            tid=None,
            message_id=app.list_message_id(one, list_of),
            now=now,
            reply_to=app.list_address(list_of, rcpt),
        )
        app.outbox.enqueue(one, msg, [rcpt], kind=kind, now=now)


def sent_record(
    app: App,
    *,
    message_id: str,
    kind: Kind,
    now: datetime,
    text: str,
    to: list[str],
    template: str | None,
    auto_to_customer: bool,
    copies: dict[str, str] | None = None,
) -> MessageRecord:
    """The ticket's thread entry for a mail maild queued (pipeline and jobs alike):
    the one constructor of an outgoing record (records.MessageRecord); `copies`: of a
    mail to more than one customer, each one's Message-ID (copy_ids)."""
    record: MessageRecord = {
        "message_id": message_id,
        "direction": "out",
        "from": app.config.support.address,
        "kind": kind,
        "received_at": now.isoformat(),
        "text": text,
        "to": to,
        "attachments": [],
        "template": template,
        "auto_to_customer": auto_to_customer,
    }
    if copies:
        record["copies"] = copies
    return record
