"""Deadlines end to end: what staff commands do to a ticket's reaction deadline, what
the customer is promised, what reminders and the SLA report make of it. `maild ingest`
with the clock fixed (runner.ingest with an App of that clock, as test_jobs does),
`maild jobs run --now`, `maild ticket show --json`, `maild report sla`; a real
aiosmtpd relay takes the mail."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import Desk, make_mail
from tests.integration.test_staff_e2e import staff_reply

MSK = ZoneInfo("Europe/Moscow")
CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"
HEAD = "head@example.com"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time of November 2026 in Moscow (23rd: a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=MSK)


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when

    def __call__(self) -> datetime:
        return self.now


def ingest_at(desk: Desk, when: datetime, raw: bytes) -> str:
    """`maild ingest` of ``raw`` at ``when``: the ticket's TID."""
    _, decision = ingest(App(load(desk.config), clock=Clock(when)), raw)
    return decision.tid


def new_ticket(desk: Desk, when: datetime, subject: str = "Не работает корзина") -> str:
    return ingest_at(desk, when, make_mail(subject=subject))


def mails_to(desk: Desk, sink, address: str) -> list:
    desk.flush()
    sink.wait_for(len(sink.received))
    return sink.to(address)


def jobs_run(desk: Desk, now: datetime) -> dict:
    r = desk.run("jobs", "run", "--now", now.isoformat(), "--json")
    assert r.code == 0, r.err
    return r.json()


def test_level_in_an_answer_starts_no_deadline(desk, sink):
    """`#level` in a reply that answers the customer: nothing waits for staff, so no
    deadline, no «Ответ поступит не позднее» under the answer, no reminder or
    escalation about a ticket answered minutes ago."""
    tid = new_ticket(desk, at(23, 10))
    answer = "Иван, здравствуйте. Проверьте настройки корзины.\n#level operative"
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, answer))
    t = desk.ticket(tid)
    assert (t["level"], t["reaction_due"]) == ("operative", None)
    assert t["first_reaction_at"] == "2026-11-23T10:30:00+03:00"
    [mail] = mails_to(desk, sink, CUSTOMER)[1:]  # after the confirmation
    assert "Проверьте настройки корзины" in mail.text
    assert "Ответ поступит не позднее" not in mail.text
    assert "Оперативная поддержка" in mail.text or "оперативная поддержка" in mail.text
    assert jobs_run(desk, at(23, 15))["reminders"] == 0
    assert jobs_run(desk, at(24, 15))["reminders"] == 0
    late = [m.subject for m in mails_to(desk, sink, STAFF) + sink.to(HEAD)]
    assert not [s for s in late if "Напоминание" in s or "Просрочена" in s]
    # the customer writes again: the new level's time starts from that mail
    ingest_at(desk, at(24, 10), make_mail(subject=f"Re: [TID#{tid}]", body="Не помогло."))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-24T14:00:00+03:00"


def test_level_while_the_customer_waits_counts_from_the_transfer(desk, sink):
    """No answer yet: the pending deadline is the new level's time from now."""
    tid = new_ticket(desk, at(23, 10))
    ingest_at(desk, at(23, 11), staff_reply(tid, "#level operative"))
    t = desk.ticket(tid)
    assert t["reaction_due"] == "2026-11-23T15:00:00+03:00"
    assert t["first_reaction_at"] is None
    [notice] = mails_to(desk, sink, CUSTOMER)[1:]
    assert "Ответ поступит не позднее: 23.11.2026 15:00" in notice.text


def test_reopen_and_level_in_either_order_start_no_deadline(desk, sink):
    """A closed ticket opened again by staff with a new level: nothing waits for staff
    (the customer has not written), whichever line comes first."""
    tickets = [new_ticket(desk, at(23, 10, i), f"Заказ {i}") for i in range(2)]
    for tid in tickets:
        ingest_at(desk, at(23, 10, 10), staff_reply(tid, "Готово.\n#close"))
    first, second = tickets
    ingest_at(desk, at(23, 11), staff_reply(first, "#reopen\n#level standard"))
    ingest_at(desk, at(23, 11), staff_reply(second, "#level standard\n#reopen"))
    for tid in tickets:
        t = desk.ticket(tid)
        assert (t["status"], t["level"], t["reaction_due"]) == ("open", "standard", None)
    assert jobs_run(desk, at(24, 15))["reminders"] == 0


def sla_all(desk: Desk) -> dict:
    r = desk.run("report", "sla", "--json")
    assert r.code == 0, r.err
    return next(b for b in r.json()["levels"] if b["level"] == "all")


