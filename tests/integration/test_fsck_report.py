"""`maild fsck` names each problem once, on the file that has it, and says what
--repair cannot fix. Through the real CLI, on real files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.helpers import make_mail


def test_each_problem_is_one_line_and_repair_says_what_it_cannot_fix(desk):
    torn = desk.ingest_tid(make_mail(sender="a@shop.example", msgid="<torn@c.example>"))
    bare = desk.ingest_tid(make_mail(sender="b@shop.example", msgid="<bare@c.example>"))
    desk.ingest_tid(make_mail(sender="c@shop.example", msgid="<fine@c.example>"))
    data = desk.root / "data"
    ticket = data / "tickets" / torn[:2] / f"{torn}.json"
    ticket.write_bytes(ticket.read_bytes()[:40])  # a torn write
    copies = [
        p for p in (data / "spool" / "cur").iterdir() if b"<bare@c.example>" in p.read_bytes()
    ]
    assert len(copies) == 1
    copies[0].unlink()  # the raw copy of a stored message is gone
    ghost = "1000-0001"  # a TID no ticket has
    h = hashlib.sha1(b"<ghost@c.example>").hexdigest()
    entry = data / "index" / "msgid" / h[:2] / h
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(ghost)

    r = desk.run("fsck")
    lines = r.out.splitlines()
    assert r.code == 1 and lines[-2] == "2 ticket(s), 3 problem(s)", r.out
    # the lines of what --repair fixes say nothing of it: the last line does
    assert (
        lines[-1] == "`maild fsck --repair` fixes 2 of these 3 problems; the others say what to do"
    )
    lines = lines[:-1]
    assert lines[:-1] == [
        f"tickets/{torn[:2]}/{torn}.json: corrupt ticket file",
        f"index/msgid/{h[:2]}/{h}: Message-ID index entry names {ghost}, "
        "a ticket that does not exist",
        f"tickets/{bare[:2]}/{bare}.json: the spool copy of <bare@c.example> "
        f"(spool/cur/{copies[0].name}) is missing (not repairable: restore it from a backup)",
    ]

    r = desk.run("fsck", "--repair")
    assert r.code == 1, r.out  # the missing copy is not fixed
    fixed = [line for line in r.out.splitlines() if line.startswith("fixed: ")]
    assert fixed == [
        f"fixed: tickets/{torn[:2]}/{torn}.json: set aside (a copy in lost+found/); "
        "its mail is re-queued",
        f"fixed: index/msgid/{h[:2]}/{h}: removed",
    ]
    assert not entry.exists() and (data / "lost+found" / "index" / "msgid" / h[:2]).is_dir()

    r = desk.run("fsck")  # the torn ticket's mail waits in spool/new for its TID
    assert r.code == 1 and r.out.splitlines()[:-1] == lines[2:-1], r.out
    assert r.out.splitlines()[-1].endswith("; 1 message(s) waiting in spool/new")


def test_fsck_counts_the_mail_a_killed_worker_held(desk):
    """After kill -9 the mail a worker had claimed waits in spool/claimed/<pid>/ until
    `maild serve` starts: fsck counted only spool/new (1 waiting where 2 were)."""
    from maild.app import App
    from maild.config import load

    app = App(load(desk.config))
    keys = [app.spool.add(make_mail(msgid=f"<w{n}@c.example>")) for n in range(2)]
    spool = desk.root / "data" / "spool"
    held = spool / "claimed" / "999999"  # a worker that died holding it
    held.mkdir(parents=True)
    (spool / "new" / keys[1]).rename(held / keys[1])
    r = desk.run("fsck")
    assert r.code == 0, r.out
    assert r.out.splitlines()[-1] == (
        "0 ticket(s), 0 problem(s); 1 message(s) waiting in spool/new; "
        "1 in spool/claimed/ (serve takes them back)"
    )
    assert desk.run("fsck", "--json").json()["pending"] == 2


def test_a_corrupt_summary_part_is_named_once_without_a_hint_to_run_fsck(desk):
    """fsck said "open/07.json: corrupt summary file (/var/lib/maild/open/07.json: not
    JSON: ... (run `maild fsck`))": the path twice, and to run what was running."""
    desk.ingest(make_mail())
    part = desk.root / "data" / "open" / "07.json"
    part.write_text("[")
    r = desk.run("fsck")
    assert r.code == 1
    line = r.out.splitlines()[0]
    assert line.startswith("open/07.json: corrupt summary file (not JSON: "), line
    assert "run `maild fsck`" not in line and str(part) not in line, line


