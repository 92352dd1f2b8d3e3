"""A customer's follow-up brought by `#merge` into a ticket nobody has answered yet:
`maild report sla` judges its deadline once, under the level it was set by, by the
reaction on the ticket it went on in, beside that ticket's own first reaction. It was
judged nowhere: the merged ticket is closed, and the ticket it went into waited on its
first reaction, which the report judges by its own first deadline. `maild ingest` with
the clock fixed, `maild report sla --json`, a real aiosmtpd relay."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail
from tests.integration.test_deadlines_e2e import at, ingest_at
from tests.integration.test_sla_breach_e2e import (
    VIP,
    figures,
    followups,
    licensed,
    new_ticket,
    sla,
)
from tests.integration.test_staff_e2e import staff_reply


def merged_followup(desk, first: tuple[int, int]) -> tuple[str, str]:
    """VIP ticket B at 09:00 answered at 09:10, its customer writes again at 10:30 (due
    12:30); VIP ticket A of theirs at ``first`` (hour, minute) unanswered; B merged into
    A at 10:45. Returns (A, B)."""
    licensed(desk)
    b = new_ticket(desk, 23, 9, VIP, "Ошибка в корзине")
    ingest_at(desk, at(23, 9, 10), staff_reply(b, "Очистите кэш, пожалуйста."))
    a = ingest_at(desk, at(23, *first), make_mail(sender=VIP, subject="Корзина снова"))
    more = make_mail(sender=VIP, subject=f"Re: [TID#{b}]", body="Не помогло.")
    ingest_at(desk, at(23, 10, 30), more)
    assert desk.ticket(b)["reaction_due"] == "2026-11-23T12:30:00+03:00"
    assert followups(sla(desk)["vip"]) == (1, 0, 1)  # (now, the real clock: long past)
    ingest_at(desk, at(23, 10, 45), staff_reply(b, f"#merge {a}"))
    assert desk.ticket(b)["merged_into"] == a
    return a, b


@pytest.mark.parametrize(
    ("answered", "judged"),
    [((12, 0), (1, 1, 0)), ((12, 35), (1, 0, 1))],
    ids=["before-its-deadline", "after-its-deadline"],
)
def test_a_merged_in_followup_is_judged_once_by_the_answer_where_it_went_on(
    desk, sink, answered, judged
):
    """A at 10:40 (due 12:40), answered at 12:00 or 12:35: the follow-up (due 12:30) is
    in time or breached, counted once; A's first reaction is judged by A's own deadline
    (in time both), B's by its own (09:10, in time)."""
    a, _ = merged_followup(desk, (10, 40))
    levels = sla(desk)  # pending, past its deadline at the report's time
    assert followups(levels["vip"]) == (1, 0, 1)
    ingest_at(desk, at(23, *answered), staff_reply(a, "Исправили корзину, проверьте."))
    levels = sla(desk)
    assert followups(levels["vip"]) == judged
    assert followups(levels["all"]) == judged
    assert figures(levels["vip"])[:3] == (2, 2, 0)


def test_a_merged_in_followup_due_after_the_tickets_own_deadline_is_judged_too(desk, sink):
    """A at 10:00 (due 12:00) answered at 12:15: A's first reaction is late; the
    follow-up brought in (due 12:30) was answered in time."""
    a, _ = merged_followup(desk, (10, 0))
    ingest_at(desk, at(23, 12, 15), staff_reply(a, "Исправили корзину, проверьте."))
    levels = sla(desk)
    assert followups(levels["vip"]) == (1, 1, 0)
    assert figures(levels["vip"])[:3] == (2, 1, 1)
