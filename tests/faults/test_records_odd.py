"""Store files that parse but do not hold what maild wrote (JSON of another shape, a
record missing fields, a time without its offset) are contained as garbage is: the
file is named (the command that meets it, the log, `maild fsck`), everything else
goes on, and no traceback reaches the user. Through the real CLI and `maild serve`."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import Daemon, Desk, make_mail

PARTIAL = "000000000000000000000000.mail"  # a file of its own, `{"id": "x"}` in it
PASS_EVERY = 0.2  # seconds between the outbox passes of the daemon's test


def _queue(desk: Desk) -> Path:
    return desk.root / "data" / "outbox" / "queue"


def _record(path: Path) -> tuple[dict, bytes]:
    head, _, raw = path.read_bytes().partition(b"\n")
    return json.loads(head), raw


def _queue_mail(desk: Desk) -> list[Path]:
    """Two customers' mail, queued while the relay is not asked (ingest queues it):
    their confirmations and the staff's notices, one file per recipient."""
    for n in range(2):
        desk.ingest(make_mail(sender=f"c{n}@shop{n}.ru", msgid=f"<q{n}@c.example>"))
    files = sorted(_queue(desk).glob("*.mail"))
    assert len(files) >= 4
    return files


def _spoil(desk: Desk, files: list[Path], how: str) -> tuple[Path, list[Path]]:
    """One queue file whose first line is JSON but no whole record of it; returns it
    and the files still good."""
    if how == "partial":
        bad = _queue(desk) / PARTIAL
        bad.write_bytes(b'{"id": "x"}\n')
        return bad, files
    bad, good = files[0], files[1:]
    meta, raw = _record(bad)
    if how == "another file's record":  # a copy: its id names the original's file
        bad, good = _queue(desk) / ("f" * 24 + ".mail"), files
    elif how == "no offset":  # compared with an aware "now": a TypeError
        meta["next_try"] = "2026-12-04T21:00:00"
    else:
        del meta[how]
    bad.write_bytes(json.dumps(meta).encode() + b"\n" + raw)
    return bad, good


@pytest.mark.parametrize(
    "how", ["partial", "queued_at", "sender", "to", "no offset", "another file's record"]
)
def test_a_queue_file_without_a_whole_record_holds_back_only_itself(desk, sink, how):
    """`{"id": "x"}` on a queue file's first line (or a record missing queued_at,
    sender, to): `status`, `outbox list` and `outbox flush` died with KeyError, and
    fsck said 0 problems; a copy under another name went on every flush."""
    bad, good = _spoil(desk, _queue_mail(desk), how)
    want = Counter(_record(p)[0]["message_id"] for p in good)
    check = desk.run("fsck")
    assert check.code == 1, check.out
    assert f"outbox/queue/{bad.name}: no outbox record on its first line" in check.out
    status = desk.run("status", "--json")
    assert "Traceback" not in status.err and status.json()["outbox"]["queued"] == len(good)
    listed = desk.run("outbox", "list", "--json")
    assert listed.code == 0 and len(listed.json()) == len(good), listed.err
    assert f"{bad}: no record on its first line" in listed.err

    flushed = desk.run("outbox", "flush")
    assert flushed.code == 1, flushed.out + flushed.err
    assert f"{bad}: no record on its first line, cannot be sent" in flushed.err
    assert flushed.err.count(bad.name) == 1 and "Traceback" not in flushed.err
    assert "still queued 1" in flushed.out
    got = Counter(r.msg["Message-ID"] for r in sink.wait_for(len(want)))
    assert got == want  # every good mail once, the bad file's never
    assert sorted(_queue(desk).glob("*.mail")) == [bad]
    status = desk.run("status")
    assert "Traceback" not in status.err and "outbox: 0 queued" in status.out, status.out
    # a mail that never goes is no healthy desk: status counts it (fsck names it)
    assert "outbox: 1 queue file(s) without their record or whole mail cannot be sent" in status.out


def test_the_daemon_sends_the_rest_and_names_the_file_once(desk, sink):
    """Under `maild serve` every sender pass and the periodic jobs died on it: no
    mail went out at all."""
    files = _queue_mail(desk)
    bad, good = _spoil(desk, files, "partial")
    # serve's sender passes every 5 s when no mail comes (server.OUTBOX_INTERVAL): every
    # PASS_EVERY s here, so that a few more passes come in a short wait
    daemon = Daemon(desk, pace={"maild.server.OUTBOX_INTERVAL": PASS_EVERY}).start()
    try:
        deadline = time.monotonic() + 30
        while len(sink.received) < len(good) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3.5 * PASS_EVERY)  # three more passes at least: still named once
    finally:
        assert daemon.stop() == 0
    assert len(sink.received) == len(good)
    log = daemon.logtext()
    assert log.count(str(bad)) == 1 and "no record on its first line" in log, log
    assert "Traceback" not in log and "KeyError" not in log, log


