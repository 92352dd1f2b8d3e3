"""Store files lost whole (deleted by hand, lost on disk), not torn: `maild fsck`
names what they leave behind and `--repair` brings back what can be had again. A
ticket file gone: its mail is stored again under its own TID, nobody is written to
again, and a reply with that TID threads there. Per-address records gone: rebuilt
with the first ticket's date, so free support does not start again. What --repair
sets aside is kept as privately as the store's own files. Through the real CLI, a
real `maild serve` and a real relay."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from tests.helpers import Desk, conversation, make_mail, serve_until_spool_empty


def _data(desk: Desk) -> Path:
    return desk.root / "data"


def _ticket_file(desk: Desk, tid: str) -> Path:
    return _data(desk) / "tickets" / tid[:2] / f"{tid}.json"


def test_a_lost_ticket_file_is_stored_again_under_its_tid_and_nothing_is_sent_again(desk, sink):
    tid = conversation(desk)
    other = desk.ingest_tid(make_mail(sender="petr@firm.ru", subject="Другой вопрос"))
    assert desk.flush().code == 0
    sent = len(sink.received)
    assert sent >= 4  # confirmations, notices, anna's answer
    _ticket_file(desk, tid).unlink()  # the file is lost: no copy anywhere

    check = desk.run("fsck")
    assert check.code == 1
    assert "a ticket that does not exist" not in check.out  # its index entries stay
    assert f"is in no ticket (the Message-ID index names {tid}" in check.out
    fixed = desk.run("fsck", "--repair")
    assert fixed.code == 0, fixed.out
    assert "a ticket that does not exist" not in fixed.out
    assert f"re-queued to spool/new: `maild serve` stores it again in {tid}" in fixed.out
    serve_until_spool_empty(desk)

    assert sorted(t["tid"] for t in desk.tickets()) == sorted([tid, other])
    ticket = desk.ticket(tid)
    kinds = [
        m["kind"] for m in ticket["messages"] if m["direction"] == "in" or m["kind"] == "staff"
    ]
    assert kinds == ["customer", "staff", "customer"], ticket["messages"]
    # no second confirmation to the customer, no second «Новое обращение» to staff
    assert [r.subject for r in sink.received[sent:]] == []
    assert desk.run("fsck").code == 0

    # the customer's reply with the old TID goes into that ticket
    desk.ingest(make_mail(sender="ivan@shop.ru", subject=f"Re: [TID#{tid}] Ошибка 500 ещё"))
    assert sorted(t["tid"] for t in desk.tickets()) == sorted([tid, other])
    ticket = desk.ticket(tid)
    assert [m["kind"] for m in ticket["messages"] if m["direction"] == "in"][-1] == "customer"
    assert len([m for m in ticket["messages"] if m["direction"] == "in"]) == 3


def _dated_back(desk: Desk, tid: str, days: int) -> str:
    """The ticket as if it was opened `days` ago (its summary row is rebuilt by
    --repair); that day, as the tickets tell it."""
    path = _ticket_file(desk, tid)
    data = json.loads(path.read_text())
    (row,) = data["ticket"].values()  # (a TinyDB file: the ticket is its one row)
    then = datetime.fromisoformat(row["created_at"]) - timedelta(days=days)
    row["created_at"] = then.isoformat()
    path.write_text(json.dumps(data, ensure_ascii=False))
    return then.date().isoformat()


def test_lost_address_records_are_named_and_rebuilt_so_free_support_does_not_restart(desk, sink):
    first = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Вопрос 1"))
    day = _dated_back(desk, first, 300)  # his first ticket: ten months ago
    address = _data(desk) / "index" / "address"
    shutil.rmtree(address)  # every record lost
    h = hashlib.sha1(b"ivan@shop.ru").hexdigest()

    check = desk.run("fsck")
    assert check.code == 1
    line = (
        f"index/address/{h[:2]}/{h}: no address index entry of ivan@shop.ru "
        f"(the tickets: {day}; free support would count from the next ticket)"
    )
    assert line in check.out.splitlines(), check.out
    fixed = desk.run("fsck", "--repair")
    assert fixed.code == 0, fixed.out
    assert f"fixed: index/address/{h[:2]}/{h}: rebuilt from the tickets" in fixed.out
    assert json.loads((address / h[:2] / h).read_text()) == {"first_seen": day}
    assert desk.run("fsck").code == 0

    assert desk.flush().code == 0
    sent = len(sink.received)
    desk.ingest(make_mail(sender="ivan@shop.ru", subject="Вопрос 2"))
    assert desk.flush().code == 0
    confirmation = [r for r in sink.received[sent:] if "ivan@shop.ru" in r.msg["To"]]
    assert len(confirmation) == 1
    assert "Срок бесплатной поддержки" in confirmation[0].text, confirmation[0].text


def test_a_record_rebuilt_dates_from_the_earliest_of_the_requesters_tickets(desk, sink):
    """Of a customer's tickets the earliest gives the rebuilt record its date: free
    support counts from the first ticket, and a later one's date would start it again
    (a regular customer's record lost: months of free support he is not owed)."""
    first = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Вопрос 1"))
    later = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Вопрос 2"))
    assert later != first
    day = _dated_back(desk, first, 300)
    _dated_back(desk, later, 10)
    shutil.rmtree(_data(desk) / "index" / "address")
    h = hashlib.sha1(b"ivan@shop.ru").hexdigest()
    assert f"(the tickets: {day}; free support" in desk.run("fsck").out
    assert desk.run("fsck", "--repair").code == 0
    record = _data(desk) / "index" / "address" / h[:2] / h
    assert json.loads(record.read_text()) == {"first_seen": day}


def test_a_record_written_again_without_the_first_ticket_gets_it_back(desk, sink):
    """Lost, then written again by a cap's count alone: no date of the first ticket."""
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Вопрос 1"))
    day = desk.ticket(tid)["created_at"][:10]
    h = hashlib.sha1(b"ivan@shop.ru").hexdigest()
    record = _data(desk) / "index" / "address" / h[:2] / h
    kept = json.loads(record.read_text())
    assert kept["first_seen"] == day
    del kept["first_seen"]
    record.write_text(json.dumps(kept))
    check = desk.run("fsck")
    assert check.code == 1
    assert "address index entry of ivan@shop.ru without the date of the first ticket" in check.out
    fixed = desk.run("fsck", "--repair")
    assert fixed.code == 0 and f"fixed: index/address/{h[:2]}/{h}: rewritten" in fixed.out
    assert json.loads(record.read_text()) == {**kept, "first_seen": day}
    assert desk.run("fsck").code == 0


def test_what_repair_sets_aside_is_as_private_as_the_store_under_an_admins_umask(desk, sink):
    """An admin's shell (umask 022): the copies in lost+found/ are 0640, as the store's
    own files, not 0644 (a whole ticket: the customer's words and addresses)."""
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Вопрос"))
    path = _ticket_file(desk, tid)
    path.write_bytes(path.read_bytes()[:40])  # a torn write
    part = next((_data(desk) / "open").glob("*.json"))
    part.write_bytes(b"[1, 2")  # a torn summary part
    saved = os.umask(0o022)
    try:
        fixed = desk.run("fsck", "--repair")
    finally:
        os.umask(saved)
    assert fixed.code == 0, fixed.out
    lost = _data(desk) / "lost+found"
    copies = sorted(p for p in lost.rglob("*") if p.is_file())
    assert {p.relative_to(lost).parts[0] for p in copies} == {"tickets", "open"}, copies
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in copies} == {oct(0o640)}


