"""An outbox record, the first line of a queued mail's file: made when the mail is queued
(`outbox_entry`), and read back only when whole (`outbox_record`), so a first line that
is no record is a broken file, named, not an error in each of its readers."""

from datetime import datetime
from typing import cast

from maild.domain.records import OutboxEntry, OutboxKind, aware_time


def outbox_entry(
    mail_id: str,
    *,
    tid: str | None,
    kind: OutboxKind,
    headers: tuple[str, str, str, str],
    to: list[str],
    queued_at: datetime,
    about_due: str | None = None,
    role: str | None = None,
    about_dues: dict[str, list[str]] | None = None,
    counted: bool | None = None,
) -> OutboxEntry:
    """A mail just queued; `headers`: (From as rendered, its bare address, Subject,
    Message-ID); `about_due`: of a reminder or an escalation, its deadline (a list's:
    `about_dues`); `role`: whom it goes to as, staff or the head (domain.leftstaff)."""
    from_, sender, subject, message_id = headers
    entry: OutboxEntry = {
        "id": mail_id,
        "tid": tid,
        "kind": kind,
        "from": from_,
        "sender": sender,
        "to": to,
        "subject": subject,
        "message_id": message_id,
        "queued_at": queued_at.isoformat(),
        "attempts": 0,
        "last_error": None,
        "next_try": None,
    }
    if about_due is not None:
        entry["about_due"] = about_due
    if about_dues is not None:
        entry["about_dues"] = about_dues
    if role is not None:
        entry["role"] = role
    if counted is not None:
        entry["counted"] = counted
    return entry


def outbox_record(value: object) -> OutboxEntry | None:
    """`value` (an outbox file's first line, parsed) if it is a whole record, else
    None. Whole: every key OutboxEntry requires, and the fields maild reads without
    asking of the type they are read as: an id, the envelope's sender and recipients
    (at least one: one copy per recipient), a try count, and times ISO 8601 with an
    offset (compared with an aware `now`; a time without one is in no known zone).
    The sender, `outbox list`, `maild status` and fsck read only what passes here,
    so JSON that is no record (`{"id": "x"}`) is a broken file, named, not a
    KeyError in each of them that stops all mail."""
    if not isinstance(value, dict) or not OutboxEntry.__required_keys__ <= value.keys():
        return None
    to, attempts = value["to"], value["attempts"]
    whole = (
        isinstance(value["id"], str)
        and value["id"] != ""
        and isinstance(value["sender"], str)
        and isinstance(to, list)
        and to != []
        and all(isinstance(a, str) for a in to)
        and type(attempts) is int  # (bool is an int to Python, not to JSON)
        and attempts >= 0
        and isinstance(value["tid"], str | None)
        and isinstance(value["last_error"], str | None)
        and aware_time(value["queued_at"]) is not None
        and (value["next_try"] is None or aware_time(value["next_try"]) is not None)
        and ("last_try" not in value or aware_time(value["last_try"]) is not None)
    )
    return cast(OutboxEntry, value) if whole else None
