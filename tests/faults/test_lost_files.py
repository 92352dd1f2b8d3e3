"""Store files lost whole (deleted by hand, lost on disk), not torn: `maild fsck`
names what they leave behind and `--repair` brings back what can be had again. A
ticket file gone: its mail is stored again under its own TID, nobody is written to
again, and a reply with that TID threads there. Per-address records gone: rebuilt
with the first ticket's date, so free support does not start again. What --repair
sets aside is kept as privately as the store's own files. Through the real CLI, a
real `maild serve` and a real relay."""

from __future__ import annotations

import time
from pathlib import Path

from tests.helpers import Daemon, Desk, make_mail, staff_to


def _data(desk: Desk) -> Path:
    return desk.root / "data"


def _ticket_file(desk: Desk, tid: str) -> Path:
    return _data(desk) / "tickets" / tid[:2] / f"{tid}.json"


def _serve_until_spool_empty(desk: Desk) -> None:
    daemon = Daemon(desk).start()
    try:
        spool = _data(desk) / "spool"
        for _ in range(300):
            claimed = [
                f for d in (spool / "claimed").iterdir() for f in d.iterdir() if f.name[0] != "."
            ]
            if not any((spool / "new").iterdir()) and not claimed:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # (its outbox sender's turn)
    finally:
        assert daemon.stop() == 0


def _conversation(desk: Desk) -> str:
    """A ticket with the customer's question, anna's answer and the customer's reply."""
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Ошибка 500"))
    desk.ingest(
        make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body="Ответ."
        )
    )
    desk.ingest(make_mail(sender="ivan@shop.ru", subject=f"Re: [TID#{tid}] Ошибка 500"))
    return tid


def test_a_lost_ticket_file_is_stored_again_under_its_tid_and_nothing_is_sent_again(desk, sink):
    tid = _conversation(desk)
    other = desk.ingest_tid(make_mail(sender="petr@firm.ru", subject="Другой вопрос"))
    assert desk.flush().code == 0
    sent = len(sink.received)
    assert sent >= 4  # confirmations, notices, anna's answer
    _ticket_file(desk, tid).unlink()  # the file is lost: no copy anywhere

    check = desk.run("fsck")
    assert check.code == 1
    assert "a ticket that does not exist" not in check.out  # its index entries stay
    assert f"is in no ticket (the Message-ID index names {tid}" in check.out
    fixed = desk.run("fsck", "--repair")
    assert fixed.code == 0, fixed.out
    assert "a ticket that does not exist" not in fixed.out
    assert f"re-queued to spool/new: `maild serve` stores it again in {tid}" in fixed.out
    _serve_until_spool_empty(desk)

    assert sorted(t["tid"] for t in desk.tickets()) == sorted([tid, other])
    ticket = desk.ticket(tid)
    kinds = [
        m["kind"] for m in ticket["messages"] if m["direction"] == "in" or m["kind"] == "staff"
    ]
    assert kinds == ["customer", "staff", "customer"], ticket["messages"]
    # no second confirmation to the customer, no second «Новое обращение» to staff
    assert [r.subject for r in sink.received[sent:]] == []
    assert desk.run("fsck").code == 0

    # the customer's reply with the old TID goes into that ticket
    desk.ingest(make_mail(sender="ivan@shop.ru", subject=f"Re: [TID#{tid}] Ошибка 500 ещё"))
    assert sorted(t["tid"] for t in desk.tickets()) == sorted([tid, other])
    ticket = desk.ticket(tid)
    assert [m["kind"] for m in ticket["messages"] if m["direction"] == "in"][-1] == "customer"
    assert len([m for m in ticket["messages"] if m["direction"] == "in"]) == 3
