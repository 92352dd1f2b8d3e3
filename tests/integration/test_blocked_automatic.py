"""A customer blocked while their ticket is open gets no more automatic mail from
maild (the notice that work started, #wait's reminder, the closing mail), queued
at the moment the block is on the list: the ticket shows each as `suppressed:
blocked`. A staff member's answer to them still goes: a person decided."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import Desk, make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"


def _staff(tid: str, body: str) -> bytes:
    return make_mail(
        sender=f"Анна <{STAFF}>", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body
    )


def _later(days: int) -> str:
    return (datetime.now().astimezone() + timedelta(days=days)).isoformat()


def test_a_blocked_customer_gets_a_staff_answer_but_no_automatic_mail(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # the confirmation
    r = desk.run("block", "add", CUSTOMER)
    assert r.code == 0, r.out + r.err
    desk.ingest(_staff(tid, "#take"))  # "work has started": automatic, not sent
    desk.ingest(_staff(tid, "Пришлите, пожалуйста, лог.\n#wait"))  # an answer: it goes
    assert desk.flush().code == 0
    # #wait's reminder falls due, then the ticket closes with the resolution mail
    assert desk.run("jobs", "run", "--now", _later(10)).code == 0
    assert desk.run("jobs", "run", "--now", _later(30)).code == 0
    assert desk.flush().code == 0
    assert desk.ticket(tid)["status"] == "closed"
    got = sink.to(CUSTOMER)
    assert len(got) == 2, [m.subject for m in got]
    assert "Пришлите, пожалуйста, лог." in got[1].text
    ticket = desk.ticket(tid)
    held = [m for m in ticket["messages"] if m["text"].startswith("suppressed: blocked")]
    assert len(held) == 3, [m["text"] for m in ticket["messages"]]
    assert all(CUSTOMER in m["text"] for m in held)
    shown = desk.run("ticket", "show", tid).out
    assert f"suppressed: blocked — reminder_customer.txt для {CUSTOMER}" in shown
    assert f"suppressed: blocked — resolved.txt для {CUSTOMER}" in shown
    # unblocked, the desk writes to them again
    assert desk.run("block", "remove", CUSTOMER).code == 0
    desk.ingest(_staff(tid, "#reopen"))
    desk.ingest(_staff(tid, "#close"))  # the closing mail goes
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 3


def test_a_blocked_domain_keeps_automatic_mail_from_a_participant(tmp_path, sink):
    """Of one mail to the requester and a Cc participant, only the blocked one's copy
    is held back: the other still gets it."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Вопрос."))
    desk.ingest(_staff(tid, "#cc olga@spam-farm.example"))
    assert desk.flush().code == 0
    assert desk.run("block", "add", "spam-farm.example").code == 0
    desk.ingest(_staff(tid, "#close"))
    assert desk.flush().code == 0
    assert sink.to("olga@spam-farm.example") == []
    assert any("[TID#" in m.subject for m in sink.to(CUSTOMER)[1:])  # the closing mail
    notes = [m["text"] for m in desk.ticket(tid)["messages"] if m.get("kind") == "note"]
    assert any(t.startswith("suppressed: blocked") and "olga@spam-farm.example" in t for t in notes)
