"""A customer's answer to the closing letter, end to end (`maild ingest`, `maild jobs
run --now`, a real aiosmtpd relay counting the mail): «5 - спасибо!» rates the ticket,
«Спасибо, всё работает!» is kept in it; neither reopens a VIP ticket, so no deadline,
no «Ответ поступит не позднее», no reminder to staff and no escalation to the head
two business hours later. Any other answer still reopens, and its deadline pages: a
grade with a request or a complaint beside it too («5 - спасибо, но пришлите счёт»)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from maild.domain.calendar import BusinessCalendar
from tests.helpers import make_mail
from tests.integration.test_staff_e2e import staff_reply

IVAN = "ivan@shop-example.ru"
STAFF = ("anna@example.com", "boris@example.com")
HEAD = "head@example.com"


def closed_ticket(desk, sink, subject: str) -> tuple[str, str]:
    """A VIP ticket answered and closed by staff: its TID and the text of the mail
    that closes it (the answer, the rating request under it), which the customer's
    client quotes under their reply."""
    tid = desk.ingest_tid(make_mail(subject=subject))
    desk.ingest(staff_reply(tid, "Исправили, проверьте, пожалуйста.\n#close"))
    desk.flush()
    sink.wait_for(len(sink.received))
    closing = [m for m in sink.to(IVAN) if f"[TID#{tid}]" in m.subject][-1]
    assert "цифрой от 1 до 5 в первой строке" in closing.text  # the answer with the rating request
    return tid, closing.text


def answer(tid: str, body: str, quoted: str) -> bytes:
    """The customer's reply to the closing letter, Thunderbird-style: own text on top."""
    quote = "\n".join(f"> {line}" for line in quoted.splitlines())
    text = f"{body}\n\n25.11.2026 12:00, Служба поддержки пишет:\n{quote}\n"
    return make_mail(subject=f"Re: Обращение закрыто [TID#{tid}]", body=text)


def test_a_rating_with_thanks_or_thanks_alone_reopens_no_vip_ticket(desk, sink):
    desk.run("license", "add", "--key", "V", "--level", "vip", "--email", IVAN)
    rated, rated_letter = closed_ticket(desk, sink, "Не работает корзина")
    thanked, thanked_letter = closed_ticket(desk, sink, "Не приходят письма")
    reopened, reopened_letter = closed_ticket(desk, sink, "Не грузится каталог")
    before = len(sink.received)

    desk.ingest(answer(rated, "5 - спасибо!", rated_letter))
    desk.ingest(answer(thanked, "Спасибо, всё работает!\n\nИван", thanked_letter))
    desk.ingest(answer(reopened, "Спасибо, но каталог снова пустой.", reopened_letter))
    desk.flush()
    sink.wait_for(len(sink.received))

    t = desk.ticket(rated)
    assert (t["status"], t["rating"], t["reaction_due"]) == ("closed", 5, None)
    t = desk.ticket(thanked)
    assert (t["status"], t["rating"], t["reaction_due"]) == ("closed", None, None)
    assert t["messages"][-1]["text"].startswith("Спасибо, всё работает!")  # kept
    assert desk.ticket(reopened)["status"] == "open"

    new = sink.received[before:]
    about = {tid: [m for m in new if f"[TID#{tid}]" in m.subject] for tid in (rated, thanked)}
    assert [m.subject.split(":")[0] for m in about[rated]] == ["Спасибо за оценку"]
    assert about[thanked] == []  # no mail back, no notice to staff
    promised = [m for m in new if "Ответ поступит не позднее" in m.text]
    assert [f"[TID#{reopened}]" in m.subject for m in promised] == [True]

    # two business hours and more later: reminders and escalations of the reopened one only
    # (a business week on: seven calendar days were none from New Year's Eve, the
    # holidays of January 1-8)
    moscow = ZoneInfo("Europe/Moscow")
    later = BusinessCalendar(tz="Europe/Moscow").add_business_days(datetime.now(moscow), 5)
    r = desk.run("jobs", "run", "--now", later.isoformat(), "--json")
    assert r.code == 0, r.err
    desk.flush()
    sink.wait_for(len(sink.received))
    paged = [
        m for m in sink.received[before:] if "Напоминание" in m.subject or "Просрочена" in m.subject
    ]
    assert paged, "the reopened ticket's deadline pages staff and the head"
    assert {a for m in paged for a in m.rcpt_tos} <= {*STAFF, HEAD}
    assert [m.subject for m in paged if f"[TID#{reopened}]" not in m.subject] == []


