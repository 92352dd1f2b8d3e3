"""Store files that parse, with one field damaged or edited by hand to a value maild
never writes (a number for a text, a time of year 1 or 9999, JSON of another shape):
read as the file being damaged, never as a traceback nor as a `maild serve` that does
not start. Through the real CLI and `maild serve`."""

from __future__ import annotations

import json
import os

import pytest

from tests.helpers import Daemon, make_mail

YEAR_ONE = "0001-01-01T00:00:00+05:00"  # in UTC: before year 1 (OverflowError)


@pytest.mark.parametrize(
    "key, value", [("created_at", YEAR_ONE), ("reaction_due", 5), ("status", 5)]
)
def test_a_summary_row_with_a_damaged_field_is_skipped_and_named(desk, sink, key, value):
    """A row of open/ whose created_at was of year 1 made `ticket list` an
    OverflowError traceback, the jobs fail and `maild serve`'s scheduler too; a
    due time of 5 a ValueError in `maild status`, a status of 5 a TypeError."""
    bad = desk.ingest_tid(make_mail(sender="a@shop.ru", msgid="<a1@shop.ru>"))
    good = desk.ingest_tid(make_mail(sender="b@shop.ru", msgid="<b1@shop.ru>"))
    path = next(p for p in (desk.root / "data" / "open").glob("*.json") if bad in p.read_text())
    assert good not in path.read_text()
    doc = json.loads(path.read_text())
    for row in doc["_default"].values():
        row[key] = value
    path.write_text(json.dumps(doc))
    for args in (["ticket", "list"], ["status"], ["jobs", "run"]):
        r = desk.run(*args)
        assert "Traceback" not in r.err + r.out, (args, r.err)
    assert [t["tid"] for t in desk.tickets()] == [good]
    check = desk.run("fsck")
    assert check.code == 1 and f"open/{path.name}: 1 row(s) missing or stale" in check.out
    assert desk.run("fsck", "--repair").code == 0
    assert sorted(t["tid"] for t in desk.tickets()) == sorted([bad, good])


def test_a_ticket_file_with_a_time_of_year_one_is_corrupt(desk, sink):
    """A ticket file whose created_at was of year 1 (with its offset) read as whole:
    `ticket show` ended in an OverflowError traceback."""
    tid = desk.ingest_tid(make_mail())
    path = next((desk.root / "data" / "tickets").rglob(f"{tid}.json"))
    doc = json.loads(path.read_text())
    for record in doc["ticket"].values():
        record["created_at"] = YEAR_ONE
    path.write_text(json.dumps(doc))
    shown = desk.run("ticket", "show", tid)
    assert shown.code != 0 and "Traceback" not in shown.err, shown.err
    assert "not a ticket file: its ticket has created_at" in shown.err, shown.err


@pytest.mark.parametrize(
    "note",
    [
        [],
        {"since": 5, "error": "x", "path": "p", "pid": 1},
        {"since": YEAR_ONE, "error": "x", "path": "p"},
    ],
)
def test_maild_serve_starts_over_a_damaged_fault_note(desk, sink, note):
    """run/fault.json holding a list, or a since of 5 or of year 1, stopped `maild
    serve` from starting (AttributeError, OverflowError): read as no fault."""
    desk.ingest(make_mail())  # the storage made
    (desk.root / "data" / "run").mkdir(exist_ok=True)
    (desk.root / "data" / "run" / "fault.json").write_text(json.dumps(note))
    daemon = Daemon(desk).start()
    daemon.stop()
    assert "Traceback" not in daemon.log.read_text()
    r = desk.run("status")
    assert "Traceback" not in r.err and "fault since" not in r.out, r.err + r.out


def test_status_reads_a_fault_note_whose_path_is_a_number_as_none(desk):
    """A fault note of a running process whose path was 5 made `maild status` a
    TypeError traceback."""
    desk.ingest(make_mail())
    note = {"since": "2026-12-07T10:00:00+00:00", "error": "e", "path": 5, "pid": os.getpid()}
    (desk.root / "data" / "run").mkdir(exist_ok=True)
    (desk.root / "data" / "run" / "fault.json").write_text(json.dumps(note))
    r = desk.run("status")
    assert "Traceback" not in r.err and "fault since" not in r.out, r.err + r.out


