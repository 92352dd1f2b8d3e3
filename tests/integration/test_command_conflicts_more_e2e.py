"""Commands of one staff reply that contradict each other beyond #close and the levels
(two #merge targets, two #assign, «#spam» with «#spam домен», «#cc X» with «#uncc X»),
commands beside #merge, a command that would change nothing (its mail's headline), and
#merge of a ticket merged before: the ticket, the customer and the staff member. Real
CLI (`maild ingest`, `outbox flush`, `ticket show --json`), real sink."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

ANNA = "anna@example.com"
PETR = "petr@other-example.ru"
CONTRADICT = "не все его команды выполнены: они противоречат друг другу."


def told(sink, who: str = ANNA) -> list[str]:
    """The texts of «Команды не выполнены» to ``who``, their lines joined by spaces."""
    mails = [r for r in sink.to(who) if r.subject.startswith("Команды не выполнены")]
    return [" ".join(f"{r.subject}\n{r.text}".split()) for r in mails]


def ticket_of(desk, sink, sender: str = PETR, subject: str = "Та же ошибка") -> str:
    tid = desk.ingest_tid(make_mail(sender=sender, subject=subject))
    desk.flush()
    return tid


@pytest.mark.parametrize(
    ("lines", "named"),
    [
        (["#merge {a}", "#merge {b}"], "#merge {a}, #merge {b} противоречат друг другу"),
        (["#assign anna@example.com", "#assign boris@example.com"], "#assign anna@example.com,"),
        (["#cc buh@shop-example.ru", "#uncc buh@shop-example.ru"], "#cc buh@shop-example.ru и"),
    ],
    ids=["merge", "assign", "cc"],
)
def test_two_commands_that_contradict_run_neither_and_the_answer_goes(desk, sink, lines, named):
    """Two #merge targets merged into the last and told the customer so; two #assign
    left the last; #cc X with #uncc X changed nothing and said nothing. Neither runs
    now, the answer goes, and the staff member is told of the pair."""
    tid, _ = open_ticket(desk, sink)
    a, b = ticket_of(desk, sink), ticket_of(desk, sink, "olga@third-example.ru")
    body = "Иван, смотрим.\n" + "\n".join(lines).format(a=a, b=b) + "\n"
    desk.ingest(staff_reply(tid, body))
    desk.flush()
    t = desk.ticket(tid)
    assert t.get("merged_into") is None and t["status"] != "closed"
    assert t.get("assignee") is None
    assert t["participants"] == ["ivan@shop-example.ru"]
    [answer] = [r for r in customer_mails(sink) if "Иван, смотрим." in r.text]
    assert f"[TID#{tid}]" in answer.subject and "объединен" not in answer.text
    assert not [r for r in sink.to("buh@shop-example.ru")]
    [mail] = told(sink)
    assert f"[TID#{tid}]" in mail
    assert named.format(a=a, b=b) in mail
    assert CONTRADICT in mail and "Ответ клиенту отправлен." in mail


@pytest.mark.parametrize("lines", [["#spam домен", "#spam"], ["#spam", "#spam домен"]])
def test_spam_of_the_sender_and_of_the_domain_in_one_reply_blocks_nothing(desk, sink, lines):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "\n".join(lines) + "\n"))
    desk.flush()
    assert desk.ticket(tid)["status"] == "new"  # in the store, not the quarantine
    assert "shop-example.ru" not in desk.run("block", "list").out
    [mail] = told(sink)
    assert "противоречат друг другу" in mail and "#spam" in mail


@pytest.mark.parametrize("other", ["#close", "#level vip", "#take", "#critical"])
def test_a_command_that_changes_a_ticket_beside_merge_stops_the_reply(desk, sink, other):
    """#close beside #merge was dropped without a word (no rating request went);
    #level vip gave the merged-away ticket VIP and its customer was told so. Such a
    command belongs to the ticket that goes on: nothing runs, nothing is sent, and the
    staff member is told to send it there."""
    tid, _ = open_ticket(desk, sink)
    into = ticket_of(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, f"Иван, это тот же вопрос.\n#merge {into}\n{other}\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t.get("merged_into") is None and t["level"] == "free" and not t.get("critical")
    assert t["status"] == "new" and desk.ticket(into).get("merged_from") in (None, [])
    assert len(customer_mails(sink)) == before
    [mail] = told(sink)
    assert f"{other} не выполнена: в письме с #merge {into}" in mail
    assert f"[TID#{into}]" in mail and "Клиенту ничего не отправлено" in mail


def test_cc_beside_merge_runs_and_the_person_moves_with_the_ticket(desk, sink):
    tid, _ = open_ticket(desk, sink)
    into = ticket_of(desk, sink)
    desk.ingest(staff_reply(tid, f"Иван, это тот же вопрос.\n#merge {into}\n#cc buh@s-ex.ru\n"))
    desk.flush()
    assert desk.ticket(tid)["merged_into"] == into
    assert "buh@s-ex.ru" in desk.ticket(into)["participants"]
    assert told(sink) == []


def test_a_critical_that_changes_nothing_is_not_called_a_contradiction(desk, sink):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#critical\n"))
    desk.flush()
    desk.ingest(staff_reply(tid, "Иван, смотрим.\n#critical\n", sender="boris@example.com"))
    desk.flush()
    [mail] = told(sink, "boris@example.com")
    assert "противоречат" not in mail
    assert "не все его команды выполнены: они ничего не изменили бы." in mail
    assert "#critical не выполнена: обращение уже отмечено как срочное" in mail
    assert "Нужную из этих команд" not in mail


def test_critical_on_a_closed_ticket_is_refused(desk, sink):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Готово.\n#close\n"))
    desk.flush()
    desk.ingest(staff_reply(tid, "#critical\n"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["status"] == "closed" and not t.get("critical")
    [mail] = told(sink)
    assert "#critical не выполнена: обращение уже закрыто (anna@example.com," in mail
    assert "#reopen" in mail


def test_close_on_a_closed_ticket_is_told_and_the_answer_goes(desk, sink):
    """Without In-Reply-To nothing says the reply was written on a stale view: its
    #close did nothing and said nothing. The staff member is told who closed it."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Готово.\n#close\n"))
    desk.flush()
    before = len(customer_mails(sink))
    desk.ingest(
        staff_reply(tid, "Иван, ещё одно дополнение.\n#close\n", sender="boris@example.com")
    )
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    [answer] = customer_mails(sink)[before:]
    assert "ещё одно дополнение" in answer.text and "оцените" not in answer.text.lower()
    [mail] = told(sink, "boris@example.com")
    assert "#close не выполнена: обращение уже закрыто (anna@example.com," in mail
    assert "ничего не изменили бы" in mail and "Ответ клиенту отправлен." in mail


def test_merge_of_a_ticket_merged_before_says_where_it_went(desk, sink):
    """#merge B, B merged into A meanwhile, silently went into A; #merge A written to B
    (merged into A) was told «нельзя объединить обращение с самим собой»."""
    a = ticket_of(desk, sink, "olga@third-example.ru", "Ошибка 500")
    b = ticket_of(desk, sink)
    desk.ingest(staff_reply(b, f"#merge {a}\n"))
    desk.flush()
    assert desk.ticket(b)["merged_into"] == a
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, f"#merge {b}\n"))
    desk.flush()
    assert desk.ticket(tid).get("merged_into") is None
    [mail] = told(sink)
    assert f"#merge: обращение {b} уже объединено с обращением {a}" in mail
    assert f"напишите #merge {a}" in mail
    desk.ingest(staff_reply(b, f"#merge {a}\n"))
    desk.flush()
    [_, again] = told(sink)
    assert "с самим собой" not in again
    assert f"#merge: обращение {b} уже объединено с обращением {a}" in again
