"""A verified staff reply always reaches an end the staff member hears of: it never
opens a ticket of its own nor goes to nobody without a word. Real CLI, real sink."""

from __future__ import annotations

import re

import pytest

from tests.helpers import Desk, days_on, make_mail
from tests.integration.test_merge_spam_store import assert_store_clean
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

CUSTOMER = "ivan@shop-example.ru"
UNSENT = "Ответ клиенту не отправлен"
NO_FROM = (
    b"To: support@example.com\r\nSubject: =?utf-8?b?0J/RgNC+0LHQu9C10LzQsA==?=\r\n"
    b"Message-ID: <no-from@client.example>\r\n\r\nOshibka 500.\r\n"
)


def test_a_reply_to_a_ticket_marked_spam_stays_with_it_and_staff_are_told(desk: Desk, sink):
    """Anna answers a notice after Boris marked its ticket #spam: her mail client
    threads the reply by References to the customer's mail, whose index entry still
    names the TID. The reply is kept in the quarantine with the ticket (no ticket of
    its own with Anna as its customer, no confirmation, no notice to all staff), and
    Anna gets one mail that says who marked it and how the admin brings it back;
    doing what it says brings the ticket back and sends her answer."""
    tid, notice = open_ticket(desk, sink)
    first = desk.ticket(tid)["messages"][0]["message_id"]
    desk.ingest(staff_reply(tid, "#spam", sender="boris@example.com"))
    desk.flush()
    before = len(sink.received)
    answer = "Иван, очистите кэш браузера и повторите оплату."
    reply = staff_reply(
        tid,
        answer,
        subject=f"Re: [TID#{tid}]",
        headers={
            "In-Reply-To": str(notice.msg["Message-ID"]),
            "References": f"{first} {notice.msg['Message-ID']}",
        },
    )
    assert desk.ingest(reply).out.startswith("quarantined ")
    desk.flush()
    assert desk.tickets() == []
    [told] = sink.received[before:]  # Anna alone: nothing to the customer, no notices
    assert told.rcpt_tos == ["anna@example.com"]
    assert f"[TID#{tid}]" in told.subject and "спам" in told.subject
    assert "Не работает оформление заказа" in told.subject  # the ticket's own subject
    assert "boris@example.com" in told.text and "клиенту ничего не отправлено" in told.text
    entries = desk.run("spam", "list", "--json").json()
    assert [e["from"] for e in entries] == [CUSTOMER, "anna@example.com"]
    assert {e["reason"] for e in entries} == {f"spam: #spam [TID#{tid}]"}
    steps = re.findall(r"^ +maild (spam release \w+|block remove \S+)\r?$", told.text, re.M)
    assert steps == [*(f"spam release {e['id']}" for e in entries), f"block remove {CUSTOMER}"]
    assert_store_clean(desk)
    # delivered again, it stays where it is and Anna is not told twice
    assert desk.ingest(reply).out.startswith("quarantined ")
    desk.flush()
    assert len(sink.received) == before + 1
    mid = reply.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0]
    spool = [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    assert len([p for p in spool if mid in p.read_bytes()]) == 1  # the entry's copy
    for step in steps:
        assert desk.run(*step.split()).code == 0
    desk.flush()
    ticket = desk.ticket(tid)
    assert ticket["requester"] == CUSTOMER
    assert [m["kind"] for m in ticket["messages"] if m["from"] == "anna@example.com"] == ["staff"]
    assert [r for r in customer_mails(sink) if answer in r.text]
    assert desk.run("spam", "list", "--json").json() == []
    assert_store_clean(desk)


@pytest.mark.parametrize(
    ("opening", "why"),
    [
        (make_mail(sender="support@example.com", subject="Проблема"), "support@example.com"),
        (NO_FROM, "отправителя письма, открывшего обращение, прочитать не удалось"),
        (make_mail(sender="boris@example.com", subject="Проблема"), "сотрудник поддержки"),
    ],
    ids=["from-support-itself", "no-readable-from", "opened-by-staff"],
)
def test_an_answer_to_a_ticket_without_a_customer_is_a_note_and_staff_are_told(
    desk: Desk, sink, opening: bytes, why: str
):
    """A ticket opened by mail from the support address itself (maild never mails
    it: it would come back in), by a staff member (answers go to customers only) or
    by a message whose From could not be read has no one to answer. The answer is
    kept as a note, its commands run, and the staff member is told why and how to
    go on (#cc the customer, or #close)."""
    tid = desk.ingest_tid(opening)
    desk.flush()
    before = len(sink.received)
    answer = "Проверили: ошибка исправлена в 7.0.2."
    desk.ingest(staff_reply(tid, f"#take\n{answer}"))
    desk.flush()
    [told] = sink.received[before:]
    assert told.rcpt_tos == ["anna@example.com"]
    assert told.subject == f"{UNSENT}: Проблема [TID#{tid}]"
    assert "нет клиента" in told.text and why in told.text
    assert f"    {answer}" in told.text.splitlines() and "#cc" in told.text
    ticket = desk.ticket(tid)
    assert ticket["status"] == "open"  # #take ran
    [note] = [m for m in ticket["messages"] if m["from"] == "anna@example.com"]
    assert note["kind"] == "note" and answer in note["text"]
    # the way out it names: #cc the customer, and the answer goes to them
    desk.ingest(staff_reply(tid, f"#cc {CUSTOMER}\n{answer}"))
    desk.flush()
    assert [r.rcpt_tos for r in sink.received[before + 1 :]] == [[CUSTOMER]]


def test_an_answer_to_a_ticket_whose_customer_was_forgotten_goes_nowhere_and_says_so(
    desk: Desk, sink
):
    """`maild forget` put forgotten@invalid where the customer's address stood; a
    notice read late and answered sent the answer there (a relay bounces it back to
    support, or keeps retrying). It is kept as a note and the staff member is told
    the customer's data were erased."""
    tid, _notice = open_ticket(desk, sink)
    assert desk.run("forget", CUSTOMER).code == 0
    before = len(sink.received)
    desk.ingest(staff_reply(tid, "Иван, проверьте ещё раз.\n#close"))
    desk.flush()
    [told] = sink.received[before:]
    assert told.rcpt_tos == ["anna@example.com"] and told.subject.startswith(UNSENT)
    assert "maild forget" in told.text and f"[TID#{tid}]" in told.subject
    assert desk.ticket(tid)["status"] == "closed"  # its commands ran, no rating request
    assert desk.run("outbox", "list", "--json").json() == []


NO_TICKET = "Обращение не найдено"


def _deleted_ticket(tmp_path, sink) -> tuple[Desk, str]:
    """A desk whose one ticket, closed, storage.keep_closed_days deleted; its TID."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 1})
    tid, _notice = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Готово.\n#close"))
    assert "purged 1" in desk.run("jobs", "run", "--now", days_on(60)).out
    desk.flush()
    return desk, tid


def test_a_reply_to_a_ticket_deleted_by_retention_is_kept_and_staff_are_told(tmp_path, sink):
    """storage.keep_closed_days deleted the ticket with its index entries; a staff
    member then answers one of its notices. The reply opened a new ticket with the
    staff member as its customer; now it is kept in the quarantine, and the staff
    member is told the ticket was deleted (the signed address proves it existed)."""
    desk, tid = _deleted_ticket(tmp_path, sink)
    before = len(sink.received)
    reply = staff_reply(tid, "Иван, и ещё одно уточнение.")
    assert desk.ingest(reply).out.startswith("quarantined ")
    desk.flush()
    assert desk.tickets() == []
    [told] = sink.received[before:]
    assert told.rcpt_tos == ["anna@example.com"]
    assert told.subject.startswith(NO_TICKET) and f"[TID#{tid}]" in told.subject
    assert "опечатка" not in told.text
    # the numbers of days, as staff read them, not the config's keys
    text = " ".join(told.text.split())
    assert "удаляются через 1 день после закрытия" in text, text
    assert "в карантине (maild spam list) на 30 дней" in text
    assert "keep_closed_days" not in text and "keep_days" not in text
    [kept] = desk.run("spam", "list", "--json").json()
    assert kept["reason"] == f"staff: no ticket [TID#{tid}]"
    assert_store_clean(desk)
    desk.ingest(reply)  # delivered again: not told twice
    desk.flush()
    assert len(sink.received) == before + 1


def test_an_out_of_office_of_staff_naming_a_deleted_ticket_is_kept_and_no_one_told(tmp_path, sink):
    """Anna's out-of-office answers a notice of a ticket storage.keep_closed_days
    deleted since (its signed address). It opened a ticket with her as its customer
    and told all staff of it; it is kept in the quarantine, as her reply would be,
    and, automatic, it is told to no one: an answer to a robot may bring another."""
    desk, tid = _deleted_ticket(tmp_path, sink)
    before = len(sink.received)
    away = staff_reply(
        tid,
        "Я в отпуске до понедельника.",
        subject=f"Автоответ: Новое обращение [TID#{tid}]",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert desk.ingest(away).out.startswith("quarantined ")
    desk.flush()
    assert desk.tickets() == [] and sink.received[before:] == []
    [kept] = desk.run("spam", "list", "--json").json()
    assert kept["reason"] == f"staff: no ticket [TID#{tid}]"


def test_staff_mail_naming_a_ticket_that_never_was_opens_none(desk: Desk, sink):
    """A new mail from a staff address with a mistyped [TID#...] (no signed address)
    opened a ticket with the staff member as its customer, a confirmation to them and
    a notice to all staff. The staff member is told there is no such ticket."""
    tid, _notice = open_ticket(desk, sink)
    typo = tid[::-1]
    before = len(sink.received)
    mail = make_mail(sender="Анна <anna@example.com>", subject=f"[TID#{typo}] дополнение")
    assert desk.ingest(mail).out.startswith("quarantined ")
    desk.flush()
    assert [t["tid"] for t in desk.tickets()] == [tid]
    [told] = sink.received[before:]
    assert told.rcpt_tos == ["anna@example.com"] and f"[TID#{typo}]" in told.subject
    assert told.subject.startswith(NO_TICKET) and "опечатка" in told.text
    assert "на 30 дней" in told.text and "keep_days" not in told.text


def test_ingest_json_names_the_quarantine_entry_of_kept_mail_and_no_ticket(desk: Desk, sink):
    """`maild ingest --json` of mail kept in the quarantine (here staff mail naming a
    ticket that never was) gives the entry's id for `maild spam show` and no TID; of
    mail that reaches a ticket, its TID and no entry."""
    opened = desk.run("ingest", "-", "--json", input=make_mail()).json()
    assert set(opened) == {"spool_key", "tid", "outcome"} and opened["outcome"] == "new"
    typo = opened["tid"][::-1]
    mail = make_mail(sender="Анна <anna@example.com>", subject=f"[TID#{typo}] дополнение")
    kept = desk.run("ingest", "-", "--json", input=mail).json()
    [entry] = desk.run("spam", "list", "--json").json()
    assert kept == {
        "spool_key": kept["spool_key"],
        "tid": None,
        "outcome": "quarantined",
        "quarantine_id": entry["id"],
    }
