"""Bad files are contained (issue 18, item 3): a corrupt ticket file, summary part,
Message-ID or address index entry, or registry is logged with its path and skipped by
listings, reports and jobs; mail that needs it waits in the spool; `maild fsck`
finds it and `--repair` rebuilds what is derived. Through the real CLI."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from tests.helpers import Daemon, Desk, make_mail

GARBAGE = b"\x00\xff garbage {{{ not json"


def _later() -> str:
    return (datetime.now().astimezone() + timedelta(days=60)).isoformat()


def _open_tickets(desk: Desk, n: int) -> list[str]:
    return [
        desk.ingest_tid(make_mail(sender=f"c{i}@shop{i}.ru", subject=f"Вопрос {i}"))
        for i in range(n)
    ]


def _data(desk: Desk) -> Path:
    return desk.root / "data"


def _ticket_file(desk: Desk, tid: str) -> Path:
    return _data(desk) / "tickets" / tid[:2] / f"{tid}.json"


def _index_file(desk: Desk, kind: str, key: str) -> Path:
    h = hashlib.sha1(key.encode()).hexdigest()
    return _data(desk) / "index" / kind / h[:2] / h


def _process_spool(desk: Desk) -> None:
    """`maild serve` processes what waits in spool/new when it starts."""
    daemon = Daemon(desk).start()
    try:
        pending = _data(desk) / "spool" / "new"
        for _ in range(100):
            if not any(pending.iterdir()):
                break
            time.sleep(0.1)
    finally:
        assert daemon.stop() == 0


def test_truncated_ticket_file_is_skipped_and_its_mail_waits(desk, sink, caplog):
    tids = _open_tickets(desk, 6)
    bad = tids[2]
    path = _ticket_file(desk, bad)
    path.write_bytes(path.read_bytes()[:40])  # a torn write
    listed = desk.run("ticket", "list", "--json")
    assert listed.code == 0, listed.err
    assert sorted(t["tid"] for t in listed.json()) == sorted(set(tids) - {bad})
    assert str(path) in caplog.text  # logged with its path
    assert desk.run("ticket", "list").code == 0
    assert desk.run("report", "sla", "--json").code == 0
    shown = desk.run("ticket", "show", bad)
    assert shown.code == 1 and str(path) in shown.err and "Traceback" not in shown.err
    # every other ticket is still reminded (5 of 6), the job exits 0
    jobs = desk.run("jobs", "run", "--now", _later(), "--json")
    assert jobs.code == 0, jobs.err
    assert jobs.json()["reminders"] == 5
    # a reply to the broken ticket waits in the spool: no new ticket
    reply = make_mail(sender="c2@shop2.ru", subject=f"Re: [TID#{bad}] Вопрос 2")
    r = desk.ingest(reply)
    assert "deferred" in r.out
    assert len(desk.tickets()) == 5
    # fsck names the file; --repair sets it aside and re-queues the mail it held
    check = desk.run("fsck")
    assert check.code == 1 and f"tickets/{bad[:2]}/{bad}.json: corrupt ticket file" in check.out
    fixed = desk.run("fsck", "--repair")
    assert fixed.code == 0, fixed.out
    assert "re-queued" in fixed.out
    _process_spool(desk)
    again = desk.ticket(bad)  # the same TID, from the spool: the record of what arrived
    assert [m["kind"] for m in again["messages"] if m["direction"] == "in"] == [
        "customer",
        "customer",
    ]
    assert desk.run("fsck").code == 0
    assert len(desk.tickets()) == 6


def _part(tid: str) -> str:
    """The file of open/ that holds a ticket's summary row."""
    return f"{zlib.crc32(tid.encode()) % 256:02x}.json"


def test_garbage_summary_part_is_skipped_then_rebuilt(desk, sink, caplog):
    tids = _open_tickets(desk, 8)
    victim = tids[0]
    part = _data(desk) / "open" / _part(victim)
    part.write_bytes(GARBAGE)
    # the tickets of other parts (two TIDs may share a part)
    served = [t for t in tids if _part(t) != _part(victim)]
    for args in (("ticket", "list", "--json"), ("ticket", "list"), ("report", "sla")):
        r = desk.run(*args)
        assert r.code == 0, (args, r.err)
        assert str(part) in caplog.text
        caplog.clear()
    assert victim not in {t["tid"] for t in desk.tickets()}
    jobs = desk.run("jobs", "run", "--now", _later(), "--json")
    assert jobs.code == 0 and jobs.json()["reminders"] >= len(served) > 0
    assert desk.run("fsck").code == 1
    # mail for a ticket of that part rebuilds the part from the ticket files
    desk.ingest(make_mail(sender="c0@shop0.ru", subject=f"Re: [TID#{victim}] ещё"))
    assert sorted(t["tid"] for t in desk.tickets()) == sorted(tids)
    assert list((_data(desk) / "lost+found" / "open").iterdir())  # a copy kept
    assert desk.run("fsck").code == 0


