"""The listener's «answered 451» in `maild status` ends with its cause. While the
spool cannot be written (a real read-only mount, a real full ext4 file system) mail
is answered 451 and status is failing; it said so on after the cause was gone, until
the next mail was spooled, and an MTA retries only after minutes to an hour. Now the
running `maild serve` checks every PROBE_EVERY seconds whether the spool would take
the refused mail, and status says so for as long as it would not."""

from __future__ import annotations

import contextlib
import smtplib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.faults.fs import ext4, fill, read_only
from tests.helpers import SUPPORT, Daemon, Desk, free_port, make_mail

# the listener's probe every PROBE_EVERY s (listener.PROBE_EVERY, 5 s), shorter here:
# what the tests wait for is that the probe runs and what status says of it
PROBE_EVERY = 0.5
PACE = {"maild.adapters.listener.PROBE_EVERY": PROBE_EVERY}


def wait_for(predicate: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    return predicate()


def send(daemon: Daemon, n: int) -> None:
    with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as s:
        s.sendmail(f"c{n}@shop.example", [SUPPORT], make_mail(sender=f"c{n}@shop.example"))


def refused(desk: Desk) -> Any:
    return desk.run("status", "--json").json()["listener"]["spool_failing"]


def check_the_stall_ends_with_its_cause(
    desk: Desk, daemon: Daemon, unwritable: contextlib.AbstractContextManager, error: str
) -> None:
    with unwritable:
        with pytest.raises(smtplib.SMTPDataError) as e:
            send(daemon, 1)
        assert e.value.smtp_code == 451
        stall = refused(desk)
        assert stall and error in stall["error"] and stall["pid"] == daemon.proc.pid
        time.sleep(PROBE_EVERY + 1.5)  # checked meanwhile: the spool still takes nothing
        r = desk.run("status")
        assert r.code == 2 and "listener: mail is answered 451" in r.out, r.out
        assert refused(desk) == stall
    # the cause is gone, and no mail comes in
    assert wait_for(lambda: refused(desk) is None, timeout=2 * PROBE_EVERY + 5), refused(desk)
    r = desk.run("status")
    assert "answered 451" not in r.out and r.code == 0, r.out
    assert "the spool takes mail again" in daemon.logtext()
    send(daemon, 2)  # the MTA's retry, later
    assert wait_for(lambda: len(desk.tickets()) == 1, timeout=20)


def test_status_stops_saying_mail_is_refused_once_the_spool_is_writable_again(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk, pace=PACE).start()
    try:
        spool = tmp_path / "data" / "spool"
        check_the_stall_ends_with_its_cause(desk, daemon, read_only(spool), "Read-only file system")
    finally:
        assert daemon.stop() == 0


def test_status_says_mail_is_refused_while_the_spools_disk_is_full_and_no_longer(tmp_path, sink):
    """The spool on a small ext4 of its own (status's notes stay writable): an empty
    file can still be made on it, the refused mail's bytes cannot."""
    with ext4(tmp_path / "spool.img", tmp_path / "data" / "spool", size_mb=8) as spool:
        desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
        daemon = Daemon(desk, pace=PACE).start()

        @contextlib.contextmanager
        def full() -> Iterator[None]:
            ballast = fill(spool)
            yield
            ballast.unlink()

        try:
            check_the_stall_ends_with_its_cause(desk, daemon, full(), "No space left on device")
        finally:
            assert daemon.stop() == 0
