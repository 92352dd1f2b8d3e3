"""Errors of the environment pause processing; they never strand accepted mail.

`tickets/` is made read-only (a real read-only mount: EROFS, for root too) while
`maild serve` accepts mail over SMTP: every message answered 250 waits in the spool,
nothing is shunted, run/fault.json says what is wrong and head and staff get one
alert. Once the folder is writable again every accepted message becomes a ticket
with exactly one confirmation at the relay sink."""

from __future__ import annotations

import json
import logging
import re
import smtplib
import time

from tests.faults.fs import read_only
from tests.helpers import QUICK_RETRIES, Daemon, Desk, free_port, make_mail

ALERT = "обработка почты приостановлена"

# the tests wait for the retries of paused processing (more of them while the fault
# lasts, the first soon after it ends), not for their length
PACE = QUICK_RETRIES


def _send(port: int, n: int, tag: str) -> int:
    """Send n messages from n customers; how many got 250."""
    accepted = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        for i in range(n):
            raw = make_mail(sender=f"c{tag}{i}@shop.example", subject=f"Вопрос {tag}{i}")
            c.sendmail(f"c{tag}{i}@shop.example", ["support@example.com"], raw)
            accepted += 1
    return accepted


def _wait(cond, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def test_a_batch_run_again_names_its_tickets_by_the_tids_they_get(tmp_path, sink):
    """While outbox/queue/ is read-only, each run of a batch is undone; its lines said why
    a staff notice was not sent «[TID#…] no staff_new.txt to …: cap» by a new random
    TID each run, none ever stored (the backup audit). A new ticket's TID is drawn from
    its mail's spool key now: every TID the log names is a stored ticket's."""
    port = free_port()
    capped = {"max_new_ticket_notices_per_domain_per_hour": 1}
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"}, support=capped)
    daemon = Daemon(desk, pace=PACE).start()
    data = tmp_path / "data"
    try:
        with read_only(data / "outbox" / "queue"):  # (written at the batch's commit)
            accepted = _send(port, 3, "d")  # the 2nd and 3rd notices over the cap
            assert _wait(lambda: daemon.logtext().count("no staff_new.txt") >= 4, 20)
        assert _wait(lambda: len(desk.tickets()) == accepted, 40), daemon.logtext()[-3000:]
    finally:
        assert daemon.stop() == 0
    named = set(re.findall(r"\[TID#([\d-]+)\]", daemon.logtext()))
    assert named == {t["tid"] for t in desk.tickets()}, daemon.logtext()


def test_read_only_tickets_pause_processing_and_nothing_is_lost(tmp_path, sink):
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    daemon = Daemon(desk, pace=PACE).start()
    data = tmp_path / "data"
    try:
        accepted = _send(port, 5, "a")  # processing works
        assert _wait(lambda: len(desk.tickets()) == 5, 15)
        with read_only(data / "tickets"):
            accepted += _send(port, 20, "b")  # accepted while tickets/ is read-only
            assert _wait(lambda: (data / "run" / "fault.json").exists(), 10)
            assert _wait(lambda: any(ALERT in r.subject for r in sink.received), 15)
            fault = json.loads((data / "run" / "fault.json").read_text())
            assert "Read-only" in fault["error"] and fault["since"]
            assert len(desk.tickets()) == 5
            assert not list((data / "spool" / "bad").iterdir())
        accepted += _send(port, 5, "c")  # and after
        assert _wait(lambda: len(desk.tickets()) == accepted, 40), daemon.logtext()[-3000:]
        customers = [
            f"c{t}{i}@shop.example" for t, n in (("a", 5), ("b", 20), ("c", 5)) for i in range(n)
        ]
        assert _wait(lambda: all(sink.to(c) for c in customers), 20)
        assert _wait(lambda: not (data / "run" / "fault.json").exists(), 10)
    finally:
        assert daemon.stop() == 0
    assert accepted == 30
    assert all(len(sink.to(c)) == 1 for c in customers)  # one confirmation each
    alerts = [r for r in sink.received if ALERT in r.subject]  # once, to each of them
    assert sorted(a for r in alerts for a in r.rcpt_tos) == [
        "anna@example.com",
        "boris@example.com",
        "head@example.com",
    ]
    assert not list((data / "spool" / "bad").iterdir())
    assert "processing works again" in daemon.logtext()
    # the log names the tickets stored, none of a batch the fault undid (its mail took
    # other TIDs when it was processed again)
    opened = re.findall(r"opened ticket \[TID#([\d-]+)\]", daemon.logtext())
    assert sorted(opened) == sorted(t["tid"] for t in desk.tickets())
    # since when, as staff read times elsewhere (Moscow time, not ISO with an offset)
    since = re.compile(r"^С: \d\d\.\d\d\.\d{4} \d\d:\d\d \(МСК\)\r?$", re.M)
    assert all(since.search(a.text) for a in alerts), alerts[0].text
    meaning = "Что это значит: файловая система доступна только для чтения"
    assert all(meaning in a.text for a in alerts), alerts[0].text


def test_a_batch_a_fault_undid_is_logged_as_nothing_stored(tmp_path, caplog):
    """`tickets/` turns read-only when a batch commits, after its mail was decided:
    none of it is stored, and the log names no ticket of it («opened ticket
    [TID#…]» of a TID the retry then does not take) and no temp file that is never
    there; processed again, it is logged once, by the TIDs stored."""
    from maild import runner
    from maild.app import App
    from maild.config import load

    caplog.set_level(logging.INFO, logger="maild.pipeline")
    desk = Desk(tmp_path, 1)
    app = App(load(desk.config))
    tickets = tmp_path / "data" / "tickets"
    for n in range(100):  # a store with tickets in every folder: the fault is the commit's
        (tickets / f"{n:02d}").mkdir(parents=True, exist_ok=True)
    keys = [
        app.spool.add(make_mail(sender=f"u{n}@c.example", msgid=f"<u{n}@c.example>"))
        for n in range(3)
    ]
    with read_only(tickets):
        result = runner.run_batch(app, keys)
    assert result.fault is not None and "Read-only" in result.fault[0], result.fault
    assert result.fault[1].startswith(str(tickets)) and not result.fault[1].endswith(".tmp")
    assert "ticket [TID#" not in caplog.text and desk.tickets() == []
    assert runner.run_batch(app, keys).ok == 3
    opened = re.findall(r"opened ticket \[TID#([\d-]+)\]", caplog.text)
    assert sorted(opened) == sorted(t["tid"] for t in desk.tickets()) and len(opened) == 3
