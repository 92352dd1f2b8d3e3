"""The regulation («Оценка качества»): a customer «может направить письмо руководителю
службы технической поддержки с просьбой прокомментировать или содействовать в ускорении
решения экстренных вопросов», yet nothing told them how: support.head was named to no
customer. The closing letter, the one that asks for a rating, names the head's address
(only when support.head is set); the ticket's page does too (test_web_customer)."""

from __future__ import annotations

from tests.helpers import Desk, days_on, make_mail
from tests.integration.test_staff_e2e import staff_reply

IVAN = "ivan@shop-example.ru"
HEAD_LINE = "руководителю службы поддержки (head@example.com)"


def _closing_letter(desk: Desk, sink) -> str:
    tid = desk.ingest_tid(make_mail(subject="Не работает корзина"))
    desk.ingest(staff_reply(tid, "Исправили, проверьте, пожалуйста.\n#close"))
    desk.flush()
    sink.wait_for(len(sink.received))
    [closing] = [m for m in sink.to(IVAN) if "цифрой от 1 до 5" in m.text]
    return " ".join(closing.text.split())


def test_the_closing_letter_names_the_head_of_support(desk, sink):
    text = _closing_letter(desk, sink)
    assert HEAD_LINE in text
    assert "недовольны работой поддержки" in text and "ускорить решение" in text


def test_no_head_no_line(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    del desk.sections["support"]["head"]
    desk.write_config()
    text = _closing_letter(desk, sink)
    assert "руководител" not in text


def test_the_closing_letter_of_a_ticket_closed_for_want_of_an_answer_names_the_head(desk, sink):
    """#wait and no answer: the job that closes the ticket sends the same closing
    letter, the head named in it as in one a staff member's #close sends."""
    tid = desk.ingest_tid(make_mail(subject="Не работает корзина"))
    desk.ingest(staff_reply(tid, "Пришлите, пожалуйста, лог.\n#wait"))
    assert desk.run("jobs", "run", "--now", days_on(20)).code == 0
    assert desk.run("jobs", "run", "--now", days_on(50)).code == 0
    assert desk.ticket(tid)["status"] == "closed"
    desk.flush()
    sink.wait_for(len(sink.received))
    [closing] = [m for m in sink.to(IVAN) if "цифрой от 1 до 5" in m.text]
    assert HEAD_LINE in " ".join(closing.text.split())
