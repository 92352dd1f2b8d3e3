"""Registry upkeep, `maild forget`, closed-ticket retention and `ticket list`
filters, through the real CLI on real files with a real SMTP sink."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from maild import jobs
from maild.adapters.store import lock
from maild.adapters.store.indexes import index_path
from maild.app import App
from maild.config import load
from maild.ops.forget import forget
from maild.ops.retention import once_a_day, remove_unreferenced
from maild.runner import ingest
from tests.helpers import PNG, Desk, dkim_pass, make_mail, staff_to

MSK = ZoneInfo("Europe/Moscow")
IVAN = "ivan@shop-example.ru"
PARTS = Path(__file__).parent.parent / "data" / "partial"  # a letter sent in parts


def staff_reply(tid: str, body: str) -> bytes:
    """A staff reply sent where the notice's signed Reply-To points (counts as staff)."""
    return make_mail(
        sender="Анна <anna@example.com>",
        to=staff_to(tid),
        subject=f"Re: Новое обращение [TID#{tid}]",
        body=body,
    )


def test_an_until_of_today_is_its_last_day_not_past(desk):
    """A contract's `--until` day is still the contract's (sender.identify: past only
    after it): added on that day, it is no typo of the year to warn of, and `license
    list --expired` does not name it yet."""
    today = datetime.now(MSK).date()
    add = ("license", "add", "--key", "K-3", "--level", "vip", "--email", IVAN)
    r = desk.run(*add, "--until", today.isoformat())
    expired = desk.run("license", "list", "--expired", "--json").json()
    if datetime.now(MSK).date() != today:  # midnight came between: not the day meant
        return
    assert r.code == 0 and r.err == "", r.err
    assert expired == []


def test_license_and_group_removal_and_expired_list(desk):
    add = ("license", "add", "--level", "vip", "--email")
    assert desk.run(*add, "a@x.example", "--key", "OLD", "--until", "2020-01-31").code == 0
    assert desk.run(*add, "b@x.example", "--key", "NEW", "--until", "2099-01-31").code == 0
    assert [r["key"] for r in desk.run("license", "list", "--expired", "--json").json()] == ["OLD"]
    r = desk.run("license", "remove", "OLD")
    assert r.code == 0 and "removed" in r.out
    assert [r["key"] for r in desk.run("license", "list", "--json").json()] == ["NEW"]
    assert desk.run("license", "remove", "OLD").code == 1
    grp = ("group", "add", "--name", "Партнёры", "--level", "partner", "--domain", "p.example")
    assert desk.run(*grp).code == 0
    assert desk.run("group", "remove", "Партнёры").code == 0
    assert desk.run("group", "list", "--json").json() == []
    assert desk.run("group", "remove", "Партнёры").code == 1


def test_an_until_already_past_is_said_and_shown(desk):
    """`license add --until 2020-01-01` (a typo of the year) was taken without a word,
    and its line left the date out: the customer got free support, nobody knew why."""
    add = ("license", "add", "--key", "K-2", "--level", "vip", "--email", IVAN)
    r = desk.run(*add, "--until", "2020-01-01")
    assert r.code == 0 and r.out.startswith(f"license K-2: vip, {IVAN}, until 2020-01-01")
    assert r.err.splitlines() == [
        "maild: warning: license K-2: --until 2020-01-01 has passed: its mail gets free"
        " support (24 h), as after a contract ends"
    ]
    r = desk.run(*add, "--until", "2099-01-01")
    assert r.code == 0 and r.err == "" and f"{IVAN}, until 2099-01-01" in r.out
    grp = ("group", "add", "--name", "Партнёры", "--level", "partner", "--domain", "p.example")
    r = desk.run(*grp, "--until", "2021-05-05")
    assert r.code == 0 and "group Партнёры: --until 2021-05-05 has passed" in r.err


def test_license_add_refuses_what_is_not_an_address(desk):
    add = ("license", "add", "--key", "K-1", "--level", "vip")
    for bad in ("notanemail", "ivan@", "@shop-example.ru"):
        r = desk.run(*add, "--email", IVAN, "--email", bad)
        assert r.code == 64 and r.err.count("\n") == 1, r  # and how to write one
        assert r.err.startswith(f"maild: license add: not an email address: {bad!r} (one address")
    assert desk.run("license", "list", "--json").json() == []  # nothing half-added
    assert desk.run(*add, "--email", "Иван <Ivan@Shop-Example.ru>").code == 0
    [lic] = desk.run("license", "list", "--json").json()
    assert lic["emails"] == [IVAN]


def _storage_mentions(desk: Desk, needle: bytes) -> list[str]:
    root = desk.root / "data"
    return [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and needle in p.read_bytes().lower()
    ]


