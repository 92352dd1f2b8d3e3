"""The morning queue's line of each state an open ticket can be in: a deadline ahead,
one passed, critical, assigned, taken, answered and open (nothing waits for staff),
waiting for the customer (and with a customer's mail merged in). End to end: tickets
made through the pipeline on a fixed clock, the digest from `maild jobs run`, read as
the real aiosmtpd relay got it."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import Desk, make_mail
from tests.integration.test_staff_e2e import staff_reply

MSK = ZoneInfo("Europe/Moscow")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # the free level's 24 h: 25.11 16:00
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=MSK)  # its 24 h: 30.11 16:00
FRIDAY = "2026-11-27T09:05:00+03:00"  # the digest's morning
ERASED = "[удалено по запросу]"


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when

    def __call__(self) -> datetime:
        return self.now


def _digest(tmp_path, sink) -> tuple[Desk, dict[str, str], str, str]:
    staff = ["anna@example.com", "boris@example.com"]
    desk = Desk(tmp_path, sink.port, support={"staff": staff})
    clock = Clock(MONDAY)
    app = App(load(desk.config), clock=clock)
    subjects = ["Ждёт ответа", "Сайт лежит", "Борису", "Взята", "Ответили", "Срочно, ответили"]
    subjects += ["Ждём лог", "Новое", "Ждём скрин", "Вот скрин"]
    tid = {}
    for i, s in enumerate(subjects):
        clock.now = THURSDAY if s == "Новое" else MONDAY
        tid[s] = ingest(app, make_mail(sender=f"c{i}@shop{i}.example", subject=s))[1].tid
    for subject, body in (
        ("Сайт лежит", "#critical\n#note"),
        ("Борису", "#assign boris@example.com\n#note"),
        ("Взята", "#take"),
        ("Ответили", "Ответили."),
        ("Срочно, ответили", "Сделано.\n#critical"),
        ("Ждём лог", "Пришлите лог.\n#wait"),
        ("Ждём скрин", "Пришлите скриншот.\n#wait"),
        ("Вот скрин", f"#merge {tid['Ждём скрин']}"),  # its deadline: the target's now
    ):
        ingest(app, staff_reply(tid[subject], body))
    assert desk.flush().code == 0
    assert desk.run("jobs", "run", "--now", FRIDAY).code == 0
    assert desk.flush().code == 0
    [mail] = [m for m in sink.to("anna@example.com") if "Очередь обращений" in m.subject]
    return desk, tid, mail.subject, mail.text.replace("\r\n", "\n")


@pytest.mark.daily_mail
def test_each_line_of_the_morning_queue_says_its_state_in_words(tmp_path, sink):
    """A ticket staff answered (or took) and that is still open has no deadline: its
    line read «[TID#...] до -, Бесплатная поддержка», a dash for the time."""
    _, tid, subject, text = _digest(tmp_path, sink)

    def head(name: str) -> str:
        return re.search(rf"^ *(.*\[TID#{tid[name]}\].*)$", text, re.M)[1]

    assert "до -" not in text and " - " not in text
    level = "Бесплатная поддержка"
    overdue = f"ПРОСРОЧЕНО [TID#{tid['Ждёт ответа']}] до 25.11 16:00, {level}"
    assert head("Ждёт ответа") == overdue
    urgent = f"ПРОСРОЧЕНО [срочно] [TID#{tid['Сайт лежит']}] до 25.11 16:00, {level}"
    assert head("Сайт лежит") == urgent
    assert head("Борису") == f"ПРОСРОЧЕНО [TID#{tid['Борису']}] до 25.11 16:00, {level}"
    assert head("Новое") == f"[TID#{tid['Новое']}] до 30.11 16:00, {level}"
    for answered in ("Взята", "Ответили"):
        assert head(answered) == f"[TID#{tid[answered]}] ответ дан (срока нет), {level}"
    critical = tid["Срочно, ответили"]
    assert head("Срочно, ответили") == f"[срочно] [TID#{critical}] ответ дан (срока нет), {level}"
    assert head("Ждём лог") == f"[TID#{tid['Ждём лог']}] c6@shop6.example: Ждём лог"
    # was waiting, and a customer's mail merged into it waits for staff: to do, overdue
    merged = f"ПРОСРОЧЕНО [TID#{tid['Ждём скрин']}] до 25.11 16:00, {level}"
    assert head("Ждём скрин") == merged
    assert text.index(f"[TID#{tid['Ждём скрин']}]") < text.index("Ждут ответа клиента")
    assert subject.endswith("просрочено 4")  # and the subject counts it
    # the order the opening names: critical first, then by deadline, the answered last
    opening = "среди срочных и среди остальных в конце — те, где срока нет (ответ уже дан"
    assert opening in " ".join(text.split())
    order = [text.index(f"[TID#{tid[s]}]") for s in ("Сайт лежит", "Срочно, ответили")]
    order += [text.index(f"[TID#{tid[s]}]") for s in ("Ждёт ответа", "Новое", "Ответили")]
    assert order == sorted(order)
    assert "c4@shop4.example: Ответили\n" in text
    assert "c2@shop2.example: Борису (ответственный: boris@example.com)\n" in text


@pytest.mark.daily_mail
def test_forget_erases_the_subject_under_an_answered_tickets_line(tmp_path, sink):
    """The answered ticket's line has no «до ...»: `maild forget` still finds the
    subject under it in the digest kept in the outbox."""
    desk, tid, _, _ = _digest(tmp_path, sink)
    assert desk.run("forget", "c4@shop4.example").code == 0
    sent = (p.read_bytes().decode() for p in (desk.root / "data/outbox/sent").glob("*.mail"))
    digests = [t.replace("\r\n", "\n") for t in sent if "Очередь обращений" in t]
    assert len(digests) == 2  # anna's and boris's
    for text in digests:
        assert "Ответили\n" not in text and "c4@shop4.example" not in text
        assert f"[TID#{tid['Ответили']}] ответ дан (срока нет)" in text
        assert f"forgotten@invalid: {ERASED}\n" in text
        assert "c0@shop0.example: Ждёт ответа\n" in text