def test_forget_erases_the_address_from_a_queue_file_without_a_record(desk, sink):
    """`maild forget` read each outbox file's first line as a record: one that was
    JSON of another shape gave a traceback, and one that was no JSON at all kept the
    address."""
    desk.ingest(make_mail(sender="ivan@shop.ru"))
    queue = _queue(desk)
    shaped, garbled = queue / ("a" * 24 + ".mail"), queue / ("b" * 24 + ".mail")
    shaped.write_bytes(b'["Ivan@shop.ru"]\nTo: ivan@shop.ru\n\ntext\n')
    garbled.write_bytes(b'{"id": "bbb", "to": ["ivan@shop.ru"\nTo: ivan@shop.ru\n\ntext\n')
    r = desk.run("forget", "ivan@shop.ru")
    assert r.code == 0 and "Traceback" not in r.err, r.out + r.err
    for path in (shaped, garbled):
        assert b"ivan@shop.ru" not in path.read_bytes().lower(), path.read_bytes()


def test_times_without_an_offset_in_status_notes_read_as_unreadable(desk):
    """run/scheduler_run holding a time without its UTC offset gave `maild status` a
    TypeError traceback (exit 1, "degraded" to a monitor); so did a refused-log line
    of one, and an IMAP start note whose time was no time a ValueError."""
    data = desk.root / "data"
    desk.ingest(make_mail())  # the storage made
    (data / "run").mkdir(exist_ok=True)
    (data / "run" / "scheduler_run").write_text("2026-12-04T21:00:00")
    (data / "run" / "imap_started.json").write_text('{"at": "soon"}')
    (data / "outbox" / "sent" / "refused.log").write_text(
        "aaa 2026-12-04T21:00:00+03:00\nbbb 2026-12-04T21:00:00\n"
    )
    r = desk.run("status")
    assert r.code == 2 and "Traceback" not in r.err, r.out + r.err
    assert "scheduler: last run never" in r.out and "1 refused" in r.out, r.out
    (data / "run" / "scheduler_run").write_text(datetime.now(UTC).isoformat())
    assert "scheduler: last run never" not in desk.run("status").out  # (its offset: read)


def test_a_block_list_that_is_no_list_of_addresses_is_named(desk, sink):
    """blocklist.json holding `[5]` gave `maild block list` a traceback, and `block
    add` one too (or wrote over a garbage file as if it were empty)."""
    path = desk.root / "data" / "blocklist.json"
    tid = desk.ingest_tid(make_mail())  # the storage made
    path.write_text('["spam.example", 5]')
    listed = desk.run("block", "list")
    assert listed.code == 1 and "Traceback" not in listed.err, listed.err
    assert f"{path}: not a block list: 5 is no address or domain" in listed.err
    added = desk.run("block", "add", "other.example")
    assert added.code == 1 and str(path) in added.err and "Traceback" not in added.err
    assert path.read_text() == '["spam.example", 5]'  # not written over
    check = desk.run("fsck")
    assert check.code == 1 and "blocklist.json: not a block list: 5 is" in check.out, check.out
    desk.ingest(make_mail(sender="seo@spam.example"))  # screened by what it has
    assert [t["tid"] for t in desk.tickets()] == [tid]


@pytest.mark.parametrize("part, key", [("ticket", "level"), ("messages", "text")])
def test_a_ticket_file_missing_fields_is_corrupt(desk, sink, part, key):
    """A ticket file whose record lacked "level" gave `ticket show` a KeyError
    traceback, and fsck passed it."""
    bad, good = (
        desk.ingest_tid(make_mail(sender=f"c{n}@shop{n}.ru", subject=f"Вопрос {n}"))
        for n in range(2)
    )
    path = desk.root / "data" / "tickets" / bad[:2] / f"{bad}.json"
    doc = json.loads(path.read_text())
    for record in doc[part].values():
        del record[key]
    path.write_text(json.dumps(doc))
    shown = desk.run("ticket", "show", bad)
    assert shown.code == 1 and "Traceback" not in shown.err, shown.err
    assert f"{path}: not a ticket file: its " in shown.err and f"has no {key}" in shown.err
    assert [t["tid"] for t in desk.tickets()] == [good]
    check = desk.run("fsck")
    assert check.code == 1 and f"tickets/{bad[:2]}/{bad}.json: corrupt ticket file" in check.out


def _imap_desk(tmp_path: Path, sink) -> tuple[Desk, Callable[[str, dict], None]]:
    """A desk reading an IMAP mailbox, its storage made, and what writes a note of
    `maild serve`'s poller into run/ (as written by a running process: this one)."""
    imap = {"host": "127.0.0.1", "port": 1, "username": "u", "password": "p"}
    desk = Desk(tmp_path, sink.port, imap=imap)
    desk.ingest(make_mail())
    run = desk.root / "data" / "run"
    run.mkdir(exist_ok=True)

    def note(name: str, fields: dict) -> None:
        (run / name).write_text(json.dumps({**fields, "pid": os.getpid()}))

    return desk, note


