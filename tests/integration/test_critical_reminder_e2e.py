"""A critical ticket's single reminder and escalation say it is critical, as the
lists (`reminder_list.txt`, `escalation_list.txt`) and the morning queue do: README's
`#critical` row, «marked `[срочно]` there». `maild ingest` with the clock fixed,
`maild jobs run --now`, a real aiosmtpd relay."""

from __future__ import annotations

from tests.helpers import make_mail
from tests.integration.test_deadlines_e2e import at, ingest_at, jobs_run
from tests.integration.test_staff_e2e import staff_reply

VIP = "ivan@shop-example.ru"  # VIP support: 2 business hours
HEAD = "head@example.com"


def deadline_subjects(desk, sink, person: str) -> list[str]:
    assert desk.flush().code == 0
    sink.wait_for(len(sink.received))
    return [
        r.subject for r in sink.to(person) if r.subject.startswith(("Напоминание", "Просрочена"))
    ]


def test_a_critical_tickets_single_reminder_and_escalation_say_so(desk, sink):
    assert desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", VIP).code == 0
    down = ingest_at(desk, at(23, 10), make_mail(sender=VIP, subject="Сайт лежит"))
    plain = ingest_at(desk, at(23, 10, 5), make_mail(sender=VIP, subject="Вопрос по счёту"))
    ingest_at(desk, at(23, 10, 10), staff_reply(down, "#critical\n#note"))
    assert desk.ticket(down)["critical"]
    jobs_run(desk, at(23, 11, 40))  # both reminded (11:30, 11:35)
    jobs_run(desk, at(23, 12, 10))  # both escalated (12:00, 12:05)
    for person in ("anna@example.com", HEAD):
        subjects = deadline_subjects(desk, sink, person)
        mine = [s for s in subjects if f"[TID#{down}]" in s]
        other = [s for s in subjects if f"[TID#{plain}]" in s]
        assert mine and other
        assert all("): [срочно] Сайт лежит [TID#" in s for s in mine), mine
        assert not [s for s in other if "срочно" in s], other
    assert len([s for s in deadline_subjects(desk, sink, HEAD) if "Просрочена" in s]) == 2
