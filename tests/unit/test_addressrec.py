"""What is read of a per-address record (adapters/store/addressrec.py): whole as maild
writes it; a field that is not so, left out; a file that is no JSON object, empty."""

from __future__ import annotations

import json

import pytest

from maild.adapters.store.addressrec import read_record

T = "2026-11-24T16:00:00+03:00"
WHOLE = {
    "first_seen": "2026-11-24",
    "auto_replies": [T],
    "staff_notices": [T, T],
    "notices_held": T,
    "proven_notices": [T],  # the bucket of proven mail (a record before it: none)
    "proven_held": T,
    "reminder_singles": [T],
    "reminder_listed": T,
    "refused_singles": [],
    "escalation_listed": T,
    "new_tickets": [["1111-2222", T], ["3333-4444", T]],  # its latest new tickets
    "later_version": {"any": 1},  # a field maild does not know is left as it is
}


def test_a_record_as_maild_writes_it_is_read_whole():
    assert read_record(json.dumps(WHOLE).encode()) == (WHOLE, None)
    assert read_record(None) == ({}, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_seen", 5),
        ("first_seen", "вчера"),
        ("auto_replies", "x"),  # a string iterates as letters
        ("staff_notices", ["x"]),
        ("notices_held", 7),
        ("proven_notices", [T, "вчера"]),
        ("proven_held", [T]),
        ("reminder_singles", ["2026-11-24T16:00:00"]),  # no offset: not comparable
        ("escalation_singles", [None]),
        ("refused_listed", ["2026-11-24T16:00:00+03:00"]),
        ("new_tickets", [["1111-2222"]]),
        ("new_tickets", [["1111-2222", T, T]]),  # one more: no [TID, time] to unpack
        ("new_tickets", [["не TID", T]]),
        ("new_tickets", [["1111-2222", "2026-11-24T16:00:00"]]),  # no offset: not comparable
        ("new_tickets", {"1111-2222": T}),
    ],
)
def test_a_field_not_as_maild_writes_it_is_left_out(field, value):
    record, why = read_record(json.dumps({**WHOLE, field: value}).encode())
    assert record == {k: v for k, v in WHOLE.items() if k != field}
    assert why == f"{field} not as maild writes it, read without it"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"\x00\xff garbage", "not JSON, read as empty"),
        (b'{"first_seen": "2026-', "not JSON, read as empty"),
        (b'{"first_seen": "\xff"}', "not JSON, read as empty"),  # no UTF-8: a decode error
        (b"[1, 2]", "not a JSON object, read as empty"),
        (b"null", "not a JSON object, read as empty"),
    ],
)
def test_a_file_that_is_no_json_object_is_read_as_empty(raw, why):
    assert read_record(raw) == ({}, why)
