"""Commands of one staff reply that contradict each other, and level corrections of a
closed ticket: what the ticket, the customer and the staff member get. Real CLI, real
sink."""

from __future__ import annotations

import pytest

from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

REFUSED = "Команды не выполнены"


def told(sink, who: str = "anna@example.com"):
    return [r for r in sink.to(who) if r.subject.startswith(REFUSED)]


@pytest.mark.parametrize("other", ["#wait", "#take", "#reopen", "#development"])
@pytest.mark.parametrize("close_first", [True, False])
def test_close_with_a_contradicting_command_runs_neither(desk, sink, other, close_first):
    """«#close» and «#wait» in one reply: whichever line came last won, and the customer
    got the rating request of a ticket left waiting (or open again after «#take»,
    «#reopen»), or «passed to development» over «closed». Now neither runs, the
    reply's other commands and its answer do, and the staff member is told why."""
    tid, _ = open_ticket(desk, sink)
    lines = ["#close", other] if close_first else [other, "#close"]
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\n#critical\nИван, смотрим.\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["level"] == "free" and t["critical"] is True
    [answer] = [r for r in customer_mails(sink) if "Иван, смотрим." in r.text]
    assert "оцените" not in answer.text.lower() and "разработк" not in answer.text
    assert not [r for r in customer_mails(sink) if "закрыто" in r.subject.lower()]
    [mail] = told(sink)
    assert f"#close и {other} противоречат друг другу" in mail.text
    assert "Не выполнена ни одна из них." in mail.text
    assert "Ответ клиенту отправлен" in mail.text
    assert "ничего не отправлено" not in mail.text
    assert "Выполнены команды: #critical" in mail.text


def test_commands_alone_that_contradict_change_nothing_and_say_so(desk, sink):
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, "#wait\n#close\n"))
    desk.flush()
    assert desk.ticket(tid)["status"] == "new"
    [mail] = told(sink)
    assert "#close и #wait противоречат друг другу" in mail.text
    assert "Ответ клиенту отправлен" not in mail.text
    assert len(customer_mails(sink)) == before
