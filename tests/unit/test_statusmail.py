"""Unit tests for maild.domain.statusmail: the last staff action the status reply
(«статус?») names, of what the asker's mail gave them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from maild.domain.statusmail import got_by, last_staff_action

IVAN = "ivan@x.ru"
POLICY = SimpleNamespace(fmt_time=lambda t: t[:10])
ASKED = {"kind": "customer", "direction": "in", "from": IVAN, "message_id": "<i@x>",
         "received_at": "2026-11-20T10:00", "to": [], "text": "Ошибка",
         "attachments": []}  # fmt: skip


def _notice(template: str, day: str, **kw: Any) -> dict[str, Any]:
    return {"kind": "notice", "direction": "out", "from": "support@example.com",
            "message_id": f"<{template}@s>", "received_at": f"2026-11-{day}T10:00",
            "template": template, "text": "", "attachments": [], **kw}  # fmt: skip


def test_each_notice_of_staff_work_is_named_as_the_last_staff_action() -> None:
    """«работа начата» (#take), «изменён уровень обслуживания» (#level) and «обращение
    закрыто» (#close) are what staff did, the latest named with its day."""
    for template, said in (
        ("started.txt", "работа начата"),
        ("level_changed.txt", "изменён уровень обслуживания"),
        ("resolved.txt", "обращение закрыто"),
    ):
        thread = [ASKED, _notice(template, "21", to=[IVAN])]
        assert last_staff_action(POLICY, thread) == f"{said}, 2026-11-21", template


def test_a_notice_whose_record_names_no_one_is_the_askers_too() -> None:
    """A notice whose record names no recipient (stored before records named them) went
    to the ticket's customers: the asker got it; one naming another customer only, not."""
    ticket = {"tid": "2611-0001", "requester": IVAN, "status": "open"}
    unnamed = _notice("started.txt", "21")
    other = _notice("level_changed.txt", "22", to=["olga@y.ru"])
    thread = [ASKED, unnamed, other]
    assert got_by(ticket, thread, IVAN) == [True, True, False]
    got = got_by(ticket, thread, IVAN)
    assert last_staff_action(POLICY, thread, got) == "работа начата, 2026-11-21"
