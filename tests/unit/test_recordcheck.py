"""domain.recordcheck: what maild writes passes; a field of a wrong type or value is
named (never a crash of the check itself, whatever JSON the file holds)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import attachments as att
from maild.domain.message import parse
from maild.domain.recordcheck import MESSAGE_FIELDS, TICKET_FIELDS, registry_fault, ticket_fault
from maild.domain.records import message_record, note_record
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
    """A new ticket and its messages as the file holds them (through JSON)."""
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
    return json.loads(json.dumps(ticket)), json.loads(json.dumps(messages))


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
    + [("text", None), ("direction", "up"), ("received_at", 0), ("from", ["a@b.ru"])],
)
def test_a_message_field_of_a_wrong_type_is_named(key, value):
    ticket, messages = _records()
    messages[1][key] = value
    assert ticket_fault(ticket, messages) == f"its message 2 has {key} {value!r}"


def test_a_missing_key_is_named_before_types():
    ticket, messages = _records()
    del ticket["level"]
    assert ticket_fault(ticket | {"status": 5}, messages) == "its ticket has no level"


TIMES = ("reaction_due", "first_reaction_due", "reaction_from", "first_reaction_at", "closed_at")
OPTIONAL = {"entitled_level": "vip", "merged_into": "2611-0002", "merged_from": ["2611-0003"]}
OPTIONAL |= {"rating": 5, "assignee": "anna@example.com", "refers_to": "2611-0004"}


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(TICKET_FIELDS)), value=JSON)
def test_any_json_in_a_ticket_field_is_passed_or_named(key, value):
    ticket, messages = _records()
    full = ticket | {k: NOW.isoformat() for k in TIMES} | OPTIONAL
    fault = ticket_fault(full | {key: value}, messages)
    assert fault is None or fault.startswith(f"its ticket has {key} ")
    if value is not None and type(value) is not type(full[key]):
        assert fault is not None  # another JSON type than maild writes there


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(MESSAGE_FIELDS)), value=JSON, extra=JSON)
def test_any_json_in_a_message_field_is_passed_or_named(key, value, extra):
    ticket, messages = _records()
    messages[0] |= {key: value, "no such key": extra}  # a key maild does not know: left alone
    fault = ticket_fault(ticket, messages)
    assert fault is None or fault.startswith(f"its message 1 has {key} ")
    if type(value) is not type(messages[1][key]):
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


@pytest.mark.parametrize(
    "key, value",
    [("level", "gold"), ("emails", "a@b.ru"), ("emails", [1]), ("until", "2027-13-01")]
    + [("key", 5), ("until", 20270630)],
)
def test_a_wrong_license_value_is_named(key, value):
    fault = registry_fault("licenses", 3, _license(**{key: value}))
    assert fault is not None and fault.startswith("licenses entry 3 ")
    assert fault.endswith(f" has {key} {value!r}")


@settings(max_examples=300, deadline=None)
@given(table=st.sampled_from(["licenses", "groups"]), entry=JSON)
def test_any_json_entry_is_passed_or_named(table, entry):
    fault = registry_fault(table, 1, entry)
    assert fault is None or fault.startswith(f"{table} entry 1")
