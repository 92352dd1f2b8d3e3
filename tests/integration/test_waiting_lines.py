"""Mail that waits for a broken ticket file is logged once, not at each retry.

Before, every retry (1 s, doubling to 30 s, and back to 1 s after any mail of other
tickets went through) logged for each waiting mail an ERROR, a WARNING repeating it
with the class name (`CorruptFile`), and «processing paused ...» (false: other mail
went on): 2N+1 lines every 30 s for as long as the file stayed broken. Now: one
ERROR when a mail starts waiting, nothing while it waits, one INFO line when it is
processed. The scheduled jobs skipping such a file say so once, in words (no repr).
Through a real `maild serve` and its SMTP listener."""

from __future__ import annotations

import json
import logging
import smtplib
import time
from datetime import datetime, timedelta

from maild.app import App
from maild.config import load
from maild.jobs import run_all
from tests.helpers import QUICK_RETRIES, Daemon, Desk, free_port, make_mail, wait_until

# mail waiting for a broken file is tried again after 1 s, doubling to 30 s
# (faults.BACKOFF_FIRST, BACKOFF_MAX); shorter here, so that the sleeps below, which
# prove that no retry logs again, outlast several retries in less time
PACE = QUICK_RETRIES
RETRY_ROUNDS = 1.0  # outlasts the retries after 0.1, 0.2 and 0.4 s, with a margin
AFTER_MENDED = 0.6  # outlasts one more retry (at most 0.4 s after the last), with a margin


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.sendmail("ivan@shop.ru", ["support@example.com"], raw)


def test_mail_waiting_for_a_broken_ticket_file_is_logged_once(tmp_path, sink):
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", msgid="<first@shop.ru>"))
    path = tmp_path / "data" / "tickets" / tid[:2] / f"{tid}.json"
    good = path.read_bytes()
    path.write_bytes(good[:100])  # truncated: not JSON
    daemon = Daemon(desk, pace=PACE).start()
    try:
        ids = ["<wait1@shop.ru>", "<wait2@shop.ru>"]
        for n, msgid in enumerate(ids):
            _send(
                port, make_mail(sender="ivan@shop.ru", subject=f"Re: [TID#{tid}] {n}", msgid=msgid)
            )
        waits = "waits until the file is mended"
        assert wait_until(lambda: daemon.logtext().count(waits) >= 2), daemon.logtext()
        time.sleep(RETRY_ROUNDS)  # three rounds of retries at least
        log = daemon.logtext()
        for msgid in ids:
            lines = [x for x in log.splitlines() if x.startswith(f"maild: ERROR: {msgid}")]
            assert len(lines) == 1, log
            [line] = lines
            assert f"[TID#{tid}]" in line and str(path) in line and "maild fsck" in line, line
            assert "waits until the file is mended" in line and "not JSON" in line, line
        assert "processing paused" not in log and "CorruptFile" not in log, log
        assert "run again without" not in log, log
        path.write_bytes(good)  # mended
        said = "processed: the file it waited for reads again"
        assert wait_until(lambda: daemon.logtext().count(said) == 2, 40), daemon.logtext()
        time.sleep(AFTER_MENDED)
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext()
    for msgid in ids:
        assert [x for x in log.splitlines() if said in x and x.startswith(f"maild: INFO: {msgid}")]
    assert log.count(said) == 2 and "processing works again" not in log, log
    # each once; in either order: the file mended while a batch runs (between the
    # two waiting messages) lets the second through first, the first at the retry
    came = [m["message_id"] for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert came[0] == "<first@shop.ru>" and sorted(came[1:]) == sorted(ids), came


def test_jobs_skip_a_broken_ticket_file_saying_so_once_in_words(desk, caplog):
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru"))
    path = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    good = path.read_text()
    doc = json.loads(good)
    doc["ticket"]["opened_at"] = 12345  # a record whose id is no number
    path.write_text(json.dumps(doc))
    later = datetime.now().astimezone() + timedelta(days=60)
    app = App(load(desk.config))  # the daemon's: its scheduler runs them every minute
    minutes = iter(range(10))

    def skipped() -> list[str]:
        run_all(app, later + timedelta(minutes=next(minutes)))
        lines = [r.getMessage() for r in caplog.records if r.name == "maild.jobs"]
        return [x for x in lines if x.startswith(f"[TID#{tid}] skipped: {path}: not a ticket")]

    with caplog.at_level(logging.ERROR, logger="maild.jobs"):
        skipped()
        assert len(skipped()) == 1, caplog.text
        path.write_text(good)  # mended: read again, then broken again: said again
        assert len(skipped()) == 1
        path.write_text(json.dumps(doc))
        said = skipped()
        assert len(said) == 2, caplog.text
    assert "ValueError" not in said[0] and '("' not in said[0], said[0]
    assert "its records are not as maild writes them (invalid literal" in said[0]


def test_the_listener_names_a_client_as_host_and_port(tmp_path, sink):
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
            c.ehlo()
            c.mail("x@y.example")
            mine = c.sock.getsockname()[1]
            assert c.rcpt("nobody@elsewhere.example")[0] >= 500
        said = f"RCPT nobody@elsewhere.example from 127.0.0.1:{mine} refused"
        assert wait_until(lambda: said in daemon.logtext(), 10), daemon.logtext()
    finally:
        assert daemon.stop() == 0


def test_ingest_defers_a_follow_up_to_a_broken_ticket_naming_the_file_in_words(desk, caplog):
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru"))
    path = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    path.write_bytes(path.read_bytes()[:100])
    reply = make_mail(sender="ivan@shop.ru", subject=f"Re: [TID#{tid}] x", msgid="<re@shop.ru>")
    with caplog.at_level(logging.WARNING, logger="maild.runner"):
        assert "processing deferred" in desk.ingest(reply).out
    [line] = [r.getMessage() for r in caplog.records if "processing deferred" in r.getMessage()]
    assert line.startswith(f"<re@shop.ru> [TID#{tid}] spool "), line
    assert f"stored, processing deferred: {path}: not JSON" in line and "CorruptFile" not in line
