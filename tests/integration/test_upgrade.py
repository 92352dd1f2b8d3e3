"""Upgrading in place: today's maild takes over a store made by the first round
(tests/data/upgrade/round1-store.tar.gz, made by round 1's own code; its README says
how) without losing or repeating anything: the mail round 1 queued while the relay
was down goes out once, the mail it spooled and never processed is processed once,
its tickets read as they were, and replies to its mail still find their tickets."""

from __future__ import annotations

import collections
import email
import email.policy
import json
import tarfile
import time
from datetime import datetime, timedelta

import pytest

from tests.faults.fs import read_only
from tests.helpers import DATA, Daemon, Desk, Result, make_mail, staff_to

UPGRADE = DATA / "upgrade"
TIDS = json.loads((UPGRADE / "round1.json").read_text())
# keys of round 1's config/maild.example.toml that an admin's file still has
ROUND1_CONFIG = {
    "support": {"max_auto_replies_per_hour": 10, "timezone": "Europe/Moscow"},
    "schedule": {
        "reminder_fraction": 0.75,
        "waiting_reminder_days": 3,
        "waiting_autoclose_days": 7,
        "credentials_keep_days": 2,
        "outbox_give_up_attempts": 10,
        "daily_report_time": "09:00",
    },
    "attachments": {"max_attachment_bytes": 10485760, "accept_other_types": False},
}


@pytest.fixture
def upgraded(tmp_path, sink) -> Desk:
    """Today's maild installed over round 1's /var/lib/maild: the store as round 1
    left it, the admin's config (round 1 kept the reply key in the store)."""
    with tarfile.open(UPGRADE / "round1-store.tar.gz") as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp_path, **safe)
    desk = Desk(tmp_path, sink.port, **ROUND1_CONFIG)
    del desk.sections["support"]["reply_secret"]
    desk.write_config()
    return desk


def ok(r: Result) -> Result:
    assert r.code == 0, r.out + r.err
    assert "Traceback" not in r.err
    return r


def round1_mail(desk: Desk, kind: str, to: str, tid: str = "") -> email.message.EmailMessage:
    """A mail round 1 sent (outbox/sent/: its record on the first line, then the mail)."""
    for path in sorted((desk.root / "data" / "outbox" / "sent").glob("*.mail")):
        record, _, raw = path.read_bytes().partition(b"\n")
        meta = json.loads(record)
        if meta["kind"] == kind and to in meta["to"] and tid in meta["tid"]:
            return email.message_from_bytes(raw, policy=email.policy.default)
    raise AssertionError(f"no {kind} to {to} in the fixture")


