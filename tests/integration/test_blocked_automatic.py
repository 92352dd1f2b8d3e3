"""A customer blocked while their ticket is open gets no more automatic mail from
maild (the notice that work started, #wait's reminder, the closing mail), queued
at the moment the block is on the list: the ticket shows each as `suppressed:
blocked`. A staff member's answer to them still goes: a person decided."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, days_on, make_mail, staff_to
from tests.integration.test_bounces_e2e import _report

CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"


def _staff(tid: str, body: str) -> bytes:
    return make_mail(
        sender=f"Анна <{STAFF}>", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body
    )


def test_a_blocked_customer_gets_a_staff_answer_but_no_automatic_mail(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # the confirmation
    r = desk.run("block", "add", CUSTOMER)
    assert r.code == 0, r.out + r.err
    desk.ingest(_staff(tid, "#take"))  # "work has started": automatic, not sent
    desk.ingest(_staff(tid, "Пришлите, пожалуйста, лог.\n#wait"))  # an answer: it goes
    assert desk.flush().code == 0
    # #wait's reminder falls due, then the ticket closes with the resolution mail (days
    # far enough apart for any run of days off: ten and thirty were not from New Year's
    # Eve, the holidays of January 1-8 put both later)
    assert desk.run("jobs", "run", "--now", days_on(20)).code == 0
    assert desk.run("jobs", "run", "--now", days_on(50)).code == 0
    assert desk.flush().code == 0
    assert desk.ticket(tid)["status"] == "closed"
    got = sink.to(CUSTOMER)
    assert len(got) == 2, [m.subject for m in got]
    assert "Пришлите, пожалуйста, лог." in got[1].text
    ticket = desk.ticket(tid)
    held = [
        m
        for m in ticket["messages"]
        if m["text"].startswith("Не отправлено") and "в списке блокировки" in m["text"]
    ]
    assert len(held) == 3, [m["text"] for m in ticket["messages"]]
    assert all(CUSTOMER in m["text"] for m in held)
    shown = desk.run("ticket", "show", tid).out
    assert f"Не отправлено уведомление «ждём вашего ответа» клиенту {CUSTOMER}" in shown
    assert f"Не отправлено уведомление «обращение закрыто» клиенту {CUSTOMER}" in shown
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
    assert any(
        t.startswith("Не отправлено")
        and "в списке блокировки" in t
        and "olga@spam-farm.example" in t
        for t in notes
    )


def test_block_remove_sends_the_started_notice_the_block_held_back(tmp_path, sink):
    """#take while the customer was blocked: «работа начата» was held (a note), and,
    the customer having heard nothing, the ticket kept no reaction. Once unblocked,
    with the ticket still in work and nothing told them since, it goes, and that is
    the ticket's first reaction (first_reaction_at: the SLA report judges by it)."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # the confirmation
    assert desk.run("block", "add", CUSTOMER).code == 0
    desk.ingest(_staff(tid, "#take"))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # held
    assert desk.ticket(tid)["first_reaction_at"] is None
    r = desk.run("block", "remove", CUSTOMER, "--json")
    assert r.code == 0 and r.json()["started"] == 1, r.out + r.err
    assert desk.ticket(tid)["first_reaction_at"] is not None
    assert desk.flush().code == 0
    got = sink.to(CUSTOMER)
    assert len(got) == 2 and "Работа по обращению начата" in got[1].subject
    assert f"[TID#{tid}]" in got[1].subject and "начал работу" in got[1].text
    # told once: blocked and unblocked again, nothing more is owed
    assert desk.run("block", "add", CUSTOMER).code == 0
    assert desk.run("block", "remove", CUSTOMER, "--json").json()["started"] == 0
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 2


def test_block_remove_sends_no_started_notice_an_answer_made_needless(tmp_path, sink):
    """An answer that went to the customer after the held notice says work has
    started; a ticket no longer in work (waiting, closed) owes none either."""
    desk = Desk(tmp_path, sink.port)
    answered = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Первый вопрос."))
    closed = desk.ingest_tid(
        make_mail(sender=CUSTOMER, subject="Второй", msgid="<2@shop-example.ru>")
    )
    assert desk.flush().code == 0
    assert desk.run("block", "add", CUSTOMER).code == 0
    desk.ingest(_staff(answered, "#take"))
    desk.ingest(_staff(answered, "Уже смотрим, подождите немного."))  # an answer: it goes
    desk.ingest(_staff(closed, "#take"))
    desk.ingest(_staff(closed, "#close"))
    assert desk.flush().code == 0
    before = len(sink.to(CUSTOMER))
    r = desk.run("block", "remove", CUSTOMER)
    assert r.code == 0 and r.out.strip() == f"unblocked {CUSTOMER}", r.out + r.err
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == before


