"""domain.recordcheck: what maild writes passes; a field of a wrong type or value is
named (never a crash of the check itself, whatever JSON the file holds)."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import attachments as att
from maild.domain import mergedwait, undeliverable
from maild.domain.message import parse
from maild.domain.recordcheck import MESSAGE_FIELDS, TICKET_FIELDS, registry_fault, ticket_fault
from maild.domain.records import MessageRecord, Ticket, message_record, note_record
from maild.domain.sender import Identification, License
from maild.domain.ticket import new_ticket

NOW = datetime(2026, 11, 25, 10, 15, tzinfo=ZoneInfo("Europe/Moscow"))
RAW = b"From: a@b.ru\r\nTo: support@example.com\r\nSubject: s\r\nMessage-ID: <1@b>\r\n\r\nhi"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def _records() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new ticket and its messages as the file holds them (through JSON): a copy of
    its own for each call, made once (a property test asks a thousand times)."""
    ticket, messages = json.loads(_records_json())
    return ticket, messages


@functools.cache
def _records_json() -> str:
    ident = Identification("standard", "license", "S-1", "лицензия S-1")
    ticket = new_ticket("2611-0001", "a@b.ru", "Тема", ident, NOW, lambda lvl, at: at)
    decision = att.AttachmentDecision("a.png", "image/png", 3, True, None, "image")
    refused = att.AttachmentDecision("a.exe", "application/x-msdownload", 3, False, "exe", "")
    messages = [
        message_record(
            parse(RAW),
            direction="in",
            kind="customer",
            received_at=NOW,
            attachments=[(decision, b"png"), (refused, b"MZ")],
            spool_key="k",
        ),
        note_record(sender="anna@example.com", direction="out", text="#note", at=NOW),
    ]
    return json.dumps([ticket, messages])


def test_what_maild_writes_passes():
    ticket, messages = _records()
    assert ticket_fault(ticket, messages) is None
    closed = ticket | {"status": "closed", "closed_at": NOW.isoformat(), "rating": 5}
    assert ticket_fault(closed | {"merged_into": "2611-0002", "merged_from": []}, []) is None


@pytest.mark.parametrize(
    "key, value",
    [
        ("level", 123),
        ("level", "gold"),
        ("status", "lost"),
        ("created_at", "2026-11-25T10:15:00"),  # no offset: in no known zone
        ("reaction_due", "завтра"),
        ("participants", "a@b.ru"),
        ("critical", "no"),
        ("rating", True),
        ("sent", {"started": 1}),
        ("identification", None),
    ],
)
def test_a_ticket_field_of_a_wrong_type_is_named(key, value):
    ticket, messages = _records()
    assert ticket_fault(ticket | {key: value}, messages) == f"its ticket has {key} {value!r}"


@pytest.mark.parametrize(
    "key, value",
    [("attachments", "x"), ("attachments", ["x"]), ("attachments", [{"sha256": 5}])]
    + [("text", None), ("direction", "up"), ("received_at", 0), ("from", ["a@b.ru"])]
    + [("received_at", "вчера")],  # a text that is no time
)
def test_a_message_field_of_a_wrong_type_is_named(key, value):
    ticket, messages = _records()
    messages[1][key] = value
    assert ticket_fault(ticket, messages) == f"its message 2 has {key} {value!r}"


def test_a_missing_key_is_named_before_types():
    ticket, messages = _records()
    del ticket["level"]
    assert ticket_fault(ticket | {"status": 5}, messages) == "its ticket has no level"


def test_every_key_records_declare_has_its_check():
    """A field added to Ticket or MessageRecord without a check here would be read
    unchecked: a wrong type in a file would crash every reply to its ticket."""
    assert set(TICKET_FIELDS) == Ticket.__required_keys__ | Ticket.__optional_keys__
    assert set(MESSAGE_FIELDS) == MessageRecord.__required_keys__ | MessageRecord.__optional_keys__


