"""«#critical нет»: staff take the critical mark off a ticket (marked by mistake, the
site back up), and a mark that changes nothing is told, not ignored. Real CLI, real
sink, the morning queue as staff get it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from maild.domain.calendar import BusinessCalendar
from tests.helpers import make_mail
from tests.integration.test_daily_desk_e2e import business_monday, digest_at
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

REFUSED = "Команды не выполнены"
PETR = "petr@x.example"


def told(sink, who: str) -> list:
    return [r for r in sink.to(who) if r.subject.startswith(REFUSED)]


def morning_queue(desk, sink, day) -> str:
    """Anna's morning queue of ``day`` as she reads it."""
    before = len(sink.to("anna@example.com"))
    assert digest_at(desk, day, "09:05") == 2
    desk.flush()
    sink.wait_for(len(sink.received))
    [mail] = [r for r in sink.to("anna@example.com")[before:] if "Очередь" in r.subject]
    return mail.text


@pytest.mark.daily_mail
def test_critical_off_puts_the_ticket_back_in_its_place(desk, sink):
    """Anna marks the site that is down critical: it jumps the queue. The site is back
    up; Boris takes the mark off, and the ticket is in its place by deadline again, in
    `ticket list`, the ticket and the morning queue, with no error to anyone."""
    first, _ = open_ticket(desk, sink, subject="Обычный вопрос")
    down = desk.ingest_tid(make_mail(sender=f"Пётр <{PETR}>", subject="Сайт лежит"))
    desk.ingest(staff_reply(down, "#critical\n"))
    assert desk.ticket(down)["critical"] is True
    assert [t["tid"] for t in desk.tickets()] == [down, first]
    assert "critical: jumps the queue" in desk.run("ticket", "show", down).out
    monday = business_monday()
    queue = morning_queue(desk, sink, monday)
    assert f"[срочно] [TID#{down}]" in queue and queue.index(down) < queue.index(first)

    customers = len(sink.to(PETR)) + len(customer_mails(sink))
    desk.ingest(staff_reply(down, "#критично нет\n", sender="boris@example.com"))
    desk.flush()
    t = desk.ticket(down)
    assert t["critical"] is False and t["status"] == "new"  # only the mark changed
    assert t["messages"][-1]["commands"] == ["#critical нет"]  # the thread says who
    assert [x["tid"] for x in desk.tickets()] == [first, down]
    assert [x["critical"] for x in desk.tickets()] == [False, False]
    shown = desk.run("ticket", "show", down).out
    assert "[команды: #critical нет]" in shown and "critical:" not in shown
    tuesday = monday + timedelta(days=1)
    while not BusinessCalendar(tz="Europe/Moscow").is_working_day(tuesday):
        tuesday += timedelta(days=1)
    queue = morning_queue(desk, sink, tuesday)
    assert "[срочно]" not in queue and queue.index(first) < queue.index(down)
    # commands alone: nothing to the customers, no refusal to either staff member
    assert len(sink.to(PETR)) + len(customer_mails(sink)) == customers
    assert told(sink, "boris@example.com") == told(sink, "anna@example.com") == []


@pytest.mark.parametrize("typed", ["#critical off", "#скшешсфд щаа", "#critical нет"])
def test_critical_off_on_a_ticket_not_critical_is_told_and_the_answer_goes(desk, sink, typed):
    """The mark is as the staff member wanted it: the command does not run and they are
    told so, and their answer to the customer goes, as with commands that contradict
    each other (held back, a critical ticket's answer waited for them to read why)."""
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, f"{typed}\nИван, смотрим.\n"))
    desk.flush()
    sink.wait_for(len(sink.received))
    [answer] = customer_mails(sink)[before:]
    assert "Иван, смотрим." in answer.text
    t = desk.ticket(tid)
    assert t["critical"] is False and not t["messages"][-1].get("commands")
    [mail] = told(sink, "anna@example.com")
    assert "#critical нет не выполнена: обращение не отмечено как срочное" in mail.text
    assert "Клиенту ничего не отправлено" not in mail.text


def test_a_mark_that_changes_nothing_names_who_set_it(desk, sink):
    """Two staff read one notice: Anna marks the ticket critical, Boris a minute later
    too, with his answer. His «#critical» changed nothing without a word; now he learns
    who marked it, and how the mark comes off, and his answer goes. Taken off, a second
    «#critical нет» is told who took it off."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#critical\n"))
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, "#critical\nИван, смотрим.\n", sender="boris@example.com"))
    desk.flush()
    sink.wait_for(len(sink.received))
    [answer] = customer_mails(sink)[before:]
    assert "Иван, смотрим." in answer.text and desk.ticket(tid)["critical"] is True
    [mail] = told(sink, "boris@example.com")
    assert "#critical не выполнена: обращение уже отмечено как срочное" in mail.text
    assert "(anna@example.com, " in mail.text and "#critical нет" in mail.text
    desk.ingest(staff_reply(tid, "#critical нет\n"))
    desk.ingest(staff_reply(tid, "#critical off\n", sender="boris@example.com"))
    desk.flush()
    sink.wait_for(len(sink.received))
    [_, mail] = told(sink, "boris@example.com")
    assert "#critical нет не выполнена: отметку «срочное» уже сняли (anna@example.com, " in (
        mail.text
    )
    assert desk.ticket(tid)["critical"] is False and told(sink, "anna@example.com") == []


@pytest.mark.parametrize("ticket_critical", [False, True])
def test_critical_and_critical_off_in_one_reply_run_neither(desk, sink, ticket_critical):
    tid, _ = open_ticket(desk, sink)
    if ticket_critical:
        desk.ingest(staff_reply(tid, "#critical\n"))
    desk.ingest(staff_reply(tid, "#critical нет\n#take\n#critical\nИван, смотрим.\n"))
    desk.flush()
    sink.wait_for(len(sink.received))
    t = desk.ticket(tid)
    assert t["critical"] is ticket_critical and t["status"] == "open"
    assert [r for r in customer_mails(sink) if "Иван, смотрим." in r.text]
    [mail] = told(sink, "anna@example.com")
    assert "#critical и #critical нет противоречат друг другу" in mail.text
    assert "Не выполнена ни одна из них." in mail.text
    assert "Выполнены команды: #take" in mail.text and "Ответ клиенту отправлен" in mail.text