def test_forget_erases_a_person_but_keeps_tickets_and_timing(desk, sink):
    ivan_tid = desk.ingest_tid(
        make_mail(body=f"Пишите на {IVAN}, телефон 123", attachments=[("s.png", "image/png", PNG)])
    )
    desk.ingest(staff_reply(ivan_tid, f"Иван, ответили на {IVAN}."))
    petr_tid = desk.ingest_tid(
        make_mail(sender="petr@x.example", headers={"Cc": IVAN}, subject="Петр", body="Петр тут")
    )
    # mail of theirs that never became a ticket: quarantined spam, an unconfirmed
    # «Задать вопрос» submission (the site keeps it in web/pending until the click)
    assert desk.ingest(make_mail(headers={"X-Spam": "yes"})).out.startswith("quarantined")
    pending = desk.root / "data" / "web" / "pending"
    pending.mkdir(parents=True)
    (pending / "abc123.json").write_text(json.dumps({"email": IVAN, "subject": "Вопрос"}))
    (pending / "abc123.eml").write_bytes(make_mail())
    desk.flush()
    assert sink.to(IVAN)
    before = {t: desk.ticket(t) for t in (ivan_tid, petr_tid)}
    sla = desk.run("report", "sla", "--json").json()
    sla.pop("generated_at")
    assert _storage_mentions(desk, IVAN.encode())

    dry = desk.run("forget", IVAN, "--dry-run")
    assert dry.code == 0 and "dry run" in dry.out and f"[TID#{ivan_tid}]" in dry.out
    assert {t: desk.ticket(t) for t in before} == before
    # the dry run counts the file its tickets alone name, as the forget then removes it
    said = desk.run("forget", IVAN, "--dry-run", "--json").json()
    assert said["attachment_files_removed"] == 1 and said["held_removed"] == 2

    r = desk.run("forget", IVAN.upper(), "--json")
    assert r.code == 0, r.err
    report = r.json()
    assert {t["tid"] for t in report["tickets"]} == {ivan_tid, petr_tid}
    assert report["attachment_files_removed"] == 1 and report["spool_copies_removed"] >= 2
    assert report["held_removed"] == 2
    assert desk.run("spam", "list", "--json").json() == [] and not list(pending.iterdir())

    t = desk.ticket(ivan_tid)
    for k in ("tid", "status", "level", "created_at", "reaction_due", "first_reaction_at"):
        assert t[k] == before[ivan_tid][k]
    assert t["requester"] == "forgotten@invalid"
    assert all(m["text"] == "[удалено по запросу]" for m in t["messages"])
    assert [m["received_at"] for m in t["messages"]] == [
        m["received_at"] for m in before[ivan_tid]["messages"]
    ]
    assert t["messages"][0]["attachments"][0]["filename"] == "[удалено по запросу]"
    p = desk.ticket(petr_tid)
    assert p["requester"] == "petr@x.example"
    assert p["messages"][0]["text"].startswith("Петр тут")
    after = desk.run("report", "sla", "--json").json()
    after.pop("generated_at")
    assert after == sla
    # nothing under the storage names the person any more
    assert _storage_mentions(desk, IVAN.encode()) == []
    assert desk.tickets("--requester", IVAN) == []
    assert len(desk.tickets("--requester", "forgotten@invalid")) == 1


def test_forget_says_what_it_did_and_what_is_left_in_whole_sentences(desk, sink):
    add = ("license", "add", "--key", "ADV-1", "--level", "vip", "--email", IVAN)
    assert desk.run(*add, "--email", "boss@shop-example.ru").code == 0
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    dry = desk.run("forget", IVAN, "--dry-run")
    assert dry.code == 0, dry.err
    lines = dry.out.splitlines()
    assert lines[0].startswith(f"[TID#{tid}] would erase ")
    assert lines[1].startswith(f"{IVAN}: 1 ticket(s); would erase ")
    assert lines[1].endswith(" outgoing mail(s) (dry run: nothing changed)")
    assert lines[2] == (
        "still on license ADV-1: maild license remove ADV-1, or add it again without this address"
    )
    done = desk.run("forget", IVAN).out.splitlines()
    assert done[1].startswith(f"{IVAN}: 1 ticket(s); erased ") and done[1].endswith("mail(s)")


def _lock_waited(monkeypatch) -> threading.Event:
    """Set once a thread of this process has found the store locked and waits for it
    (the store's own word of a wait, lock.on_wait, told at once): not a fixed sleep.
    Set after the desk's commands ran in this process (the CLI sets lock.on_wait)."""
    waited = threading.Event()
    monkeypatch.setattr(lock, "WAIT_TOLD_AFTER", 0.0)
    monkeypatch.setattr(lock, "on_wait", lambda _holder, _timeout: waited.set())
    return waited


