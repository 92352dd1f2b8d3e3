"""A per-address record (index/address/<ab>/<hash>) whose JSON parses but whose
fields are not as maild writes them (a time that is no time, a count where a list
was, a time without its offset) is the caps' and paces' bookkeeping, not mail: it is
read without those fields, in one ERROR line naming the file, and rewritten by the
next write. A staff member's or the head's made the reminder job skip every ticket
("its file is not as maild wrote it"); a customer's turned each of their mails into
a raw-text ticket "from (no sender)". `maild fsck` names it, whose it is and how to
mend it; `--repair` rewrites it. Through the real CLI."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import Desk, make_mail, request_text

STAFF = ("anna@example.com", "boris@example.com")
HEAD = "head@example.com"
IVAN = "ivan@shop-example.ru"
BROKEN = [
    {"reminder_singles": ["x"], "escalation_singles": 5},  # no time; no list
    {"reminder_listed": 7, "escalation_listed": "вчера"},
    {"reminder_singles": ["2026-11-24T16:00:00"], "escalation_singles": [None]},  # no offset
]


def record(desk: Desk, address: str) -> Path:
    h = hashlib.sha1(address.encode()).hexdigest()
    return desk.root / "data" / "index" / "address" / h[:2] / h


def write(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")


def errors_naming(caplog, path: Path) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and str(path) in r.getMessage()
    ]


@pytest.mark.parametrize("broken", BROKEN)
def test_a_broken_staff_or_head_record_stops_no_reminder(desk, sink, caplog, broken):
    tids = [
        desk.ingest_tid(make_mail(sender=f"c{i}@shop{i}.ru", subject=f"Вопрос {i}"))
        for i in range(3)
    ]
    paths = [record(desk, a) for a in (STAFF[0], HEAD)]
    for path in paths:
        write(path, broken)
    check = desk.run("fsck")
    assert check.code == 1
    for path, whose in zip(paths, (STAFF[0], HEAD), strict=True):
        rel = path.relative_to(desk.root / "data")
        assert f"{rel}: corrupt address index entry of {whose} (" in check.out
    assert "`maild fsck --repair` rewrites it" in check.out
    assert desk.flush().code == 0
    start = len(sink.received)

    later = (datetime.now().astimezone() + timedelta(days=60)).isoformat()
    jobs = desk.run("jobs", "run", "--now", later, "--json")
    assert jobs.code == 0, jobs.err
    assert jobs.json()["reminders"] == 3  # each ticket, none skipped
    assert "skipped" not in caplog.text
    for path in paths:  # one line each, naming the file and what is read of it
        [line] = errors_naming(caplog, path)
        assert "not as maild writes" in line and "run `maild fsck`" in line
    assert desk.flush().code == 0
    for who in (*STAFF, HEAD):  # reminded (escalated) of each ticket
        got = " ".join(m.subject for m in sink.received[start:] if who in m.rcpt_tos)
        assert all(f"[TID#{t}]" in got for t in tids), who
    # the run rewrote the records as maild writes them: fsck has nothing to name
    assert desk.run("fsck").code == 0


def test_a_broken_customer_record_stops_none_of_their_mail(desk, sink, caplog):
    first = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", subject="Первый вопрос"))
    path = record(desk, IVAN)
    write(path, {"first_seen": 5, "auto_replies": "x", "staff_notices": ["x"], "notices_held": 7})
    check = desk.run("fsck")
    assert check.code == 1 and f"corrupt address index entry of {IVAN} (" in check.out
    for n in range(3):
        mail = make_mail(sender=f"Иван <{IVAN}>", subject=f"Вопрос {n}", body=request_text(n))
        tid = desk.ingest_tid(mail)
        ticket = desk.ticket(tid)
        assert (ticket["requester"], ticket["subject"]) == (IVAN, f"Вопрос {n}")
        assert ticket["level"] == "free" and "raw text" not in caplog.text
    [line] = errors_naming(caplog, path)
    assert f"of {IVAN} is corrupt" in line
    assert desk.run("spool", "list").out.strip() == "no shunted mail"
    # staff were told of each (the cap counts from nothing) and Ivan got his confirmations
    assert desk.flush().code == 0
    for who in (*STAFF, IVAN):
        assert len(sink.to(who)) == 4, who
    assert desk.run("fsck").code == 0  # rewritten by the first mail's caps

    # --repair rewrites one now, keeping what is whole, the first ticket's date from
    # the tickets
    write(path, {"first_seen": "вчера", "auto_replies": ["2026-11-24T16:00:00+03:00"]})
    repaired = desk.run("fsck", "--repair")
    assert repaired.code == 0 and "rewritten" in repaired.out
    assert json.loads(path.read_text()) == {
        "auto_replies": ["2026-11-24T16:00:00+03:00"],
        "first_seen": desk.ticket(first)["created_at"][:10],
    }
    assert desk.run("fsck").code == 0


def test_fsck_takes_records_with_the_bucket_of_proven_mail_and_those_before_it(desk):
    """Staff notices about a sender's proven mail are counted in fields of their own
    (proven_notices, proven_held): a record written before them (none) and one with
    them are as maild writes them; a broken one of them is named, as every field is."""
    desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>"))
    path = record(desk, IVAN)
    now = datetime.now().astimezone().isoformat()
    before = {**json.loads(path.read_text()), "staff_notices": [now], "notices_held": now}
    before = {k: v for k, v in before.items() if not k.startswith("proven_")}
    write(path, before)
    assert desk.run("fsck").code == 0
    write(path, {**before, "proven_notices": [now, now], "proven_held": now})
    assert desk.run("fsck").code == 0
    write(path, {**before, "proven_notices": [now, "вчера"]})
    check = desk.run("fsck")
    assert check.code == 1, check.out
    assert f"corrupt address index entry of {IVAN} (proven_notices not as maild" in check.out


def test_repair_keeps_a_records_own_date_of_the_first_ticket(desk):
    """A record's first_seen older than every ticket (the first ones purged since,
    storage.keep_closed_days) is kept when --repair rewrites the record for another
    field: the tickets' later date would start his free support again."""
    desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>"))
    path = record(desk, IVAN)
    write(path, {"first_seen": "2025-01-10", "auto_replies": "x"})
    repaired = desk.run("fsck", "--repair")
    assert repaired.code == 0 and "rewritten" in repaired.out, repaired.out
    assert json.loads(path.read_text()) == {"first_seen": "2025-01-10"}


def test_a_broken_record_of_a_tagged_address_is_named_by_its_mailbox(desk):
    """The caps count a mailbox without its +tag (caps.mailbox_of): a broken record of
    ivan+desk@'s mail is named as ivan@'s, whose it is, not as no one's."""
    desk.ingest_tid(make_mail(sender="Иван <ivan+desk@shop-example.ru>"))
    path = record(desk, IVAN)
    write(path, {"auto_replies": "x"})
    check = desk.run("fsck")
    assert check.code == 1 and f"corrupt address index entry of {IVAN} (" in check.out, check.out