def test_a_summary_row_twice_is_named_malformed_and_rebuilt(desk):
    """A summary part holding one ticket's row twice (a copy merged by hand) counts
    the ticket twice for `maild status`: named, and --repair writes it once."""
    tid = desk.ingest_tid(make_mail())
    (part,) = (desk.root / "data" / "open").glob("*.json")
    data = json.loads(part.read_text())
    (row,) = data["_default"].values()
    data["_default"]["2"] = row
    part.write_text(json.dumps(data, ensure_ascii=False))
    r = desk.run("fsck")
    assert r.code == 1 and f"open/{part.name}: malformed rows" in r.out.splitlines(), r.out
    assert desk.run("fsck", "--repair").code == 0
    assert [r["tid"] for r in json.loads(part.read_text())["_default"].values()] == [tid]


def test_a_message_id_entry_naming_another_ticket_is_kept_when_rewritten(desk):
    """An entry of the Message-ID index that says another ticket is rewritten to the
    one holding the mail, and what it said is kept in lost+found/ first, as every
    file --repair writes over."""
    tid = desk.ingest_tid(make_mail(sender="a@shop.example", msgid="<m1@c.example>"))
    other = desk.ingest_tid(make_mail(sender="b@shop.example", msgid="<m2@c.example>"))
    h = hashlib.sha1(b"<m1@c.example>").hexdigest()
    data = desk.root / "data"
    entry = data / "index" / "msgid" / h[:2] / h
    entry.write_text(other)
    r = desk.run("fsck")
    assert (
        r.code == 1
        and f"index/msgid/{h[:2]}/{h}: Message-ID index of a message in {tid}: says {other!r}"
        in r.out.splitlines()
    ), r.out
    assert desk.run("fsck", "--repair").code == 0
    assert entry.read_text() == tid
    kept = [p for p in (data / "lost+found" / "index" / "msgid").rglob("*") if p.is_file()]
    assert [p.read_text() for p in kept] == [other], kept


def test_files_in_tickets_that_are_no_ticket_are_named_and_moved_aside(desk):
    """An editor's backup and swap file, a file manager's copy, a note, a ticket file
    copied into the wrong folder: the store never reads them (nor does `forget` reach
    them there). fsck names each, `--json` lists them as `stray`; --repair moves them to lost+found/
    and the tickets stay as they were."""
    tid = desk.ingest_tid(make_mail(sender="a@shop.example"))
    data = desk.root / "data"
    ticket = data / "tickets" / tid[:2] / f"{tid}.json"
    wrong = "01" if tid[:2] == "00" else "00"  # a folder that is not the ticket's
    stray = [
        f"tickets/{tid[:2]}/{tid}.json~",
        f"tickets/{tid[:2]}/.{tid}.json.swp",
        f"tickets/{tid[:2]}/{tid} (copy).json",  # a file manager's copy
        "tickets/notes.txt",
        f"tickets/{wrong}/{tid}.json",
    ]
    for rel in stray:
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_bytes(ticket.read_bytes())
    before = desk.ticket(tid)

    r = desk.run("fsck", "--json")
    report = r.json()
    assert r.code == 1 and sorted(report["stray"]) == sorted(stray), r.out
    assert sorted(report["problems"]) == sorted(f"{rel}: not a ticket file" for rel in stray)
    assert report["fixed"] == [] and report["pending"] == 0
    r = desk.run("fsck")
    assert r.code == 1 and "tickets/notes.txt: not a ticket file" in r.out.splitlines()
    assert r.out.splitlines()[-1] == "`maild fsck --repair` fixes all of them", r.out

    r = desk.run("fsck", "--repair")
    assert r.code == 0 and "fixed: tickets/notes.txt: moved to lost+found/" in r.out, r.out
    for rel in stray:
        assert not (data / rel).exists()
        kept = list((data / "lost+found" / rel).parent.glob(f"{Path(rel).name}.*Z"))
        assert len(kept) == 1, rel
    assert ticket.exists() and desk.ticket(tid) == before
    r = desk.run("fsck", "--json")
    assert r.code == 0 and r.json()["stray"] == [] and r.json()["problems"] == [], r.out


