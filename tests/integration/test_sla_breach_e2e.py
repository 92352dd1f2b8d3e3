"""A breach the head was told of (escalation mail) stays a breach in `maild report sla`
whatever staff do next: a transfer to another level after the first deadline passed
(ticket.first_moves_on_transfer), a #merge whose notice is no reaction and whose merged
customer waits on in the surviving ticket (mergedwait). `maild ingest` with the clock
fixed, `maild jobs run --now`, `maild report sla --json`; a real aiosmtpd relay."""

from __future__ import annotations

from tests.helpers import Desk, make_mail
from tests.integration.test_deadlines_e2e import HEAD, at, ingest_at, jobs_run, mails_to
from tests.integration.test_staff_e2e import staff_reply

VIP, STANDARD = "vip@vip-example.ru", "ivan@shop-example.ru"


def licensed(desk: Desk, *more: tuple[str, str, str]) -> None:
    """VIP's and STANDARD's licenses, and `more` (key, level, email) after them."""
    for key, level, email in (("V-1", "vip", VIP), ("S-1", "standard", STANDARD), *more):
        assert (
            desk.run("license", "add", "--key", key, "--level", level, "--email", email).code == 0
        )


def new_ticket(desk: Desk, day: int, hour: int, sender: str, subject: str) -> str:
    return ingest_at(desk, at(day, hour), make_mail(sender=sender, subject=subject))


def sla(desk: Desk) -> dict[str, dict]:
    r = desk.run("report", "sla", "--json")
    assert r.code == 0, r.err
    return {b["level"]: b for b in r.json()["levels"]}


def figures(b: dict) -> tuple:
    return b["tickets"], b["in_time"], b["breached"], b["median_reaction_hours"]


def test_a_transfer_after_the_deadline_passed_does_not_undo_the_breach(desk, sink):
    """VIP due 12:00 and standard due 16:00, both escalated; then `#level operative` at
    16:00 and the answer at 16:05, `#consulting` next morning and the answer at 09:05:
    both first reactions came after the deadlines the head was told had passed, breaches
    of VIP and standard support, whose deadlines they were."""
    licensed(desk)
    vip = new_ticket(desk, 23, 10, VIP, "VIP: не открывается админка")
    std = new_ticket(desk, 23, 10, STANDARD, "Стандарт: ошибка в корзине")
    jobs_run(desk, at(23, 12, 1))  # just past the deadlines (domain/sla.missed)
    jobs_run(desk, at(23, 16, 1))
    told = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    # (in either order: the relay's parallel connections keep none)
    assert sorted("(срок 23.11.2026 12:00)" in s for s in told) == [False, True], told
    ingest_at(desk, at(23, 16), staff_reply(vip, "#level operative"))
    assert desk.ticket(vip)["reaction_due"] == "2026-11-24T11:00:00+03:00"  # the new level's
    ingest_at(desk, at(23, 16, 5), staff_reply(vip, "Ответ по админке."))
    ingest_at(desk, at(24, 9), staff_reply(std, "#consulting"))
    ingest_at(desk, at(24, 9, 5), staff_reply(std, "Ответ по корзине."))
    levels = sla(desk)
    assert figures(levels["vip"])[:3] == (1, 0, 1)
    assert figures(levels["standard"])[:3] == (1, 0, 1)
    for now in ("operative", "consulting"):  # each waits there now: judged, it is not
        assert (levels[now]["tickets"], levels[now]["open"]) == (0, 1), levels[now]
    assert figures(levels["all"])[:3] == (2, 0, 2)


def test_a_merge_before_the_deadline_keeps_the_merged_customers_breach(desk, sink):
    """Standard A at 10:00 (due 16:00), VIP B at 11:00 (due 13:00), B merged into A at
    11:10: A is reminded and escalated about 13:00, the answer on A comes at 15:00. The
    merge notice to B's customer is no reaction: B's customer waited 4 h for a VIP
    answer, breached, counted once under VIP; A's customer had the answer in time."""
    licensed(desk)
    a = new_ticket(desk, 23, 10, STANDARD, "Ошибка при оплате")
    b = new_ticket(desk, 23, 11, VIP, "Оплата не проходит")
    ingest_at(desk, at(23, 11, 10), staff_reply(b, f"#merge {a}"))
    notice = mails_to(desk, sink, VIP)[-1]
    assert "объединено" in notice.subject.lower() or "объединено" in notice.text
    jobs_run(desk, at(23, 13, 1))
    told = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert told == [s for s in told if a in s and "(срок 23.11.2026 13:00)" in s] and told
    ingest_at(desk, at(23, 15), staff_reply(a, "Исправили оплату, проверьте, пожалуйста."))
    levels = sla(desk)
    assert figures(levels["vip"]) == (1, 0, 1, 4.0)
    assert figures(levels["standard"]) == (1, 1, 0, 5.0)
    assert figures(levels["all"])[:3] == (2, 1, 1)
    assert desk.ticket(b)["first_reaction_at"] is None  # the notice was no reaction


