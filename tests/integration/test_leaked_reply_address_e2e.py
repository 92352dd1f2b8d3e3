"""A staff member's signed reply address that leaked to an outsider proves them no more
(domain/leak.py), end to end: `maild ingest`, `maild outbox flush`, a real relay.

Anna answers Ivan "reply all" with Ivan in Cc: Ivan's copy (the very mail maild got)
shows her signed address in To. Had it still proved her, Ivan could write From: anna
to it and act as staff on his ticket: `#merge` it into Olga's ticket, which made him a
participant there (Olga's mail and site link his). maild sees who the answer went to,
and Anna's address of the ticket is renewed: the old one proves no one; her next
notice carries the new one, which does."""

from __future__ import annotations

from tests.helpers import Desk, make_mail, staff_reply, staff_to

IVAN = "ivan@shop-example.ru"
OLGA = "olga@other-example.ru"
ANNA = "anna@example.com"


def two_tickets(desk: Desk, sink) -> tuple[str, str]:
    """Ivan's ticket and Olga's, their mail sent."""
    tid = desk.ingest_tid(make_mail())
    other = desk.ingest_tid(
        make_mail(
            sender=f"Ольга <{OLGA}>",
            subject="Счёт за октябрь",
            body="Пришлите, пожалуйста, счёт за октябрь: реквизиты ООО «Ромашка».",
        )
    )
    desk.flush()
    sink.wait_for(4)
    return tid, other


def reply_to_of_last_notice(sink, tid: str, to: str = ANNA) -> str:
    """The Reply-To of the last mail about ``tid`` that reached ``to``."""
    mails = [r for r in sink.to(to) if f"[TID#{tid}]" in r.subject]
    return mails[-1].msg["Reply-To"].addresses[0].addr_spec


def test_a_leaked_reply_address_runs_no_merge_and_relays_nothing(desk, sink):
    tid, other = two_tickets(desk, sink)
    olga_people = desk.ticket(other)["participants"]
    leaked = staff_to(tid)
    # Anna answers "reply all", Ivan in Cc: her answer goes as ever
    desk.ingest(staff_reply(tid, "Иван, проверьте настройки оплаты.", headers={"Cc": IVAN}))
    desk.flush()
    assert any("проверьте настройки оплаты" in r.text for r in sink.to(IVAN))
    before = len(sink.received)
    # Ivan, with the address his copy showed, as Anna
    forged = make_mail(
        sender=f"Анна <{ANNA}>",
        to=leaked,
        subject=f"Re: Не работает оформление заказа [TID#{tid}]",
        body=f"#merge {other}\nВопрос решён, спасибо за обращение.",
    )
    desk.ingest(forged)
    desk.flush()
    assert desk.ticket(other)["participants"] == olga_people
    assert "merged_into" not in desk.ticket(tid)
    kept = [m["kind"] for m in desk.ticket(tid)["messages"] if "Вопрос решён" in m["text"]]
    assert kept == ["note", "notice"]  # kept as a note; Anna's notice quotes it
    sent = sink.wait_for(before + 1)[before:]  # Anna is told; nothing else goes
    assert [r.rcpt_tos for r in sent] == [[ANNA]]
    assert "не принято как ответ сотрудника" in sent[0].subject
    assert not [r for r in sink.to(IVAN) if "Вопрос решён" in r.text]
    assert not [r for r in sink.to(IVAN) if other in r.subject or "Ромашка" in r.text]
    # the notice tells Anna her address now: a new one, not the one Ivan saw
    renewed = reply_to_of_last_notice(sink, tid)
    assert renewed != leaked and renewed.startswith(f"support+{tid}.")
    assert renewed in " ".join(sent[0].text.split())


def test_the_next_notice_carries_a_new_address_that_works(desk, sink):
    tid, _other = two_tickets(desk, sink)
    leaked = staff_to(tid)
    desk.ingest(staff_reply(tid, "Иван, проверьте настройки оплаты.", headers={"Cc": IVAN}))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}] оплата", body="Проверил, ошибка та же."))
    desk.flush()
    renewed = reply_to_of_last_notice(sink, tid)
    assert renewed != leaked
    # Anna's own answer to the old address: taken as unverified staff mail, not sent
    desk.ingest(staff_reply(tid, "Старый адрес: пришлите лог.", to=leaked))
    # her answer to the new one goes to Ivan, and her command runs
    desk.ingest(staff_reply(tid, "Новый адрес: пришлите лог.\n#level vip", to=renewed))
    desk.flush()
    texts = [r.text for r in sink.to(IVAN)]
    assert any("Новый адрес: пришлите лог." in t for t in texts)
    assert not any("Старый адрес" in t for t in texts)
    assert desk.ticket(tid)["level"] == "vip"


def test_a_reply_all_to_staff_and_the_head_keeps_the_address(desk, sink):
    tid, _other = two_tickets(desk, sink)
    desk.ingest(
        staff_reply(
            tid,
            "Иван, проверьте настройки оплаты.",
            headers={"Cc": "boris@example.com, head@example.com, support@example.com"},
        )
    )
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}] оплата", body="Проверил, ошибка та же."))
    desk.flush()
    assert reply_to_of_last_notice(sink, tid) == staff_to(tid)
    desk.ingest(staff_reply(tid, "Пришлите, пожалуйста, лог.\n#level vip"))
    desk.flush()
    assert any("Пришлите, пожалуйста, лог." in r.text for r in sink.to(IVAN))
    assert desk.ticket(tid)["level"] == "vip"


def test_the_new_address_answered_from_another_address_of_hers_is_a_note_she_is_told_of(desk, sink):
    """Her client answering the renewed address "as" an address of hers not on
    support.staff: a note of the ticket and she is told (staffmail.decide_alias), as
    with the first address; not a ticket of its own with that address its customer."""
    tid, _other = two_tickets(desk, sink)
    desk.ingest(staff_reply(tid, "Иван, проверьте настройки оплаты.", headers={"Cc": IVAN}))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}] оплата", body="Проверил, ошибка та же."))
    desk.flush()
    renewed = reply_to_of_last_notice(sink, tid)
    before = len(sink.received)
    desk.ingest(
        staff_reply(tid, "Иван, обновите модуль.", sender="a.smirnova@example.com", to=renewed)
    )
    desk.flush()
    assert sorted(t["tid"] for t in desk.tickets()) == sorted([tid, _other])
    [told] = sink.wait_for(before + 1)[before:]
    assert told.rcpt_tos == [ANNA] and told.subject.startswith("Ответ клиенту не отправлен")