def test_fsck_repair_rebuilds_summaries_and_indexes(desk, sink):
    tids = _open_tickets(desk, 4)
    parts = list((_data(desk) / "open").glob("*.json"))
    assert len(parts) == len({_part(t) for t in tids})
    for p in parts:
        p.write_bytes(b"[1, 2")
    addr = _index_file(desk, "address", "c1@shop1.ru")
    addr.write_bytes(GARBAGE)
    r = desk.run("fsck", "--json")
    assert r.code == 1
    assert len(r.json()["problems"]) == len(parts) + 1
    r = desk.run("fsck", "--repair")
    assert r.code == 0 and r.out.count("fixed:") == len(parts) + 1
    assert sorted(t["tid"] for t in desk.tickets()) == sorted(tids)
    assert desk.run("fsck").code == 0


def test_garbage_msgid_index_does_not_make_a_redelivery_a_second_ticket(desk, sink):
    raw = make_mail(msgid="<once@client.example>")
    tid = desk.ingest_tid(raw)
    index = _index_file(desk, "msgid", "<once@client.example>")
    for garbage in (GARBAGE, b"", b"not-a-tid"):
        index.write_bytes(garbage)
        r = desk.ingest(raw)  # redelivered: spooled, waits
        assert "deferred" in r.out
        assert [t["tid"] for t in desk.tickets()] == [tid]
    assert desk.run("fsck").code == 1
    assert desk.run("fsck", "--repair").code == 0
    assert index.read_bytes() == tid.encode()
    assert "duplicate" in desk.ingest(raw).out
    _process_spool(desk)  # the waiting copies are duplicates too
    assert [t["tid"] for t in desk.tickets()] == [tid]
    assert len([m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]) == 1


def test_corrupt_registry_makes_mail_wait_and_is_named(desk, sink):
    desk.run("license", "add", "--key", "K", "--level", "vip", "--email", "vip@shop.ru")
    registry = _data(desk) / "registry.json"
    registry.write_bytes(GARBAGE)
    r = desk.ingest(make_mail(sender="vip@shop.ru"))
    assert "deferred" in r.out  # not a free-level ticket, not shunted: it waits
    assert desk.tickets() == []
    listed = desk.run("license", "list")
    assert listed.code == 1 and str(registry) in listed.err and "Traceback" not in listed.err
    check = desk.run("fsck")
    assert check.code == 1 and "registry.json: corrupt registry" in check.out
    registry.unlink()  # the admin restores it (here: anew)
    desk.run("license", "add", "--key", "K", "--level", "vip", "--email", "vip@shop.ru")
    _process_spool(desk)
    assert [t["level"] for t in desk.tickets()] == ["vip"]


def test_garbage_address_index_is_read_as_new(desk, sink):
    desk.ingest_tid(make_mail(sender="c@shop.ru"))
    _index_file(desk, "address", "c@shop.ru").write_bytes(GARBAGE)
    desk.ingest_tid(make_mail(sender="c@shop.ru", subject="второй вопрос"))
    assert len(desk.tickets()) == 2


def test_garbage_redaction_mark_does_not_stop_the_jobs(desk, sink):
    tids = _open_tickets(desk, 2)
    mark = _data(desk) / "index" / "redact" / tids[0]
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_bytes(GARBAGE)
    jobs = desk.run("jobs", "run", "--now", _later(), "--json")
    assert jobs.code == 0, jobs.err
    assert jobs.json()["reminders"] == 2


def test_fsck_names_temp_files_of_interrupted_writes_before_repair_removes_them(desk, sink):
    """A writer killed between its temp file and the rename: a check names each file
    (it holds ticket text), --repair removes it, and a second check is clean. The
    check said "0 problem(s)", exit 0, and --repair then fixed problems it never named."""
    tid = _open_tickets(desk, 1)[0]
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    ticket_tmp = _ticket_file(desk, tid).parent / f".{tid}.json.{dead}.123.tmp"
    spool_tmp = _data(desk) / "spool" / "tmp" / f"1796265935877031743.P{dead}Q1.vm"
    for path in (ticket_tmp, spool_tmp):
        path.write_bytes(b'{"ticket": {"1": {"requester": "half')
    r = desk.run("fsck")
    assert r.code == 1, r.out
    for path in (ticket_tmp, spool_tmp):
        line = f"{path.relative_to(_data(desk))}: temp file of an interrupted write"
        assert r.out.count(line) == 1, r.out
        assert path.exists()  # a check changes nothing
    r = desk.run("fsck", "--repair")
    assert r.code == 0 and r.out.count("fixed:") == 2, r.out
    assert not ticket_tmp.exists() and not spool_tmp.exists()
    assert desk.run("fsck").code == 0