AT = NOW.isoformat()
WAIT = mergedwait.carried(json.loads(json.dumps(_records()[0])), _records()[0])[1]["merged_waits"]
# every optional field, as maild writes it
FULL_TICKET: dict[str, Any] = {
    "reaction_due": AT,
    "first_reaction_due": AT,
    "first_reaction_from": AT,
    "reaction_from": AT,
    "first_reaction_at": AT,
    "closed_at": AT,
    "entitled_level": "vip",
    "first_reaction_level": "standard",
    "rating": 5,
    "assignee": "anna@example.com",
    "opened_by": "anna@example.com",
    "refers_to": "2611-0004",
    "rated_closing": AT,
    "rated_unproven": True,
    "names_own": "2611-0005",
    "free_expired": False,
    "requester_name": "Иван",
    "waiting_since": AT,
    "merged_from": ["2611-0003"],
    "merged_into": "2611-0002",
    "merged_waits": WAIT,
    "robots": {"bot@b.ru": "автоответ"},
    "robots_unproven": ["bot@b.ru"],
    "humans": ["a@b.ru"],
    "automatic": {"a@b.ru": "auto-submitted"},
    "removed": ["c@d.ru"],
    "reply_epochs": {"2611-0001": {"anna@example.com": 1}},
    "spam": {"by": "anna@example.com", "entry": "b.ru"},
    "undeliverable": {"c@d.ru": {"since": AT, "error": "550 no such user"}},
    "reaction_level": "vip",
    "later_reactions": {"vip": {"in_time": 1, "breached": 0}},
    "reaction_judged": True,
    "merged_followups": [{"tid": "2611-0003", "due": AT, "level": "vip"}],
}
FULL_MESSAGE: dict[str, Any] = {
    "recipients_cut": "d@e.ru",
    "digest": "ab12",
    "fast_reply_to_auto": True,
    "fast_words": "ab12",
    "rating": 5,
    "status_question": True,
    "thanks": True,
    "asked_to_join": ["c@d.ru"],
    "report_of": "ab12",
    "fragment": {"id": "x", "number": 1, "total": None},
    "signed_for": "anna@example.com",
    "commands": ["#close"],
    "folded": ["<2@b>"],
    "folded_text": "...",
    "command_errors": ["#lvl: нет такой команды"],
    "unsent": "no_customer",
    "unverified_staff": True,
    "forged_staff": True,
    "sent_as": "<3@example.com>",
    "logos": ["ab12"],
    "same_answer": True,
    "template": "confirmation",
    "auto_to_customer": True,
    "copies": {"c@d.ru": "<4@example.com>"},
    "suppressed": "cap",
    "withdrawn_copies": {"c@d.ru": "uncc"},
    "withdrawn": "spam",
    "merged_from": "2611-0003",
    "recharset": "cp1251",
    "redacted_at": AT,
    "refused_mail": "x1",
    "list_message_id": "<5@example.com>",
}


def _full() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ticket, messages = _records()
    return ticket | FULL_TICKET, [messages[0] | FULL_MESSAGE, messages[1]]


def test_every_field_as_maild_writes_it_passes():
    ticket, messages = _full()
    assert set(ticket) == set(TICKET_FIELDS) and set(messages[0]) == set(MESSAGE_FIELDS)
    assert ticket_fault(ticket, messages) is None
    assert ticket_fault(ticket | {"automatic": "auto-submitted"}, []) is None  # (older)


@pytest.mark.parametrize(
    "key, value",
    [("automatic", 5), ("reply_epochs", 5), ("merged_waits", "x"), ("waiting_since", 5)]
    + [("merged_waits", [{"tid": "2611-0003"}]), ("merged_waits", [WAIT[0] | {"created_at": 1}])]
    + [("merged_waits", [WAIT[0], {"tid": "2611-0003"}])]  # every one, not the first alone
    + [("merged_waits", [WAIT[0] | {"created_at": "вчера"}])]  # read with fromisoformat
    + [("reply_epochs", {"2611-0001": 5}), ("reply_epochs", {"2611-0001": {"a": "1"}})]
    + [("robots", ["bot@b.ru"]), ("humans", "a@b.ru"), ("removed", [5]), ("spam", "b.ru")]
    + [("undeliverable", {"c@d.ru": "550"}), ("later_reactions", {"vip": 1})]
    + [("merged_followups", [{"tid": "x", "due": "завтра", "level": "vip"}])]
    + [("identification", {"source": "none"}), ("rated_unproven", "yes")]
    + [("first_reaction_from", None)],
)
def test_a_field_readers_index_is_named_when_of_a_wrong_shape(key, value):
    ticket, messages = _full()
    assert (
        ticket_fault(ticket | {key: value}, messages) == f"its ticket has {key} {repr(value)[:60]}"
    )


