"""Auto-Submitted of maild's mail (RFC 3834, 5), end to end: mail sent because a mail
came (the confirmation, staff's notice of it) is `auto-replied`; mail that answers none
(a reminder, the head's escalation, singly or in lists) is `auto-generated`. Both carry
X-Loop, by which maild knows its own mail coming back."""

from __future__ import annotations

from tests.helpers import Desk
from tests.integration.test_deadlines_e2e import at, jobs_run
from tests.integration.test_late_reminders_e2e import HEAD, PACE, STAFF, VIP, vip_ticket


@PACE
def test_mail_answering_a_mail_is_auto_replied_a_reminder_auto_generated(tmp_path, sink, per_hour):
    desk = Desk(tmp_path, sink.port, support={"max_reminders_per_person_per_hour": per_hour})
    tid = vip_ticket(desk)
    assert desk.flush().code == 0
    answers = [*sink.to(VIP), *sink.to(STAFF[0])]
    assert answers and all(r.msg["Auto-Submitted"] == "auto-replied" for r in answers)
    before = len(sink.received)
    assert jobs_run(desk, at(23, 14))["reminders"] == 1
    assert desk.flush().code == 0
    made = [r for r in sink.received[before:] if f"[TID#{tid}]" in r.subject]
    assert {a for r in made for a in r.rcpt_tos} == {*STAFF, HEAD}
    for r in made:
        assert r.subject.startswith(("Напоминание", "Просрочена")), r.subject
        assert r.msg["Auto-Submitted"] == "auto-generated", r.subject
        assert r.msg["X-Loop"]
