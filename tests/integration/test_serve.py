"""`maild serve` as a real subprocess: SMTP/LMTP listener, crash safety, SIGTERM."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.fs import read_only
from tests.helpers import ROOT, Daemon, Desk, free_port, make_mail, wait_until


@pytest.fixture
def served(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    yield desk, daemon
    if daemon.proc and daemon.proc.poll() is None:
        daemon.stop()


def test_smtp_message_becomes_ticket_and_confirmation_is_sent(served, sink):
    desk, daemon = served
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail(
            "ivan@shop-example.ru", ["Support@Example.com"], make_mail(msgid="<s1@c.example>")
        )
    [conf] = wait_until(lambda: sink.to("ivan@shop-example.ru"))
    assert "[TID#" in conf.subject
    [t] = desk.tickets()
    assert t["messages"][0]["message_id"] == "<s1@c.example>"


def test_relay_refused_size_limit_and_empty_message(tmp_path, sink):
    desk = Desk(
        tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}", "max_message_size": 2000}
    )
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.ehlo()
            s.mail("x@spam.example")
            code, _ = s.rcpt("victim@elsewhere.example")
            assert code == 550
            s.rset()
            big = make_mail(body="х" * 5000)
            s.mail("ivan@shop-example.ru")
            assert s.rcpt("support@example.com")[0] == 250
            code, msg = s.data(big)
            assert code == 552
            for sender in ("ivan@shop-example.ru", ""):  # an empty DATA is no message
                s.rset()
                s.mail(sender)
                assert s.rcpt("support@example.com")[0] == 250
                assert s.data(b"")[0] == 554
        assert desk.tickets() == []
        assert not any((tmp_path / "data" / "spool" / "new").iterdir())
    finally:
        assert daemon.stop() == 0


def test_lmtp_answers_per_recipient(tmp_path, sink):
    desk = Desk(
        tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}", "protocol": "lmtp"}
    )
    daemon = Daemon(desk)
    daemon.start()
    try:
        lm = smtplib.LMTP("127.0.0.1", daemon.port)
        try:
            refused = lm.sendmail(
                "ivan@shop-example.ru",
                ["support@example.com", "support+1234-5678.x@example.com", "other@example.com"],
                make_mail(),
            )
        except smtplib.SMTPRecipientsRefused:  # pragma: no cover
            raise
        finally:
            lm.close()
        assert set(refused) == {"other@example.com"}
        assert wait_until(lambda: desk.tickets())
    finally:
        daemon.stop()


def test_spool_failure_answers_451(served):
    desk, daemon = served
    tmp = desk.root / "data" / "spool" / "tmp"
    tmp.rmdir()
    tmp.write_text("a file where the spool's tmp/ dir should be")
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            with pytest.raises(smtplib.SMTPDataError) as e:
                s.sendmail("ivan@shop-example.ru", ["support@example.com"], make_mail())
            assert e.value.smtp_code == 451
    finally:
        tmp.unlink()
        tmp.mkdir()


def test_spool_failure_answers_451_and_status_says_so(served):
    """While every mail is answered 451 (postfix keeps it in its queue), `maild status`
    is failing and names the spool's error: it said "healthy" meanwhile."""
    desk, daemon = served
    with read_only(desk.root / "data" / "spool"):
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            with pytest.raises(smtplib.SMTPDataError) as e:
                s.sendmail("ivan@shop-example.ru", ["support@example.com"], make_mail())
            assert e.value.smtp_code == 451
        r = desk.run("status")
        assert r.code == 2, r.out
        assert (
            "! listener: mail is answered 451 (the MTA keeps it and retries): it cannot be "
            "spooled (since " in r.out
        ), r.out
        assert "Read-only file system" in r.out, r.out
        stall = desk.run("status", "--json").json()["listener"]["spool_failing"]
        assert stall["pid"] == daemon.proc.pid
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:  # the MTA's retry
        s.sendmail("ivan@shop-example.ru", ["support@example.com"], make_mail())
    assert desk.run("status", "--json").json()["listener"]["spool_failing"] is None
    assert "the spool takes mail again" in daemon.logtext()


def test_sigterm_stops_cleanly(served):
    desk, daemon = served
    t0 = time.monotonic()
    assert daemon.stop(15) == 0
    assert time.monotonic() - t0 < 10
    assert "stopped" in daemon.logtext()


@pytest.mark.parametrize(("setting", "loop"), [(None, "uvloop"), ("0", "asyncio")])
def test_serve_runs_on_uvloop_or_on_asyncio_s_own_loop(tmp_path, sink, monkeypatch, setting, loop):
    if setting is None:
        monkeypatch.delenv("MAILD_UVLOOP", raising=False)
    else:
        monkeypatch.setenv("MAILD_UVLOOP", setting)
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        assert f"event loop {loop})" in daemon.logtext()
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            raw = make_mail(sender="olga@shop-example.ru", msgid="<l1@c>")
            s.sendmail("olga@shop-example.ru", ["support@example.com"], raw)
        [conf] = wait_until(lambda: sink.to("olga@shop-example.ru"))
        assert "[TID#" in conf.subject
    finally:
        assert daemon.stop(15) == 0
    assert "stopped" in daemon.logtext()


