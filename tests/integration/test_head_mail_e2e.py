"""The head's mail (support.head) is support's own side on every path, never a
customer's. A new mail to support@ with the ticket's [TID#...], or his client's reply
to the escalation's From (support@) instead of its Reply-To, opened a ticket of its
own with the head as its customer: a confirmation «Обращение зарегистрировано» to him,
«Новое обращение» about him to every staff member, a 24-hour deadline in the SLA
report. Now either is a note of the ticket and the head is told once how his mail
reaches staff; command lines in his mail, which never run, are named to him once.
End to end: `maild jobs run` (the escalation), `maild ingest`, a real aiosmtpd relay."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import AUTHSERV, Desk, days_on, dkim_pass, make_mail
from tests.integration.test_staff_e2e import staff_reply

HEAD = "head@example.com"
STAFF = ["anna@example.com", "boris@example.com"]


def _escalated(desk: Desk, sink) -> tuple[str, object]:
    """A customer's ticket past its deadline: (its TID, the escalation the head got)."""
    tid = desk.ingest_tid(make_mail())
    due = datetime.fromisoformat(desk.ticket(tid)["reaction_due"])
    assert desk.run("jobs", "run", "--now", (due + timedelta(minutes=5)).isoformat()).code == 0
    desk.flush()
    [escalation] = [r for r in sink.to(HEAD) if "Просрочена" in r.subject]
    return tid, escalation


def _head_mail(body: str, **kw) -> bytes:
    return make_mail(sender="Олег Петрович <head@example.com>", body=body, **kw)


def _nothing_of_a_customer(desk: Desk, sink, tid: str, seen: int) -> None:
    """One ticket still, its customer's; no confirmation to the head, no «Новое
    обращение» to staff since mail number ``seen``."""
    assert [t["tid"] for t in desk.tickets()] == [tid]
    later = sink.received[seen:]
    assert not [r for r in later if "Обращение зарегистрировано" in r.subject]
    assert not [r for r in later if r.subject.startswith("Новое обращение")]


