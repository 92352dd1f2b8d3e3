"""The records maild keeps, as values: a message of a ticket's thread.

Each record has one constructor here; the JSON shapes on disk are INTERFACE.md's.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from maild.domain import attachments as att
from maild.domain.message import ParsedMessage

Attachments = list[tuple[att.AttachmentDecision, bytes]]  # each decision with its bytes


def message_record(
    msg: ParsedMessage,
    *,
    direction: str,
    kind: str,
    received_at: datetime,
    attachments: Attachments,
    spool_key: str | None,
) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "direction": direction,
        "from": msg.from_addr,
        "kind": kind,
        "received_at": received_at.isoformat(),
        "text": msg.text,
        "subject": msg.subject,
        "to": list(msg.to),
        "cc": list(msg.cc),
        "attachments": [
            {
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "accepted": d.accepted,
                "reason": d.reason,
                "sha256": hashlib.sha256(data).hexdigest() if d.accepted else None,
            }
            for d, data in attachments
        ],
        "spool_key": spool_key,
        "automated": None,
        "parse_problem": msg.parse_problem,
        **({"recipients_cut": msg.recipients_cut} if msg.recipients_cut else {}),
    }


__all__ = ["Attachments", "message_record"]
