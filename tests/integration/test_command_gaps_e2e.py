"""Staff commands that did nothing, or too much, without a word: #merge answered on a
ticket merged away, #assign on a closed ticket, a command typed in the subject (#note
there sent the note to the customer as the answer), and «#spam» with «#spam домен» on
a ticket that is not the spammer's alone. Real CLI
(`maild ingest`, `outbox flush`, `ticket show --json`, `block list`), real sink."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

ANNA, BORIS = "anna@example.com", "boris@example.com"
REFUSED = "Команды не выполнены"


def told(sink, who: str = ANNA) -> list[str]:
    """The texts of «Команды не выполнены» to ``who``, their lines joined by spaces."""
    mails = [r for r in sink.to(who) if r.subject.startswith(REFUSED)]
    return [" ".join(f"{r.subject}\n{r.text}".split()) for r in mails]


def ticket_of(desk, sender: str, subject: str = "Та же ошибка") -> str:
    tid = desk.ingest_tid(make_mail(sender=sender, subject=subject))
    assert desk.flush().code == 0
    return tid


def test_merge_answered_on_a_ticket_merged_away_moves_nothing(desk, sink):
    """B was merged into A; Anna answers B's notice with «#merge C», meaning B. The
    reply lands on A, and all of A (its customer's mail too) went into C without a
    word. Nothing moves now: she is told B is in A, and how to move A."""
    a = ticket_of(desk, "olga@third-example.ru", "Ошибка 500")
    b = ticket_of(desk, "petr@other-example.ru")
    c = ticket_of(desk, "oleg@fourth-example.ru", "Ещё одна ошибка")
    desk.ingest(staff_reply(b, f"#merge {a}\n"))
    assert desk.flush().code == 0
    assert desk.ticket(b)["merged_into"] == a
    before = {who: len(sink.to(who)) for who in ("olga@third-example.ru", "oleg@fourth-example.ru")}
    desk.ingest(staff_reply(b, f"Пётр, это тот же вопрос.\n#merge {c}\n"))
    assert desk.flush().code == 0
    assert desk.ticket(a).get("merged_into") is None and desk.ticket(a)["status"] != "closed"
    assert desk.ticket(c).get("merged_from") in (None, [])
    assert {w: len(sink.to(w)) for w in before} == before  # no customer got a word
    [mail] = told(sink)
    assert f"[TID#{a}]" in mail
    assert f"#merge {c} не выполнена: обращение {b}" in mail
    assert f"уже объединено с обращением {a}" in mail
    assert f"ответьте на письмо по обращению {a}" in mail and f"строкой #merge {c}" in mail
    assert "Клиенту ничего не отправлено" in mail


def test_assign_on_a_closed_ticket_is_refused_and_says_why(desk, sink):
    """#assign on a ticket a colleague closed set an assignee of a ticket nobody works
    on, and said nothing. It stops the reply as #take does, naming who closed it;
    with #reopen both run."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Готово.\n#close\n"))
    assert desk.flush().code == 0
    desk.ingest(staff_reply(tid, f"#assign {BORIS}\n", sender=BORIS))
    assert desk.flush().code == 0
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t.get("assignee") != BORIS
    [mail] = told(sink, BORIS)
    assert f"#assign {BORIS} не выполнена: обращение уже закрыто ({ANNA}," in mail
    assert "#reopen" in mail and f"[TID#{tid}]" in mail
    desk.ingest(staff_reply(tid, f"#reopen\n#assign {BORIS}\n", sender=BORIS))
    assert desk.flush().code == 0
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["assignee"] == BORIS
    assert len(told(sink, BORIS)) == 1


def test_reopen_of_a_ticket_not_closed_is_told_and_the_answer_goes(desk, sink):
    """#reopen of a new ticket said nothing, and the customer's site read «В работе»
    with nobody at work on it. It does not run: she is told the ticket is not closed,
    and her answer goes as it would."""
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink, "ivan@shop-example.ru"))
    desk.ingest(staff_reply(tid, "#reopen\n"))
    assert desk.flush().code == 0
    assert desk.ticket(tid)["status"] == "new"
    [mail] = told(sink)
    assert "#reopen не выполнена: обращение не закрыто, открывать нечего." in mail
    assert len(customer_mails(sink, "ivan@shop-example.ru")) == before  # nothing to tell
    desk.ingest(staff_reply(tid, "Проверьте настройки оплаты.\n#reopen\n"))
    assert desk.flush().code == 0
    [answer] = customer_mails(sink, "ivan@shop-example.ru")[before:]
    assert "Проверьте настройки оплаты." in answer.text and "#reopen" not in answer.text
    assert len(told(sink)) == 2


