"""A verified staff reply always reaches an end the staff member hears of: it never
opens a ticket of its own nor goes to nobody without a word. Real CLI, real sink."""

from __future__ import annotations

import re

from tests.helpers import Desk
from tests.integration.test_merge_spam_store import assert_store_clean
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

CUSTOMER = "ivan@shop-example.ru"


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
    for step in steps:
        assert desk.run(*step.split()).code == 0
    desk.flush()
    ticket = desk.ticket(tid)
    assert ticket["requester"] == CUSTOMER
    assert [m["kind"] for m in ticket["messages"] if m["from"] == "anna@example.com"] == ["staff"]
    assert [r for r in customer_mails(sink) if answer in r.text]
    assert desk.run("spam", "list", "--json").json() == []
    assert_store_clean(desk)