def test_mail_without_a_message_id_is_found_in_its_ticket(desk):
    """Garbage bytes and a header block broken by stray line breaks: no Message-ID,
    so maild names them by a hash of their bytes. fsck took the hash of other bytes
    (or read fewer headers) than the pipeline did, called them "in no ticket", and
    --repair spooled them again, into a second ticket."""
    garbage = b"\x00\xff junk\rmore\n\x81 stuff\r\n\r\nbody\r\n"
    mixed = b"From: a@shop.example\n\nMessage-ID: <mixed@c.example>\r\nSubject: s\r\n\r\ntext\r\n"
    tids = {desk.ingest_tid(raw) for raw in (garbage, mixed)}
    assert len(tids) == 2
    r = desk.run("fsck")
    assert (r.code, r.out) == (0, "2 ticket(s), 0 problem(s)\n"), r.out + r.err
    r = desk.run("fsck", "--repair")
    assert r.code == 0 and not list((desk.root / "data" / "spool" / "new").iterdir())
    assert {t["tid"] for t in desk.tickets()} == tids


def test_a_queued_mail_without_its_record_is_named_not_dropped_in_silence(desk):
    """A queue file cut short (its first line, the record, no longer JSON): the
    sender skipped it, `outbox list` said the outbox was empty, fsck found nothing,
    and the mail never went."""
    desk.ingest(make_mail(sender="a@shop.example", msgid="<cut@c.example>"))
    queue = desk.root / "data" / "outbox" / "queue"
    cut = sorted(queue.iterdir())[0]
    cut.write_bytes(cut.read_bytes()[:40])
    r = desk.run("fsck")
    rel = f"outbox/queue/{cut.name}"
    assert r.code == 1 and f"{rel}: no outbox record on its first line" in r.out, r.out
    flushed = desk.run("outbox", "flush")  # the others go; this one is named, exit 1
    assert flushed.code == 1 and "still queued 1" in flushed.out, flushed
    assert f"{cut}: no record on its first line, cannot be sent" in flushed.err, flushed.err
    assert flushed.err.count(cut.name) == 1 and "Traceback" not in flushed.err