REQUESTS_WITH_A_GRADE = [
    "5 - спасибо, но пришлите, пожалуйста, счёт за декабрь",
    "1 - ужасно, верните деньги",
    "Пять, но счёт так и не пришёл",
    "2 - так и не заработало",
    "1 - опять всё упало",
    "3 - долго отвечали, сайт лежит",
    "5 баллов, пришлите акт сверки",
]


def test_a_grade_with_a_request_or_a_complaint_reopens_and_staff_read_it(desk, sink):
    """The grade is no rating when more is said than thanks: the mail is no «Спасибо за
    оценку» to the customer but a reopened ticket, and staff get its text."""
    tickets = [closed_ticket(desk, sink, f"Вопрос {i}") for i in range(len(REQUESTS_WITH_A_GRADE))]
    before = len(sink.received)
    for (tid, letter), body in zip(tickets, REQUESTS_WITH_A_GRADE, strict=True):
        desk.ingest(answer(tid, body, letter))
    desk.flush()
    sink.wait_for(len(sink.received))

    new = sink.received[before:]
    for (tid, _), body in zip(tickets, REQUESTS_WITH_A_GRADE, strict=True):
        t = desk.ticket(tid)
        assert (t["status"], t["rating"]) == ("open", None), body
        about = [m for m in new if f"[TID#{tid}]" in m.subject]
        assert not [m for m in about if "Спасибо за оценку" in m.subject], body
        to_staff = [m for m in about if set(m.rcpt_tos) & set(STAFF)]
        assert to_staff and all(IVAN not in m.rcpt_tos for m in to_staff), body
        assert any(body.split()[-1] in m.text for m in to_staff), body


def test_a_rating_that_opens_a_new_question_is_recorded_and_the_question_reopens(desk, sink):
    """«Оценка: 4. Но вот ещё вопрос: …» reopened the ticket and its rating was lost.
    Both now: the closing is rated as a rating alone rates it (the mail's record keeps
    the rating, the acknowledgement and the staff notice say so), and the question is
    the reopened ticket's pending mail, its deadline started. A closing rated already
    keeps its rating; a new closing is rated anew."""
    tid, letter = closed_ticket(desk, sink, "Не работает корзина")
    before = len(sink.received)
    desk.ingest(answer(tid, "Оценка: 4. Но вот ещё вопрос: как сменить валюту?", letter))
    desk.flush()
    sink.wait_for(len(sink.received))
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["reaction_due"] is not None
    mail = [m for m in t["messages"] if m["kind"] == "customer"][-1]
    assert mail.get("rating") == 4
    assert "как сменить валюту?" in mail["text"]
    new = sink.received[before:]
    [ack] = [m for m in new if m.rcpt_tos == [IVAN]]
    assert "Спасибо за оценку работы по обращению (4 из 5)" in ack.text
    assert "Ответ поступит не позднее" in ack.text
    notices = [m for m in new if "anna@example.com" in m.rcpt_tos]
    assert notices and notices[0].subject.startswith("Обращение открыто снова")
    assert "4 из 5, она учтена" in notices[0].text

    # closed again: its closing is rated anew, then it keeps that rating
    desk.ingest(staff_reply(tid, "Валюта меняется в настройках.\n#close"))
    desk.flush()
    sink.wait_for(len(sink.received))
    assert desk.ticket(tid)["rating"] is None
    letter = [m for m in sink.to(IVAN) if f"[TID#{tid}]" in m.subject][-1].text
    desk.ingest(answer(tid, "5", letter))
    assert desk.ticket(tid)["rating"] == 5
    desk.ingest(answer(tid, "Оценка: 2.\nИ ещё: где выгрузка заказов", letter))
    t = desk.ticket(tid)
    assert t["status"] == "open"
    assert "rating" not in [m for m in t["messages"] if m["kind"] == "customer"][-1]


def test_a_rating_alone_still_only_rates(desk, sink):
    """A mere rating reply stays a rating: no reopening, as before."""
    tid, letter = closed_ticket(desk, sink, "Не работает корзина")
    desk.ingest(answer(tid, "Оценка: 4.", letter))
    t = desk.ticket(tid)
    mail = [m for m in t["messages"] if m["kind"] == "customer"][-1]
    assert (t["status"], t["rating"], mail.get("rating")) == ("closed", 4, 4)
