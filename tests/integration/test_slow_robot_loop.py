"""Another help desk's robot that answers every mail of ours in 36 or 61 minutes with
its fixed text (`Re: <our subject>`, In-Reply-To ours, its own ticket number, no
Auto-Submitted), against maild with a simulated clock: jobs every 10 minutes, the
outbox flushed to a real aiosmtpd relay each minute. Before, only answers within 5
minutes counted as a robot's canned run, and a slower one stayed under every cap on
automatic mail: 78 mails to it in 48 hours, two staff notices a round. Now its fourth
answer in a row with the same text marks it (robots.SLOW_REPLIES); a person writing
new words is no robot, and gets three acknowledgements in a row before staff answer
(robotrounds.ACK_ROUNDS: test_robot_rounds_e2e.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maild import jobs
from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import Desk, Received, make_mail, staff_reply

MSK = ZoneInfo("Europe/Moscow")
ROBOT = "support@vendor.example"
OLGA = "olga@romashka.ru"
CANNED = (
    "Здравствуйте!\n\nВаше обращение зарегистрировано под номером {n}. "
    "Мы ответим в течение 24 часов.\n\nС уважением, служба поддержки Vendor\n"
)


class Loop:
    """maild and one correspondent on a simulated clock, a minute a step: each mail
    taken in by an App of its own (a `maild ingest`), the jobs and the outbox's
    sending of a run by one App (as `maild serve` keeps one for its life). The
    config, which no test changes meanwhile, is read once: an App and a config read
    for each of a 48-hour run's 2,880 minutes were most of its ~2 s of CPU."""

    def __init__(self, desk: Desk, sink) -> None:
        self.desk, self.sink, self.seen = desk, sink, 0
        self.now = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # a Monday
        self.config = load(desk.config)

    def app(self) -> App:
        return App(self.config, clock=lambda: self.now)

    def ingest(self, raw: bytes) -> None:
        ingest(self.app(), raw)

    def run(self, hours: int, delay: int, writer, address: str) -> None:
        """For `hours`: `address` answers each mail maild sends it `delay` minutes
        later with writer(our mail, round), if that writes anything."""
        end, pending, n = self.now + timedelta(hours=hours), [], 0
        app = self.app()  # the daemon's
        while self.now < end:
            for r in self.sink.received[self.seen :]:
                if address in r.rcpt_tos and (raw := writer(r, n := n + 1)):
                    pending.append((self.now + timedelta(minutes=delay), raw))
            self.seen = len(self.sink.received)
            for raw in [raw for at, raw in pending if at <= self.now]:
                self.ingest(raw)
            pending = [(at, raw) for at, raw in pending if at > self.now]
            if self.now.minute % 10 == 0:
                jobs.run_all(app, self.now)
            app.outbox.flush(app.config.outbound, self.now)
            self.now += timedelta(minutes=1)


def answer(ours: Received, sender: str, text: str) -> bytes:
    mid = str(ours.msg["Message-ID"])
    headers = {"In-Reply-To": mid, "References": mid}
    return make_mail(sender=sender, subject=f"Re: {ours.subject}", body=text, headers=headers)


@pytest.mark.parametrize("delay", [36, 61])
def test_a_slow_robot_answering_with_its_fixed_text_is_marked_and_the_loop_ends(desk, sink, delay):
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    loop.run(12, delay, lambda r, n: answer(r, ROBOT, CANNED.format(n=5000 + n)), ROBOT)
    # the confirmation and three acknowledgements; its fourth answer marks it
    assert len(sink.to(ROBOT)) == 4, [(m.subject) for m in sink.to(ROBOT)]
    (t,) = desk.tickets()
    assert "4-й ответ подряд" in desk.ticket(t["tid"])["robots"][ROBOT]
    told = [m for m in sink.to("anna@example.com") if "Проблема с интеграцией" in m.subject]
    assert len(told) == 5  # new ticket, three answers, and the one that marked it


def test_a_person_writing_six_follow_ups_before_staff_answer_is_served(desk, sink):
    """Each reply to the last mail of ours she got, new words each, an hour apart:
    the first three are acknowledged, the other three are added without one (ours
    would loop with a robot: robotrounds.ACK_ROUNDS); staff hear of each, the fourth's
    notice says why no acknowledgement went. Staff's answer starts the rounds again."""
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=OLGA, subject="Не работает корзина"))
    texts = [
        "Вот что пишет сайт: ошибка 500.",
        "Пробовала из другого браузера, то же самое.",
        "Заказ 4411 тоже не оформился.",
        "Сегодня уже трое клиентов пожаловались.",
        "Нашла в журнале: timeout при обращении к складу.",
        "Проверьте, пожалуйста, склад.",
    ]
    loop.run(1, 0, lambda r, n: None, OLGA)
    for text in texts:
        loop.ingest(answer(sink.to(OLGA)[-1], OLGA, text))
        loop.run(1, 0, lambda r, n: None, OLGA)  # an hour on, mail sent
    assert len(sink.to(OLGA)) == 1 + 3  # the confirmation, three acknowledgements
    for text in texts:  # staff told of each
        assert [m for m in sink.to("anna@example.com") if text in m.text], text
    (fourth,) = [m for m in sink.to("anna@example.com") if texts[3] in m.text]
    assert "Подтверждение клиенту не отправлено: это уже 4-е письмо подряд" in fourth.text
    (t,) = desk.tickets()
    assert "robots" not in desk.ticket(t["tid"])
    loop.ingest(staff_reply(t["tid"], "Проверили склад, ошибка исправлена."))
    loop.run(1, 0, lambda r, n: None, OLGA)
    loop.ingest(answer(sink.to(OLGA)[-1], OLGA, "Спасибо, заработало."))
    loop.run(1, 0, lambda r, n: None, OLGA)
    loop.ingest(answer(sink.to(OLGA)[-1], OLGA, "Хотя нет, заказ 4412 снова не прошёл."))
    loop.run(1, 0, lambda r, n: None, OLGA)
    assert len(sink.to(OLGA)) == 4 + 3  # staff's answer, and each reply acknowledged