def test_mail_serve_claimed_after_the_repair_keeps_its_index_entries(desk, sink):
    """A lost ticket's mail, re-queued by `fsck --repair`, is claimed by a `maild
    serve` (spool/claimed/<pid>/) that has not stored it yet when fsck runs again
    (or serve was killed holding it: the next serve takes it back). The index entries
    naming the ticket stay: removed, serve would store the mail in a new ticket and
    confirm it to the customer again."""
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Ошибка 500"))
    assert desk.flush().code == 0
    sent = len(sink.received)
    _ticket_file(desk, tid).unlink()
    assert desk.run("fsck", "--repair").code == 0
    spool = _data(desk) / "spool"
    [queued] = [p for p in (spool / "new").iterdir() if not p.name.startswith(".")]
    claimer = subprocess.Popen(["true"])
    claimer.wait()  # (a pid that no longer runs)
    (spool / "claimed" / str(claimer.pid)).mkdir()
    queued.rename(spool / "claimed" / str(claimer.pid) / queued.name)

    fixed = desk.run("fsck", "--repair")
    assert "a ticket that does not exist" not in fixed.out, fixed.out
    serve_until_spool_empty(desk)
    assert [t["tid"] for t in desk.tickets()] == [tid]
    assert desk.flush().code == 0
    assert [r.subject for r in sink.received[sent:]] == []
