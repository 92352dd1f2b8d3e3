"""Bench: domain/recordcheck.ticket_fault on a ticket of 1000 messages.

    .venv/bin/python -m bench.record_check

The messages as message_record writes them (two attachment records each), every
other one a staff answer with commands, sent_as and copies, through JSON as the file
holds them. Prints the best of 5 runs of 200 checks. Not a test: the figure goes to
bench/FINDINGS.md (60).
"""

from __future__ import annotations

import json
import timeit
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from maild.domain import attachments as att
from maild.domain.message import parse
from maild.domain.recordcheck import ticket_fault
from maild.domain.records import message_record
from maild.domain.sender import Identification
from maild.domain.ticket import new_ticket

NOW = datetime(2026, 11, 25, 10, 15, tzinfo=ZoneInfo("Europe/Moscow"))
RAW = (
    b"From: a@b.ru\r\nTo: support@example.com\r\nCc: c@d.ru\r\nSubject: s\r\n"
    b"Message-ID: <1@b>\r\n\r\nhi"
)


def records(n: int = 1000) -> tuple[dict, list[dict]]:
    ident = Identification("standard", "license", "S-1", "лицензия S-1")
    ticket = new_ticket("2611-0001", "a@b.ru", "Тема", ident, NOW, lambda lvl, at: at)
    png = att.AttachmentDecision("a.png", "image/png", 3, True, None, "image")
    received: dict[str, Any] = {"direction": "in", "kind": "customer", "spool_key": "k"}
    mail = message_record(
        parse(RAW), received_at=NOW, attachments=[(png, b"p"), (png, b"q")], **received
    )
    answer = {**mail, "direction": "out", "kind": "staff", "commands": ["#take", "#close"]}
    answer |= {"sent_as": "<x@y>", "copies": {"a@b.ru": "<z@y>"}}
    messages = [answer if i % 2 else mail for i in range(n)]
    return json.loads(json.dumps(ticket)), json.loads(json.dumps(messages))


def main() -> None:
    ticket, messages = records()
    assert ticket_fault(ticket, messages) is None
    runs = timeit.repeat(lambda: ticket_fault(ticket, messages), number=200, repeat=5)
    best = min(runs) / 200
    print(f"{best * 1e3:.2f} ms for {len(messages)} messages: {best * 1e3:.2f} µs a message")


if __name__ == "__main__":
    main()
