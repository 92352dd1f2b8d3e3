"""#merge of tickets of different customers, end to end (the real CLI, an aiosmtpd
relay sink): from then on each answer goes to them all, their addresses in one To, and
each reads the other's mail on the site; the staff member who merged them is told so
at once, naming the customers of each ticket (templates/staff_merged.txt), under the
tag of the ticket the conversation goes on in. Two tickets of one customer merge
without a word, as before."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail, staff_reply

IVAN = "ivan@shop-example.ru"
PETR = "petr@client.example"
WARNING = "Внимание: объединены обращения разных клиентов"


def ticket_of(desk: Desk, sender: str, n: int) -> str:
    return desk.ingest_tid(make_mail(sender=sender, subject=f"Корзина {n}", msgid=f"<{n}@x.ru>"))


@pytest.mark.parametrize("answered", [False, True], ids=["commands-only", "with-answer"])
def test_the_staff_member_is_told_two_customers_now_share_the_ticket(desk, sink, answered):
    into, merged = ticket_of(desk, IVAN, 1), ticket_of(desk, PETR, 2)
    text = "\nОтветим в другом обращении." if answered else ""
    desk.ingest(staff_reply(merged, f"#merge {into}{text}"))
    assert desk.flush().code == 0
    [told] = [r for r in sink.to("anna@example.com") if r.subject.startswith(WARNING)]
    assert told.subject.endswith(f"Корзина 2 [TID#{into}]")
    assert f"Клиенты обращения {merged}: {PETR}" in told.text
    assert f"Клиенты обращения {into}: {IVAN}" in told.text
    assert "в поле «Кому» каждый увидит адреса остальных" in told.text
    # only the one who merged them; the others learn it from the ticket
    assert not [r for r in sink.to("boris@example.com") if r.subject.startswith(WARNING)]
    # and the ticket keeps it, in the thread of both
    said = f"Обращение {merged} объединено с обращением {into} по вашей команде #merge."
    for tid in (merged, into):
        assert [m["text"].split("\n")[0] for m in desk.ticket(tid)["messages"]].count(said) == 1


def test_two_tickets_of_one_customer_merge_without_a_warning(desk, sink):
    into, merged = ticket_of(desk, IVAN, 1), ticket_of(desk, f"Иван <{IVAN.upper()}>", 2)
    desk.ingest(staff_reply(merged, f"#merge {into}"))
    assert desk.flush().code == 0
    assert desk.ticket(merged)["merged_into"] == into
    assert not [r for r in sink.received if r.subject.startswith(WARNING)]
