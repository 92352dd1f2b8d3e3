"""Commands of one staff reply that contradict each other, and level corrections of a
closed ticket: what the ticket, the customer and the staff member get. Real CLI, real
sink."""

from __future__ import annotations

import pytest

from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

REFUSED = "Команды не выполнены"


def told(sink, who: str = "anna@example.com"):
    return [r for r in sink.to(who) if r.subject.startswith(REFUSED)]


def standard_ticket(desk, sink) -> str:
    """A ticket of a standard license's customer: free support passes nothing to
    development (closedcmd.level_errors), so #development is in these tests' reach."""
    lic = ("license", "add", "--key", "S-1", "--level", "standard")
    assert desk.run(*lic, "--email", "ivan@shop-example.ru").code == 0
    return open_ticket(desk, sink)[0]


@pytest.mark.parametrize("other", ["#wait", "#reopen", "#development"])
@pytest.mark.parametrize("close_first", [True, False])
def test_close_with_a_contradicting_command_runs_neither(desk, sink, other, close_first):
    """«#close» and «#wait» in one reply: whichever line came last won, and the customer
    got the rating request of a ticket left waiting (or open again after «#reopen»),
    or «passed to development» over «closed». Now neither runs, the
    reply's other commands and its answer do, and the staff member is told why."""
    tid = standard_ticket(desk, sink)
    lines = ["#close", other] if close_first else [other, "#close"]
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\n#critical\nИван, смотрим.\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["level"] == "standard" and t["critical"] is True
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


@pytest.mark.parametrize("command", ["#level vip", "#consulting", "#development"])
def test_a_level_correction_of_a_closed_ticket_stays_closed_and_silent(desk, sink, command):
    """A staff member corrects the level of a closed ticket for the SLA report: the
    level changes, the ticket stays closed with no deadline, the customer gets no mail."""
    tid = standard_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Иван, исправлено.\n#close\n"))
    desk.flush()
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, f"{command}\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["level"] == command.removeprefix("#").removeprefix("level ")
    assert t["status"] == "closed" and t["reaction_due"] is None
    assert len(customer_mails(sink)) == before
    assert told(sink) == []
    assert [r for r in sink.to("anna@example.com") if "не отправлен" in r.subject] == []


@pytest.mark.parametrize("lines", [["#level vip", "#close"], ["#close", "#level vip"]])
def test_a_level_with_a_close_is_the_same_in_either_order(desk, sink, lines):
    """«#level vip» and «#close» in one reply: the level of the closed ticket is set,
    the customer gets the answer with the rating request, not a new deadline."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\nИван, исправлено.\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["level"] == "vip" and t["status"] == "closed" and t["reaction_due"] is None
    [answer] = [r for r in customer_mails(sink) if "Иван, исправлено." in r.text]
    assert "Новый уровень" not in answer.text and "VIP" not in answer.text
    assert told(sink) == []


@pytest.mark.parametrize("lines", [["#take", "#wait"], ["#wait", "#take"]])
def test_take_and_wait_leave_the_ticket_waiting_in_either_order(desk, sink, lines):
    """«#wait» above «#take»: the take, run last, opened the ticket again, and nobody
    waited for the customer's log. The ticket is taken and waits, as the lines say."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\nИван, пришлите лог.\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["status"] == "waiting" and t["assignee"] == "anna@example.com"
    assert t["reaction_due"] is None and told(sink) == []


@pytest.mark.parametrize("lines", [["#take", "#close"], ["#close", "#take"]])
def test_take_and_close_leave_the_ticket_closed_and_taken_in_either_order(desk, sink, lines):
    """«#take» and «#close» agree: who handled it, and that it is done. «#close» above
    «#take» used to end with the ticket open again; now it is closed either way, the
    customer gets the answer with the rating request, and nobody an error."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\nИван, исправлено.\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["assignee"] == "anna@example.com"
    assert [r for r in customer_mails(sink) if "Иван, исправлено." in r.text]
    assert told(sink) == []


@pytest.mark.parametrize("lines", [["#reopen", "#wait"], ["#wait", "#reopen"]])
def test_a_closed_ticket_reopened_to_wait_waits_in_either_order(desk, sink, lines):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Иван, исправлено.\n#close\n"))
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\nИван, уточните версию.\n"))
    desk.flush()
    assert desk.ticket(tid)["status"] == "waiting" and told(sink) == []


@pytest.mark.parametrize("lines", [["#development", "#level vip"], ["#level vip", "#development"]])
def test_a_level_and_the_transfer_end_in_development_in_either_order(desk, sink, lines):
    """«#development» above «#level vip»: run in line order, the level won, the transfer
    was lost without a word and the customer was told of VIP support. They agree
    whatever the order: the level owed first, then the transfer."""
    tid = standard_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Передаю разработчикам.\n" + "\n".join(lines) + "\n"))
    desk.flush()
    assert desk.ticket(tid)["level"] == "development" and told(sink) == []
    [answer] = [r for r in customer_mails(sink) if "Передаю разработчикам." in r.text]
    assert "Разработка" in answer.text and "VIP" not in answer.text


@pytest.mark.parametrize(
    "lines", [["#development", "#level standard"], ["#level standard", "#development"]]
)
def test_free_support_passed_on_with_the_level_owed_in_either_order(desk, sink, lines):
    """Free support passes nothing to development; a «#level» of the same reply that
    gives a level that does, above or below the transfer, lets it run."""
    tid, _ = open_ticket(desk, sink, sender="Зоя <z@zz-example.ru>")
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\n"))
    desk.flush()
    assert desk.ticket(tid)["level"] == "development" and told(sink) == []
