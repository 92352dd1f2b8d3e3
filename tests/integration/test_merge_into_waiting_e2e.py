"""#merge into a ticket waiting for the customer (#wait), end to end (the real CLI,
`jobs run --now` business days ahead, a real aiosmtpd relay): when the ticket merged
in brings a customer's mail that staff have not answered, the surviving ticket is open
again, as when its customer answers: nobody is asked «ждём вашего ответа» about a
ticket whose mail waits for staff, and it is not closed for want of an answer; staff
are reminded of that mail, and the head told when it is overdue, once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from tests.helpers import Desk, make_mail
from tests.integration.test_merge_deadline_mail_e2e import HEAD, STAFF, deadline_mail
from tests.integration.test_staff_e2e import staff_reply

IVAN = "ivan@shop-example.ru"
PETR = "petr@shop-example.ru"


def _later(days: int) -> str:
    return (datetime.now().astimezone() + timedelta(days=days)).isoformat()


def test_a_customers_mail_merged_into_a_waiting_ticket_opens_it(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    waiting = desk.ingest_tid(make_mail(sender=IVAN, subject="Не проходит оплата"))
    desk.ingest(staff_reply(waiting, "Пришлите, пожалуйста, лог.\n#wait"))
    assert desk.ticket(waiting)["status"] == "waiting"
    # a colleague writes about the same problem; staff merge it, answering nothing yet
    merged = desk.ingest_tid(make_mail(sender=PETR, subject="Оплата картой: ошибка"))
    due = desk.ticket(merged)["reaction_due"]
    desk.ingest(staff_reply(merged, f"#merge {waiting}\n"))

    t = desk.ticket(waiting)
    assert (t["status"], t["reaction_due"]) == ("open", due)
    assert [r["tid"] for r in desk.tickets("--status", "waiting")] == []
    assert waiting in [r["tid"] for r in desk.tickets("--status", "open")]
    assert desk.flush().code == 0
    # Иван: the confirmation and the answer; Пётр: the confirmation and where it goes on
    before = {who: [m.subject for m in sink.to(who)] for who in (IVAN, PETR)}
    assert [len(s) for s in before.values()] == [2, 2], before

    # past #wait's reminder (3 business days), then past its auto-close (7 more)
    for days in (10, 30):
        assert desk.run("jobs", "run", "--now", _later(days)).code == 0
        assert desk.flush().code == 0
    after = {who: [m.subject for m in sink.to(who)] for who in (IVAN, PETR)}
    assert after == before  # no «Ждём вашего ответа», no «обращение закрыто»
    assert desk.ticket(waiting)["status"] == "open"
    shown = datetime.fromisoformat(due).strftime("%d.%m.%Y %H:%M")
    once = Counter([*((p, "reminder") for p in STAFF), (HEAD, "escalation")])
    assert deadline_mail(sink, shown) == once
