"""Queue one outgoing mail, for the pipeline's effects and the scheduler's jobs alike.

Mail to staff goes one copy per member, each with its own signed Reply-To
(guard.copies); the copies' outbox ids are `<key>`, `<key>-1`, ... (copy_key), which
is how credential redaction finds every copy of a recorded mail.
"""

from __future__ import annotations

from datetime import datetime

from maild import guard
from maild.app import App
from maild.domain.records import Kind, MessageRecord, OutboxKind


def copy_key(key: str, n: int) -> str:
    """The outbox id of the n-th copy of the mail queued under `key`."""
    return key if n == 0 else f"{key}-{n}"


def queue_copies(
    app: App,
    *,
    key: str,
    tid: str,
    to: list[str],
    to_staff: bool,
    mail: tuple[str, str, str],
    now: datetime,
    kind: OutboxKind,
    thread: tuple[str | None, list[str]],
    auto: bool = True,
    attachments: list[tuple[str, str, bytes]] = (),
    checked: bool = False,
) -> list[list[str]]:
    """Render and queue `mail` (subject, body, Message-ID of the first copy); `thread`:
    (In-Reply-To, References). Returns the recipients of each copy newly queued."""
    subject, body, message_id = mail
    in_reply_to, references = thread
    queued = []
    content = app.renderer.content(body, attachments, message_id)  # the same in every copy
    for n, (group, reply_to) in enumerate(guard.copies(app, tid, to, to_staff)):
        one = copy_key(key, n)
        msg = app.renderer.message(
            subject=subject,
            body=body,
            to=group,
            tid=tid,
            message_id=message_id if n == 0 else app.message_id(one, tid),
            now=now,
            in_reply_to=in_reply_to,
            references=references,
            auto=auto,
            reply_to=reply_to,
            content=content,
        )
        if app.outbox.enqueue(one, msg, group, tid=tid, kind=kind, now=now, checked=checked):
            queued.append(group)
    return queued


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