def _send_batch(port: int, items: list[tuple[str, str]], accepted: list[str]) -> None:
    """One connection per ~batch; record Message-IDs that got a 250."""
    i = 0
    while i < len(items):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                while i < len(items):
                    sender, msgid = items[i]
                    raw = make_mail(sender=sender, msgid=msgid, subject=f"Crash {msgid}")
                    s.sendmail(sender, ["support@example.com"], raw)
                    accepted.append(msgid)
                    i += 1
                    if i % 10 == 0:
                        break  # a new session every 10 messages
        except (OSError, smtplib.SMTPException):
            time.sleep(0.05)  # the daemon is down: retry this message like an MTA would
            if time.monotonic() > _send_batch.deadline:
                return


def test_kill_9_mid_stream_loses_and_duplicates_nothing(tmp_path, sink):
    # each mail's confirmation tells what the kill lost or repeated
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    n_conn, per_conn = 6, 50
    work = [
        [
            (f"user{c}-{k}@client{c}.example", f"<crash-{c}-{k}@client.example>")
            for k in range(per_conn)
        ]
        for c in range(n_conn)
    ]
    accepted: list[str] = []
    _send_batch.deadline = time.monotonic() + 60
    threads = [threading.Thread(target=_send_batch, args=(daemon.port, w, accepted)) for w in work]
    for t in threads:
        t.start()
    assert wait_until(lambda: len(accepted) >= 100, timeout=30, step=0.005)
    daemon.kill()  # SIGKILL in the middle of the stream
    killed_at = len(accepted)
    total = n_conn * per_conn
    assert 0 < killed_at < total, f"killed after {killed_at} of {total}: not mid-stream"
    time.sleep(0.3)
    daemon = Daemon(desk).start()
    for t in threads:
        t.join(90)
    assert len(accepted) == total, f"only {len(accepted)} of {total} accepted"

    def confirmations():
        return [r for r in sink.received if "Обращение зарегистрировано" in r.subject]

    assert wait_until(lambda: len({c.msg["In-Reply-To"] for c in confirmations()}) >= total, 60)
    daemon.stop()
    tickets = desk.tickets()
    ids = Counter(m["message_id"] for t in tickets for m in t["messages"] if m["direction"] == "in")
    assert set(accepted) <= set(ids), "a message that got 250 is missing"
    assert max(ids.values()) == 1, "a message is stored twice"
    assert len(tickets) == len(ids) == total
    confirmed = Counter(c.msg["In-Reply-To"] for c in confirmations())
    assert set(confirmed) == set(accepted)
    # At-least-once towards the relay: a kill between the relay's 250 and our
    # "sent" record may resend that one message; nothing else is repeated.
    repeated = sum(v - 1 for v in confirmed.values())
    assert repeated <= 1
    print(
        f"crash test: sent {total}, accepted {len(accepted)} (killed after {killed_at}), "
        f"stored {len(ids)}, confirmed {len(confirmed)}, duplicate deliveries {repeated}"
    )