@pytest.mark.parametrize(
    "key, value",
    [
        ("to", 5),
        ("commands", 5),
        ("sent_as", 5),
        ("cc", [None]),
        ("to", "a@b.ru"),
        ("copies", ["<4@e>"]),
    ]
    + [("fragment", {"id": 1}), ("rating", True), ("thanks", "yes"), ("redacted_at", "вчера")],
)
def test_a_message_field_of_a_wrong_shape_is_named(key, value):
    ticket, messages = _full()
    messages[0][key] = value
    assert ticket_fault(ticket, messages) == f"its message 1 has {key} {value!r}"


@pytest.mark.parametrize(
    "mark",
    [{"error": "550 no such user"}, {"since": "вчера", "error": "550"}, {"since": None}],
)
def test_an_undeliverable_mark_threadview_could_not_show_is_named(mark):
    """The ticket's thread shows each refused address with when it was first refused
    (threadview.refused_line reads mark["since"] as a time, mark["error"] as text): a
    mark without either, or a `since` no time, is named, not a crash of the view."""
    ticket, messages = _full()
    marks = {"c@d.ru": mark}
    fault = ticket_fault(ticket | {"undeliverable": marks}, messages)
    assert fault == f"its ticket has undeliverable {repr(marks)[:60]}"
    written = undeliverable.mark(ticket, "c@d.ru", AT, "550 no such user")
    assert ticket_fault(written, messages) is None


def _json_types(hint: Any) -> set[type]:
    """The JSON types a field's declared type allows (a TypedDict's: an object)."""
    if hint is type(None) or hint in (str, bool, int):
        return {hint}
    origin = get_origin(hint)
    if origin is Literal:
        return {str}
    if origin in (list, dict) or is_typeddict(hint):
        return {origin or dict}
    return set().union(*map(_json_types, get_args(hint)))  # a union


@functools.cache  # (get_type_hints evaluates every annotation at each call)
def _allowed(record_type: Any, key: str) -> set[type]:
    return _json_types(get_type_hints(record_type)[key])


@settings(max_examples=500, deadline=None)
@given(key=st.sampled_from(sorted(TICKET_FIELDS)), value=JSON)
def test_any_json_in_a_ticket_field_is_passed_or_named(key, value):
    ticket, messages = _full()
    fault = ticket_fault(ticket | {key: value}, messages)
    assert fault is None or fault.startswith(f"its ticket has {key} ")
    if type(value) not in _allowed(Ticket, key):
        assert fault is not None  # another JSON type than the field is declared as


@settings(max_examples=500, deadline=None)
@given(key=st.sampled_from(sorted(MESSAGE_FIELDS)), value=JSON, extra=JSON)
def test_any_json_in_a_message_field_is_passed_or_named(key, value, extra):
    ticket, messages = _full()
    messages[0] |= {key: value, "no such key": extra}  # a key maild does not know: left alone
    fault = ticket_fault(ticket, messages)
    assert fault is None or fault.startswith(f"its message 1 has {key} ")
    if type(value) not in _allowed(MessageRecord, key):
        assert fault is not None


def _license(**kw: Any) -> dict[str, Any]:
    lic = License("K-1", "vip", ("a@b.ru",), date(2027, 6, 30), "ООО Магазин")
    doc = asdict(lic) | {"emails": list(lic.emails), "until": "2027-06-30"}  # as registry.py
    return doc | kw


def test_registry_entries_as_maild_writes_them_pass():
    assert registry_fault("licenses", 1, _license()) is None
    assert registry_fault("licenses", 1, _license(until=None, name="")) is None
    group = {"name": "Shop", "level": "free", "domains": ["shop.ru"], "until": None}
    assert registry_fault("groups", 1, group) is None
    assert registry_fault("groups", 2, group | {"domains": "shop.ru"}) == (
        "groups entry 2 (Shop) has domains 'shop.ru'"
    )


def test_a_registry_entry_with_an_empty_until_passes():
    """An empty `until` (a hand-edited registry) reads as no end (registry.py): whole."""
    assert registry_fault("licenses", 1, _license(until="")) is None
    group = {"name": "Shop", "level": "free", "domains": ["shop.ru"], "until": ""}
    assert registry_fault("groups", 1, group) is None


