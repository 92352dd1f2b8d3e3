"""A worker process killed in the middle of its batch (as a message that crashes
the interpreter would) loses and doubles nothing: its claims go back to the queue,
and every accepted message becomes one ticket with one confirmation. (The message it
was working on has an attempt counted: a kill here may come between two messages, so
tests/faults/test_shunt.py holds that, with a message that kills every worker.)"""

from __future__ import annotations

import os
import signal
import smtplib
import threading
import time
from pathlib import Path

from tests.helpers import Daemon, Desk, free_port, make_mail

MESSAGES = 40


def workers(parent: int) -> list[int]:
    """The pids of `maild serve`'s processing workers."""
    return children_named(parent, "maild-worker")


def children_named(parent: int, prefix: str) -> list[int]:
    """The pids of `parent`'s children whose process name starts with `prefix`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        if name.startswith(prefix) and int(rest.split()[1]) == parent:
            found.append(int(entry.name))
    return found


def test_a_killed_worker_loses_and_doubles_nothing(tmp_path, sink):
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    daemon = Daemon(desk).start()
    customers = [f"k{n}@shop.example" for n in range(MESSAGES)]

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            for n, who in enumerate(customers):
                c.sendmail(who, ["support@example.com"], make_mail(sender=who, subject=f"В {n}"))
                time.sleep(0.02)

    sender = threading.Thread(target=send)
    sender.start()
    killed = 0
    try:
        for _ in range(2):
            time.sleep(0.3)
            deadline = time.monotonic() + 10  # the daemon starts another after a death
            while time.monotonic() < deadline and not workers(daemon.proc.pid):
                time.sleep(0.05)
            for pid in workers(daemon.proc.pid)[:1]:
                os.kill(pid, signal.SIGKILL)
                killed += 1
        sender.join()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(desk.tickets()) < MESSAGES:
            time.sleep(0.5)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(sink.to(c) for c in customers):
            time.sleep(0.3)
    finally:
        assert daemon.stop() == 0
    assert killed == 2
    assert sorted(t["requester"] for t in desk.tickets()) == sorted(customers)
    assert all(len(sink.to(c)) == 1 for c in customers)
    assert not list((tmp_path / "data" / "spool" / "bad").iterdir())
    log = daemon.logtext()
    assert log.count("died (exit -9): starting another") == 2  # each death seen, a worker again
    assert "Traceback" not in log  # a death is the environment's, not an error of the code


def test_a_sender_killed_mid_pass_is_one_line_in_the_log(tmp_path):
    """kill -9 of maild-sender while the relay takes a mail (out of memory does the
    same): the daemon logged a traceback each time; a dead worker is one line."""
    from tests.faults.test_full_disk import relay_that_at

    served: list[Daemon] = []

    def kill_sender() -> None:
        for pid in children_named(served[0].proc.pid, "maild-sender"):
            os.kill(pid, signal.SIGKILL)

    sink = relay_that_at(1, kill_sender)
    try:
        port = free_port()
        desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
        served.append(Daemon(desk).start())
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            c.sendmail(
                "k@shop.example", ["support@example.com"], make_mail(sender="k@shop.example")
            )
        deadline = time.monotonic() + 20
        while "maild-sender died" not in served[0].logtext() and time.monotonic() < deadline:
            time.sleep(0.1)
        served[0].stop()
        log = served[0].logtext()
        assert "outbox pass failed: maild-sender died" in log and "Traceback" not in log, log
    finally:
        sink.stop()
