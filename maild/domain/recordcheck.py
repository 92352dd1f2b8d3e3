"""Whether a ticket file's records and registry.json's entries hold what maild's readers
take for granted: the keys every version wrote, of the types and values they are read as.

A file that fails is corrupt like one that is no JSON (adapters.store: CorruptFile): a
hand edit, a bit flip or a downgrade (`"level": 123`, `"attachments": "x"`, a license's
`"level": "gold"`, its `"emails"` one string) is named by fsck, its mail waits in
spool/new, and no reader dies on it half-way (a cut `ticket list --json`, a reply stored
as a sender-less ticket, a license whose letters are its addresses).

Cheap: it runs on every load of a ticket (bench/FINDINGS.md 60: ~2 µs a message). Only what
readers index or compare is checked; a key maild does not know is left alone (a newer
version's), and so are the optional fields whose types changed between versions.
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import get_args

from maild.domain.records import (
    Direction,
    LevelId,
    MessageRecord,
    Status,
    Ticket,
    aware_time,
)

Check = Callable[[object], bool]

STATUSES = frozenset(get_args(Status))
LEVEL_IDS = frozenset(get_args(LevelId))
DIRECTIONS = frozenset(get_args(Direction))


def _text(v: object) -> bool:
    return isinstance(v, str)


def _text_or_none(v: object) -> bool:
    return v is None or isinstance(v, str)


def _one_of(values: frozenset[str]) -> Check:
    return lambda v: isinstance(v, str) and v in values


def _time(v: object) -> bool:
    return aware_time(v) is not None


def _time_or_none(v: object) -> bool:
    return v is None or aware_time(v) is not None


def _texts(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(e, str) for e in v)


def _text_map(v: object) -> bool:
    return isinstance(v, dict) and all(isinstance(e, str) for e in v.values())


def _attachments(v: object) -> bool:
    """A list of records, each a dict whose sha256 (the stored file's name) and
    reason are text or None, and whose accepted is a bool, where present."""
    return isinstance(v, list) and all(
        isinstance(a, dict)
        and _text_or_none(a.get("sha256"))
        and _text_or_none(a.get("reason"))
        and isinstance(a.get("accepted", False), bool)
        for a in v
    )


# The required keys, and the optional ones readers index into, by what they must be.
TICKET_FIELDS: dict[str, Check] = {
    "tid": _text,
    "status": _one_of(STATUSES),
    "level": _one_of(LEVEL_IDS),
    "requester": _text,
    "subject": _text,
    "created_at": _time,
    "reaction_due": _time_or_none,
    "first_reaction_due": _time_or_none,
    "reaction_from": _time_or_none,
    "first_reaction_at": _time_or_none,
    "critical": lambda v: isinstance(v, bool),
    "assignee": _text_or_none,
    "rating": lambda v: v is None or type(v) is int,  # (bool is an int to Python only)
    "closed_at": _time_or_none,
    "participants": _texts,
    "identification": lambda v: isinstance(v, dict),
    "refers_to": _text_or_none,
    "sent": _text_map,
    "entitled_level": _one_of(LEVEL_IDS),
    "merged_into": _text,
    "merged_from": _texts,
}
MESSAGE_FIELDS: dict[str, Check] = {
    "message_id": _text,
    "direction": _one_of(DIRECTIONS),
    "from": _text,
    "kind": _text,  # compared only (older versions wrote others)
    "received_at": _time,
    "text": _text,
    "attachments": _attachments,
}


def _fault(record: Mapping[str, object], fields: dict[str, Check], required: frozenset[str]) -> str:
    """What is wrong with `record` ("" when nothing): the keys it lacks, else its
    first field of a wrong type or value."""
    if missing := required - record.keys():
        return f"has no {', '.join(sorted(missing))}"
    for key, check in fields.items():
        if key in record and not check(record[key]):
            return f"has {key} {repr(record[key])[:60]}"
    return ""


def ticket_fault(ticket: Mapping[str, object], messages: list[dict[str, object]]) -> str | None:
    """What a ticket file's records lack of the keys Ticket and MessageRecord require,
    or hold of a wrong type or value (every version of maild wrote them, and its
    readers take them for granted), or None when nothing. A file with one is corrupt
    like one that is no JSON (adapters.store.Store.load)."""
    if why := _fault(ticket, TICKET_FIELDS, Ticket.__required_keys__):
        return f"its ticket {why}"
    for n, message in enumerate(messages, 1):
        if why := _fault(message, MESSAGE_FIELDS, MessageRecord.__required_keys__):
            return f"its message {n} {why}"
    return None


def _day_or_none(v: object) -> bool:
    if v is None or v == "":
        return True
    try:
        return isinstance(v, str) and bool(date.fromisoformat(v))
    except ValueError:
        return False


ENTRY_FIELDS: dict[str, dict[str, Check]] = {
    "licenses": {
        "key": _text,
        "level": _one_of(LEVEL_IDS),
        "emails": _texts,
        "until": _day_or_none,
        "name": _text_or_none,
    },
    "groups": {
        "name": _text,
        "level": _one_of(LEVEL_IDS),
        "domains": _texts,
        "until": _day_or_none,
    },
}
ENTRY_REQUIRED = {
    "licenses": frozenset({"key", "level", "emails"}),
    "groups": frozenset({"name", "level", "domains"}),
}


def registry_fault(table: str, n: int, entry: object) -> str | None:
    """What is wrong with entry `n` of registry.json's `table` ("licenses" or
    "groups"), or None: a level maild does not know, addresses or domains that are
    no list of text, an end date that is no date. One makes the registry broken:
    mail waits rather than be given a wrong level (or free support)."""
    fields = ENTRY_FIELDS[table]
    required = ENTRY_REQUIRED[table]
    if not isinstance(entry, Mapping):
        return f"{table} entry {n} is no record"
    if why := _fault(entry, fields, required):
        named = entry.get("key" if table == "licenses" else "name")
        return f"{table} entry {n}" + (f" ({named})" if isinstance(named, str) else "") + f" {why}"
    return None


__all__ = ["registry_fault", "ticket_fault"]
