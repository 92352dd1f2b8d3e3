"""A command's other names in a staff member's mail: a reply with one runs it, the
notice's cheat sheet and the error of an unknown command show them. Real CLI, real
sink, real files."""

from __future__ import annotations

import pytest

from maild.domain import commands
from tests.helpers import make_mail, staff_to


def open_ticket(desk, sink) -> tuple[str, str]:
    """A customer's ticket: (tid, the text of the staff notice)."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [notice] = [r for r in sink.wait_for(2) if r.rcpt_tos == ["anna@example.com"]]
    return tid, notice.text


def staff_reply(tid: str, body: str) -> bytes:
    return make_mail(
        sender="Анна <anna@example.com>",
        to=staff_to(tid, "anna@example.com"),
        subject=f"Re: Новое обращение [TID#{tid}]",
        body=body,
    )


@pytest.mark.parametrize("line", ["#зкшщкшен", "№зкшщкшен"])
def test_a_latin_alias_typed_in_the_russian_layout_runs(desk, sink, monkeypatch, line):
    """An alias "priority" of #critical, as a newcomer added one: «#зкшщкшен» (the
    layout left on) was «Неизвестная команда», «№зкшщкшен» went to the customer."""
    monkeypatch.setitem(commands.ALIASES, "priority", "critical")
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, f"{line}\nСмотрим, ответим сегодня.\n"))
    desk.flush()
    assert desk.ticket(tid)["critical"] is True
    sink.wait_for(3)
    [answer] = sink.to("ivan@shop-example.ru")[1:]  # after the confirmation
    assert "Смотрим, ответим сегодня." in answer.text and "зкшщкшен" not in answer.text


def test_the_notice_shows_each_command_with_its_aliases_in_one_column(desk, sink):
    _, notice = open_ticket(desk, sink)
    lines = notice.splitlines()
    start = lines.index("другие названия той же команды):") + 1
    sheet = lines[start : start + len(commands.cheat_sheet())]
    assert any(s.startswith("  #close (#закрыть) ") for s in sheet)
    assert any(s.startswith("  #level (#уровень) <уровень> ") for s in sheet)
    # every help text starts in the same column, after the longest usage
    helps = [help for _, help in commands.cheat_sheet()]
    assert all(line.endswith(f" {help}") for line, help in zip(sheet, helps, strict=True))
    assert len({len(line) - len(help) for line, help in zip(sheet, helps, strict=True)}) == 1, sheet


def test_an_unknown_command_is_answered_with_the_commands_and_their_aliases(desk, sink):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#clsoe\nСпасибо.\n"))
    desk.flush()
    [error] = [r for r in sink.wait_for(3)[2:] if "не выполнены" in r.subject]
    assert error.rcpt_tos == ["anna@example.com"]
    text = " ".join(error.text.split())
    assert "Неизвестная команда: #clsoe" in text and "#close (#закрыть)" in text
