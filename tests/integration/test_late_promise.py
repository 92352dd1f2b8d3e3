"""A follow-up that arrived before its ticket's deadline but was processed after it
(it waited in the spool: the ticket's file was unreadable for a while) is
acknowledged as late: the deadline gone by is not promised again."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.helpers import Daemon, Desk, make_mail

CUSTOMER = "ivan@shop-example.ru"


def test_mail_processed_after_the_deadline_promises_no_past_time(desk: Desk, sink):
    tid = desk.ingest_tid(make_mail(subject="Не работает отчёт"))
    due = desk.ticket(tid)["reaction_due"]
    [path] = [p for p in (desk.root / "data").rglob(f"{tid}.json") if "tickets" in p.parts]
    saved = path.read_bytes()
    path.write_bytes(b"{garbage")  # the mail waits in the spool until it is mended
    r = desk.run("ingest", "-", input=make_mail(subject=f"Re: [TID#{tid}]", body="Ещё деталь."))
    assert r.code == 0 and "deferred" in r.out
    path.write_bytes(saved)
    # processed a day after `due`, however far the calendar put it (from New Year's Eve
    # the holidays of January 1-8 put it past ten days on)
    ahead = (datetime.fromisoformat(due) - datetime.now(UTC)).total_seconds() / 86400 + 1
    daemon = Daemon(desk, days_ahead=ahead).start()
    try:
        deadline = time.monotonic() + 30
        while len(desk.ticket(tid)["messages"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        daemon.stop()
    desk.flush()
    [ack] = [m for m in sink.wait_for(4) if m.rcpt_tos == [CUSTOMER] and "добавлено" in m.subject]
    assert "Ответ поступит не позднее" not in ack.text, due
    assert "Ответ задерживается" in ack.text
