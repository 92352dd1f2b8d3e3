"""A ticket opened by automatic mail (a newsletter's Precedence: bulk, another desk's
Auto-Submitted notice, an out-of-office answering nothing of ours) starts no reaction
deadline, as a follow-up of the same mail would not: no reminder, no escalation, not
missed in `maild report sla` (domain/sla.unattended). Mail that only asks for no
auto-reply is a person's and keeps its deadline; the customer's real follow-up, or
staff's `#level`, starts one. `maild ingest` with the clock fixed, `maild jobs run
--now` past the reminder's point and the deadline, as the reminders' tests do; a real
aiosmtpd relay takes the mail."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail
from tests.integration.test_deadlines_e2e import HEAD, STAFF, at, ingest_at, jobs_run, mails_to
from tests.integration.test_staff_e2e import staff_reply

SENDER = "news@shop-example.ru"
NAGS = ("Напоминание", "Просрочена")


def sla(desk: Desk) -> dict[str, dict]:
    r = desk.run("report", "sla", "--json")
    assert r.code == 0, r.err
    return {b["level"]: b for b in r.json()["levels"]}


def nagging(desk: Desk, sink) -> list[str]:
    """The reminders and escalations staff and the head got."""
    mail = mails_to(desk, sink, STAFF) + sink.to(HEAD)
    return [m.subject for m in mail if m.subject.startswith(NAGS)]


AUTOMATIC = [
    pytest.param(
        {"Precedence": "bulk"}, "Новости магазина за ноябрь", "Precedence: bulk", id="bulk"
    ),
    pytest.param(
        {"Auto-Submitted": "auto-generated"},
        "Заявка №5512 зарегистрирована",
        "Auto-Submitted: auto-generated",
        id="desk",
    ),
    pytest.param({}, "Автоответ: в отпуске до 30.11", "тема автоответа «Автоответ:»", id="ooo"),
]


@pytest.mark.daily_mail
@pytest.mark.parametrize(("headers", "subject", "sign"), AUTOMATIC)
def test_a_ticket_opened_by_automatic_mail_nags_no_one(desk, sink, headers, subject, sign):
    """A free ticket at Monday 10:00 would be due Wednesday 16:00, reminded at 75 % of
    it and escalated past it: automatic, it gets neither, and the report misses none."""
    mail = make_mail(sender=f"Магазин <{SENDER}>", subject=subject, headers=headers)
    tid = ingest_at(desk, at(23, 10), mail)
    t = desk.ticket(tid)
    assert (t["status"], t["reaction_due"]) == ("new", None)
    [notice] = mails_to(desk, sink, STAFF)
    assert "без срока" in notice.subject, notice.subject
    said = " ".join(notice.text.split())
    why = "Поэтому срок реакции не назначен: напоминаний и эскалаций не будет."
    assert f"Письмо автоматическое ({sign}), автоответ клиенту не отправлялся. {why}" in said
    assert "назначьте срок строкой «#level free» в ответе: он начнётся с этой минуты" in said
    assert jobs_run(desk, at(25, 12))["reminders"] == 0  # past the 75 % point
    assert jobs_run(desk, at(27, 12))["reminders"] == 0  # past the deadline
    assert nagging(desk, sink) == []
    assert sink.to(SENDER) == []  # never answered
    # what the relay got: the notices, the morning queues, the head's daily reports
    kinds = ("Новое обращение", "Очередь обращений", "Отчёт о сроках реакции")
    assert [m.subject for m in sink.received if not m.subject.startswith(kinds)] == []
    digest = [m for m in sink.to(STAFF) if m.subject.startswith("Очередь")][-1]
    assert "просрочено" not in digest.subject
    assert f"[TID#{tid}] срока нет (письмо автоматическое)" in digest.text
    levels = sla(desk)
    b = levels["all"]
    assert (b["tickets"], b["in_time"], b["breached"], b["overdue"]) == (0, 0, 0, 0)
    assert (b["no_deadline"], b["open"]) == (1, 0)  # in the footer, in no column
    table = desk.run("report", "sla").out
    assert "Без срока реакции (открыты автоматическими письмами" in table and ": 1" in table


def test_the_tables_open_counts_the_tickets_it_judges_the_footer_the_others(desk, sink):
    """One person's ticket and one of a newsletter, both open: the table's row counts
    the one (обращений 1, открыто 1), the footer the other, «в таблице не учтены» as
    it says."""
    ingest_at(
        desk, at(23, 10), make_mail(sender=f"Магазин <{SENDER}>", headers={"Precedence": "bulk"})
    )
    ingest_at(desk, at(23, 11), make_mail(sender="ivan@shop.ru", subject="Ошибка"))
    b = sla(desk)["all"]
    assert (b["tickets"], b["open"], b["no_deadline"]) == (1, 1, 1)
    lines = desk.run("report", "sla").out.splitlines()
    total = next(s for s in lines if s.startswith("итого")).split()
    assert (total[1], total[-2]) == ("1", "1")  # обращений, открыто
    assert "в таблице не учтены): 1" in lines[-1]


def test_mail_asking_only_for_no_auto_reply_keeps_its_deadline(desk, sink):
    """X-Auto-Response-Suppress (Exchange sets it on people's mail too): no confirmation,
    but a person waits: reminded, escalated and breached as any."""
    mail = make_mail(headers={"X-Auto-Response-Suppress": "All"})
    tid = ingest_at(desk, at(23, 10), mail)
    assert desk.ticket(tid)["reaction_due"] == "2026-11-25T16:00:00+03:00"
    assert jobs_run(desk, at(25, 12))["reminders"] >= 1
    jobs_run(desk, at(27, 12))
    assert any(s.startswith("Напоминание") for s in nagging(desk, sink))
    assert any(m.subject.startswith("Просрочена") for m in sink.to(HEAD))
    b = sla(desk)["all"]
    assert (b["tickets"], b["breached"], b["no_deadline"]) == (1, 1, 0)


def test_the_customers_real_followup_starts_the_deadline(desk, sink):
    """An out-of-office opened the ticket (no deadline); the person writes on Tuesday
    10:00 with the TID: the free time runs from then (Thursday 16:00), the first
    deadline; past it the head is told and the report counts the breach."""
    ooo = make_mail(sender=SENDER, subject="Автоответ: в отпуске до 24.11")
    tid = ingest_at(desk, at(23, 10), ooo)
    body = "Вернулась из отпуска. У нас не работает оплата, помогите, пожалуйста."
    ingest_at(desk, at(24, 10), make_mail(sender=SENDER, subject=f"Re: [TID#{tid}]", body=body))
    t = desk.ticket(tid)
    assert t["reaction_due"] == "2026-11-26T16:00:00+03:00"
    jobs_run(desk, at(26, 16, 1))
    assert [s for s in nagging(desk, sink) if s.startswith("Просрочена")]
    b = sla(desk)["all"]
    assert (b["tickets"], b["breached"], b["no_deadline"]) == (1, 1, 0)


def test_the_customers_real_followup_ends_the_hold_of_staffs_notices(desk, sink):
    """An out-of-office opened the ticket: staff's «#take» tells its address nothing
    (a notice to a robot) and staff are told so. The person then writes as a person:
    staff's «#close» notice goes to them, as to anyone who waits for staff."""
    tid = ingest_at(desk, at(23, 10), make_mail(sender=SENDER, subject="Автоответ: в отпуске"))
    ingest_at(desk, at(23, 11), staff_reply(tid, "#take"))
    assert mails_to(desk, sink, SENDER) == []
    body = "Вернулась из отпуска. У нас не работает оплата, помогите, пожалуйста."
    ingest_at(desk, at(24, 10), make_mail(sender=SENDER, subject=f"Re: [TID#{tid}]", body=body))
    before = len(mails_to(desk, sink, SENDER))
    ingest_at(desk, at(24, 11), staff_reply(tid, "#close"))
    assert len(mails_to(desk, sink, SENDER)) == before + 1
    assert not desk.ticket(tid).get("automatic")  # no hold left on the ticket


def test_level_sets_a_deadline_from_now(desk, sink):
    """Staff take the automatic-looking mail for a person's: `#level free` alone at
    11:00 sets the free time from then (Wednesday 17:00); the level is the same, so the
    sender is told nothing; reminders and the escalation follow it."""
    mail = make_mail(sender=SENDER, subject="Вопрос по заказу", headers={"Precedence": "bulk"})
    tid = ingest_at(desk, at(23, 10), mail)
    ingest_at(desk, at(23, 11), staff_reply(tid, "#level free"))
    t = desk.ticket(tid)
    assert (t["level"], t["reaction_due"]) == ("free", "2026-11-25T17:00:00+03:00")
    assert t["first_reaction_at"] is None
    assert mails_to(desk, sink, SENDER) == []
    jobs_run(desk, at(25, 17, 1))
    assert [s for s in nagging(desk, sink) if s.startswith("Просрочена")]
    b = sla(desk)["all"]  # judged by that deadline, its first
    assert (b["tickets"], b["breached"], b["no_deadline"]) == (1, 1, 0)


def test_a_sites_form_from_noreply_keeps_its_deadline(desk, sink):
    """A site's feedback form writes From noreply@ and the visitor in Reply-To: a
    robot's address, but a person's request; its deadline stands."""
    form = make_mail(
        sender="Интернет-магазин <noreply@shop-example.ru>",
        subject="Сообщение с сайта: Обратная связь",
        headers={"Reply-To": "olga.client@mail-example.ru"},
    )
    tid = ingest_at(desk, at(23, 10), form)
    assert desk.ticket(tid)["reaction_due"] == "2026-11-25T16:00:00+03:00"


FORM = "Интернет-магазин <noreply@shop-example.ru>"
VISITOR = "olga.client@mail-example.ru"


def form_mail(subject: str, body: str) -> bytes:
    return make_mail(sender=FORM, subject=subject, body=body, headers={"Reply-To": VISITOR})


def test_a_sites_forms_follow_up_reopens_and_starts_a_deadline_as_its_first_mail(desk, sink):
    """The one rule for a new ticket and a follow-up (sla.unattended): the form's mail
    is a person's request, its second one too. Its follow-up to the answered ticket
    starts a deadline, and to the closed one reopens it with one; it did neither, as
    an out-of-office would not."""
    tid = ingest_at(desk, at(23, 10), form_mail("Сообщение с сайта: Обратная связь", "Где заказ?"))
    ingest_at(desk, at(23, 11), staff_reply(tid, "Заказ в пути."))
    assert desk.ticket(tid)["reaction_due"] is None  # reacted
    ingest_at(desk, at(23, 12), form_mail(f"Re: [TID#{tid}] Обратная связь", "Не пришёл."))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-25T18:00:00+03:00"
    ingest_at(desk, at(23, 13), staff_reply(tid, "Отправили снова.\n#close"))
    assert desk.ticket(tid)["status"] == "closed"
    ingest_at(desk, at(24, 10), form_mail(f"Re: [TID#{tid}] Обратная связь", "Опять нет."))
    t = desk.ticket(tid)
    assert (t["status"], t["reaction_due"]) == ("open", "2026-11-26T16:00:00+03:00")
    ingest_at(desk, at(24, 11), staff_reply(tid, "Нашли, отправили курьером.\n#close"))
    ingest_at(
        desk, at(24, 12), form_mail(f"Re: [TID#{tid}] Обратная связь", "Спасибо, всё работает!")
    )
    assert desk.ticket(tid)["status"] == "closed"  # thanks only, as a person's mail
    ingest_at(
        desk,
        at(24, 13),
        form_mail(f"Re: [TID#{tid}] Обратная связь", "Оценка: 4. Но где чек по заказу?"),
    )
    t = desk.ticket(tid)  # the rating beside news is the form's too, as its thanks are
    last_in = [m for m in t["messages"] if m["direction"] == "in"][-1]
    assert t["status"] == "open" and last_in.get("rating") == 4, last_in