def test_imap_notes_whose_times_are_no_times_fail_no_job_run(tmp_path, sink):
    """jobs.imap_alert read the IMAP notes' times unchecked: a note of another shape
    made every periodic run of the jobs fail, reminders and all."""
    desk, notes = _imap_desk(tmp_path, sink)
    notes("imap_started.json", {"at": "soon"})
    notes("imap_refused.json", {"since": "2026-12-04"})
    r = desk.run("jobs", "run", "--json")
    assert r.code == 0 and "Traceback" not in r.err, r.err


@pytest.mark.parametrize("folder", ["refused", "sent"])
def test_fsck_names_a_refused_or_sent_mail_without_its_record(desk, folder):
    """A mail refused for good whose record is lost is skipped: its ticket is never
    told; one sent is missing from `outbox list --sent`. fsck looked at queue/ only."""
    files = _queue_mail(desk)
    moved = desk.root / "data" / "outbox" / folder / files[0].name
    moved.write_bytes(b'{"id": "x"}\n' + _record(files[0])[1])
    files[0].unlink()
    check = desk.run("fsck")
    assert check.code == 1 and "Traceback" not in check.err, check.out + check.err
    assert f"outbox/{folder}/{moved.name}: no outbox record on its first line" in check.out


def test_the_imap_alert_names_why_the_server_cannot_be_read(tmp_path, sink):
    """The mail to the head and staff after 15 minutes without the mailbox named only a
    refused login; for a server that cannot be reached it sent them to the log. It names
    the last failed round's error now, as `maild status` does."""
    desk, notes = _imap_desk(tmp_path, sink)
    notes("imap_started.json", {"at": "2026-12-04T10:00:00+03:00"})
    error = "[Errno 111] Connection refused"
    notes("imap_failed.json", {"at": "2026-12-04T10:20:00+03:00", "error": error})
    r = desk.run("jobs", "run", "--now", "2026-12-04T10:30:00+03:00")
    assert r.code == 0, r.err
    desk.flush()
    [alert] = [m for m in sink.to("head@example.com") if "не забираются" in m.subject]
    assert error in alert.text and "10:20" in alert.text, alert.text


def test_the_imap_alert_counts_from_the_last_contact_and_names_no_error_answered(tmp_path, sink):
    """The 15 minutes (status.IMAP_STALE) count from the last contact with the server,
    not from the poller's start: a mailbox read five minutes ago is no outage. And a
    round that failed before that contact says nothing of why the server cannot be
    read now: the alert names no error a later contact answered, as `maild status`."""
    desk, notes = _imap_desk(tmp_path, sink)
    notes("imap_started.json", {"at": "2026-12-04T10:00:00+03:00"})
    error = "[Errno 111] Connection refused"
    notes("imap_failed.json", {"at": "2026-12-04T10:05:00+03:00", "error": error})
    (desk.root / "data" / "run" / "imap_contact").write_text("2026-12-04T10:10:00+03:00")
    assert desk.run("jobs", "run", "--now", "2026-12-04T10:20:00+03:00").code == 0
    desk.flush()
    assert [m for m in sink.to("head@example.com") if "не забираются" in m.subject] == []
    r = desk.run("jobs", "run", "--now", "2026-12-04T10:30:00+03:00")
    assert r.code == 0, r.err
    desk.flush()
    [alert] = [m for m in sink.to("head@example.com") if "не забираются" in m.subject]
    text = " ".join(alert.text.split())
    assert "04.12.2026 10:10" in text and "Связи с сервером нет." in text, text
    assert error not in text and "Последняя попытка" not in text


def test_a_second_imap_outage_is_told_as_the_first_was(tmp_path, sink):
    """Once per outage, not once for good: the mailbox read again, then unread for
    another 15 minutes, is a new outage, and head and staff are told of it too, from its
    own start (the alert's key is the outage's start)."""
    desk, notes = _imap_desk(tmp_path, sink)
    notes("imap_started.json", {"at": "2026-12-04T10:00:00+03:00"})
    assert desk.run("jobs", "run", "--now", "2026-12-04T10:20:00+03:00").code == 0
    (desk.root / "data" / "run" / "imap_contact").write_text("2026-12-04T10:30:00+03:00")
    assert desk.run("jobs", "run", "--now", "2026-12-04T10:40:00+03:00").code == 0
    assert desk.run("jobs", "run", "--now", "2026-12-04T10:50:00+03:00").code == 0
    desk.flush()
    alerts = [m for m in sink.to("head@example.com") if "не забираются" in m.subject]
    assert len(alerts) == 2, [m.subject for m in alerts]
    assert "04.12.2026 10:30" in " ".join(alerts[1].text.split())
