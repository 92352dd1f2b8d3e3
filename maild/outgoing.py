"""Queue one outgoing mail, for the pipeline's effects and the scheduler's jobs alike.

`send` is the whole path of a mail about a ticket: the site link (customers only),
rendering, the caps (guard.check_caps), queueing and the thread record. A mail
goes one copy per recipient, staff and customers alike, each with its own signed
Reply-To (guard.copies); the copies' outbox ids are `<key>`, `<key>-1`, ...
(copy_key, in the order of the record's `to`), which is how credential redaction
finds every copy of a recorded mail.
"""

from __future__ import annotations

from datetime import datetime

from maild import guard
from maild.app import App
from maild.domain.decision import Outgoing
from maild.domain.records import Kind, MessageRecord, OutboxKind, Ticket
from maild.domain.ticket import staff_side
from maild.web.links import footer, masked, site_link


def copy_key(key: str, n: int) -> str:
    """The outbox id of the n-th copy of the mail queued under `key`."""
    return key if n == 0 else f"{key}-{n}"


def _queue_copies(
    app: App,
    out: Outgoing,
    tid: str,
    to: list[str],
    to_staff: bool,
    mail: tuple[str, str, str],
    now: datetime,
    thread: tuple[str | None, list[str]],
) -> None:
    """Render and queue `mail` (subject, body, Message-ID of the first copy) to `to`,
    one copy per recipient (`to_staff`: all on the staff side); `thread`:
    (In-Reply-To, References).
    The caller has asked the outbox whether `out.key` is known (guard.check_caps)."""
    subject, body, message_id = mail
    in_reply_to, references = thread
    content = app.renderer.content(body, out.attach, message_id)  # the same in every copy
    for n, (header_to, rcpt, reply_to) in enumerate(guard.copies(app, tid, to, to_staff)):
        one = copy_key(out.key, n)
        msg = app.renderer.message(
            subject=subject,
            body=body,
            to=header_to,
            tid=tid,
            message_id=message_id if n == 0 else app.message_id(one, tid),
            now=now,
            in_reply_to=in_reply_to,
            references=references,
            auto=out.auto,
            reply_to=reply_to,
            content=content,
        )
        app.outbox.enqueue(one, msg, [rcpt], tid=tid, kind=out.kind, now=now, checked=True)


def send(
    app: App,
    out: Outgoing,
    *,
    ticket: Ticket,
    thread: list[MessageRecord],
    replying_to: tuple[str | None, list[str]],
    now: datetime,
    cause: str = "",
    may_be_queued: bool = True,
) -> tuple[MessageRecord | None, list[str]]:
    """Render, cap and queue `out`, a mail about `ticket` (once per out.key; `thread`:
    the ticket's messages so far; `replying_to`: In-Reply-To and References; `cause`:
    the Message-ID of the mail that caused it, for the log). Returns its thread record
    (None when it has nobody to go to; a `suppressed` note when a cap stopped it) and
    the recipients it was queued to now ([] if it was queued before)."""
    tid = ticket["tid"]
    if not out.to:
        return None, []
    message_id = app.message_id(out.key, tid)
    link = site_link(app, tid, out.to, now, ticket.get("requester"))  # customers only
    subject, body = _compose(app, out, link)
    staff = staff_side(ticket, app.config.support.staff)  # staff and the assignee
    check = guard.check_caps(
        app,
        key=out.key,
        kind=out.kind,
        auto=out.auto,
        to=out.to,
        staff=staff,
        mail=(tid, out.template, cause),
        thread=thread,
        now=now,
        may_be_queued=may_be_queued,
    )
    if check.suppressed is not None:
        return check.suppressed, []
    to = check.to
    if not check.queued:
        mail = (subject, body, message_id)
        _queue_copies(app, out, tid, to, set(to) <= staff, mail, now, replying_to)
        if check.automatic:
            for addr in to:
                app.store.record_auto_reply(addr, now)
    record = sent_record(
        app,
        message_id=message_id,
        kind=out.kind,
        now=now,
        text=masked(body, link),
        to=to,
        template=out.template,
        auto_to_customer=check.automatic,
    )
    return record, [] if check.queued else to


def _compose(app: App, out: Outgoing, link: str | None) -> tuple[str, str]:
    """Subject and body: a relayed staff reply as the staff member wrote it (with the
    site's link under it for a customer), else the template rendered."""
    if out.body is not None:
        subject = out.subject or f"Re: {out.context['subject']}"
        return subject, out.body + (footer(link) if link else "")
    return app.renderer.text(out.template, {**out.context, "site_link": link})


def queue_ticketless(
    app: App,
    key: str,
    mail: tuple[str, str],
    to: list[str],
    now: datetime,
    kind: OutboxKind = "report",
) -> None:
    """Queue (once by key) a mail about no one ticket: a report, a digest, an alert;
    `mail`: (subject, body). Raises OSError when it cannot be queued."""
    subject, body = mail
    msg = app.renderer.message(
        subject=subject,
        body=body,
        to=to,
        tid=None,
        message_id=f"<{key}@{app.config.support.domain}>",
        now=now,
    )
    app.outbox.enqueue(key, msg, to, kind=kind, now=now)


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
) -> MessageRecord:
    """The ticket's thread entry for a mail maild queued (pipeline and jobs alike):
    the one constructor of an outgoing record (records.MessageRecord)."""
    return {
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