def test_a_level_the_ticket_has_already_is_told(desk, sink):
    """«#level vip» on a ticket Boris set to VIP a minute before said nothing: Anna
    believed she had changed it. It does not run, she is told, and her answer goes."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#level vip\n", sender=BORIS))
    assert desk.flush().code == 0
    before = len(customer_mails(sink, "ivan@shop-example.ru"))
    desk.ingest(staff_reply(tid, "Проверьте настройки оплаты.\n#level vip\n"))
    assert desk.flush().code == 0
    assert desk.ticket(tid)["level"] == "vip"
    [mail] = told(sink)
    assert "#level vip не выполнена: уровень обращения уже «Коммерческие клиенты: VIP" in mail
    [answer] = customer_mails(sink, "ivan@shop-example.ru")[before:]
    assert answer.subject.startswith("Re:") and "Проверьте настройки оплаты." in answer.text


@pytest.mark.parametrize(
    "subject_word",
    ["#close", "#сlose", "#сдщыу", "#закрыть", "＃close", "#close."],
    ids=["plain", "lookalike", "layout", "alias", "fullwidth", "period"],
)
def test_a_command_in_the_subject_is_told_not_run(desk, sink, subject_word):
    """«Re: ... #close» closed nothing and said nothing. The answer goes, the ticket
    stays open, and the staff member is told the subject's commands are not run."""
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    subject = f"Re: Новое обращение [TID#{tid}] {subject_word}"
    desk.ingest(staff_reply(tid, "Иван, всё исправлено.\n", subject=subject))
    assert desk.flush().code == 0
    assert desk.ticket(tid)["status"] != "closed"
    [answer] = customer_mails(sink)[before:]
    assert "всё исправлено" in answer.text
    [mail] = told(sink)
    assert f"[TID#{tid}]" in mail and "Ответ клиенту отправлен." in mail
    assert "в теме письма" in mail and "#close" in mail
    assert "отдельной строкой в тексте письма" in mail


def test_a_command_in_the_subject_joins_the_errors_of_a_stopped_reply(desk, sink):
    tid, _ = open_ticket(desk, sink)
    subject = f"Re: Новое обращение [TID#{tid}] #level vip"
    desk.ingest(staff_reply(tid, "#wiat\n", subject=subject))
    assert desk.flush().code == 0
    [mail] = told(sink)
    assert "Неизвестная команда: #wiat" in mail
    assert "#level vip" in mail and "в теме письма" in mail
    assert desk.ticket(tid)["level"] == "free"


NOTE = "Клиент грубит, лицензия у него пиратская. Не отвечаем до выяснения.\n"


@pytest.mark.parametrize(
    "subject",
    [
        "#note Re: Новое обращение [TID#{tid}]",
        "Re: Новое обращение [TID#{tid}] #note",
        "Re: Новое обращение [TID#{tid}] #заметка",
    ],
    ids=["note-first", "note-last", "alias"],
)
def test_a_note_typed_in_the_subject_holds_the_reply(desk, sink, subject):
    """Anna put «#note» in the subject of her internal note: the command ran nothing, and
    the note went to the customer as the ticket's answer, Anna told after. Now nothing
    goes: she is told why, with her text, and #note on a line of its own keeps it."""
    tid = held_back(desk, sink, subject)
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, "#note\n" + NOTE, subject=subject.format(tid=tid)))
    assert desk.flush().code == 0
    assert customer_mails(sink)[before:] == [] and len(told(sink)) == 1
    assert [(m["kind"], m["direction"]) for m in noted(desk, tid)] == [("note", "in")] * 2


def test_spam_typed_in_the_subject_holds_the_reply(desk, sink):
    """«#spam» there, the text went to the spammer and nothing was blocked."""
    tid = held_back(desk, sink, "Re: Новое обращение [TID#{tid}] #spam")
    assert desk.run("block", "list", "--json").json() == []
    assert desk.ticket(tid)["status"] != "closed"


