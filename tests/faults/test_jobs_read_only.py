"""The jobs under a read-only tickets/ (EROFS, a real bind mount): the reminder and
#wait jobs fail, told once each as the environment's error, `jobs run` exits
EX_TEMPFAIL and counts nothing they could not commit; no ticket is called a file "not
as maild wrote it". Writable again, each reminder goes once."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from tests.faults.fs import read_only
from tests.helpers import make_mail, staff_to
from tests.integration.test_jobs import MSK, ingest_at, world  # noqa: F401

EX_TEMPFAIL = 75
AT = "2026-11-26T10:01:00+03:00"  # reminders, an escalation and the #wait reminder due


def _licensed_ticket(desk, clock) -> str:
    """A standard-level customer's ticket of Monday 10:00; its TID."""
    desk.run(
        "license", "add", "--key", "S", "--level", "standard", "--email", "ivan@shop-example.ru"
    )
    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    return ingest_at(desk, clock, make_mail())


def test_jobs_on_a_read_only_store_fail_as_the_environment(world, sink, caplog):  # noqa: F811
    desk, clock = world
    tid = _licensed_ticket(desk, clock)
    waits = ingest_at(desk, clock, make_mail(sender="petr@shop-example.ru", msgid="<p2@c>"))
    wait = make_mail(
        sender="anna@example.com",
        to=staff_to(waits),
        subject=f"Re: [TID#{waits}]",
        body="#wait\nПришлите лог.",
    )
    ingest_at(desk, clock, wait)
    desk.flush()
    base = len(sink.received)
    caplog.set_level(logging.ERROR, logger="maild.jobs")
    with read_only(desk.root / "data" / "tickets"):
        r = desk.run("jobs", "run", "--now", AT, "--json")
    assert r.code == EX_TEMPFAIL, r.out
    assert r.json()["reminders"] == 0 and r.json()["waiting"] == 0
    assert "maild: jobs failed: reminders, waiting (see the log)" in r.err
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "maild.jobs"]
    assert not [x for x in lines if "not as maild wrote it" in x or "skipped" in x], lines
    for job in ("reminders", "waiting"):
        [told] = [x for x in lines if x.startswith(f"scheduled job {job} failed: ")]
        assert "Read-only file system" in told
    assert desk.ticket(tid).get("sent") is None and desk.ticket(waits).get("sent") is None
    again = desk.run("jobs", "run", "--now", AT, "--json")  # writable again
    assert again.code == 0 and again.json()["waiting"] == 1, again.err
    assert desk.run("jobs", "run", "--now", "2026-11-26T10:05:00+03:00").code == 0
    desk.flush()
    got = Counter((m.msg["To"], m.subject) for m in sink.received[base:])
    assert got and max(got.values()) == 1, got


def test_a_corrupt_ticket_file_is_still_skipped(world, sink, caplog):  # noqa: F811
    desk, clock = world
    tid = _licensed_ticket(desk, clock)
    [path] = (desk.root / "data" / "tickets").rglob(f"{tid}.json")
    path.write_bytes(path.read_bytes()[:40])  # cut: not as maild wrote it
    caplog.set_level(logging.ERROR, logger="maild.jobs")
    r = desk.run("jobs", "run", "--now", AT, "--json")
    assert r.code == 0 and r.json()["reminders"] == 0, r.err
    [line] = [rec.getMessage() for rec in caplog.records if rec.name == "maild.jobs"]
    assert line.startswith(f"[TID#{tid}] skipped"), line