def wait_until(pred, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := pred():
            return value
        time.sleep(0.1)
    return pred()


def test_round1_store_reads_as_it_was(upgraded):
    desk = upgraded
    ok(desk.run("check-config"))
    fsck = ok(desk.run("fsck")).out
    assert "0 problem(s)" in fsck and "2 message(s) waiting in spool/new" in fsck
    status = desk.run("status", "--json").json()
    assert (status["spool"]["pending"], status["outbox"]["queued"]) == (2, 4)

    tickets = {t["requester"].split("@")[0]: t for t in desk.tickets()}
    assert {k: t["tid"] for k, t in tickets.items()} == TIDS
    seen = {k: (t["status"], t["level"]) for k, t in tickets.items()}
    assert seen == {
        "ivan": ("new", "vip"),
        "olga": ("closed", "standard"),
        "petr": ("open", "consulting"),
        "maria": ("closed", "free"),
        "alex": ("waiting", "free"),
        "sergey": ("new", "free"),
    }
    assert tickets["olga"]["rating"] == 5
    assert [t["tid"] for t in desk.tickets("--status", "closed")] == [
        t["tid"] for t in desk.tickets() if t["status"] == "closed"
    ]
    shown = {k: desk.ticket(tid) for k, tid in TIDS.items()}
    first = shown["ivan"]["messages"][0]
    assert first["attachments"][0] | {"size": 0} == {
        "filename": "screen.png",
        "content_type": "image/png",
        "size": 0,
        "accepted": True,
        "reason": None,
    }
    assert "Сайт не открывается с утра" in shown["olga"]["messages"][0]["text"]  # cp1251
    assert "продлить лицензию" in shown["petr"]["messages"][0]["text"]  # KOI8-R
    ok(desk.run("ticket", "show", TIDS["ivan"]))
    queued = desk.run("outbox", "list", "--json").json()
    assert sorted(m["tid"] for m in queued) == sorted([TIDS["sergey"]] * 2 + [TIDS["petr"]] * 2)


def test_round1_store_on_a_read_only_disk_still_reads(upgraded):
    """README (Install as a service): on a read-only file system the commands that only
    read the store work, a newer version's folder left unwritten. Round 1's store has
    no spool/claimed/, outbox/refused/ nor quarantine/: fsck and spam list stopped
    there at "permanent error: No such file or directory: .../spool/claimed"."""
    desk = upgraded
    reading = [("fsck",), ("spool", "list"), ("outbox", "list"), ("spam", "list")]
    with read_only(desk.root / "data"):
        done = {args: desk.run(*args) for args in (*reading, ("status",))}
    for args in reading:
        assert done[args].code == 0 and done[args].err == "", (args, done[args])
    assert done[("fsck",)].out.endswith("0 problem(s); 2 message(s) waiting in spool/new\n")
    assert "the quarantine is empty" in done[("spam", "list")].out
    assert done[("status",)].code == 2 and "is on a read-only file system" in done[("status",)].out
    assert not (desk.root / "data" / "quarantine").exists()


def test_queued_mail_goes_once_and_spooled_mail_is_processed_once(upgraded, sink):
    desk = upgraded
    queued = {m["message_id"] for m in desk.run("outbox", "list", "--json").json()}
    assert "sent 4, failed 0" in ok(desk.flush()).out
    assert {str(r.msg["Message-ID"]) for r in sink.wait_for(4)} == queued
    assert "sent 0" in ok(desk.flush()).out
    # What round 1's scheduler sent is not sent again: the reminder and the
    # escalation about ivan's ticket, the reminder to alex while #wait. (Its last
    # run was at ivan's deadline + 7 days; sergey's ticket is overdue by then.)
    due = datetime.fromisoformat(desk.ticket(TIDS["ivan"])["reaction_due"])
    ok(desk.run("jobs", "run", "--now", (due + timedelta(days=7, hours=1)).isoformat()))
    ok(desk.flush())
    again = [
        r.subject
        for r in sink.received
        if (TIDS["ivan"] in r.subject and r.subject.startswith(("Напоминание", "Просрочена")))
        or (TIDS["alex"] in r.subject and r.subject.startswith("Ждём вашего ответа"))
    ]
    assert again == []
    assert [r for r in sink.received if TIDS["sergey"] in r.subject and "Просрочена" in r.subject]
    # that run was for a week ahead: the once-a-day jobs would wait for that day, which
    # status says (degraded) until their day files go, as README says to do
    data = desk.root / "data"
    for name in (
        "daily_report.last",
        "digest.last",
        "run/attachments_swept",
        "run/sent_swept",
        "run/addresses_swept",
    ):
        (data / name).unlink(missing_ok=True)

    daemon = Daemon(desk).start()
    try:

        def settled():
            s = desk.run("status", "--json").json()
            idle = s["spool"]["pending"] == 0 and s["outbox"]["queued"] == 0
            return idle and s["scheduler"]["last_run"] is not None

        assert wait_until(settled), desk.run("status").out
        assert ok(desk.run("status")).out.startswith("maild: healthy")
    finally:
        assert daemon.stop() == 0
    assert "Traceback" not in daemon.logtext()
    assert "0 problem(s)" in ok(desk.run("fsck")).out

    tickets = desk.tickets()
    assert [t["requester"] for t in tickets].count("nina@mail.example") == 1
    ivan = desk.ticket(TIDS["ivan"])
    assert [m["message_id"] for m in ivan["messages"]].count("<a3@client.example>") == 1
    copies = collections.Counter((str(r.msg["Message-ID"]), *r.rcpt_tos) for r in sink.received)
    assert max(copies.values()) == 1, copies


def test_replies_to_round1_mail_find_their_tickets(upgraded, sink):
    desk = upgraded
    ivan, petr, maria = TIDS["ivan"], TIDS["petr"], TIDS["maria"]
    petr_mail = {"sender": "Пётр <petr@mail.example>", "charset": "koi8-r"}

    r = desk.ingest(make_mail(**petr_mail, subject=f"Re: [TID#{petr}] Вопрос", body="Нашёл."))
    assert r.out.strip() == f"appended [TID#{petr}]"
    # a reply to round 1's confirmation, by its Message-ID alone (the tag cut off)
    conf = round1_mail(desk, "confirmation", "ivan@shop-example.ru")
    mid = str(conf["Message-ID"])
    raw = make_mail(subject="Re: Обращение", headers={"In-Reply-To": mid, "References": mid})
    assert desk.ingest(raw).out.strip() == f"appended [TID#{ivan}]"
    # ... by its signed Reply-To alone
    to = str(round1_mail(desk, "confirmation", "petr@mail.example")["Reply-To"])
    assert to.startswith(f"support+{petr}.")
    r = desk.ingest(make_mail(**petr_mail, to=to, subject="Re: Обращение", body="Ещё вопрос."))
    assert r.out.strip() == f"appended [TID#{petr}]"
    # a stranger who has that address does not join petr's ticket
    r = desk.ingest(make_mail(sender="evil@bad.example", to=to, subject="Вопрос", body="Ключ?"))
    assert f"[TID#{petr}]" not in r.out
    # a reply to round 1's closed-ticket mail reopens it
    resolved = round1_mail(desk, "staff", "maria@mail.example")
    raw = make_mail(
        sender="Мария <maria@mail.example>",
        to=str(resolved["Reply-To"]),
        subject=f"Re: {resolved['Subject']}",
        body="Ошибка снова появилась.",
    )
    assert desk.ingest(raw).out.strip() == f"appended [TID#{maria}]"
    assert desk.ticket(maria)["status"] == "open"

    # A staff reply to round 1's notice: its Reply-To was the same for every
    # recipient, so it proves no one today. Kept as a note, its commands not run,
    # nothing to the customer; the staff member is told and given their own address.
    notice = round1_mail(desk, "notice", "anna@example.com", ivan)
    raw = make_mail(
        sender="Анна <anna@example.com>",
        to=str(notice["Reply-To"]),
        subject=f"Re: {notice['Subject']}",
        body="#close\nИван, исправили.",
        msgid="<old-notice@example.com>",
        headers={"In-Reply-To": str(notice["Message-ID"])},
    )
    assert (tid := desk.ingest_tid(raw)) == ivan
    ticket = desk.ticket(tid)
    kinds = {m["message_id"]: m["kind"] for m in ticket["messages"]}
    assert (ticket["status"], kinds["<old-notice@example.com>"]) == ("new", "note")
    ok(desk.flush())
    told = [r for r in sink.to("anna@example.com") if "не принято" in r.subject]
    assert len(told) == 1 and str(told[0].msg["Reply-To"]) == staff_to(tid)
    assert not [r for r in sink.to("ivan@shop-example.ru") if "исправили" in r.text]
    # ... and a reply to that address is the staff member's
    raw = make_mail(sender="Анна <anna@example.com>", to=staff_to(tid), body="#close\nИсправили.")
    desk.ingest(raw)
    assert desk.ticket(tid)["status"] == "closed"
    ok(desk.flush())
    assert [r for r in sink.to("ivan@shop-example.ru") if "Исправили" in r.text]
