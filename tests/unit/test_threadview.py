"""maild.threadview: `maild ticket show` as staff read it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from maild.threadview import print_messages, withdrawn_ru


@pytest.mark.parametrize("why", ["blocked", "stale", "spam", "erased", "uncc", "left"])
def test_each_reason_a_mail_was_withdrawn_is_told_in_russian(why: str) -> None:
    """records.OutboxEntry's reasons: none reaches staff as the record's English word."""
    said = withdrawn_ru(why)
    assert said != why and said.isascii() is False


def test_the_thread_marks_mail_received_and_mail_sent_apart(capsys: Any) -> None:
    app = SimpleNamespace(fmt_time=lambda when, short=False: "01.12.2026 10:00")
    common = {"received_at": "x", "attachments": [], "text": "текст"}
    came = {**common, "direction": "in", "kind": "customer", "from": "ivan@shop.ru"}
    went = {**common, "direction": "out", "kind": "reply", "from": "desk@example.com"}
    print_messages(app, [came, went])  # type: ignore[arg-type, list-item]
    lines = capsys.readouterr().out.splitlines()
    assert "<- 01.12.2026 10:00  customer  ivan@shop.ru" in lines
    assert "-> 01.12.2026 10:00  reply  desk@example.com  кому: " in lines