def test_a_second_serve_on_the_same_storage_does_not_start(served, tmp_path):
    """A second `maild serve` (another config naming the same storage, no listener)
    started without a word, and, stopping, removed the first one's run/serve.json:
    `maild status` then never saw the first one crash."""
    desk, daemon = served
    (tmp_path / "second").mkdir()
    second = Desk(tmp_path / "second", 1, storage=desk.sections["storage"])
    r = subprocess.run(
        [sys.executable, "-m", "maild", "--config", str(second.config), "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert r.returncode == 75, r
    [line] = [x for x in r.stderr.splitlines() if "another maild serve" in x]
    assert f"(pid {daemon.proc.pid})" in line and desk.sections["storage"]["path"] in line
    assert "Traceback" not in r.stderr
    note = json.loads((Path(desk.sections["storage"]["path"]) / "run" / "serve.json").read_text())
    assert note["pid"] == daemon.proc.pid


def _cut_8bit_mail() -> bytes:
    """A mail to support and 100 more, then a display name in raw 8-bit UTF-8: the
    text past limits.max_recipients the thread record keeps (recipients_cut)."""
    to = ",\r\n ".join(["support@example.com", *(f"c{n}@shop.example" for n in range(100))])
    head = f"From: ivan@shop.example\r\nTo: {to},\r\n ".encode() + "петя".encode()
    return head + (
        b" <petya@shop.example>\r\nSubject: many\r\nMessage-ID: <rc1@shop.example>\r\n\r\nhello\r\n"
    )


def test_a_mail_whose_records_fail_at_commit_stalls_no_other_mail(served, sink):
    """A mail whose records the batch's group commit could not write stopped all
    processing: retried with back-off for ever, being first in every batch. Now it
    is the mail's failure: the mail after it are processed, and the desk is healthy."""
    desk, daemon = served
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail("ivan@shop.example", ["support@example.com"], _cut_8bit_mail())
        for n in range(3):
            mail = make_mail(sender=f"olga{n}@shop-example.ru", msgid=f"<g{n}@c.example>")
            s.sendmail(f"olga{n}@shop-example.ru", ["support@example.com"], mail)
    spool = desk.root / "data" / "spool"
    assert wait_until(lambda: len(desk.tickets()) == 4, 15), desk.tickets()
    assert not any((spool / "new").iterdir()) and not any((spool / "bad").iterdir())
    r = desk.run("status")
    assert r.code == 0, r.out
    log = daemon.logtext()
    assert "processing paused" not in log, log[-3000:]
    assert max(map(len, log.splitlines())) < 2000  # no line carries a record's JSON


def test_a_key_is_queued_once_and_a_faulted_batch_goes_back_in_arrival_order(tmp_path, sink):
    """The daemon's queue of spool keys (in this process: no fork, no listener). The
    rescan every 30 s finds mail that still waits (queued, or paused by a fault): it is
    neither queued nor counted as received a second time. A batch a fault stopped goes
    back with what waited, in arrival order (a key begins with its arrival time: a
    follow-up is never processed before the mail it follows), after the back-off; a
    key the fault shunted to spool/bad does not come back."""
    from maild.app import App
    from maild.config import load
    from maild.metrics import NAMES
    from maild.runner import BatchResult
    from maild.server import Daemon as Served

    desk = Desk(tmp_path, sink.port, metrics={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Served(App(load(desk.config)))
    keys = [f"20261205T1000{n:02d}-{n}" for n in range(10)]
    for key in [*keys, keys[0], keys[3]]:
        daemon.enqueue(key)
    assert daemon.counters is not None
    assert daemon.counters.snapshot()[NAMES.index("received")] == 10
    batch = [daemon.queue.get_nowait() for _ in range(4)]
    assert batch == keys[:4] and daemon.queue.qsize() == 6
    result = BatchResult([], fault=("No space left on device", str(tmp_path)))
    daemon.faults.after(result)
    daemon._requeue(batch, result, shunted=[keys[2]])
    back = [daemon.queue.get_nowait() for _ in range(daemon.queue.qsize())]
    assert back == [k for k in keys if k != keys[2]]
    assert daemon.resume_at > time.monotonic()


def test_mail_copied_into_the_spool_under_a_long_figure_is_processed_like_any(tmp_path, sink):
    """A mail an admin copied into spool/new (README: copy it in, then mv) is named by
    them: a name of 30 figures was read as the time it was spooled, past any date, and
    the worker failed on it for good, processing paused for every mail («timestamp out
    of range»), `maild status` a traceback; a name «²» (a figure int() refuses)."""
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    desk.make_store()
    new = desk.root / "data" / "spool" / "new"
    for n, name in enumerate(("9" * 30, "²", "1" * 40 + ".eml")):
        (new / name).write_bytes(make_mail(sender=f"olga{n}@shop-example.ru", msgid=f"<k{n}@c>"))
    r = desk.run("status", "--json")
    assert "Traceback" not in r.err and r.json()["spool"]["pending"] == 3, r.err
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: len(desk.tickets()) == 3, 15), daemon.logtext()[-3000:]
        log = daemon.logtext()
        assert "processing paused" not in log and "Traceback" not in log, log[-3000:]
    finally:
        daemon.stop()


def test_a_key_done_leaves_the_queue_and_a_failed_one_is_queued_once(tmp_path, sink):
    """After a batch: the keys done are forgotten (the daemon runs for months: its
    memory of keys would grow with every mail), a key that failed by itself waits in
    the queue and is known as queued: the rescan every 30 s neither queues it a second
    time (processed twice) nor counts it as received again."""
    from maild.app import App
    from maild.config import load
    from maild.metrics import NAMES
    from maild.runner import BatchResult
    from maild.server import Daemon as Served

    desk = Desk(tmp_path, sink.port, metrics={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Served(App(load(desk.config)))
    keys = [f"20261205T1000{n:02d}-{n}" for n in range(3)]
    for key in keys:
        daemon.enqueue(key)
    batch = [daemon.queue.get_nowait() for _ in range(3)]
    daemon._requeue(batch, BatchResult([], ok=2, failed=[(keys[1], "bad")]), shunted=[])
    assert daemon.queued == {keys[1]} and daemon.queue.qsize() == 1
    daemon.enqueue(keys[1])  # the rescan finds it pending
    assert daemon.queue.qsize() == 1
    assert daemon.counters is not None
    assert daemon.counters.snapshot()[NAMES.index("received")] == 3