def test_a_queued_mail_cut_short_is_named_not_relayed_cut(desk, sink):
    """A queue file whose first line, the record, is whole but whose mail lost its
    second half (a disk's damage, a partial restore): `outbox flush` relayed the cut
    mail and fsck said nothing. Its record now gives the mail's length: the file is
    named as broken, as one without its record, and the rest goes. A file written
    before the length was kept is sent as ever."""
    desk.ingest(make_mail(sender="a@shop.example", msgid="<half@c.example>"))
    queue = desk.root / "data" / "outbox" / "queue"
    files = sorted(queue.iterdir())
    ids = [json.loads(f.read_bytes().partition(b"\n")[0])["message_id"] for f in files]
    cut = next(f for f, i in zip(files, ids, strict=True) if ids.count(i) == 1)  # a mail's own
    old, *rest = (f for f in files if f != cut)
    data = cut.read_bytes()
    head = data.index(b"\n") + 1
    cut.write_bytes(data[: head + (len(data) - head) // 2])
    record, _, mail = old.read_bytes().partition(b"\n")
    older = {k: v for k, v in json.loads(record).items() if k != "length"}
    old.write_bytes(json.dumps(older).encode() + b"\n" + mail)
    r = desk.run("fsck")
    rel = f"outbox/queue/{cut.name}"
    assert r.code == 1 and f"{rel}: its mail is cut short (" in r.out, r.out
    assert "this mail cannot be sent" in r.out and r.out.count("outbox/") == 1, r.out
    status = desk.run("status")
    assert "outbox: 1 queue file(s) without their record or whole mail" in status.out
    flushed = desk.run("outbox", "flush")
    assert flushed.code == 1 and "still queued 1" in flushed.out, flushed
    assert f"{cut}: its mail is cut short (" in flushed.err, flushed.err
    assert "cannot be sent" in flushed.err and "Traceback" not in flushed.err
    sent = {m.msg["Message-ID"] for m in sink.wait_for(len(rest) + 1)}
    assert len(sink.received) == len(rest) + 1  # the cut one not among them
    assert json.loads(record)["message_id"] in sent  # (the one of no length)
    assert json.loads(data.partition(b"\n")[0])["message_id"] not in sent
    assert sorted(queue.glob("*.mail")) == [cut]


def test_repair_counts_the_mail_it_re_queued(desk):
    """--repair said "1 message(s) waiting" after it re-queued a broken ticket's mail
    beside the one waiting: it counted before re-queuing."""
    tid = desk.ingest_tid(make_mail(sender="a@shop.example", msgid="<torn@c.example>"))
    ticket = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    ticket.write_bytes(ticket.read_bytes()[:40])  # a torn write
    r = desk.ingest(make_mail(sender="a@shop.example", subject=f"Re: [TID#{tid}] ещё"))
    assert "deferred" in r.out  # waits for its ticket's file
    r = desk.run("fsck", "--repair")
    assert r.code == 0, r.out
    assert r.out.splitlines()[-1].endswith("; 2 message(s) waiting in spool/new"), r.out
    assert len(list((desk.root / "data" / "spool" / "new").iterdir())) == 2


def test_the_mail_of_a_ticket_that_cannot_be_read_stays_where_it_is(desk):
    """A ticket file maild cannot read (a directory in its place, as root's chmod does
    not stop root) may be whole: never set aside, and its mail's spool copies are left
    in spool/cur, not re-queued as a torn ticket's are. Re-queued, nothing would be
    stored twice (once the file is back its Message-IDs are there), but they would
    wait in spool/new, `maild status` saying "processing paused" and fsck "waiting".
    Once the file is back, nothing is wrong and each message is there once."""
    tid = desk.ingest_tid(make_mail(msgid="<u1@c.example>"))
    desk.ingest(make_mail(msgid="<u2@c.example>", subject=f"Re: [TID#{tid}]", body="Ещё."))
    data = desk.root / "data"
    spool, ticket = data / "spool", data / "tickets" / tid[:2] / f"{tid}.json"
    copies = sorted(p.name for p in (spool / "cur").iterdir())
    kept = ticket.read_bytes()
    ticket.unlink()
    ticket.mkdir()
    r = desk.run("fsck", "--repair")
    assert r.code == 1 and r.out.splitlines()[-1] == "0 ticket(s), 1 problem(s), 0 fixed", r.out
    assert r.out.startswith(f"tickets/{tid[:2]}/{tid}.json: unreadable by "), r.out
    assert sorted(p.name for p in (spool / "cur").iterdir()) == copies
    assert not list((spool / "new").iterdir())
    ticket.rmdir()
    ticket.write_bytes(kept)
    assert desk.run("fsck").code == 0
    ids = [m["message_id"] for m in desk.ticket(tid)["messages"]]
    assert ids.count("<u1@c.example>") == ids.count("<u2@c.example>") == 1


def test_a_store_lock_that_cannot_be_taken_is_named(desk):
    """A directory in the place of <storage>/lock stops every write and all processing
    (status names it): fsck said "0 problem(s)", exit 0, and --repair exited 78."""
    desk.ingest_tid(make_mail(sender="a@shop.example"))
    data = desk.root / "data"
    (data / "lock").unlink()
    (data / "lock").mkdir()
    r = desk.ingest(make_mail(sender="b@shop.example"))
    assert "deferred" in r.out
    for args in (("fsck",), ("fsck", "--repair")):
        r = desk.run(*args)
        assert r.code == 1, r.out + r.err
        assert r.out.splitlines()[0] == (
            "lock: a directory is in its place: the store lock cannot be taken, mail waits "
            f"unprocessed and nothing is stored (not repaired: move it out of {data})"
        ), r.out
        assert r.out.splitlines()[-1].endswith("; 1 message(s) waiting in spool/new"), r.out
    # with a problem --repair would fix: a plain fsck promised its repair, and --repair
    # then fixed nothing, saying nothing of why
    addr = next(p for p in (data / "index" / "address").rglob("*") if p.is_file())
    addr.write_text("{broken")
    for args in (("fsck",), ("fsck", "--repair")):
        r = desk.run(*args)
        said = r.out.splitlines()[-1]
        assert said == "`maild fsck --repair` repairs nothing until the store lock is mended", r.out
    assert addr.read_text() == "{broken"  # not written without the lock: serve may be writing
    (data / "lock").rmdir()
    assert desk.run("fsck", "--repair").code == 0
    assert desk.run("fsck").code == 0


def test_a_summary_part_maild_may_not_read_is_named_so_and_not_rebuilt_over(desk):
    """A summary part maild cannot read (another owner's, an I/O error; here a folder
    in its place) may hold right rows: named unreadable with how to fix it, never
    "corrupt" and rebuilt over by --repair."""
    desk.ingest(make_mail())
    (part,) = (desk.root / "data" / "open").glob("*.json")
    part.unlink()
    part.mkdir()
    r = desk.run("fsck", "--repair")
    line = r.out.splitlines()[0]
    assert line.startswith(f"open/{part.name}: unreadable by "), r.out
    assert "corrupt" not in r.out and part.is_dir(), r.out
