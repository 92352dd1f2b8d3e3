"""The Message-ID a log line names: the one the mail itself carries, or `<none>`.

Not the synthetic id maild files mail without one under (message.synthetic_msgid):
the admin greps the MTA's log and the mail for what the sender wrote, and a
made-up id matches neither.
"""

from __future__ import annotations

from email.parser import BytesHeaderParser


def message_id_for_log(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        value = BytesHeaderParser().parsebytes(head).get("Message-ID")
    except Exception:  # a header block too broken to parse still gets its log line
        value = None
    value = " ".join(str(value).split()) if value else ""
    return value or "<none>"


SYNTHETIC_DOMAIN = "@maild.invalid>"  # message.synthetic_msgid


def logged_id(message_id: str) -> str:
    """A parsed message's id as a log line names it: `<none>` for the id maild made up."""
    return "<none>" if message_id.endswith(SYNTHETIC_DOMAIN) else message_id