def test_status_shows_a_note_of_year_one_as_it_is(desk):
    """An outbox stop note of a running process, its since edited to year 1, made
    `maild status` an OverflowError traceback (its text shown in the desk's zone)."""
    desk.ingest(make_mail())
    note = {"why": "disk", "since": YEAR_ONE, "pid": os.getpid()}
    (desk.root / "data" / "run").mkdir(exist_ok=True)
    (desk.root / "data" / "run" / "outbox_stopped.json").write_text(json.dumps(note))
    r = desk.run("status")
    assert "Traceback" not in r.err and f"sending stopped (since {YEAR_ONE})" in r.out, r.err


@pytest.mark.parametrize("value", [YEAR_ONE, 5])
def test_a_quarantine_entry_with_a_damaged_time_is_left_out(desk, sink, value):
    """A quarantine entry whose received_at was of year 1, or 5, made `maild spam
    list` a traceback and failed the daily expiry of the quarantine (jobs run 75)."""
    assert desk.run("block", "add", "spam.example").code == 0
    desk.ingest(make_mail(sender="seo@spam.example", msgid="<s1@spam.example>"))
    desk.ingest(make_mail(sender="seo@spam.example", msgid="<s2@spam.example>"))
    entries = sorted((desk.root / "data" / "quarantine").glob("*.json"))
    assert len(entries) == 2
    record = json.loads(entries[0].read_text())
    record["received_at"] = value
    entries[0].write_text(json.dumps(record))
    listed = desk.run("spam", "list", "--json")
    assert listed.code == 0 and "Traceback" not in listed.err, listed.err
    assert [e["id"] for e in listed.json()] == [entries[1].stem]
    ran = desk.run("jobs", "run")
    assert ran.code == 0 and "Traceback" not in ran.err, ran.err


def test_a_release_marker_with_a_damaged_time_leaves_a_new_entry_whole(tmp_path):
    """A release marker whose arrived_at was no time was copied into the entry of the
    mail quarantined again: now that such an entry reads as damaged, it would be left
    out of `spam list`; the marker's time is read as none instead."""
    from maild.adapters.quarantine import Quarantine, entry_id

    q = Quarantine(tmp_path)
    marker = {"message_id": "<m@x>", "arrived_at": "1999"}  # (no time)
    (q.root / "released" / entry_id("<m@x>")).write_text(json.dumps(marker))
    meta = {"message_id": "<m@x>", "received_at": "2026-12-07T10:00:00+00:00", "text": ""}
    qid = q.add(b"Subject: x\n\nx\n", meta)
    assert [e["id"] for e in q.entries()] == [qid]


def test_ticket_show_reads_a_file_record_without_the_keys_it_may_lack(desk, sink):
    """A stored file's record that lacks `accepted` (the record check lets it be, as
    a reader of it takes it for False) made `ticket show` a KeyError traceback."""
    mail = make_mail(attachments=[("log.txt", "text/plain", b"log")])
    tid = desk.ingest_tid(mail)
    path = next((desk.root / "data" / "tickets").rglob(f"{tid}.json"))
    doc = json.loads(path.read_text())
    [record] = [a for m in doc["messages"].values() for a in m["attachments"]]
    del record["accepted"]
    path.write_text(json.dumps(doc))
    shown = desk.run("ticket", "show", tid)
    assert shown.code == 0 and "Traceback" not in shown.err, shown.err
    assert "log.txt text/plain 3 байт, отклонён: Файл\xa0«log.txt»" in shown.out, shown.out
    del record["reason"]  # and one with no reason either: no colon before nothing
    path.write_text(json.dumps(doc))
    shown = desk.run("ticket", "show", tid)
    assert shown.code == 0 and "Traceback" not in shown.err, shown.err
    assert "log.txt text/plain 3 байт, отклонён]" in shown.out, shown.out
