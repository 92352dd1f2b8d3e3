"""The Literal types of maild.domain.records name the same values as the tables they
mirror, and each constructor gives exactly its record's keys."""

from __future__ import annotations

from datetime import datetime
from typing import get_args, get_type_hints
from zoneinfo import ZoneInfo

from maild.domain import attachments as att
from maild.domain.message import parse
from maild.domain.outboxrecord import outbox_entry, outbox_record
from maild.domain.records import (
    Kind,
    LevelId,
    MessageRecord,
    OutboxEntry,
    OutboxKind,
    Status,
    Ticket,
    message_record,
)
from maild.domain.sender import Identification
from maild.domain.sla import LEVELS
from maild.domain.ticket import STATUSES, new_ticket

NOW = datetime(2026, 11, 25, 10, 15, tzinfo=ZoneInfo("Europe/Moscow"))


def test_level_ids_are_the_levels_of_the_regulation():
    assert list(get_args(LevelId)) == list(LEVELS)


def test_statuses_are_the_status_literal():
    assert STATUSES == get_args(Status) == ("new", "open", "waiting", "closed")


def test_outbox_kinds_include_every_thread_kind_of_mail_sent():
    sent_kinds = set(get_args(Kind)) - {"customer", "note"}  # never mail maild sends
    assert sent_kinds <= set(get_args(OutboxKind))


def _keys_of(typed: type) -> tuple[frozenset[str], frozenset[str]]:
    return typed.__required_keys__, frozenset(get_type_hints(typed))


def test_new_ticket_gives_every_required_key_and_no_other():
    ident = Identification("standard", "license", "S-1", "лицензия S-1")
    ticket = new_ticket("2611-0001", "ivan@x.ru", "Тема", ident, NOW, lambda lvl, at: at)
    required, declared = _keys_of(Ticket)
    assert required <= ticket.keys() <= declared
    assert ticket["identification"]["entitlement"] == "license:S-1"


def test_message_record_gives_every_required_key_and_no_other():
    raw = b"From: a@b.ru\r\nTo: support@example.com\r\nSubject: s\r\nMessage-ID: <1@b>\r\n\r\nhi"
    decision = att.AttachmentDecision("a.png", "image/png", 3, True, None, "image")
    record = message_record(
        parse(raw),
        direction="in",
        kind="customer",
        received_at=NOW,
        attachments=[(decision, b"png")],
        spool_key="k",
    )
    required, declared = _keys_of(MessageRecord)
    assert required <= record.keys() <= declared
    assert record["attachments"][0]["sha256"] is not None


def _report_entry():
    return outbox_entry(
        "k1",
        tid=None,
        kind="report",
        headers=("Служба <support@example.com>", "support@example.com", "Отчёт", "<k1@x>"),
        to=["head@example.com"],
        queued_at=NOW,
    )


def test_outbox_entry_is_a_fresh_record():
    entry = _report_entry()
    required, _ = _keys_of(OutboxEntry)
    assert entry.keys() == required
    assert (entry["attempts"], entry["last_error"], entry["next_try"]) == (0, None, None)
    assert entry["queued_at"] == NOW.isoformat()


def test_outbox_record_takes_a_whole_record_only():
    """What the sender reads of a queue file's first line: every required field, of
    the type it is read as; anything else is a broken file, not a KeyError later."""
    entry = _report_entry()
    assert outbox_record(entry) == entry
    assert outbox_record({**entry, "last_try": NOW.isoformat(), "refused": "550"}) is not None
    for key in OutboxEntry.__required_keys__:
        assert outbox_record({k: v for k, v in entry.items() if k != key}) is None, key
    odd = {
        "id": "",
        "to": [],
        "sender": None,
        "attempts": True,
        "queued_at": "2026-12-04T21:00:00",  # no offset: in no known zone
        "next_try": "soon",
        "last_try": 5,
        "tid": 5,
    }
    for key, value in odd.items():
        assert outbox_record({**entry, key: value}) is None, key
    assert outbox_record([entry]) is None and outbox_record({"id": "x"}) is None