def test_forget_erases_a_ticket_opened_while_it_runs(desk, monkeypatch):
    """forget's first scan runs without the lock; a ticket the person opens after it
    is erased too: the last locked section reads again what was written since. The
    ticket is opened while forget waits for the lock after its first scan (before it,
    the first scan would find it: no re-read needed)."""
    import maild.ops.forget as ops

    first = desk.ingest_tid(make_mail(body="первое"))
    app = App(load(desk.config))
    scan, scanned, held = ops._files_holding, threading.Event(), threading.Event()
    found_first: list[list[str]] = []

    def first_scan(*args, **kwargs):  # in forget's thread
        found = scan(*args, **kwargs)
        if not scanned.is_set():
            found_first.append(found)
            scanned.set()
            assert held.wait(10)  # on once the store is locked for the person's mail
        return found

    monkeypatch.setattr(ops, "_files_holding", first_scan)
    done: list[dict] = []
    run = threading.Thread(target=lambda: done.append(forget(App(load(desk.config)), IVAN)))
    waited = _lock_waited(monkeypatch)
    run.start()
    assert scanned.wait(10)
    with app.store.locked():
        held.set()
        assert waited.wait(10)  # it came to its next locked section, and waits
        assert run.is_alive()
        second = ingest(app, make_mail(subject="Снова я", body="второе"))[1].tid
    run.join(10)
    assert found_first == [[first]]  # the second only in the last section's re-read
    assert {e.tid for e in done[0].tickets} == {first, second}
    for tid in (first, second):
        assert desk.ticket(tid)["requester"] == "forgotten@invalid"
    assert _storage_mentions(desk, IVAN.encode()) == []


def _app(desk: Desk, when: datetime) -> App:
    return App(load(desk.config), clock=lambda: when)


def _attachment_files(desk: Desk) -> list[bytes]:
    return sorted(
        p.read_bytes() for p in (desk.root / "data" / "attachments").rglob("*") if p.is_file()
    )