def held_back(desk, sink, subject: str) -> str:
    """Anna's NOTE sent with ``subject`` (``{tid}`` filled in) held: nothing to the
    customer, she is told why and to write the command in the text; the ticket's TID."""
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, NOTE, subject=subject.format(tid=tid)))
    assert desk.flush().code == 0
    assert customer_mails(sink)[before:] == []
    [mail] = told(sink)
    assert f"[TID#{tid}]" in mail and "Клиенту ничего не отправлено" in mail
    assert "в теме письма не выполнена, и письмо не отправлено клиенту" in mail
    assert "отдельной строкой в тексте письма" in mail and "уберите её из темы" in mail
    assert "лицензия у него пиратская" in mail  # her text, quoted back
    assert [(m["kind"], m["direction"]) for m in noted(desk, tid)] == [("note", "in")]
    return tid


def noted(desk, tid: str) -> list[dict]:
    """The ticket's messages that hold Anna's note (those to her aside: «Команды не
    выполнены» quotes it back)."""
    messages = [m for m in desk.ticket(tid)["messages"] if m["kind"] != "notice"]
    return [m for m in messages if "пиратская" in (m.get("text") or "")]


@pytest.mark.parametrize(
    ("subject_tail", "body"),
    [
        ("заказ #123 #новинки #notes", "Иван, всё исправлено.\n"),
        ("#close", "Иван, всё исправлено.\n#close\n"),
    ],
    ids=["hashtags", "given-in-body"],
)
def test_a_subject_without_a_command_left_out_says_nothing(desk, sink, subject_tail, body):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, body, subject=f"Re: Новое обращение [TID#{tid}] {subject_tail}"))
    assert desk.flush().code == 0
    assert told(sink) == []


def test_a_command_word_of_the_customers_own_subject_is_theirs(desk, sink):
    """The customer wrote «#take» in their subject: every reply's «Re:» repeats it."""
    tid, _ = open_ticket(desk, sink, subject="Ошибка в модуле #take")
    desk.ingest(
        staff_reply(tid, "Иван, смотрим.\n", subject=f"Re: [TID#{tid}] Ошибка в модуле #take")
    )
    assert desk.flush().code == 0
    assert told(sink) == []


def test_spam_and_spam_domain_on_a_shared_ticket_is_told_as_the_conflict(desk, sink):
    """«#spam» with «#spam домен» contradict each other; on a ticket with a participant
    the reply stopped with #spam's error instead, the first mistake untold. The
    conflict is told, the answer goes, nothing is blocked."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#cc buh@shop-example.ru\n"))
    assert desk.flush().code == 0
    assert "buh@shop-example.ru" in desk.ticket(tid)["participants"]
    desk.ingest(staff_reply(tid, "Иван, смотрим.\n#spam\n#spam домен\n"))
    assert desk.flush().code == 0
    assert desk.ticket(tid)["status"] != "closed"
    assert desk.run("block", "list", "--json").json() == []
    [mail] = told(sink)
    assert "#spam, #spam домен противоречат друг другу" in mail
    assert "кроме клиента" not in mail
    assert "Ответ клиенту отправлен." in mail
    assert [r for r in customer_mails(sink) if "Иван, смотрим." in r.text]


def test_an_idle_command_beside_one_in_the_subject_keeps_both_hints(desk, sink):
    """«#critical» on a ticket marked so already, «#close» in the subject: the mail
    says both, and what to do of each: the subject's command by a separate mail, the
    idle one not at all. The idle one's word gave way to the subject's."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#critical\n"))
    assert desk.flush().code == 0
    subject = f"Re: Новое обращение [TID#{tid}] #close"
    desk.ingest(staff_reply(tid, "Иван, смотрим.\n#critical\n", subject=subject, sender=BORIS))
    assert desk.flush().code == 0
    [mail] = told(sink, BORIS)
    assert "они ничего не изменили бы. А команды в теме письма maild не выполняет." in mail
    assert "Если команда из темы нужна, отправьте её отдельным письмом" in mail
    assert "Команды, которые ничего не изменили бы, повторять не нужно." in mail
