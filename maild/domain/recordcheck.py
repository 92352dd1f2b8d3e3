"""Whether a ticket file's records and registry.json's entries hold what maild's readers
take for granted: the keys every version wrote, of the types and values they are read as.

A file that fails is corrupt like one that is no JSON (adapters.store: CorruptFile): a
hand edit, a bit flip or a downgrade (`"level": 123`, `"attachments": "x"`, a license's
`"level": "gold"`, its `"emails"` one string) is named by fsck, its mail waits in
spool/new, and no reader dies on it half-way (a cut `ticket list --json`, a reply stored
as a sender-less ticket, a license whose letters are its addresses).

Every key records.Ticket and records.MessageRecord declare is checked, as the type every
version of maild wrote it (`automatic`: a str, or a map of them since), where readers
index, iterate or compare it: `"merged_waits": "x"`, `"automatic": 5` or a message's
`"to": 5` would make every reply to the ticket crash the pipeline. A key maild does
not know is left alone (a newer version's). Cheap: it runs on every load of a ticket
(bench/FINDINGS.md 60: ~2 µs a message).
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeGuard, cast, get_args

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


def is_level(value: object) -> TypeGuard[LevelId]:
    """`value` is a service level's id (LevelId): a level read from a command or a file
    is one only once asked."""
    return isinstance(value, str) and value in LEVEL_IDS


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


def _flag(v: object) -> bool:
    return isinstance(v, bool)


def _count(v: object) -> bool:
    return type(v) is int  # (bool is an int to Python only)


def _or_none(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _list_of(check: Check) -> Check:
    return lambda v: isinstance(v, list) and all(check(e) for e in v)


def _map_of(check: Check) -> Check:
    """A JSON object (its keys are text) whose every value passes `check`."""
    return lambda v: isinstance(v, dict) and all(check(e) for e in v.values())


def _record(fields: dict[str, Check], required: frozenset[str] = frozenset()) -> Check:
    """A JSON object with the `required` keys whose fields pass their checks, where
    present; a key maild does not know is left alone."""
    return lambda v: isinstance(v, Mapping) and _fault(v, fields, required) == ""


def _texts(v: object) -> bool:  # (written out, as _text_map: on most messages)
    return isinstance(v, list) and all(isinstance(e, str) for e in v)


def _text_map(v: object) -> bool:
    return isinstance(v, dict) and all(isinstance(e, str) for e in v.values())


def _attachments(v: object) -> bool:
    """A list of records, each a dict whose sha256 (the stored file's name) and
    reason are text or None, and whose accepted is a bool, where present (written out:
    every incoming mail's record has them, and this is run on each)."""
    return isinstance(v, list) and all(
        isinstance(a, dict)
        and _text_or_none(a.get("sha256"))
        and _text_or_none(a.get("reason"))
        and isinstance(a.get("accepted", False), bool)
        for a in v
    )


# records.IdentificationRecord (reason is indexed; the rest is read with .get)
_identification = _record(
    {
        "source": _text,
        "ref": _text_or_none,
        "reason": _text,
        "entitlement": _text_or_none,
        "expired": _flag,
        "owed": _map_of(_text_or_none),
    },
    frozenset({"reason"}),
)
# waitrecord.MergedWait: mergedwait reads its times with fromisoformat
_merged_wait = _record(
    {
        "tid": _text,
        "level": _text,
        "created_at": _time,
        "first_reaction_due": _time_or_none,
        "first_reaction_level": _text_or_none,
        "first_reaction_from": _time,
        "first_reaction_at": _time_or_none,
        "reaction_due": _time_or_none,
        "reaction_from": _time_or_none,
        "requester": _text,
        "subject": _text,
    },
    frozenset({"tid", "level", "created_at"}),
)
# followups.Outcome, followups.Carried (sla.py)
_outcome = _record({"in_time": _count, "breached": _count})
_carried = _record({"tid": _text, "due": _time, "level": _text}, frozenset({"tid", "due", "level"}))
# UndeliverableMark: threadview reads both, `since` as a time (fmt_time)
_mark = _record({"since": _time, "error": _text}, frozenset({"since", "error"}))

# Every key of records.Ticket (and Followups) and records.MessageRecord, by what readers
# take it for (tests/unit/test_recordcheck.py holds that none is left out).
TICKET_FIELDS: dict[str, Check] = {
    "tid": _text,
    "status": _one_of(STATUSES),
    "level": _one_of(LEVEL_IDS),
    "entitled_level": _one_of(LEVEL_IDS),
    "requester": _text,
    "subject": _text,
    "created_at": _time,
    "reaction_due": _time_or_none,
    "first_reaction_due": _time_or_none,
    "first_reaction_level": _text_or_none,
    "first_reaction_from": _time,
    "reaction_from": _time_or_none,
    "first_reaction_at": _time_or_none,
    "critical": _flag,
    "assignee": _text_or_none,
    "opened_by": _text,  # the staff member whose forward opened it (staffforward)
    "rating": _or_none(_count),
    "closed_at": _time_or_none,
    "rated_closing": _text,  # compared with closed_at ("" when it was none)
    "rated_unproven": _flag,
    "participants": _texts,
    "identification": _identification,
    "refers_to": _text_or_none,
    "names_own": _text,
    "sent": _text_map,
    "free_expired": _flag,
    "requester_name": _text,
    "waiting_since": _time,
    "merged_from": _texts,
    "merged_into": _text,
    "merged_waits": _list_of(_merged_wait),
    "robots": _text_map,
    "robots_unproven": _texts,
    "humans": _texts,
    "automatic": lambda v: isinstance(v, str) or _text_map(v),  # a str: older tickets'
    "removed": _texts,
    "reply_epochs": _map_of(_map_of(_count)),
    "spam": _record({"by": _text, "entry": _text}, frozenset({"by", "entry"})),
    "undeliverable": _map_of(_mark),
    "reaction_level": _text_or_none,
    "later_reactions": _or_none(_map_of(_outcome)),
    "reaction_judged": _or_none(_flag),
    "merged_followups": _or_none(_list_of(_carried)),
}
MESSAGE_FIELDS: dict[str, Check] = {
    "message_id": _text,
    "direction": _one_of(DIRECTIONS),
    "from": _text,
    "kind": _text,  # compared only (older versions wrote others)
    "received_at": _time,
    "text": _text,
    "attachments": _attachments,
    "subject": _text,
    "to": _or_none(_texts),  # (None: a note's, `maild forget` wrote it)
    "cc": _or_none(_texts),
    "spool_key": _text_or_none,
    "automated": _text_or_none,
    "parse_problem": _text_or_none,
    "recipients_cut": _text,
    "digest": _text,
    "fast_reply_to_auto": _flag,
    "fast_words": _text,
    "rating": _count,
    "status_question": _flag,
    "thanks": _flag,
    "asked_to_join": _texts,
    "report_of": _text,
    "fragment": _record({"id": _text, "number": _count, "total": _or_none(_count)}),
    "signed_for": _text,
    "commands": _texts,
    "folded": _texts,
    "folded_text": _text,
    "command_errors": _texts,
    "unsent": _text,
    "unverified_staff": _flag,
    "forged_staff": _flag,
    "sent_as": _text,
    "logos": _texts,
    "same_answer": _flag,
    "template": _text_or_none,
    "auto_to_customer": _flag,
    "copies": _text_map,
    "suppressed": _text,
    "withdrawn_copies": _text_map,
    "withdrawn": _text,
    "merged_from": _text,
    "recharset": _text,
    "redacted_at": _time,
    "refused_mail": _text,
    "list_message_id": _text,
}


def _fault(record: Mapping[str, object], fields: dict[str, Check], required: frozenset[str]) -> str:
    """What is wrong with `record` ("" when nothing): the keys it lacks, else its
    first field of a wrong type or value (in the record's order: a message holds a
    few of the fields a message may, so its own keys are walked)."""
    if not record.keys() >= required:
        return f"has no {', '.join(sorted(required - record.keys()))}"
    for key, value in record.items():
        if not fields.get(key, _known)(value):
            return f"has {key} {repr(value)[:60]}"
    return ""


def _known(v: object) -> bool:  # a key maild does not know (a newer version's): any value
    return True


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


def summary_fault(row: Mapping[str, object], required: frozenset[str]) -> str:
    """What is wrong with a summary row of open/ or the archive ("" when nothing): its
    fields are its ticket's, read as the ticket's are (a time of year 1 or a number for
    its text: listings and the jobs ended in a traceback). A field its ticket lacks is
    None in it (summaries.summary_of)."""
    given = {k: v for k, v in row.items() if v is not None or k in required}
    return _fault(given, TICKET_FIELDS, required)


# run/fault.json (faults.Faults writes each): its since is logged in the desk's zone,
# its path named beside the error and stat'ed, its stamp compared with that
_fault_note = _record(
    {
        "since": _time,
        "error": _text,
        "path": _text,
        "pid": _count,
        "alerted": _flag,
        "stamp": _or_none(_list_of(_count)),
    },
    frozenset({"since", "error", "path"}),
)


def fault_note(record: object) -> dict[str, Any] | None:
    """run/fault.json's record if it is one maild wrote, else None, as when the file is
    no JSON (no fault recorded): a list there, a since of 5 or of year 1, a path of a
    number stopped `maild serve` from starting and made `maild status` a traceback."""
    return cast(dict[str, Any], record) if _fault_note(record) else None


# quarantine/<id>.json (guard.quarantine writes each): its times are shown in the desk's
# zone, compared with the expiry's cut-off and sorted by, its id and Message-ID matched
# (the other fields are only shown)
_quarantined = _record(
    {
        "id": _text,
        "message_id": _text,
        "received_at": _time,
        "quarantined_at": _time,
        "arrived_at": _time_or_none,
    },
    frozenset({"id", "message_id", "received_at"}),
)


def quarantine_entry(record: object) -> dict[str, Any] | None:
    """A quarantine entry's record if it is one maild wrote, else None, as one that is
    no JSON (left out): a list, a received_at of 5 or of year 1 made `spam list` and the
    daily expiry end in a traceback."""
    return cast(dict[str, Any], record) if _quarantined(record) else None