def test_block_remove_of_one_entry_sends_nothing_while_another_still_blocks(tmp_path, sink):
    """The customer blocked by address and by domain: removing the address's entry
    leaves them blocked, so the held «работа начата» stays held (`started` 0, no
    reaction marked); it goes when the domain's entry goes too."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # the confirmation
    assert desk.run("block", "add", CUSTOMER).code == 0
    assert desk.run("block", "add", "shop-example.ru").code == 0
    desk.ingest(_staff(tid, "#take"))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # held
    r = desk.run("block", "remove", CUSTOMER, "--json")
    assert r.code == 0 and r.json()["started"] == 0, r.out + r.err
    assert desk.ticket(tid)["first_reaction_at"] is None
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1
    r = desk.run("block", "remove", "shop-example.ru", "--json")
    assert r.code == 0 and r.json()["started"] == 1, r.out + r.err
    assert desk.ticket(tid)["first_reaction_at"] is not None
    assert desk.flush().code == 0 and len(_started(desk, sink)) == 1


def test_a_take_after_block_remove_told_work_started_does_not_tell_it_again(tmp_path, sink):
    """«работа начата» sent on `block remove` counts as sent: another #take of the
    ticket (a colleague taking it over) sends it no second time."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0
    assert desk.run("block", "add", CUSTOMER).code == 0
    desk.ingest(_staff(tid, "#take"))
    r = desk.run("block", "remove", CUSTOMER, "--json")
    assert r.code == 0 and r.json()["started"] == 1, r.out + r.err
    assert desk.flush().code == 0 and len(_started(desk, sink)) == 1
    desk.ingest(_staff(tid, "#take"))
    assert desk.flush().code == 0 and len(_started(desk, sink)) == 1


def _started(desk: Desk, sink) -> list:
    return [m for m in sink.to(CUSTOMER) if "Работа по обращению начата" in m.subject]


@pytest.mark.parametrize("how", ["block add", "hand-edited list"])
def test_block_remove_sends_the_started_notice_a_block_withdrew(tmp_path, sink, how):
    """#take before the block: «работа начата» was queued, then withdrawn (`block add`,
    or the sender by a hand-edited blocklist.json): held back as surely as when the
    block was there first. Once unblocked, the ticket still in work, it goes, once."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # the confirmation
    desk.ingest(_staff(tid, "#take"))  # «работа начата» queued
    if how == "block add":
        r = desk.run("block", "add", "shop-example.ru")
        assert "withdrew 1 queued automatic mail(s)" in r.out, r.out + r.err
    else:
        (desk.root / "data" / "blocklist.json").write_text('["shop-example.ru"]\n', "utf-8")
    assert desk.flush().code == 0 and _started(desk, sink) == []
    [withdrawn] = [m for m in desk.run("outbox", "list", "--sent", "--json").json()
                   if m.get("withdrawn")]  # fmt: skip
    assert withdrawn["withdrawn"] == "blocked" and withdrawn["tid"] == tid
    r = desk.run("block", "remove", "shop-example.ru", "--json")
    assert r.code == 0 and r.json()["started"] == 1, r.out + r.err
    assert desk.flush().code == 0
    [got] = _started(desk, sink)
    assert f"[TID#{tid}]" in got.subject and "начал работу" in got.text
    # told once: blocked and unblocked again, nothing more is owed
    assert desk.run("block", "add", "shop-example.ru").code == 0
    assert desk.run("block", "remove", "shop-example.ru", "--json").json()["started"] == 0
    assert desk.flush().code == 0 and len(_started(desk, sink)) == 1


def test_block_remove_sends_no_withdrawn_started_notice_an_answer_made_needless(tmp_path, sink):
    """The withdrawn «работа начата», then a staff member's answer that reached the
    customer (it says work has started): nothing is owed after `block remove`."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0
    desk.ingest(_staff(tid, "#take"))
    assert desk.run("block", "add", "shop-example.ru").code == 0
    desk.ingest(_staff(tid, "Уже смотрим, подождите немного."))  # an answer: it goes
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 2
    r = desk.run("block", "remove", "shop-example.ru")
    assert r.code == 0 and r.out.strip() == "unblocked shop-example.ru", r.out + r.err
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 2
    assert _started(desk, sink) == []


def _bounce_of(confirmation) -> bytes:
    return _report(confirmation.raw, "failed", "5.1.1", "Undelivered Mail Returned to Sender")


@pytest.mark.parametrize("why", ["cap", "refused for good"])
def test_block_remove_that_cannot_send_the_started_notice_marks_no_reaction(tmp_path, sink, why):
    """The «работа начата» `block remove` owes, kept back all the same: the cap on
    automatic mail to the customer reached (here one a day, the confirmation's), or
    their mailbox refused for good meanwhile (the confirmation bounced). The customer
    heard nothing, so the ticket keeps no reaction (the SLA report judges by it), and
    the thread says why the notice did not go; nor does `block remove` count it as
    queued (`"started"` 0: it said «queued «работа начата» ... of 1 ticket(s)»)."""
    caps = {"max_auto_replies_per_day": 1} if why == "cap" else {}
    desk = Desk(tmp_path, sink.port, support=caps)
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0
    [confirmation] = sink.to(CUSTOMER)
    assert desk.run("block", "add", CUSTOMER).code == 0
    desk.ingest(_staff(tid, "#take"))
    if why == "refused for good":
        assert desk.ingest(_bounce_of(confirmation)).code == 0
        assert CUSTOMER in desk.ticket(tid)["undeliverable"]
    assert desk.flush().code == 0
    r = desk.run("block", "remove", CUSTOMER, "--json")
    assert r.code == 0 and r.json()["started"] == 0, r.out + r.err  # none was queued
    ticket = desk.ticket(tid)
    assert ticket["first_reaction_at"] is None
    assert desk.flush().code == 0 and _started(desk, sink) == []
    shown = desk.run("ticket", "show", tid).out
    assert f"Не отправлено уведомление «работа начата» клиенту {CUSTOMER}" in shown, shown