def test_closed_tickets_older_than_keep_closed_days_are_deleted(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    own, shared = [("own.png", "image/png", PNG + b"own")], [("s.png", "image/png", PNG)]
    old = ingest(_app(desk, start), make_mail(msgid="<old@c.example>", attachments=own + shared))[
        1
    ].tid
    ingest(_app(desk, start + timedelta(hours=1)), staff_reply(old, "#close\nГотово."))
    kept = ingest(
        _app(desk, start), make_mail(sender="p@x.example", subject="Открыто", attachments=shared)
    )[1].tid
    spooled = list((desk.root / "data" / "spool" / "cur").iterdir())
    assert len(spooled) == 3

    soon = start + timedelta(days=29)
    assert jobs.run_all(_app(desk, soon), soon)["purged"] == 0
    later = start + timedelta(days=31)
    swept = jobs.run_all(_app(desk, later), later)
    assert swept["purged"] == 1 and swept["attachments_removed"] == 1
    assert desk.run("ticket", "show", old).code == 1
    # the day's sweep removes its own file; the one it shared stays
    assert _attachment_files(desk) == [PNG]
    orphan = desk.root / "data" / "attachments" / "ab" / ("ab" + "0" * 62)
    orphan.parent.mkdir()
    orphan.write_bytes(b"orphan")  # sweeps run once a day: this one waits for the next
    assert jobs.run_all(_app(desk, later), later)["attachments_removed"] == 0
    assert orphan.exists()
    next_day = later + timedelta(days=1)
    assert jobs.run_all(_app(desk, next_day), next_day)["attachments_removed"] == 1
    assert _attachment_files(desk) == [PNG]
    assert [t["tid"] for t in desk.tickets()] == [kept]
    assert len(list((desk.root / "data" / "spool" / "cur").iterdir())) == 1
    # nothing of it is left behind: not the index entry of the staff answer it held
    # (stored as mail that went out, but received, and indexed, as every message)
    check = desk.run("fsck")
    assert check.code == 0, check.out
    # a late reply to the deleted ticket's mail opens a new one instead of failing
    again = ingest(
        _app(desk, later),
        make_mail(msgid="<late@c.example>", headers={"In-Reply-To": "<old@c.example>"}),
    )[1]
    assert again.outcome == "new"


def test_retention_leaves_no_spool_copy_of_a_mail_delivered_twice(tmp_path, sink):
    """A mail delivered twice (to support@ and support+x@, an MTA's retry) is stored
    once; its second copy stayed in spool/cur after keep_closed_days deleted the ticket
    with "its spool copies": fsck then named it as mail in no ticket (exit 1), and
    `fsck --repair` re-queued it, so serve opened the deleted ticket again and
    confirmed it to the customer."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    mail = make_mail(msgid="<twice@c.example>")
    tid = ingest(_app(desk, start), mail)[1].tid
    again = mail.replace(b"Message-ID:", b"Delivered-To: support+x@example.com\r\nMessage-ID:", 1)
    assert ingest(_app(desk, start), again)[1].outcome == "duplicate"
    ingest(_app(desk, start + timedelta(hours=1)), staff_reply(tid, "#close\nГотово."))
    later = start + timedelta(days=31)
    assert jobs.run_all(_app(desk, later), later)["purged"] == 1
    spool = desk.root / "data" / "spool"
    left = [p for p in spool.rglob("*") if p.is_file() and b"twice@c.example" in p.read_bytes()]
    assert left == []
    check = desk.run("fsck")
    assert check.code == 0 and " 0 problem(s)" in check.out, check.out


def test_fsck_repair_removes_the_second_copy_an_older_maild_kept(tmp_path, sink):
    """A store from before 2026-12-07 keeps the second spool copy of a mail delivered
    twice: fsck names it, --repair removes it, so retention leaves nothing behind that
    a later repair would re-queue (the ticket back, its confirmation sent again). A
    different mail under a Message-ID a ticket holds (reusedid) is no such copy."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    mail = make_mail(msgid="<twice@c.example>")
    tid = ingest(_app(desk, start), mail)[1].tid
    again = mail.replace(b"Message-ID:", b"Delivered-To: support+x@example.com\r\nMessage-ID:", 1)
    cur = desk.root / "data" / "spool" / "cur"
    (kept,) = [p for p in cur.iterdir() if b"twice@c.example" in p.read_bytes()]
    second = cur / ("1" + kept.name)  # as an older maild left it: another key, in cur
    second.write_bytes(again)
    other = cur / ("2" + kept.name)  # a different mail under the same Message-ID
    other.write_bytes(make_mail(msgid="<twice@c.example>", body="Другое письмо."))
    check = desk.run("fsck")
    line = (
        f"spool/cur/{second.name}: <twice@c.example> is a second copy of the mail {tid} "
        f"keeps as spool/cur/{kept.name} (not needed: delivered twice, or released from "
        "the quarantine)"
    )
    assert check.code == 1 and line in check.out.splitlines(), check.out
    assert other.name not in check.out
    repair = desk.run("fsck", "--repair")
    assert f"fixed: spool/cur/{second.name}: removed" in repair.out.splitlines(), repair.out
    assert not second.exists() and kept.exists() and other.exists()
    ingest(_app(desk, start + timedelta(hours=1)), staff_reply(tid, "#close\nГотово."))
    later = start + timedelta(days=31)
    assert jobs.run_all(_app(desk, later), later)["purged"] == 1
    assert not kept.exists()
    assert not list((desk.root / "data" / "spool" / "new").iterdir())


def test_retention_keeps_what_a_merge_moved_into_a_ticket_that_lives_on(tmp_path, sink):
    """A ticket merged into another is closed by the merge and deleted keep_closed_days
    later; its messages live on in the surviving ticket, and so do their spool copies
    and threading: a reply to one of them still reaches the survivor."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    survivor = ingest(_app(desk, start), make_mail(subject="Корзина"))[1].tid
    petr = "petr@x.example"
    dup = ingest(_app(desk, start), make_mail(sender=petr, msgid="<dup@x.example>"))[1].tid
    ingest(_app(desk, start + timedelta(hours=1)), staff_reply(dup, f"#merge {survivor}\n"))
    assert desk.ticket(dup)["merged_into"] == survivor
    later = start + timedelta(days=31)
    assert jobs.run_all(_app(desk, later), later)["purged"] == 1
    assert desk.run("ticket", "show", dup).code == 1
    check = desk.run("fsck")
    assert check.code == 0 and " 0 problem(s)" in check.out, check.out
    reply = make_mail(sender=petr, subject="Ещё вопрос", headers={"In-Reply-To": "<dup@x.example>"})
    assert ingest(_app(desk, later), reply)[1].tid == survivor
    assert desk.run("fsck").code == 0


def test_retention_keeps_a_merged_letters_parts_leading_to_the_survivor(tmp_path, sink):
    """A letter sent in parts whose ticket is merged into another and deleted later: the
    index entry that leads its later parts (partial.thread_key) named the deleted
    ticket (fsck: "a ticket that does not exist"); it now names the survivor, as the
    Message-IDs of the mail moved there do."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    survivor = ingest(_app(desk, start), make_mail(subject="Корзина"))[1].tid
    dup = ingest(_app(desk, start), (PARTS / "42_partial_1.eml").read_bytes())[1].tid
    ingest(_app(desk, start + timedelta(hours=1)), staff_reply(dup, f"#merge {survivor}\n"))
    later = start + timedelta(days=31)
    assert jobs.run_all(_app(desk, later), later)["purged"] == 1
    check = desk.run("fsck")
    assert check.code == 0, check.out
    part = ingest(_app(desk, later), (PARTS / "42_partial_2.eml").read_bytes())[1]
    assert part.tid == survivor


def test_ticket_list_filters(desk):
    desk.run("license", "add", "--key", "V", "--level", "vip", "--email", "vip@corp.example")
    a = desk.ingest_tid(make_mail(sender="vip@corp.example", subject="VIP"))
    b = desk.ingest_tid(make_mail(sender="x@corp.example", subject="free"))
    c = desk.ingest_tid(make_mail(sender="y@other.example", subject="other"))
    assert [t["tid"] for t in desk.tickets()] == [a, b, c]
    assert [t["tid"] for t in desk.tickets("--level", "vip")] == [a]
    assert [t["tid"] for t in desk.tickets("--requester", "@corp.example")] == [a, b]
    assert [t["tid"] for t in desk.tickets("--requester", "Y@Other.example")] == [c]
    assert [t["tid"] for t in desk.tickets("--limit", "2")] == [a, b]
    assert desk.tickets("--since", "2999-01-01") == []
    today = desk.ticket(a)["created_at"][:10]  # --since takes in the day it names
    assert [t["tid"] for t in desk.tickets("--since", today)] == [a, b, c]
    full = desk.tickets("--limit", "1")[0]
    assert full == desk.ticket(a)  # the INTERFACE.md shape, messages included
    plain = desk.run("ticket", "list", "--level", "free")
    assert re.findall(r"^(\d{4}-\d{4})", plain.out, re.MULTILINE) == [b, c]
    assert desk.run("ticket", "list", "--limit", "0").code == 64
    # a count past any list's length lists them all (was a traceback past 2**63);
    # a digit int() does not read, "²", is no count (was «invalid _positive value»)
    assert [t["tid"] for t in desk.tickets("--limit", "9" * 30)] == [a, b, c]
    assert [t["tid"] for t in desk.tickets("--limit", "002")] == [a, b]
    for bad in ("²", "00", "-1", "２"):
        r = desk.run("ticket", "list", "--limit", bad)
        assert r.code == 64 and f"not a positive number: {bad!r}" in r.err, r
    # a Cyrillic domain in either spelling: the site's form keeps A-labels
    d = desk.ingest_tid(make_mail(sender="boss@xn--80atjc.xn--p1ai", subject="окна"))
    assert [t["tid"] for t in desk.tickets("--requester", "Boss@окна.рф")] == [d]
    assert [t["tid"] for t in desk.tickets("--requester", "@ОКНА.рф")] == [d]
    assert [t["tid"] for t in desk.tickets("--requester", "@рф")] == []  # the domain itself


def test_an_attachment_file_gains_a_reference_while_it_is_swept(tmp_path, sink, monkeypatch):
    """The sweep's first scan runs without the lock; a message that names the same
    file meanwhile (stored under the lock) keeps it: the sweep scans again under the
    lock before it removes anything."""
    desk = Desk(tmp_path, sink.port)
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    app = _app(desk, start)
    sha = hashlib.sha256(PNG).hexdigest()
    left = desk.root / "data" / "attachments" / sha[:2] / sha  # as a deleted ticket leaves it
    left.parent.mkdir(parents=True)
    left.write_bytes(PNG)
    removed: list[int] = []
    sweep = threading.Thread(target=lambda: removed.append(remove_unreferenced(_app(desk, start))))
    waited = _lock_waited(monkeypatch)
    with app.store.locked():
        sweep.start()
        # its first scan, without the lock, found the file unreferenced; now it waits
        assert waited.wait(10)
        assert sweep.is_alive()  # and it waits for the lock to remove it
        tid = ingest(app, make_mail(attachments=[("s.png", "image/png", PNG)]))[1].tid
    sweep.join(10)
    assert removed == [0] and left.read_bytes() == PNG
    assert desk.ticket(tid)["messages"][0]["attachments"][0]["accepted"] is True
    desk.run("forget", desk.ticket(tid)["requester"])
    assert not left.exists()  # forget removes it: nobody else names it


def test_the_sweep_leaves_the_temp_file_of_a_commit_be(tmp_path, sink):
    """An attachment file is written beside its place first (.<sha>.<pid>.<ns>.tx.tmp)
    and renamed when its message commits: the sweep takes only the files named by
    their content, never one a commit under way (or the redo of a killed one) needs."""
    desk = Desk(tmp_path, sink.port)
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    ingest(_app(desk, start), make_mail())
    sha = hashlib.sha256(PNG).hexdigest()
    temp = desk.root / "data" / "attachments" / sha[:2] / f".{sha}.4242.17.tx.tmp"
    temp.parent.mkdir(parents=True)
    temp.write_bytes(PNG)
    assert remove_unreferenced(_app(desk, start)) == 0
    assert temp.read_bytes() == PNG


def test_forget_erases_a_cc_participant_who_never_wrote(dkim_desk, sink):
    """Only in Cc of the requester's mail, never a sender nor sent automatic mail:
    the person has no address record, and the removal of none used to fail the whole
    forget with exit 78 (its index folder did not exist)."""
    desk, petr = dkim_desk, "petr@other-example.ru"
    # the requester's mail proves its From (DKIM): petr, in its Cc, joins
    tid = desk.ingest_tid(make_mail(headers={"Cc": petr, **dkim_pass(IVAN)}))
    assert petr in desk.ticket(tid)["participants"]
    r = desk.run("forget", petr)
    assert r.code == 0, r.err
    assert petr not in str(desk.ticket(tid))


def test_adding_a_license_or_group_again_names_what_it_replaced(desk):
    """`license add` with a key already registered replaces the license whole (a
    renewal): an admin who meant to add one more address must see the ones it drops."""
    add = ("license", "add", "--key", "K-1", "--level", "vip")
    assert (
        desk.run(*add, "--email", IVAN, "--until", "2099-06-30", "--name", "ООО Магазин").code == 0
    )
    r = desk.run(*add, "--email", "it@shop-example.ru")
    assert r.code == 0 and r.out.splitlines() == [
        "license K-1: vip, it@shop-example.ru",
        f"  replaced: vip, {IVAN}, until 2099-06-30, ООО Магазин (to keep one, give it again"
        " with --email)",
    ]
    grp = ("group", "add", "--name", "Партнёры", "--level", "partner", "--domain")
    assert desk.run(*grp, "p.example").out.splitlines() == ["group Партнёры: partner, p.example"]
    assert desk.run(*grp, "q.example").out.splitlines()[1:] == [
        "  replaced: partner, p.example, until - (to keep one, give it again with --domain)"
    ]


def test_what_changes_the_registry_or_the_block_list_answers_json_when_asked(desk):
    """Every command takes --json; those that change something printed their sentence
    all the same, which a script reading JSON could not parse."""
    add = ("license", "add", "--key", "K-2", "--level", "vip", "--json")
    first = desk.run(*add, "--email", IVAN, "--until", "2099-06-30").json()
    lic = {"key": "K-2", "level": "vip", "emails": [IVAN], "until": "2099-06-30", "name": ""}
    assert first == {"added": lic, "replaced": None}
    again = desk.run(*add, "--email", "it@shop-example.ru").json()
    assert again["replaced"] == lic and again["added"]["emails"] == ["it@shop-example.ru"]
    assert [r["key"] for r in desk.run("license", "list", "--json").json()] == ["K-2"]
    assert desk.run("license", "remove", "K-2", "--json").json() == {"removed": "K-2"}
    grp = desk.run("group", "add", "--name", "G", "--level", "partner", "--domain", "g.example",
                   "--json").json()  # fmt: skip
    assert grp == {
        "added": {"name": "G", "level": "partner", "domains": ["g.example"], "until": None},
        "replaced": None,
    }
    assert desk.run("group", "remove", "G", "--json").json() == {"removed": "G"}
    blocked = desk.run("block", "add", "Spam@Farm.example", "--json").json()
    assert blocked == {"entry": "spam@farm.example", "blocked": True, "changed": True,
                       "withdrawn": 0, "listed": []}  # fmt: skip
    again = desk.run("block", "add", "spam@farm.example", "--json").json()
    assert (again["changed"], again["listed"]) == (False, ["spam@farm.example"])
    gone = desk.run("block", "remove", "spam@farm.example", "--json").json()
    assert (gone["blocked"], gone["changed"]) == (False, True)
    assert gone["listed"] == ["spam@farm.example"]  # what was taken off, as listed


def test_forget_takes_an_address_as_an_admin_copies_it_and_refuses_what_is_none(desk):
    """An address copied from a mail client ("Иван <ivan@...>") erases that person; a
    domain or a typo is refused, not reported as "0 ticket(s)" as if the person were
    erased (a domain would match the address of everyone at it)."""
    tid = desk.ingest_tid(make_mail())
    r = desk.run("forget", f"Иван Петров <{IVAN.upper()}>", "--json")
    assert r.code == 0, r.err
    assert [t["tid"] for t in r.json()["tickets"]] == [tid] and r.json()["address"] == IVAN
    for bad in ("shop-example.ru", "@shop-example.ru", "ivan@", "ivan shop-example.ru"):
        r = desk.run("forget", bad)
        assert r.code == 64 and r.err == f"maild: forget: not an email address: {bad!r}\n"


def test_forget_refuses_the_desks_own_addresses(desk):
    """The support address is on every ticket's mail: erasing it as a person emptied
    every confirmation and notice and deleted customers' spool copies. A staff member
    or the head still on the config is the desk's own too."""
    tid = desk.ingest_tid(make_mail())
    before = desk.run("ticket", "show", tid, "--json").json()
    for own, why in (
        ("support@example.com", "the support address"),
        ("Support+x@Example.com", "the support address"),
        ("anna@example.com", "in support.staff"),
        ("head@example.com", "support.head"),
    ):
        r = desk.run("forget", own, "--dry-run")
        assert r.code == 64 and r.err.startswith(f"maild: forget: {own.lower()} is "), r.err
        assert why in r.err and r.err.count("\n") == 1
    assert desk.run("forget", "support@example.com").code == 64
    assert desk.run("ticket", "show", tid, "--json").json() == before


def test_forget_refuses_staff_and_the_head_in_the_other_spelling_of_their_domain(tmp_path, sink):
    """support.staff names Anna at поддержка.рф, the admin types her address as her mail
    client shows it, in A-labels (and the head's the other way, in capitals): still the
    desk's own, not a person to erase."""
    desk = Desk(
        tmp_path,
        sink.port,
        support={"staff": ["anna@поддержка.рф"], "head": "head@xn--80ahaefyxhn.xn--p1ai"},
    )
    desk.ingest_tid(make_mail())  # the store
    for own, why in (
        ("anna@xn--80ahaefyxhn.xn--p1ai", "in support.staff"),
        ("Head@Поддержка.РФ", "support.head"),
    ):
        r = desk.run("forget", own, "--dry-run")
        assert r.code == 64 and why in r.err, r.err


def test_block_add_refuses_what_covers_the_desks_own_addresses(desk):
    """Blocking the desk's own domain (spam forged From: x@example.com) quarantined
    every staff reply: the answers never reached a customer, and nobody was told."""
    for entry, whom in (
        ("example.com", "support@example.com"),
        ("Anna <ANNA@example.com>", "anna@example.com"),
        ("head@example.com", "head@example.com"),
    ):
        r = desk.run("block", "add", entry)
        assert r.code == 1 and r.err.count("\n") == 1, r
        assert r.err.startswith(f"maild: block add: {entry.lower().split('<')[-1].strip('>')}")
        assert f"would quarantine the mail of {whom}" in r.err
    assert desk.run("block", "list", "--json").json() == []
    assert desk.run("block", "add", "spam-example.com").code == 0  # a lookalike is no match


def test_group_add_refuses_what_is_not_a_domain(desk):
    """ "x.ru, y.ru" was kept as one domain that no address has, listed as if two:
    the customers of both got free support, and nothing said so."""
    grp = ("group", "add", "--name", "Партнёры", "--level", "partner", "--domain")
    for bad in ("x.example, y.example", "ivan@x.example", "x..example", "nodot", ""):
        r = desk.run(*grp, "ok.example", "--domain", bad)
        assert r.code == 64 and r.err.count("\n") == 1, r  # and how to write one
        assert r.err.startswith(f"maild: group add: not a domain: {bad!r} (one domain per"), r
    assert desk.run("group", "list", "--json").json() == []  # nothing half-added
    assert desk.run(*grp, "@Partner.Example").code == 0
    assert desk.run("group", "list", "--json").json()[0]["domains"] == ["partner.example"]


def test_forget_removes_the_copies_fsck_set_aside_that_hold_the_person(desk):
    """A ticket file `fsck --repair` set aside keeps a whole copy in lost+found/: after
    `maild forget` the person's text and address were still there."""
    theirs = desk.ingest_tid(make_mail(body="пароль от админки: Qwerty123"))
    other = desk.ingest_tid(make_mail(sender="olga@other.example", msgid="<o@c.example>"))
    data = desk.root / "data"
    for tid in (theirs, other):  # a write cut short by a crash, or an admin's editor
        path = data / "tickets" / tid[:2] / f"{tid}.json"
        path.write_bytes(path.read_bytes() + b"\x00garbage")
    assert desk.run("fsck", "--repair").code == 0
    kept = [p for p in (data / "lost+found").rglob("*") if p.is_file()]
    holding = [p for p in kept if IVAN.encode() in p.read_bytes()]
    assert [p.name.split(".")[0] for p in holding] == [theirs]

    dry = desk.run("forget", IVAN, "--dry-run", "--json")
    assert dry.json()["set_aside_removed"] == 1 and holding[0].exists()
    r = desk.run("forget", IVAN)
    assert r.code == 0, r.err
    assert "erased 1 cop(ies) that fsck --repair set aside in lost+found/" in r.out
    left = [p for p in (data / "lost+found").rglob("*") if p.is_file()]
    assert not [
        p for p in left if b"Qwerty123" in p.read_bytes() or IVAN.encode() in p.read_bytes()
    ]
    assert sorted(left) == sorted(set(kept) - set(holding))  # olga's copy is kept


def test_forget_erases_mail_that_waits_in_the_spool(desk):
    """Mail waiting in spool/new (maild serve stopped, or paused on a full disk) was
    left by `maild forget`: processed afterwards, it made a ticket with the erased
    person's text and address, and a colleague's mail put their address back."""
    from maild import runner

    desk.ingest_tid(make_mail())
    app = App(load(desk.config))
    theirs = app.spool.add(make_mail(body="мой пароль Qwerty123", msgid="<w1@c.example>"))
    olga = make_mail(sender="olga@other.example", msgid="<w2@c.example>", headers={"Cc": IVAN})
    others = app.spool.add(olga)
    dry = desk.run("forget", IVAN, "--dry-run", "--json").json()
    assert dry["waiting_erased"] == 2 and app.spool.is_pending(theirs)
    r = desk.run("forget", IVAN)
    assert r.code == 0, r.err
    assert "erased 2 message(s) waiting in the spool" in r.out, r.out
    assert not app.spool.is_pending(theirs) and app.spool.is_pending(others)
    assert runner.run_batch(app, [others]).ok == 1
    for t in desk.tickets():
        shown = json.dumps(desk.ticket(t["tid"]), ensure_ascii=False)
        assert IVAN not in shown and "Qwerty123" not in shown, shown
    assert [t["requester"] for t in desk.tickets()].count("olga@other.example") == 1


def test_retention_deletes_the_mail_sent_about_a_deleted_ticket(tmp_path, sink):
    """keep_closed_days deleted a ticket and its spool copies, but outbox/sent/ kept
    every mail sent about it (the confirmation and the staff notices quoting the
    customer's text, the answer) for good, and `outbox list --sent` still showed them."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    old = ingest(_app(desk, start), make_mail(body="Старый текст клиента 4711."))[1].tid
    ingest(_app(desk, start + timedelta(hours=1)), staff_reply(old, "#close\nГотово, 4712."))
    kept = ingest(_app(desk, start), make_mail(sender="p@x.example", subject="Открыто"))[1].tid
    assert desk.flush().code == 0
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert {m["tid"] for m in sent} == {old, kept}

    later = start + timedelta(days=31)
    assert jobs.run_all(_app(desk, later), later)["purged"] == 1
    left = desk.run("outbox", "list", "--sent", "--json").json()
    assert left and {m["tid"] for m in left} == {kept}
    files = [p.read_bytes() for p in (desk.root / "data" / "outbox").rglob("*.mail")]
    # (with the full stop: "4711" alone turns up in base64 and hex now and then)
    assert not [f for f in files if old.encode() in f or b"4711." in f or b"4712." in f]
    assert desk.run("fsck").code == 0


def test_forget_drops_what_the_caps_counted_for_their_mailbox(desk, sink):
    """The caps count automatic replies per mailbox (caps.mailbox_of: without a
    +tag, a Gmail login without dots): forget drops that record too."""
    address = "v.ictim+desk@gmail.com"
    desk.ingest_tid(make_mail(sender=address))
    desk.flush()
    assert sink.to(address)
    record = Path(index_path(str(desk.root / "data"), "address", "victim@gmail.com"))
    assert "auto_replies" in json.loads(record.read_text())
    assert desk.run("forget", address).code == 0
    assert not record.exists()


def test_groups_of_one_level_are_each_kept_and_an_expired_one_gives_free_support(desk):
    """`group add` replaces the group of the same name only: a second group of the
    same level is a group beside it; and a group's --until is kept, so mail from its
    domain after that date gets free support, as after a contract ends."""
    grp = ("group", "add", "--level", "operative")
    assert desk.run(*grp, "--name", "Alpha", "--domain", "alpha.example").code == 0
    r = desk.run(*grp, "--name", "Beta", "--domain", "beta.example", "--until", "2020-01-01")
    assert r.code == 0, r.err
    listed = desk.run("group", "list", "--json").json()
    assert sorted((g["name"], g["until"]) for g in listed) == [
        ("Alpha", None),
        ("Beta", "2020-01-01"),
    ]
    alpha = desk.ingest_tid(make_mail(sender="anna@alpha.example", msgid="<a1@alpha.example>"))
    beta = desk.ingest_tid(make_mail(sender="boris@beta.example", msgid="<b1@beta.example>"))
    assert desk.ticket(alpha)["level"] == "operative"
    assert desk.ticket(beta)["level"] == "free"
    assert desk.ticket(beta)["identification"]["expired"] is True


def test_fsck_repair_removes_the_second_copy_of_a_mail_under_a_reused_message_id(tmp_path, sink):
    """A different mail under a Message-ID a ticket holds is filed under an id of its
    own (reusedid): a second copy of it an older maild kept is found by that id too,
    named and removed, not left for retention to make mail in no ticket (re-queued:
    its ticket back, its confirmation sent again)."""
    desk = Desk(tmp_path, sink.port)
    start = datetime(2026, 9, 1, 10, 0, tzinfo=MSK)
    ingest(_app(desk, start), make_mail(msgid="<same@c.example>", body="Первое письмо."))
    cur = desk.root / "data" / "spool" / "cur"
    before = set(cur.iterdir())
    mail = make_mail(msgid="<same@c.example>", sender="olga@d.example", body="Другое письмо.")
    tid = ingest(_app(desk, start), mail)[1].tid
    (kept,) = set(cur.iterdir()) - before
    second = cur / ("1" + kept.name)  # as an older maild left it: another key, in cur
    second.write_bytes(b"Delivered-To: support+x@example.com\r\n" + mail)
    check = desk.run("fsck")
    said = [line for line in check.out.splitlines() if line.startswith(f"spool/cur/{second.name}:")]
    assert check.code == 1 and len(said) == 1, check.out
    assert f"is a second copy of the mail {tid} keeps as spool/cur/{kept.name}" in said[0]
    repair = desk.run("fsck", "--repair")
    assert f"fixed: spool/cur/{second.name}: removed" in repair.out.splitlines(), repair.out
    assert not second.exists() and kept.exists()


def test_a_daily_sweep_that_fails_is_logged_once_and_tried_again_the_next_day(
    tmp_path, sink, caplog
):
    """Housekeeping that fails on the disk (an I/O error in a folder it sweeps) while
    its day can still be marked is one ERROR line, and runs again the next local day,
    not each minute the scheduler asks (a line a minute, all day)."""
    desk = Desk(tmp_path, sink.port)
    runs: list[datetime] = []

    def work(_app: App, now: datetime) -> int:
        runs.append(now)
        if len(runs) == 1:
            raise OSError(errno.EIO, "Input/output error")
        return 2

    job = ("test_swept", "test sweep")
    first = datetime(2026, 9, 2, 0, 30, tzinfo=MSK)
    assert once_a_day(_app(desk, first), first, job, work) == 0
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(said) == 1 and said[0].startswith("test sweep failed, tried again tomorrow: ")
    assert "Input/output error" in said[0]
    for minutes in (1, 60, 23 * 60):
        now = first + timedelta(minutes=minutes)
        assert once_a_day(_app(desk, now), now, job, work) == 0
    assert len(runs) == 1
    nxt = datetime(2026, 9, 3, 0, 0, tzinfo=MSK)
    assert once_a_day(_app(desk, nxt), nxt, job, work) == 2 and len(runs) == 2