@pytest.mark.parametrize(
    "key, value",
    [("level", "gold"), ("emails", "a@b.ru"), ("emails", [1]), ("until", "2027-13-01")]
    + [("key", 5), ("until", 20270630)],
)
def test_a_wrong_license_value_is_named(key, value):
    fault = registry_fault("licenses", 3, _license(**{key: value}))
    assert fault is not None and fault.startswith("licenses entry 3 ")
    assert fault.endswith(f" has {key} {value!r}")


@pytest.mark.parametrize(
    "table, key, named",
    [("licenses", "key", ""), ("licenses", "level", " (K-1)"), ("licenses", "emails", " (K-1)")]
    + [("groups", "name", ""), ("groups", "level", " (Shop)"), ("groups", "domains", " (Shop)")],
)
def test_a_registry_entry_without_a_key_maild_reads_is_named(table, key, named):
    """registry.py reads these keys of every entry (d["emails"]): one lacking is named,
    with the entry's key or name, rather than fail as a KeyError."""
    group = {"name": "Shop", "level": "free", "domains": ["shop.ru"], "until": None}
    entry = {k: v for k, v in (_license() if table == "licenses" else group).items() if k != key}
    assert registry_fault(table, 1, entry) == f"{table} entry 1{named} has no {key}"


@settings(max_examples=300, deadline=None)
@given(table=st.sampled_from(["licenses", "groups"]), entry=JSON)
def test_any_json_entry_is_passed_or_named(table, entry):
    fault = registry_fault(table, 1, entry)
    assert fault is None or fault.startswith(f"{table} entry 1")


def test_a_note_whose_recipients_forget_cleared_passes():
    """`maild forget` writes a note's `to` and `cc` as None: such a file is whole."""
    ticket, messages = _full()
    messages[1] |= {"to": None, "cc": None}
    assert ticket_fault(ticket, messages) is None


def test_a_summary_row_with_the_fields_its_ticket_lacks_none_passes():
    """summary_of writes a field its ticket lacks as None (`critical`, optional in a
    ticket, and unset ones): such a row of open/ is whole, not skipped (the ticket
    would vanish from `maild ticket list` and the jobs)."""
    from maild.adapters.store.summaries import SUMMARY_KEYS, summary_of
    from maild.domain.recordcheck import summary_fault

    ticket, _messages = _records()
    del ticket["critical"]
    row = summary_of(ticket)  # type: ignore[arg-type]
    assert row["critical"] is None
    assert summary_fault(row, SUMMARY_KEYS) == ""


def test_a_fault_note_as_maild_writes_it_is_read_with_a_stamp_of_none():
    """faults.py writes a broken file's stamp as None when it cannot stat it (a folder
    above it shut): the note is one maild wrote; read as none, `maild status` would
    show no fault while mail waits on that file."""
    from maild.domain.recordcheck import fault_note

    note = {"since": "2026-12-07T10:00:00+00:00", "error": "e", "path": "p", "pid": 7}
    for stamp in (None, [120, 1796679421000000000]):
        assert fault_note(note | {"alerted": False, "stamp": stamp}) is not None
    assert fault_note(note | {"pid": "7"}) is None and fault_note(note | {"stamp": [1.5]}) is None


def test_a_quarantine_entry_whose_quarantined_at_is_no_time_is_none():
    """quarantined_at is shown in the desk's zone and compared by the expiry: one of
    text that is no time is a damaged entry, left out as one whose received_at is."""
    from maild.domain.recordcheck import quarantine_entry

    entry = {
        "id": "q1",
        "message_id": "<s1@spam.example>",
        "received_at": "2026-12-07T10:00:00+00:00",
    }
    assert quarantine_entry(entry | {"quarantined_at": "2026-12-07T10:00:01+00:00"}) is not None
    assert quarantine_entry(entry | {"quarantined_at": "вчера"}) is None


@pytest.mark.parametrize("kept", ["by", "entry"])
def test_a_spam_mark_lacking_a_key_guard_reads_is_named(kept):
    """guard.py reads a #spam mark's by and entry (ticket["spam"]["entry"]): a mark
    lacking one is a damaged ticket, named, not a KeyError when the mark is carried out."""
    ticket, messages = _full()
    ticket["spam"] = {kept: "anna@example.com"}
    assert (ticket_fault(ticket, messages) or "").startswith("its ticket has spam ")