def followups(b: dict) -> tuple:
    return b["followups"], b["followups_in_time"], b["followups_breached"]


def test_a_followup_answered_after_its_deadline_is_a_breach_in_the_report(desk, sink):
    """The regulation: the reaction to more information is due within the level's time
    too. VIP at 10:00 answered at 10:30 (in time); the customer writes again at 11:00
    (due 13:00), the head is told at 13:01 it passed, the answer comes at 14:00: one
    follow-up, breached (the report said 100 % in time, counting the first only)."""
    licensed(desk)
    tid = new_ticket(desk, 23, 10, VIP, "Не открывается админка")
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, "Очистите кэш, пожалуйста."))
    more = make_mail(sender=VIP, subject=f"Re: [TID#{tid}]", body="Не помогло, та же ошибка.")
    ingest_at(desk, at(23, 11), more)
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T13:00:00+03:00"
    jobs_run(desk, at(23, 13, 1))
    told = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert len(told) == 1 and f"[TID#{tid}]" in told[0]
    ingest_at(desk, at(23, 14), staff_reply(tid, "Исправили, проверьте."))
    levels = sla(desk)
    assert figures(levels["vip"]) == (1, 1, 0, 0.5)  # the first reaction: as before
    assert followups(levels["vip"]) == (1, 0, 1)
    assert followups(levels["all"]) == (1, 0, 1)
    table = desk.run("report", "sla").out
    assert "доп. нарушено" in table and "Реакция на дополнительную информацию" in table


def test_a_followup_is_judged_by_the_level_its_deadline_was_set_under(desk, sink):
    """A follow-up at VIP (due 13:00) answered at 11:30 with `#level standard` is VIP's,
    in time; the next one, at 12:00 at standard (due 18:00), still unanswered at the
    report's time, is standard's breach (and the ticket is overdue there)."""
    licensed(desk)
    tid = new_ticket(desk, 23, 10, VIP, "Ошибка в отчёте")
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, "Посмотрим."))
    ingest_at(desk, at(23, 11), make_mail(sender=VIP, subject=f"Re: [TID#{tid}]", body="Ещё."))
    ingest_at(desk, at(23, 11, 30), staff_reply(tid, "Ответ.\n#level standard"))
    ingest_at(desk, at(23, 12), make_mail(sender=VIP, subject=f"Re: [TID#{tid}]", body="И?"))
    assert desk.ticket(tid)["reaction_due"] == "2026-11-23T18:00:00+03:00"
    levels = sla(desk)  # now (the real clock): long past 18:00
    assert followups(levels["vip"]) == (1, 1, 0)
    assert followups(levels["standard"]) == (1, 0, 1)
    assert followups(levels["all"]) == (2, 1, 1)
    assert (levels["standard"]["tickets"], levels["standard"]["overdue"]) == (0, 1)


def test_a_transfer_after_a_followups_deadline_passed_does_not_undo_its_breach(desk, sink):
    """A VIP customer's follow-up at 11:00 (due 13:00), the head escalated at 13:01;
    `#level standard` at 14:00 moves the deadline to the new level's time, the answer
    comes at 14:05. The follow-up was breached under VIP, as the head was told: the
    transfer did not make it in time under standard (as a first deadline passed stays)."""
    licensed(desk)
    tid = new_ticket(desk, 23, 10, VIP, "Админка")
    ingest_at(desk, at(23, 10, 30), staff_reply(tid, "Очистите кэш."))
    body = "Не помогло."
    ingest_at(desk, at(23, 11), make_mail(sender=VIP, subject=f"Re: [TID#{tid}]", body=body))
    jobs_run(desk, at(23, 13, 1))
    told = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert len(told) == 1, told
    ingest_at(desk, at(23, 14), staff_reply(tid, "#level standard"))
    assert followups(sla(desk)["vip"]) == (1, 0, 1)  # judged at the transfer
    ingest_at(desk, at(23, 14, 5), staff_reply(tid, "Исправили."))
    levels = sla(desk)
    assert followups(levels["vip"]) == (1, 0, 1)
    assert followups(levels["all"]) == (1, 0, 1)
    ingest_at(desk, at(23, 15), make_mail(sender=VIP, subject=f"Re: [TID#{tid}]", body="Ещё."))
    ingest_at(desk, at(23, 15, 30), staff_reply(tid, "Готово."))  # the next one: standard's
    assert followups(sla(desk)["standard"]) == (1, 1, 0)
