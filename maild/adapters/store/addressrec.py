"""A per-address record (index/address/<ab>/<hash>, indexes.py) as maild writes it,
and what is read of one that is not so.

The record is bookkeeping: the sender's first ticket (the free-support term counts
from it) and when automatic mail went to the address lately (the caps; of a staff
member or the head, the pace of their reminders: domain/caps.py, domain/pace.py).
Every piece of mail, and every reminder run, reads one. So a field that is not as
maild writes it (a time that is no time, a list that is none: a disk's or an
editor's damage) is read as absent, the rest of the record as it is: a cap then
counts from nothing, which lets a few more automatic mails go, where the field read
as it is stopped that sender's mail, or every reminder to that person. The next
write rewrites the record without it; `maild fsck` names it meanwhile, and
`--repair` rewrites it (the first ticket's date taken from the tickets).

Pure: the caller reads and writes the file.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from maild.domain.tid import TID_RE

__all__ = ["NEW_TICKETS", "idle", "read_record"]

# Fields of one time (ISO 8601 with offset), and lists of such times; the pace's
# fields are per kind ("<kind>_listed", "<kind>_singles": reminder, escalation, refused)
# (proven_*: the bucket of staff notices about mail proving its From, indexes.NOTICE_FIELDS;
# a record written before it was added has none, which reads as no notices; desk_*:
# support's own record's count of new tickets' notices of all unproven senders)
TIMES = ("auto_replies", "staff_notices", "proven_notices", "desk_confirmations", "desk_notices")
TIME = ("notices_held", "proven_held", "desk_notices_held")
_TIMES_END, _TIME_END = "_singles", "_listed"
# the address's latest new tickets, [[TID, when opened], ...] oldest first
# (indexes.record_sender; indexes.KEPT of them)
NEW_TICKETS = "new_tickets"


def _time(value: Any) -> bool:
    """A time as maild writes it: ISO 8601 with its offset (one without cannot be
    compared with the clock's)."""
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


def _date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _opened(entry: Any) -> bool:
    """One of NEW_TICKETS' entries as maild writes it: [TID, time]."""
    if not isinstance(entry, list) or len(entry) != 2:
        return False
    return isinstance(entry[0], str) and TID_RE.fullmatch(entry[0]) is not None and _time(entry[1])


def _field_ok(key: str, value: Any) -> bool:
    """Whether field `key` holds what maild writes there (a field it does not know,
    a later version's, is left as it is)."""
    if key == "first_seen":
        return _date(value)
    if key == NEW_TICKETS:
        return isinstance(value, list) and all(_opened(e) for e in value)
    if key in TIMES or key.endswith(_TIMES_END):
        return isinstance(value, list) and all(_time(t) for t in value)
    if key in TIME or key.endswith(_TIME_END):
        return _time(value)
    return True


def read_record(raw: bytes | None) -> tuple[dict[str, Any], str | None]:
    """(the record as maild may use it, what was wrong with it and what is read of it
    so, or None) of an address record's bytes (None: there is none)."""
    try:
        record = json.loads(raw or b"{}")
    except ValueError:  # (a UnicodeDecodeError is one too)
        return {}, "not JSON, read as empty"
    if not isinstance(record, dict):
        return {}, "not a JSON object, read as empty"
    bad = [key for key, value in record.items() if not _field_ok(key, value)]
    if not bad:
        return record, None
    them = "it" if len(bad) == 1 else "them"
    why = f"{', '.join(bad)} not as maild writes {them}, read without {them}"
    return {k: v for k, v in record.items() if k not in bad}, why


def idle(record: dict[str, Any], before: datetime) -> bool:
    """Whether a record (as read_record reads it) holds nothing but times before
    `before`: no first ticket's date (the free-support term counts from it: README),
    no field maild does not know, no time since. Such a record counts nothing any more
    (every cap and pace counts a day back at most) and can go."""
    for key, value in record.items():
        if key in TIMES or key.endswith(_TIMES_END):
            times = value
        elif key in TIME or key.endswith(_TIME_END):
            times = [value]
        elif key == NEW_TICKETS:
            times = [at for _tid, at in value]
        else:  # first_seen, or a later version's field
            return False
        if any(datetime.fromisoformat(t) >= before for t in times):
            return False
    return True
