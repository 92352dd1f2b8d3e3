"""Staff answering a ticket on a stale view of it (domain/staleview.py), end to end:
real `maild ingest`, a real relay, counting what reached it.

Three staff get each notice. A reply to a notice older than another's answer, #close,
#take, #assign or #merge, or (with #wait or #close) than the customer's mail, stops:
nothing reaches the customer, and its writer is told what happened since and that a
reply to that mail sends it. #take of a ticket another holds stops too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT, Desk, days_on, make_mail, staff_to

STAFF = ["anna@example.com", "boris@example.com", "vera@example.com"]
CUSTOMER = "ivan@shop-example.ru"
SUBJECT = "Не работает оформление заказа"  # make_mail's


@pytest.fixture
def desk(tmp_path, sink) -> Desk:
    return Desk(tmp_path, sink.port, support={"staff": STAFF})


def open_ticket(desk: Desk, sink) -> tuple[str, dict[str, str]]:
    """A new ticket: (TID, each staff member's copy of its notice: Message-ID)."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    sink.wait_for(1 + len(STAFF))
    return tid, {a: sink.to(a)[-1].msg["Message-ID"] for a in STAFF}


def staff_reply(tid: str, body: str, sender: str, answering: str | None) -> bytes:
    headers = {"In-Reply-To": answering, "References": answering} if answering else {}
    return make_mail(
        sender=f"{sender.split('@')[0].capitalize()} <{sender}>",
        to=staff_to(tid, sender),
        subject=f"Re: Новое обращение [TID#{tid}]",
        body=body,
        headers=headers,
    )


def customer_followup(tid: str, body: str) -> bytes:
    return make_mail(subject=f"Re: Не работает оформление заказа [TID#{tid}]", body=body)


def after(sink, n: int, address: str):
    """The mail ``address`` got after the relay's first ``n``."""
    return [r for r in sink.received[n:] if r.rcpt_tos == [address]]


def refused_to(desk: Desk, sink, n: int, address: str):
    """The one «Ответ не отправлен» (a stale view) or «Команды не выполнены» (#take of a
    ticket another holds) ``address`` got after the relay's first ``n``."""
    desk.flush()
    sink.wait_for(n + 1)
    told = ("Ответ не отправлен, обращение изменилось", "Команды не выполнены")
    [mail] = [r for r in after(sink, n, address) if r.subject.startswith(told)]
    return mail


def test_wait_on_a_notice_older_than_the_customers_mail_stops_and_says_so(desk, sink):
    tid, notices = open_ticket(desk, sink)
    desk.ingest(customer_followup(tid, "Вот лог ошибки: PHP Fatal error in payment.php"))
    desk.flush()
    n = len(sink.wait_for(1 + len(STAFF) + 1 + len(STAFF)))
    anna = notices["anna@example.com"]
    desk.ingest(staff_reply(tid, "Иван, пришлите, пожалуйста, лог.\n#wait\n", STAFF[0], anna))
    mail = refused_to(desk, sink, n, "anna@example.com")
    assert after(sink, n, CUSTOMER) == []
    assert mail.subject == f"Ответ не отправлен, обращение изменилось: {SUBJECT} [TID#{tid}]"
    text = " ".join(mail.text.split())
    assert "пока вы его писали, в обращении произошли изменения" in text
    assert "ivan@shop-example.ru — письмо клиента: «Вот лог ошибки: PHP Fatal error" in text
    assert "#wait не выполнена: клиент уже написал" in text
    assert "ответьте на это письмо (а не на прежнее)" in text
    t = desk.ticket(tid)
    assert t["status"] == "new" and t["reaction_due"]  # the log waits for staff
    # no «Ждём вашего ответа», no closing for want of an answer
    assert "waiting 0" in desk.run("jobs", "run", "--now", days_on(60)).out
    desk.flush()
    assert not [r for r in after(sink, n, CUSTOMER) if "Ждём" in r.subject]
    assert desk.ticket(tid)["status"] == "new"
    # the same reply to the «Ответ не отправлен» mail goes: it is newer than the log
    m = len(sink.received)
    desk.ingest(
        staff_reply(tid, "Иван, спасибо, смотрим.\n#wait\n", STAFF[0], mail.msg["Message-ID"])
    )
    desk.flush()
    [answer] = after(sink, m, CUSTOMER)
    assert "Иван, спасибо, смотрим." in answer.text
    assert desk.ticket(tid)["status"] == "waiting"


def test_close_on_a_notice_older_than_the_customers_mail_stops(desk, sink):
    tid, notices = open_ticket(desk, sink)
    desk.ingest(customer_followup(tid, "Ошибка осталась и в корзине"))
    desk.flush()
    n = len(sink.wait_for(2 + 2 * len(STAFF)))
    boris = notices["boris@example.com"]  # his own copy of the first notice
    desk.ingest(staff_reply(tid, "Иван, исправлено в 7.0.1.\n#close\n", STAFF[1], boris))
    mail = refused_to(desk, sink, n, "boris@example.com")
    assert "#close не выполнена" in mail.text and "Ошибка осталась и в корзине" in mail.text
    assert after(sink, n, CUSTOMER) == [] and desk.ticket(tid)["status"] == "new"
    # an answer without #wait or #close is not stopped by the customer's mail alone
    desk.ingest(staff_reply(tid, "Иван, проверяем.", STAFF[1], boris))
    desk.flush()
    assert [r for r in after(sink, n, CUSTOMER) if "Иван, проверяем." in r.text]


def test_an_answer_on_a_notice_a_colleague_closed_since_never_reaches_the_customer(desk, sink):
    tid, notices = open_ticket(desk, sink)
    n = len(sink.received)
    anna, boris = notices["anna@example.com"], notices["boris@example.com"]
    desk.ingest(staff_reply(tid, "Иван, исправлено в 7.0.1.\n#close\n", STAFF[0], anna))
    desk.ingest(staff_reply(tid, "Иван, пришлите, пожалуйста, лог ошибки.", STAFF[1], boris))
    mail = refused_to(desk, sink, n, "boris@example.com")
    [closing] = after(sink, n, CUSTOMER)  # the answer and the rating request, nothing else
    assert "исправлено в 7.0.1" in closing.text and "пришлите" not in closing.text
    text = " ".join(mail.text.split())
    assert "anna@example.com — ответ клиенту, #close: «Иван, исправлено в 7.0.1.»" in text
    t = desk.ticket(tid)
    assert t["status"] == "closed"
    assert [m["kind"] for m in t["messages"] if m["from"] == "boris@example.com"] == ["note"]
    # a reply without In-Reply-To names no view: it goes as before
    m = len(sink.received)
    desk.ingest(staff_reply(tid, "Иван, а какая у вас версия PHP?", STAFF[2], None))
    desk.flush()
    assert [r for r in after(sink, m, CUSTOMER) if "версия PHP" in r.text]


def test_the_writers_own_answer_never_makes_their_next_reply_stale(desk, sink):
    tid, notices = open_ticket(desk, sink)
    n = len(sink.received)
    anna = notices["anna@example.com"]
    desk.ingest(staff_reply(tid, "Иван, очистите кэш.", STAFF[0], anna))
    desk.ingest(staff_reply(tid, "Иван, и перезапустите сайт.\n#close\n", STAFF[0], anna))
    desk.flush()
    sink.wait_for(n + 2)
    assert len(after(sink, n, CUSTOMER)) == 2 and after(sink, n, "anna@example.com") == []
    assert desk.ticket(tid)["status"] == "closed"


def test_take_of_a_ticket_a_colleague_holds_is_refused_with_the_way_to_take_it_over(desk, sink):
    tid, notices = open_ticket(desk, sink)
    n = len(sink.received)
    desk.ingest(staff_reply(tid, "#take\n", STAFF[0], notices["anna@example.com"]))
    desk.ingest(staff_reply(tid, "#take\n", STAFF[1], notices["boris@example.com"]))
    boris = refused_to(desk, sink, n, "boris@example.com")
    text = " ".join(boris.text.split())
    assert "#take не выполнена: обращение уже ведёт anna@example.com с " in text
    assert "#assign boris@example.com" in text
    # Vera, on a fresh notice (the one Boris's refusal is not), is told the same
    m = len(sink.received)
    desk.ingest(staff_reply(tid, "#take\n", STAFF[2], None))
    vera = refused_to(desk, sink, m, "vera@example.com")
    assert "обращение уже ведёт anna@example.com" in vera.text
    assert "ответьте на это письмо" not in vera.text  # #assign, not a resend, takes it
    [started] = after(sink, n, CUSTOMER)  # «работа начата» once
    assert "начал работу" in started.text
    assert desk.ticket(tid)["assignee"] == "anna@example.com"
    desk.ingest(staff_reply(tid, "#assign boris@example.com\n", STAFF[1], boris.msg["Message-ID"]))
    assert desk.ticket(tid)["assignee"] == "boris@example.com"


def _ingest_process(desk: Desk, raw: bytes) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "maild", "--config", str(desk.config), "ingest", "-"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert p.stdin is not None
    p.stdin.write(raw)
    p.stdin.close()
    return p


def test_three_answers_to_one_notice_in_the_same_second_reach_the_customer_once(desk, sink):
    tid, notices = open_ticket(desk, sink)
    n = len(sink.received)
    words = {"anna@example.com": "кэш", "boris@example.com": "модуль", "vera@example.com": "PHP"}
    procs = [
        _ingest_process(desk, staff_reply(tid, f"Иван, проверьте {w}.", a, notices[a]))
        for a, w in words.items()
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    for p in procs:
        assert p.stdout is not None
        p.stdout.close()
    desk.flush()
    sink.wait_for(n + 3)
    [answer] = after(sink, n, CUSTOMER)
    [first] = [a for a, w in words.items() if f"проверьте {w}." in answer.text]
    for a in set(STAFF) - {first}:
        [mail] = after(sink, n, a)
        assert mail.subject.startswith("Ответ не отправлен, обращение изменилось")
        assert f"{first} — ответ клиенту" in mail.text


def test_a_reply_naming_the_notice_only_in_references_is_judged_by_it(desk, sink):
    """Some clients write References without In-Reply-To: its last id is the mail
    answered (RFC 5322 3.6.4), so a colleague's #close since still stops the reply."""
    tid, notices = open_ticket(desk, sink)
    n = len(sink.received)
    desk.ingest(staff_reply(tid, "Иван, исправлено.\n#close\n", STAFF[0], notices[STAFF[0]]))
    boris = make_mail(
        sender=f"Boris <{STAFF[1]}>",
        to=staff_to(tid, STAFF[1]),
        subject=f"Re: Новое обращение [TID#{tid}]",
        body="Иван, пришлите, пожалуйста, лог ошибки.",
        headers={"References": f"<older@elsewhere.example> {notices[STAFF[1]]}"},
    )
    desk.ingest(boris)
    mail = refused_to(desk, sink, n, STAFF[1])
    assert "исправлено" in mail.text
    assert not [r for r in after(sink, n, CUSTOMER) if "лог ошибки" in r.text]