def test_a_close_alone_is_the_first_reaction(desk, sink):
    """`#close` alone five minutes after the ticket came: the customer is told
    «Обращение закрыто», and that was the reaction, in time (not «нарушено» once the
    deadline passed, as a ticket never reacted to)."""
    tid = new_ticket(desk, at(23, 10))
    ingest_at(desk, at(23, 10, 5), staff_reply(tid, "#close"))
    t = desk.ticket(tid)
    assert (t["status"], t["reaction_due"]) == ("closed", None)
    assert t["first_reaction_at"] == "2026-11-23T10:05:00+03:00"
    [told] = mails_to(desk, sink, CUSTOMER)[1:]
    assert "Обращение закрыто" in told.subject
    figures = sla_all(desk)  # today: long after the deadline
    assert (figures["in_time"], figures["breached"]) == (1, 0)
    assert figures["median_reaction_hours"] == 0.08


def test_a_wait_that_tells_the_customer_nothing_is_no_reaction(desk, sink):
    """`#wait` alone before any answer asks the customer nothing: it is refused
    (closedcmd.unasked_errors), no reaction; the deadline stands, the head is told when
    it passes, and the report counts the breach (it left the ticket waiting with no
    deadline: no escalation, yet «нарушено» in the report)."""
    tid = new_ticket(desk, at(23, 10))
    due = desk.ticket(tid)["reaction_due"]
    ingest_at(desk, at(23, 10, 5), staff_reply(tid, "#wait"))
    t = desk.ticket(tid)
    assert (t["status"], t["first_reaction_at"], t["reaction_due"]) == ("new", None, due)
    assert mails_to(desk, sink, CUSTOMER)[1:] == []
    assert jobs_run(desk, at(27, 10))["reminders"] >= 1
    assert [m for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert sla_all(desk)["breached"] == 1


def test_a_passed_deadline_is_not_promised_again(desk, sink):
    """The status reply and the acknowledgement of more information name the deadline
    while it is ahead; once it has passed they say the answer is late and staff were
    reminded, never «Ответ поступит не позднее» a time gone by."""
    tid = new_ticket(desk, at(23, 10))  # free support: due Wednesday 25.11 at 16:00
    follow = f"Re: [TID#{tid}]"
    promise = "Ответ поступит не позднее: 25.11.2026 16:00"
    ingest_at(desk, at(23, 11), make_mail(subject=follow, body="статус"))
    [status] = mails_to(desk, sink, CUSTOMER)[1:]
    assert "Состояние обращения" in status.subject and promise in status.text
    ingest_at(desk, at(26, 15), make_mail(subject=follow, body="статус"))
    ingest_at(desk, at(26, 15, 10), make_mail(subject=follow, body="Ошибка 500 при оплате."))
    late_status, ack = mails_to(desk, sink, CUSTOMER)[2:]
    assert "Состояние обращения" in late_status.subject
    assert "Письмо добавлено" in ack.subject
    for mail in (late_status, ack):
        assert "Ответ поступит не позднее" not in mail.text
        assert "Ответ задерживается" in mail.text and "напоминание" in mail.text


def test_a_reaction_in_time_is_in_time_whatever_the_offsets(desk, sink):
    """support.timezone changed between the ticket and its answer: the deadline was
    stored at +03:00, the reaction at +04:00; the report compares the times, not the
    text ("…16:30+04:00" is 15:30 in Moscow, before "…16:00+03:00")."""
    tid = new_ticket(desk, at(23, 10))  # free support: due Wednesday 25.11 at 16:00
    desk.sections["support"]["timezone"] = "Europe/Samara"
    desk.write_config()
    ingest_at(desk, at(25, 15, 30), staff_reply(tid, "Ответ."))
    t = desk.ticket(tid)
    assert (t["first_reaction_at"], t["reaction_due"]) == ("2026-11-25T16:30:00+04:00", None)
    figures = sla_all(desk)
    assert (figures["in_time"], figures["breached"]) == (1, 0)


def test_a_report_asked_for_and_not_made_says_why(desk, sink):
    """`maild jobs run --report` on a day off, or when the day's report went already:
    still exit 0 and "report 0", and a line on stderr (and --json) saying why."""
    new_ticket(desk, at(23, 10))
    r = desk.run("jobs", "run", "--report", "--now", "2027-01-04T10:00:00+03:00")
    assert r.code == 0 and "report 0" in r.out
    assert (
        r.err.strip() == "maild: jobs run: no report: 2027-01-04 is a day off (not a business day)"
    )
    r = desk.run("jobs", "run", "--report", "--now", "2027-01-04T10:00:00+03:00", "--json")
    assert r.json()["report_withheld"] == "2027-01-04 is a day off (not a business day)"
    first = desk.run("jobs", "run", "--report", "--now", "2027-01-11T10:00:00+03:00", "--json")
    assert first.code == 0 and first.json()["report"] == 1 and first.err == ""
    assert first.json()["report_withheld"] is None
    again = desk.run("jobs", "run", "--report", "--now", "2027-01-11T11:00:00+03:00", "--json")
    assert again.json()["report"] == 0
    why = again.json()["report_withheld"]
    assert why.startswith("today's report (2027-01-11) went already, at ") and why in again.err
    r = desk.run("jobs", "run", "--report", "--now", "2026-12-30T10:00:00+03:00")
    assert "the report for the later day 2027-01-11 went already" in r.err
    assert len([m for m in mails_to(desk, sink, HEAD) if "Отчёт" in m.subject]) == 1


def test_reminders_of_one_deadline_go_in_order_of_arrival(tmp_path, sink, monkeypatch):
    """Two tickets of the weekend share their deadline; with one single reminder an
    hour (the rest in a list), the ticket that came first gets it, whatever the TIDs
    (random: here the later ticket's is the smaller)."""
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": 1})
    tids = iter(["9000-0001", "1000-0002"])
    monkeypatch.setattr("maild.snapshot.new_tid", lambda exists=None, seed=None: next(tids))
    first = new_ticket(desk, at(28, 10), "Первое")  # Saturday: both due Wed 02.12 15:00
    second = new_ticket(desk, at(28, 11), "Второе")
    assert desk.ticket(first)["reaction_due"] == desk.ticket(second)["reaction_due"]
    assert jobs_run(desk, datetime(2026, 12, 2, 10, 0, tzinfo=MSK))["reminders"] == 2
    mails = mails_to(desk, sink, STAFF)[2:]  # after the two new-ticket notices
    singles = [m.subject for m in mails if m.subject.startswith("Напоминание: скоро")]
    assert len(singles) == 1 and f"[TID#{first}]" in singles[0], [m.subject for m in mails]


def test_the_head_gets_the_reminder_before_the_deadline_and_the_escalation_at_it(desk, sink):
    """SPEC: the support head gets reminder and escalation mail before and when a
    deadline is missed. A VIP ticket due at 12:00: at 11:30 (75 %) staff and the head
    are reminded, the head in words for him (no commands: his reply is a note to
    staff); at the deadline the head gets the escalation; each once."""
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    tid = new_ticket(desk, at(23, 10))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T12:00:00+03:00"
    assert jobs_run(desk, at(23, 11, 29))["reminders"] == 0
    assert jobs_run(desk, at(23, 11, 30))["reminders"] == 1
    assert jobs_run(desk, at(23, 11, 45))["reminders"] == 0  # never twice
    head = [m for m in mails_to(desk, sink, HEAD) if f"[TID#{tid}]" in m.subject]
    [reminder] = head
    assert reminder.subject.startswith(
        "Напоминание: скоро истекает срок реакции (23.11.2026 12:00)"
    )
    assert "заметкой" in reminder.text
    assert "#take" not in reminder.text
    [staffs] = [m for m in sink.to(STAFF) if m.subject.startswith("Напоминание")]
    assert "#take" in staffs.text
    assert jobs_run(desk, at(23, 12, 1))["reminders"] == 1
    head = [m.subject for m in mails_to(desk, sink, HEAD) if f"[TID#{tid}]" in m.subject]
    assert [s.split(" (")[0] for s in head] == [
        "Напоминание: скоро истекает срок реакции",
        "Просрочена реакция на обращение",
    ]
    assert jobs_run(desk, at(23, 15))["reminders"] == 0


def test_the_head_on_the_staff_list_gets_staffs_reminder(tmp_path, sink):
    """A head listed in support.staff too answers as staff (his reply reaches the
    customer, its commands run): his copy said his reply would be a note, no command."""
    desk = Desk(tmp_path, sink.port, support={"staff": [STAFF, HEAD]})
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    tid = new_ticket(desk, at(23, 10))
    assert jobs_run(desk, at(23, 11, 30))["reminders"] == 1
    mail = [m for m in mails_to(desk, sink, HEAD) if f"[TID#{tid}]" in m.subject]
    [reminder] = [m for m in mail if m.subject.startswith("Напоминание")]
    assert "#take" in reminder.text and "заметкой" not in reminder.text


def test_a_ticket_waits_in_the_report_under_the_level_it_has_now(desk, sink):
    """A free ticket answered in time, its customer's license added, reopened at VIP and
    its VIP deadline passed: its wait counted under free, and VIP showed nothing open."""
    tid = new_ticket(desk, at(23, 10))
    ingest_at(desk, at(23, 11), staff_reply(tid, "Ответ."))
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    ingest_at(desk, at(24, 10), make_mail(subject=f"Re: [TID#{tid}]", body="Ещё вопрос."))
    assert desk.ticket(tid)["level"] == "vip"
    jobs_run(desk, at(25, 10))
    r = desk.run("report", "sla", "--json")
    levels = {b["level"]: b for b in r.json()["levels"]}
    assert (levels["free"]["tickets"], levels["free"]["in_time"]) == (1, 1)
    assert (levels["free"]["open"], levels["vip"]["open"], levels["vip"]["tickets"]) == (0, 1, 0)
    assert levels["all"]["tickets"] == levels["all"]["open"] == 1


def sla_levels(desk: Desk) -> dict:
    """`maild report sla --json`: level -> (tickets, in_time, breached)."""
    r = desk.run("report", "sla", "--json")
    assert r.code == 0, r.err
    return {b["level"]: (b["tickets"], b["in_time"], b["breached"]) for b in r.json()["levels"]}


def test_a_breach_stays_under_the_level_it_was_judged_by_after_a_license_came(desk, sink):
    """A free ticket answered after its 24 hours is a breach of free support; the
    customer's license added later and the ticket reopened at VIP do not make it a VIP
    breach (VIP's figures would count a deadline VIP support never had)."""
    tid = new_ticket(desk, at(23, 10))  # free: due 25.11 16:00
    ingest_at(desk, at(26, 12), staff_reply(tid, "Готово.\n#close"))
    assert sla_levels(desk)["free"] == (1, 0, 1)
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    ingest_at(desk, at(27, 10), make_mail(subject=f"Re: [TID#{tid}]", body="Ещё вопрос."))
    assert desk.ticket(tid)["level"] == "vip"
    ingest_at(desk, at(27, 10, 30), staff_reply(tid, "Ответ."))
    figures = sla_levels(desk)
    assert figures["free"] == (1, 0, 1)
    assert figures.get("vip", (0, 0, 0)) == (0, 0, 0)  # open there (its row), judged not


def test_a_vip_result_stays_vip_after_the_license_expired(desk, sink):
    """A VIP ticket answered in time, reopened by its customer after the license
    expired (free support now): the result stays VIP's, in time."""
    desk.run(
        "license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER,
        "--until", "2026-11-23",
    )  # fmt: skip
    tid = new_ticket(desk, at(23, 10))
    ingest_at(desk, at(23, 11, 30), staff_reply(tid, "Готово.\n#close"))
    ingest_at(desk, at(24, 10), make_mail(subject=f"Re: [TID#{tid}]", body="Снова не работает."))
    assert desk.ticket(tid)["level"] == "free"
    figures = sla_levels(desk)
    assert figures["vip"] == (1, 1, 0)
    assert figures.get("free", (0, 0, 0)) == (0, 0, 0)  # open there (its row), judged not


def test_at_the_deadline_instant_the_reaction_is_in_time_and_nothing_is_overdue(desk, sink):
    """A reaction at the deadline's very instant is in time (not more than the level's
    time): the report counts it so, and a run at that instant escalates nothing (it
    said «Просрочена реакция» about a ticket the report then counted in time); a
    minute later the escalation goes (domain/sla.missed: one rule for both)."""
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    answered, late = new_ticket(desk, at(23, 10)), new_ticket(desk, at(23, 10), "Другое")
    assert desk.ticket(late)["reaction_due"] == "2026-11-23T12:00:00+03:00"
    jobs_run(desk, at(23, 12))  # the instant: the reminders went at 11:30
    ingest_at(desk, at(23, 12), staff_reply(answered, "Ответ."))
    escalated = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert escalated == []
    assert sla_levels(desk)["vip"] == (2, 1, 1)  # the other never answered: late by now
    jobs_run(desk, at(23, 12, 1))
    escalated = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert len(escalated) == 1 and f"[TID#{late}]" in escalated[0]


def test_staffs_reminder_threads_to_the_customers_last_mail(desk, sink):
    """The customer wrote twice before anyone answered: staff's reminder answers the
    last of their mail (In-Reply-To), the one it is about, in staff's thread."""
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    tid = ingest_at(desk, at(23, 10), make_mail(msgid="<first@shop-example.ru>"))
    again = make_mail(
        subject=f"Re: [TID#{tid}] Не работает корзина", msgid="<again@shop-example.ru>"
    )
    assert ingest_at(desk, at(23, 10, 20), again) == tid
    assert jobs_run(desk, at(23, 11, 30))["reminders"] == 1
    [staffs] = [m for m in mails_to(desk, sink, STAFF) if m.subject.startswith("Напоминание")]
    assert staffs.msg["In-Reply-To"] == "<again@shop-example.ru>"