def test_a_new_mail_of_the_head_naming_the_ticket_is_a_note_he_is_told_of_once(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    seen = len(sink.received)
    before = desk.ticket(tid)
    desk.ingest(_head_mail("#close\n", subject=f"Re: [TID#{tid}]"))
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    [told] = sink.received[seen:]  # to the head alone: staff get no unverified text
    assert told.rcpt_tos == [HEAD]
    assert told.subject.startswith("Ваше письмо не передано сотрудникам")
    assert f"[TID#{tid}]" in told.subject
    # the ticket's subject, not his mail's (a TID tag alone): he knows which one it is
    ticket_subject = "Не работает оформление заказа"
    assert told.subject == f"Ваше письмо не передано сотрудникам: {ticket_subject} [TID#{tid}]"
    assert "Команды не выполнены: #close." in told.text
    assert told.msg["Reply-To"].addresses[0].addr_spec in told.text  # where to write
    ticket = desk.ticket(tid)
    assert (ticket["status"], ticket["reaction_due"]) == (before["status"], before["reaction_due"])
    assert ticket["messages"][-2]["kind"] == "note"
    assert ticket["messages"][-2]["from"] == HEAD
    # once per ticket: a second such mail is a note too, and nobody is told again
    seen = len(sink.received)
    desk.ingest(_head_mail("Анна, ответьте клиенту.\n#critical\n", subject=f"[TID#{tid}]"))
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    assert sink.received[seen:] == []
    assert desk.ticket(tid)["messages"][-1]["kind"] == "note"


def test_the_heads_reply_to_the_escalations_from_is_a_note_of_its_ticket(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid, escalation = _escalated(desk, sink)
    seen = len(sink.received)
    mid = escalation.msg["Message-ID"]
    reply = _head_mail(
        "Борис, возьми срочно.\n#assign boris@example.com\n",
        subject=f"Re: {escalation.subject}",
        headers={"In-Reply-To": mid, "References": mid},
    )
    desk.ingest(reply)
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    [told] = sink.received[seen:]
    assert told.rcpt_tos == [HEAD] and "не передано сотрудникам" in told.subject
    assert "Команды не выполнены: #assign boris@example.com." in told.text
    # the address it names is his escalation's Reply-To: writing there reaches staff
    assert escalation.msg["Reply-To"].addresses[0].addr_spec in told.text
    ticket = desk.ticket(tid)
    assert ticket["assignee"] is None
    assert [m["kind"] for m in ticket["messages"] if m["from"] == HEAD] == ["note"]


def test_the_heads_commands_at_his_reply_address_are_named_to_him_once(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid, escalation = _escalated(desk, sink)
    address = escalation.msg["Reply-To"].addresses[0].addr_spec
    seen = len(sink.received)
    body = "Борис, возьми срочно.\n#assign boris@example.com\n#critical\n"
    desk.ingest(_head_mail(body, to=address, subject=f"Re: {escalation.subject}"))
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    later = sink.received[seen:]
    notes = [r for r in later if r.subject.startswith("Письмо руководителя поддержки")]
    assert sorted(r.rcpt_tos[0] for r in notes) == STAFF  # his note reaches staff
    assert all("Борис, возьми срочно." in r.text for r in notes)
    # staff's «Reply» to it answers him: at the ticket's address it went to the customer
    assert all(r.msg["Reply-To"].addresses[0].addr_spec == HEAD for r in notes)
    [told] = [r for r in later if r.rcpt_tos == [HEAD]]
    assert told.subject.startswith("Команды не выполнены") and f"[TID#{tid}]" in told.subject
    assert "Команды не выполнены: #assign boris@example.com, #critical." in told.text
    assert "передано сотрудникам" in told.text
    ticket = desk.ticket(tid)
    assert (ticket["assignee"], ticket.get("critical", False)) == (None, False)
    # told once: his next command reaches staff as his note, and him nothing
    seen = len(sink.received)
    desk.ingest(_head_mail("#close\n", to=address, subject=f"Re: {escalation.subject}"))
    desk.flush()
    assert sorted(r.rcpt_tos[0] for r in sink.received[seen:]) == STAFF
    assert desk.ticket(tid)["status"] == ticket["status"]


def test_mail_at_his_reply_address_not_by_his_hand_reaches_no_staff(tmp_path, sink):
    """The escalation's Reply-To reaches staff as the head's note only from the head
    himself, by hand. The head forwards the escalation and whoever got it writes to
    that address: her words would reach every staff member as his («Олег Петрович
    просил передать: ...»). His out-of-office answering the escalation there would be
    relayed to all staff as his note. Either is a note of the ticket, told to no one."""
    desk = Desk(tmp_path, sink.port)
    tid, escalation = _escalated(desk, sink)
    address = escalation.msg["Reply-To"].addresses[0].addr_spec
    seen = len(sink.received)
    desk.ingest(
        make_mail(
            sender="Ева <eve@elsewhere.example>",
            to=address,
            subject="Насчёт клиента",
            body="Олег Петрович просил передать: клиент врёт, лицензия пиратская.\n",
        )
    )
    mid = escalation.msg["Message-ID"]
    auto = {"In-Reply-To": mid, "Auto-Submitted": "auto-replied"}
    desk.ingest(
        _head_mail(
            "Я в отпуске до понедельника.\n",
            to=address,
            subject=f"Автоответ: {escalation.subject}",
            headers=auto,
        )
    )
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    assert sink.received[seen:] == []
    kept = desk.ticket(tid)["messages"][-2:]
    assert [(m["from"], m["kind"]) for m in kept] == [
        ("eve@elsewhere.example", "note"),
        (HEAD, "note"),
    ]


def test_the_heads_mail_naming_no_ticket_there_opens_none(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    seen = len(sink.received)
    desk.ingest(_head_mail("Что с этим обращением?\n", subject="Re: [TID#1111-2222]"))
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    [told] = sink.received[seen:]
    assert told.rcpt_tos == [HEAD] and "[TID#1111-2222]" in told.subject
    # his words, not staff's: his mail never goes to a customer on any path
    assert told.subject.startswith("Обращение не найдено, письмо не передано сотрудникам")
    text = " ".join(told.text.split())
    assert "письмо не передано сотрудникам" in text and "клиент" not in text
    assert "опечатка" in text and "ответьте кнопкой «Ответить» на письмо maild" in text
    assert "в карантине maild на 30 дней: сотрудники могут найти его там" in text
    assert "staff: no ticket [TID#1111-2222]" in desk.run("spam", "list").out


def test_the_heads_answer_to_an_escalation_of_a_ticket_deleted_since_is_kept(tmp_path, sink):
    """storage.keep_closed_days deleted an escalated ticket; the head then answers its
    escalation. He is told it was deleted, and to write to staff: not to support@,
    where his mail naming no ticket opens one with him as its customer."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 1})
    tid, escalation = _escalated(desk, sink)
    address = escalation.msg["Reply-To"].addresses[0].addr_spec
    desk.ingest(staff_reply(tid, "Готово.\n#close"))
    assert "purged 1" in desk.run("jobs", "run", "--now", days_on(60)).out
    desk.flush()
    seen = len(sink.received)
    answer = _head_mail("Почему так долго?\n", to=address, subject=f"Re: {escalation.subject}")
    assert desk.ingest(answer).out.startswith("quarantined ")
    desk.flush()
    assert desk.tickets() == []
    [told] = sink.received[seen:]
    assert told.rcpt_tos == [HEAD] and f"[TID#{tid}]" in told.subject
    assert told.subject.startswith("Обращение не найдено, письмо не передано сотрудникам")
    text = " ".join(told.text.split())
    assert "удаляются через 1 день после закрытия" in text and "опечатка" not in text
    assert "напишите сотрудникам поддержки на их личные адреса" in text
    assert "Не пишите на адрес поддержки" in text
    # nothing of staff's words: no customer, no copy to one, no reply to a notice
    assert "клиенту" not in text and "в копии" not in text
    [kept] = desk.run("spam", "list", "--json").json()
    assert kept["reason"] == f"staff: no ticket [TID#{tid}]"


def test_the_heads_out_of_office_at_support_is_a_note_no_one_is_told_of(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid, escalation = _escalated(desk, sink)
    seen = len(sink.received)
    mid = escalation.msg["Message-ID"]
    auto = _head_mail(
        "Я в отпуске до понедельника.\n",
        subject=f"Автоответ: {escalation.subject}",
        headers={"In-Reply-To": mid, "Auto-Submitted": "auto-replied"},
    )
    desk.ingest(auto)
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    assert sink.received[seen:] == []
    assert desk.ticket(tid)["messages"][-1]["kind"] == "note"


def test_the_heads_mail_proven_by_dkim_reaches_staff_as_his_note(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    seen = len(sink.received)
    verified = "mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com"
    mail = _head_mail(
        "Анна, ответьте клиенту сегодня.\n",
        subject=f"[TID#{tid}]",
        headers={"Authentication-Results": verified},
    )
    desk.ingest(mail)
    desk.flush()
    _nothing_of_a_customer(desk, sink, tid, seen)
    later = sink.received[seen:]
    assert sorted(r.rcpt_tos[0] for r in later) == STAFF  # nothing to the head: no command
    assert all(r.subject.startswith("Письмо руководителя поддержки") for r in later)


def test_a_customers_cc_of_the_head_never_makes_him_a_participant(tmp_path, sink):
    """An outsider's new mail copying the head: he is support's own side (as `#cc head@`
    is refused), never a customer-side participant, though the mail proves its From
    (DKIM) and the colleague it copies joins. Staff's answer goes to the customer and
    the colleague copied, not to the head as a customer's copy signed for him, and his
    address is not in the To the customers read."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": AUTHSERV})
    petr = "petr@shop-example.ru"
    headers = {"Cc": f"Олег <{HEAD}>, {petr}", **dkim_pass("ivan@shop-example.ru")}
    tid = desk.ingest_tid(make_mail(headers=headers))
    assert sorted(desk.ticket(tid)["participants"]) == ["ivan@shop-example.ru", petr]
    desk.flush()
    seen = len(sink.received)
    desk.ingest(staff_reply(tid, "Добрый день, проверим.\n"))
    desk.flush()
    answers = [r for r in sink.received[seen:] if r.subject.startswith("Re:")]
    assert sorted(r.rcpt_tos[0] for r in answers) == ["ivan@shop-example.ru", petr]
    assert not [r for r in sink.received[seen:] if HEAD in r.rcpt_tos]
    assert all(HEAD not in r.msg["To"] for r in answers)


def test_confirmations_to_the_heads_forged_from_are_capped_as_staffs_are(tmp_path, sink):
    """Mail from the head's address naming no ticket opens one, as staff's does, and
    its confirmation to him is capped as automatic mail is, as staff's is: 50 mails
    forged From: head@ (spam, no TID) once got him 50 «Обращение зарегистрировано»
    (staff's forged From was capped; mail to support's own side never counted)."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 3})
    for n in range(6):
        desk.ingest(_head_mail(f"Купите виагру {n}\n", subject=f"Скидки {n} http://spam.example"))
    desk.flush()
    confirmed = [m for m in sink.to(HEAD) if "зарегистрировано" in m.subject]
    assert len(confirmed) == 3, [m.subject for m in sink.to(HEAD)]
    assert len(desk.tickets()) == 6


def test_confirmations_to_the_heads_proven_mail_are_not_capped_as_staffs_are_not(tmp_path, sink):
    """The head's own mail (DKIM per our MTA) naming no ticket is no forgery: each
    ticket it opens is confirmed to him, as a verified staff member's is."""
    caps = {"max_auto_replies_per_hour": 3, "authserv_id": AUTHSERV}
    desk = Desk(tmp_path, sink.port, support=caps)
    for n in range(6):
        desk.ingest(_head_mail("Проверка\n", subject=f"Отчёт {n}", headers=dkim_pass(HEAD)))
    desk.flush()
    confirmed = [m for m in sink.to(HEAD) if "зарегистрировано" in m.subject]
    assert len(confirmed) == 6, [m.subject for m in sink.to(HEAD)]
