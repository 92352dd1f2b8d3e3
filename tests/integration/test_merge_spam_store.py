"""#merge and #spam leave the store consistent, end to end (the real CLI, a real
relay sink): the command never reaches the customer, on the site or by mail, and
`maild fsck` finds nothing to report or repair afterwards."""

from __future__ import annotations

from maild.web.pages import shown
from tests.helpers import Desk, make_mail
from tests.integration.test_staff_e2e import open_ticket, staff_reply

CUSTOMER = "ivan@shop-example.ru"
COLLEAGUE = "petr@shop-example.ru"


def two_tickets(desk: Desk, sink) -> tuple[str, str, str]:
    """(the ticket that survives, the one merged into it, its first Message-ID). The
    survivor is the lower TID: fsck reads ticket files in TID order."""
    first, _ = open_ticket(desk, sink, subject="Ошибка 500 в корзине")
    dup_id = "<dup-1@shop-example.ru>"
    second = desk.ingest_tid(make_mail(sender=f"Пётр <{COLLEAGUE}>", msgid=dup_id))
    desk.flush()
    into, merged = sorted([first, second])
    first_id = dup_id if merged == second else desk.ticket(merged)["messages"][0]["message_id"]
    return into, merged, first_id


def to_customers(mails: list) -> list:
    return [r for r in mails if {CUSTOMER, COLLEAGUE} & set(r.rcpt_tos)]


def test_merge_command_is_a_note_the_customer_never_sees(desk, sink):
    into, merged, _ = two_tickets(desk, sink)
    before = len(sink.received)
    reply = staff_reply(merged, f"#merge {into}\n", msgid="<merge-1@example.com>")
    desk.ingest(reply)
    desk.flush()
    for tid in (into, merged):
        messages = desk.ticket(tid)["messages"]
        [kept] = [m for m in messages if m["message_id"] == "<merge-1@example.com>"]
        assert kept["kind"] == "note", tid  # as any reply of commands only
        assert not [m for m in messages if shown(m) and "#merge" in m["text"]], tid
    [told] = to_customers(sink.received[before:])  # where the conversation continues
    assert f"продолжается в обращении {into}" in told.text and "#merge" not in told.text
    # with an answer, the customers get the answer; the command stays with staff
    third = desk.ingest_tid(make_mail(sender=f"Пётр <{COLLEAGUE}>", subject="И ещё"))
    desk.ingest(staff_reply(third, f"#merge {into}\nОтвечу в первом обращении."))
    desk.flush()
    answer = [m for m in desk.ticket(into)["messages"] if "Отвечу" in m["text"]]
    assert [m["direction"] for m in answer] == ["out"] and shown(answer[0])
    assert "#merge" not in answer[0]["text"]
    assert not [r for r in to_customers(sink.received[before:]) if "#merge" in r.text]
    assert any("Отвечу в первом" in r.text for r in sink.to(COLLEAGUE))
