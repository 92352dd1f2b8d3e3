"""The new-ticket rule of robotrounds (opening_reason) compares a new ticket's subject
and own words (opening_text), and counts the texts repeated in a chain of new tickets
each right after our confirmation of the one before. Against maild with a simulated
clock, mail flushed to a real relay.

- A person writing each request in the Subject, her body only her signature or empty,
  four tickets 40 minutes apart: before, the same (empty) words made her fourth a
  robot's, with no confirmation and no deadline.
- A robot answering each confirmation with a new mail, its canned text one of two in
  turn: before, no three in a row were the same, and it got 47 confirmations in 48 h."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import make_mail
from tests.integration.test_slow_robot_loop import Loop

OLGA = "olga@romashka.ru"
SIG = "С уважением,\nОльга Иванова\nООО Ромашка, тел. +7 495 123-45-67\n"
SUBJECTS = [
    "Не приходит счёт за ноябрь",
    "Как добавить второго пользователя",
    "Ошибка 500 при выгрузке в 1С",
    "Прошу сменить контактный телефон",
]
ROBOT = "info@vendor.example"
TEXTS = [
    "Здравствуйте! Мы получили ваше письмо и ответим в ближайшее время.\nКомпания Vendor\n",
    "Добрый вечер! Ваше письмо получено, мы ответим в рабочее время.\nКомпания Vendor\n",
]


@pytest.mark.parametrize("body", [SIG, "\n"])
def test_a_person_writing_each_request_in_the_subject_gets_each_confirmed(desk, sink, body):
    loop = Loop(desk, sink)
    for subject in SUBJECTS:
        loop.ingest(make_mail(sender=OLGA, subject=subject, body=body))
        loop.run(0, 0, lambda r, n: None, OLGA)
        app = loop.app()
        app.outbox.flush(app.config.outbound, loop.now)
        loop.now += timedelta(minutes=40)
    assert len(sink.to(OLGA)) == 4, "a confirmation for each of her four requests"
    for t in desk.tickets():
        ticket = desk.ticket(t["tid"])
        assert not ticket.get("robots") and ticket.get("reaction_due")


def test_a_robot_answering_with_two_texts_in_turn_is_stopped(desk, sink):
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    loop.run(
        48,
        61,
        lambda r, n: make_mail(sender=ROBOT, subject="Ваше письмо получено", body=TEXTS[n % 2]),
        ROBOT,
    )
    # its first ticket's confirmation and three of its canned ones (A, B, A); the
    # fourth canned ticket (B) is a robot's: no confirmation, and the loop ends
    assert len(sink.to(ROBOT)) == 4, [m.subject for m in sink.to(ROBOT)]
    assert len(desk.tickets()) == 5
    last = max((desk.ticket(t["tid"]) for t in desk.tickets()), key=lambda t: t["created_at"])
    why = "4-е новое обращение с одним из 2 повторяющихся текстов в цепочке из 5 обращений"
    assert why in last["robots"][ROBOT]
