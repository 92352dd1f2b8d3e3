"""A reaction is staff's first word to the customer (README, `report sla`): the notice
of #take («Работа начата») or of a #close alone («Обращение закрыто») is one only when
it goes. Stopped by the cap on automatic mail, or kept from a blocked address, it set
`first_reaction_at` all the same, and the SLA report counted the ticket in time though
its customer heard nothing (domain/heard.py). Real `maild ingest`, `outbox flush` to a
real aiosmtpd relay, `ticket show --json`, `report sla --json`."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import Desk, make_mail, staff_to
from tests.integration.test_level_now_e2e import later

IVAN = "ivan@shop-example.ru"
ANNA = "anna@example.com"


def staff_says(desk: Desk, tid: str, body: str) -> None:
    """A verified staff reply (to the notice's Reply-To, signed for Anna)."""
    desk.ingest(make_mail(sender=ANNA, to=staff_to(tid, ANNA), subject=f"[TID#{tid}]", body=body))
    assert desk.flush().code == 0


def in_time(desk: Desk) -> int:
    r = desk.run("report", "sla", "--json")
    assert r.code == 0, r.err
    return next(b for b in r.json()["levels"] if b["level"] == "all")["in_time"]


def test_a_notice_the_cap_stopped_is_no_reaction(tmp_path, sink):
    # the confirmation is the one automatic mail each ticket may get this hour
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_ticket_per_hour": 1})
    closed = desk.ingest_tid(make_mail(subject="Первый вопрос"))
    taken = desk.ingest_tid(make_mail(subject="Второй вопрос", msgid="<2@shop-example.ru>"))
    assert desk.flush().code == 0
    before = len(sink.to(IVAN))
    staff_says(desk, closed, "#close")
    staff_says(desk, taken, "#take")
    assert len(sink.to(IVAN)) == before  # the cap held: the customer heard nothing
    assert len([r for r in sink.to(ANNA) if r.subject.startswith("Клиенту не отправлено")]) == 2
    c, t = desk.ticket(closed), desk.ticket(taken)
    # the commands ran all the same: closed, taken
    assert (c["status"], c["first_reaction_at"]) == ("closed", None)
    assert (t["status"], t["assignee"], t["first_reaction_at"]) == ("open", ANNA, None)
    assert in_time(desk) == 0
    # an answer is never capped: it goes, and it is the reaction
    staff_says(desk, taken, "Иван, смотрим, ответим сегодня.")
    assert len(sink.to(IVAN)) == before + 1
    assert desk.ticket(taken)["first_reaction_at"] is not None
    assert in_time(desk) == 1


def test_a_take_notice_kept_from_a_blocked_address_is_no_reaction(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
    assert desk.flush().code == 0
    assert desk.run("block", "add", IVAN).code == 0
    staff_says(desk, tid, "#take")
    t = desk.ticket(tid)
    assert (t["status"], t["assignee"], t["first_reaction_at"]) == ("open", ANNA, None)
    assert in_time(desk) == 0
    # the block lifted, «работа начата» goes late: that is the reaction
    assert desk.run("block", "remove", IVAN).code == 0
    assert desk.flush().code == 0
    assert [r for r in sink.to(IVAN) if "начата" in r.subject]
    assert desk.ticket(tid)["first_reaction_at"] is not None
    assert in_time(desk) == 1


def test_a_notice_that_goes_is_the_reaction(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
    assert desk.flush().code == 0
    staff_says(desk, tid, "#close")
    assert [r for r in sink.to(IVAN) if r.subject.startswith("Обращение закрыто")]
    assert desk.ticket(tid)["first_reaction_at"] is not None
    assert in_time(desk) == 1


def test_a_take_whose_notice_the_cap_stopped_leaves_the_deadline_waiting(tmp_path, sink):
    """#take ended the ticket's deadline, and the notice that was its reaction did not
    go: nothing waited any more, no reminder, no escalation ever, while `report sla`
    counted it breached and not overdue. The deadline waits as before the reply: past
    it staff are reminded, the head gets the escalation, the report says overdue."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_ticket_per_hour": 1})
    tid = desk.ingest_tid(make_mail(subject="Второй вопрос"))
    assert desk.flush().code == 0
    due, since = desk.ticket(tid)["reaction_due"], desk.ticket(tid).get("reaction_from")
    before = len(sink.to(IVAN))
    staff_says(desk, tid, "#take")
    assert len(sink.to(IVAN)) == before  # the cap held: the customer heard nothing
    t = desk.ticket(tid)
    assert (t["status"], t["assignee"], t["first_reaction_at"]) == ("open", ANNA, None)
    assert (t["reaction_due"], t.get("reaction_from")) == (due, since)
    late = (datetime.fromisoformat(due) + timedelta(minutes=5)).isoformat()
    assert desk.run("jobs", "run", "--now", late).code == 0
    assert desk.flush().code == 0
    head = [r.subject for r in sink.to("head@example.com") if f"[TID#{tid}]" in r.subject]
    assert [s for s in head if s.startswith("Просрочена реакция")], head
    r = later(desk, 5, "report", "sla", "--json")
    assert r.code == 0, r.err
    row = next(b for b in r.json()["levels"] if b["level"] == "all")
    assert (row["breached"], row["overdue"], row["in_time"]) == (1, 1, 0)
