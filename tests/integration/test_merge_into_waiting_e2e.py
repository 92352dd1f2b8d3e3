"""#merge into a ticket waiting for the customer (#wait), end to end (the real CLI,
`jobs run --now` business days ahead, a real aiosmtpd relay): when the ticket merged
in brings a customer's mail that staff have not answered, the surviving ticket is open
again, as when its customer answers: nobody is asked «ждём вашего ответа» about a
ticket whose mail waits for staff, and it is not closed for want of an answer; staff
are reminded of that mail, and the head told when it is overdue, once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tests.helpers import Desk, days_on, make_mail
from tests.integration.test_merge_deadline_mail_e2e import HEAD, STAFF, deadline_mail
from tests.integration.test_staff_e2e import staff_reply

IVAN = "ivan@shop-example.ru"
PETR = "petr@shop-example.ru"


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
        assert desk.run("jobs", "run", "--now", days_on(days)).code == 0
        assert desk.flush().code == 0
    after = {who: [m.subject for m in sink.to(who)] for who in (IVAN, PETR)}
    assert after == before  # no «Ждём вашего ответа», no «обращение закрыто»
    assert desk.ticket(waiting)["status"] == "open"
    shown = datetime.fromisoformat(due).strftime("%d.%m.%Y %H:%M")
    # one run, days past the deadline: staff's (late) reminder, the head's escalation alone
    once = Counter([*((p, "reminder") for p in STAFF), (HEAD, "escalation")])
    assert deadline_mail(sink, shown) == once


def test_wait_alone_is_refused_while_a_merged_customer_has_had_no_answer(tmp_path, sink):
    """Иван was asked for a log; Пётр's ticket about the same problem, never answered,
    is merged in. A «#wait» alone then put the ticket to «ждём ответа клиента» (the
    list, the site: Пётр read «ожидаем вашего ответа» about his unanswered question),
    while his deadline still reminded staff. The reply stops, as a #wait that asks
    nothing does, and says whose mail waits; with an answer (it reaches both) it waits."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Не проходит оплата"))
    desk.ingest(staff_reply(tid, "Пришлите, пожалуйста, лог."))
    merged = desk.ingest_tid(make_mail(sender=PETR, subject="Оплата картой: ошибка"))
    due = desk.ticket(merged)["reaction_due"]
    desk.ingest(staff_reply(merged, f"#merge {tid}\n"))
    assert desk.flush().code == 0
    before = {who: len(sink.to(who)) for who in (IVAN, PETR)}
    for commands in ("#wait\n", "#take\n#wait\n"):
        desk.ingest(staff_reply(tid, commands))
        t = desk.ticket(tid)
        assert (t["status"], t["reaction_due"]) == ("open", due)
        assert [w["first_reaction_at"] for w in t["merged_waits"]] == [None]
    assert [r["tid"] for r in desk.tickets("--status", "waiting")] == []
    assert desk.flush().code == 0
    told = [r for r in sink.to(STAFF[0]) if r.subject.startswith("Команды не")]
    assert len(told) == 2
    text = " ".join(told[0].text.split())
    assert f"#wait не выполнена: клиент обращения {merged} ({PETR})" in text
    assert "ещё не получил от поддержки ни одного ответа" in text
    assert {who: len(sink.to(who)) for who in (IVAN, PETR)} == before  # nothing went
    # an answer with it reaches both customers: then the ticket waits for them
    desk.ingest(staff_reply(tid, "Пришлите, пожалуйста, лог оплаты.\n#wait\n"))
    t = desk.ticket(tid)
    assert (t["status"], t["reaction_due"]) == ("waiting", None)
    assert t["merged_waits"][0]["first_reaction_at"]
    assert desk.flush().code == 0
    assert sink.to(PETR)[-1].subject.startswith("Re:") and len(sink.to(PETR)) == before[PETR] + 1
