"""Credential redaction reaches every copy of a message: the ticket's records (the
customer's message and the notices that quoted it to staff), the raw mail in the
spool (jobs.redact_spool_copy) and the mails in the outbox, queued or sent, that
carried the text. Temp files of interrupted writes, the one other place a copy
could stay, are removed at start (adapters/leftovers.py)."""

from __future__ import annotations

import email
import email.policy
from typing import Any

from maild.app import App
from maild.domain.redact import redact_credentials
from maild.outgoing import copy_key


def redact_mail(raw: bytes) -> bytes | None:
    """The mail with access data blanked in its text parts; None if it has none."""
    msg = email.message_from_bytes(raw, policy=email.policy.SMTP)
    changed = 0
    for part in msg.walk():
        if part.get_content_type() != "text/plain" or part.is_attachment():
            continue
        try:
            text = part.get_content()
        except (LookupError, ValueError):
            continue
        redacted, count = redact_credentials(text)
        if count:
            part.set_content(redacted, charset="utf-8")
            changed += count
    return msg.as_bytes(policy=email.policy.SMTP) if changed else None


def outbox_id(message_id: str) -> str:
    """The outbox id of a mail maild sent about a ticket (app.message_id: key.tid.sig@)."""
    return message_id.strip().strip("<>").split(".", 1)[0]


def redact_outgoing(app: App, record: dict[str, Any]) -> int:
    """Redact an outgoing record of a ticket (not what staff wrote themselves) and
    its mail in the outbox; how many values were blanked in the record."""
    if record.get("direction") != "out" or record.get("kind") == "staff":
        return 0
    text, count = redact_credentials(record.get("text") or "")
    if count:
        record["text"] = text
    if record.get("message_id"):
        for mail_id in copy_ids(outbox_id(record["message_id"]), record.get("to") or []):
            app.outbox.rewrite_mail(mail_id, redact_mail)
    return count


def copy_ids(mail_id: str, to: list[str]) -> list[str]:
    """The outbox ids of every copy of one recorded mail: a mail to staff goes one
    copy per member (guard.copies), the first under the record's id, the n-th under
    ``<id>-<n>`` (outgoing.copy_key); ids with no mail are skipped."""
    return [copy_key(mail_id, n) for n in range(max(1, len(to)))]
