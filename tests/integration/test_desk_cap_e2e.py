"""The desk-wide cap on new tickets' confirmations to senders whose mail proves
nothing (support.max_confirmations_per_hour): a flood of forged mail, each under a
new address at a new domain, meets no cap per address or ticket."""

from __future__ import annotations

import json
from pathlib import Path

from maild.adapters.store.indexes import DESK_FIELD, index_path
from maild.config import load
from tests.helpers import Desk, dkim_pass, make_mail
from tests.integration.test_staff_forward_e2e import ANNA, FWD, PETR

SPAM = "Дешёвые кредиты без отказа: http://spam.example/loan"
STAFF = ("anna@example.com", "boris@example.com")


def _victims(sink) -> list:
    return [r for r in sink.received if "victim" in r.rcpt_tos[0]]


def test_forged_mail_from_many_domains_gets_confirmations_up_to_the_desk_cap(tmp_path, sink):
    """100 forged mails from 100 addresses at 100 domains with a spammer's subject and
    link got 100 confirmations carrying them. Past the cap the tickets still open and
    staff hear of each, told the confirmation was not sent and why; the ticket keeps a
    note of it; mail that proves its sender (DKIM/SPF) is confirmed still."""
    desk = Desk(
        tmp_path,
        sink.port,
        support={"max_confirmations_per_hour": 3, "authserv_id": "mx.example.com"},
    )
    tids = [
        desk.ingest_tid(make_mail(sender=f"victim{i}@domain{i}.example", subject=SPAM, body=SPAM))
        for i in range(8)
    ]
    proven = make_mail(
        sender="olga@shop-b.example",
        headers={"Authentication-Results": "mx.example.com; dkim=pass header.d=shop-b.example"},
    )
    olga = desk.ingest_tid(proven)
    assert desk.flush().code == 0
    sink.wait_for(3 + 1 + 2 * 9)
    assert len(_victims(sink)) == 3
    assert len(sink.to("olga@shop-b.example")) == 1
    assert len(desk.tickets()) == 9
    for staff in STAFF:
        assert len(sink.to(staff)) == 9  # staff hear of every ticket
    [notice] = [m for m in sink.to(STAFF[0]) if f"[TID#{tids[3]}]" in m.subject]
    assert "НЕ отправлено письмо о регистрации" in notice.text
    assert "всем непроверенным отправителям вместе" in notice.text
    [note] = [m for m in desk.ticket(tids[3])["messages"] if m["kind"] == "note"]
    assert "обращение зарегистрировано" in note["text"] and "не больше 3 писем" in note["text"]
    assert not [m for m in desk.ticket(olga)["messages"] if m["kind"] == "note"]
    # the cap counts what went: sent again, the mail goes nowhere more
    out = desk.run("outbox", "list", "--sent", "--json").json()
    assert len([e for e in out if "victim" in e["to"][0]]) == 3


def test_by_default_every_customer_of_a_busy_hour_is_confirmed(tmp_path, sink):
    """No desk-wide cap unless set: a request is accepted once its sender has its number
    (clause 11), and without authserv_id no customer proves anything. With a default of
    200 the bench's customers went unconfirmed after the 200th, and every confirmation
    wrote the hour's times of all of them again."""
    desk = Desk(tmp_path, sink.port)
    assert load(desk.config).support.max_confirmations_per_hour == 0
    for i in range(25):
        desk.ingest(make_mail(sender=f"client{i}@shop{i}.example", subject="Заказ"))
    assert desk.flush().code == 0
    sink.wait_for(25 * 3)
    assert sum(len(sink.to(f"client{i}@shop{i}.example")) for i in range(25)) == 25
    # nothing counted: the support address's record holds no times of them
    record = Path(index_path(str(desk.root / "data"), "address", "support@example.com"))
    assert DESK_FIELD not in (json.loads(record.read_text()) if record.exists() else {})


def test_a_customers_mail_a_staff_member_forwards_is_confirmed_past_the_desk_cap(tmp_path, sink):
    """The cap reached by forged mail: the customer whose mail Anna forwards (her mail
    proven) is confirmed still: she vouches for his address, as his own proven mail
    would."""
    desk = Desk(
        tmp_path,
        sink.port,
        support={"max_confirmations_per_hour": 2, "authserv_id": "mx.example.com"},
    )
    for i in range(3):
        desk.ingest(make_mail(sender=f"victim{i}@domain{i}.example", subject=SPAM, body=SPAM))
    forward = make_mail(
        sender=ANNA, subject="Fwd: Не работает корзина", body=FWD, headers=dkim_pass(ANNA)
    )
    tid = desk.ingest_tid(forward)
    assert desk.ticket(tid)["requester"] == PETR
    assert desk.flush().code == 0
    sink.wait_for(2 + 1 + 2 * 4)  # to victims, to Petr, staff's notices
    assert len(_victims(sink)) == 2  # the cap is reached
    [confirmation] = sink.to(PETR)
    assert "Обращение зарегистрировано" in confirmation.subject
