"""What no ticket holds is not kept for ever (ops/leftovers.py): the sent mail of no
live ticket (the site's confirmation letters, the morning queue, the SLA report, the
notice «Обращение не найдено») goes keep_closed_days after it was queued (a
confirmation letter once its link expired); address records holding only the caps'
windows go once those are past. Real CLI (`maild jobs run --now`, days ahead), real
sink, a real store counted before and after."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from maild.adapters.sitepending import PENDING_DAYS
from maild.adapters.store import CorruptFile
from maild.app import App
from maild.config import load
from maild.web import tokens
from maild.web.confirmletter import mail_link
from tests.helpers import Desk, make_mail, staff_reply

MISSING = "1111-2222"  # a TID no ticket has: anna's mail naming it gets «не найдено»


def _site_letter(desk: Desk, sub_id: str, email: str) -> None:
    """The confirmation letter of a «Задать вопрос» request (web/ask.py's call)."""
    app = App(load(desk.config))
    now = app.now()
    expires = tokens.day_of(now) + PENDING_DAYS
    url = f"https://support.example.com/c/{sub_id}"
    assert mail_link(app, sub_id, email, (url, PENDING_DAYS, expires), now)


def _sent(desk: Desk) -> dict[str, dict]:
    """outbox/sent's mails by id: their records."""
    folder = desk.root / "data" / "outbox" / "sent"
    return {p.stem: json.loads(p.read_bytes().split(b"\n", 1)[0]) for p in folder.glob("*.mail")}


def _jobs(desk: Desk, when: datetime) -> dict:
    r = desk.run("jobs", "run", "--json", "--now", when.isoformat())
    assert r.code == 0, r.err
    return r.json()


def _address_records(desk: Desk) -> dict[Path, dict]:
    base = desk.root / "data" / "index" / "address"
    return {p: json.loads(p.read_bytes()) for p in base.glob("*/*")}


def _day0() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


def _working_evening(desk: Desk, day0: datetime) -> datetime:
    """18:00 of the first business day after `day0`: the report and the digest are due."""
    app = App(load(desk.config))
    day = day0.astimezone(app.tz).date() + timedelta(days=1)
    while not app.calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(18, 0), tzinfo=app.tz)


@pytest.mark.daily_mail
def test_sent_mail_of_no_ticket_goes_after_keep_closed_days(tmp_path, sink):
    # (the quarantine's mail goes sooner: the sent mail outlives it, keep_days 10)
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 20}, spam={"keep_days": 10})
    day0 = _day0()
    closed = desk.ingest_tid(make_mail(subject="Ошибка 500"))
    desk.ingest(staff_reply(closed, "Исправили.\n#close"))
    live = desk.ingest_tid(make_mail(sender="Пётр <petr@other.example>", subject="Вопрос"))
    desk.ingest(staff_reply(MISSING, "Ответ по старому обращению."))
    _site_letter(desk, "a" * 24, "stranger@site.example")
    evening = _working_evening(desk, day0)
    counts = _jobs(desk, evening)  # the SLA report and the digest
    assert counts["report"] == 1 and counts["digest"] >= 1, counts
    assert desk.flush().code == 0
    sent = _sent(desk)
    kinds = {(m.get("tid"), m["kind"]) for m in sent.values()}
    assert (MISSING, "notice") in kinds and (None, "confirmation") in kinds, kinds
    assert (None, "report") in kinds, kinds
    ticketless = {i for i, m in sent.items() if m.get("tid") in (None, MISSING)}
    letters = {i for i in ticketless if i.startswith("web-confirm-")}
    assert len(letters) == 1 and len(ticketless) >= 3, sent
    # a letter queued and not sent (no flush): never touched
    _site_letter(desk, "b" * 24, "other@site.example")
    queue = desk.root / "data" / "outbox" / "queue"
    queued = {p.name for p in queue.glob("*.mail")}
    log = (desk.root / "data" / "outbox" / "sent" / "sent.log").read_bytes()

    # the confirmation letter's link expired: the letter goes, the rest stays
    counts = _jobs(desk, evening + timedelta(days=PENDING_DAYS + 1))
    assert set(_sent(desk)) == set(sent) - letters
    assert counts["sent_removed"] == 1, counts

    # keep_closed_days on: the closed ticket goes with its mail, and so does every
    # mail of no ticket, or of one that is not in the store
    counts = _jobs(desk, evening + timedelta(days=21))
    left = _sent(desk)
    assert left and {m.get("tid") for m in left.values()} == {live}, left
    assert counts["purged"] == 1 and counts["sent_removed"] == len(ticketless) - 1, counts
    assert queued <= {p.name for p in queue.glob("*.mail")}  # still queued
    # the sent log keeps the lines of the mail still in sent/ (their times), no other
    lines = (desk.root / "data" / "outbox" / "sent" / "sent.log").read_text().splitlines()
    assert {line.split()[0] for line in lines} == set(left) and len(lines) == len(left)
    assert set(log.decode().splitlines()) >= set(lines)
    listed = desk.run("outbox", "list", "--sent", "--json").json()
    assert {m["id"] for m in listed} == set(left) and all(m.get("sent_at") for m in listed)


@pytest.mark.daily_mail
def test_sent_mail_of_no_ticket_is_kept_without_keep_closed_days(tmp_path, sink):
    """keep_closed_days unset (the default: keep for ever) keeps the mail of no
    ticket, but the site's confirmation letters still go once their link expired:
    outsiders decide how many there are."""
    desk = Desk(tmp_path, sink.port)
    _site_letter(desk, "a" * 24, "stranger@site.example")
    assert _jobs(desk, _working_evening(desk, _day0()))["report"] == 1
    assert desk.flush().code == 0
    before = _sent(desk)
    letters = {i for i in before if i.startswith("web-confirm-")}
    assert len(letters) == 1 and len(before) > 1, before
    counts = _jobs(desk, _day0() + timedelta(days=400))
    assert counts["sent_removed"] == 1 and set(_sent(desk)) == set(before) - letters


def test_address_records_holding_only_past_windows_go(tmp_path, sink):
    """Addresses typed into the site's form and never confirmed, and the sender's
    domain its staff notices counted in, kept a record each for ever; a customer's,
    with the date of the first ticket (the free-support term), stays."""
    desk = Desk(tmp_path, sink.port, support={"max_new_ticket_notices_per_domain_per_hour": 5})
    for n in range(3):
        _site_letter(desk, f"{n}" * 24, f"stranger{n}@site.example")
    desk.ingest(make_mail(sender="Иван <ivan@shop-example.ru>", subject="Вопрос"))
    records = _address_records(desk)
    idle = {p for p, r in records.items() if "first_seen" not in r}
    assert len(idle) >= 3 and len(records) > len(idle), records
    counts = _jobs(desk, _day0() + timedelta(hours=2))  # the windows hold still
    assert set(_address_records(desk)) == set(records)
    assert counts["addresses_removed"] == 0
    counts = _jobs(desk, _day0() + timedelta(days=3))
    after = _address_records(desk)  # (with those of the reminders this run sent)
    assert not idle & set(after) and set(records) - idle <= set(after)
    assert counts["addresses_removed"] == len(idle), counts


def test_mail_of_a_ticket_in_the_quarantine_stays_till_it_may_no_longer_come_back(tmp_path, sink):
    """A ticket staff marked #spam is not in the store but in the quarantine, and
    `maild spam release` brings it back: its sent mail is what keeps the release from
    sending its acknowledgement and staff notices again. Nor does the notice
    «Обращение не найдено» of a staff mail the quarantine holds go while it may be
    released (spam.keep_days, longer than keep_closed_days here)."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 1})
    tid = desk.ingest_tid(make_mail(sender="Иван <ivan@shop-example.ru>", subject="Ошибка 500"))
    desk.ingest(staff_reply(tid, "#spam"))
    desk.ingest(staff_reply(MISSING, "Ответ по старому обращению."))
    assert desk.flush().code == 0
    entries = desk.run("spam", "list", "--json").json()
    assert len(entries) == 2, entries
    before = _sent(desk)
    counts = _jobs(desk, _day0() + timedelta(days=3))
    assert counts["sent_removed"] == 0 and set(_sent(desk)) == set(before)
    assert desk.run("block", "remove", "ivan@shop-example.ru").code == 0
    assert desk.flush().code == 0  # (the jobs' own mail: the SLA report)
    n = len(sink.received)
    for entry in entries:  # (the staff mail goes back to the quarantine: exit 1)
        desk.run("spam", "release", entry["id"])
    assert desk.ticket(tid)["tid"] == tid  # the ticket is back
    assert desk.flush().code == 0
    assert sink.received[n:] == []  # nothing went a second time


def test_sent_mail_of_a_spam_ticket_goes_once_the_quarantine_no_longer_holds_it(tmp_path, sink):
    """The #spam mark stays after the quarantine's entries of the ticket expired
    (spam.keep_days): nothing can bring the ticket back then, and its sent mail (the
    customer's words quoted) goes as any mail of no live ticket does."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 1}, spam={"keep_days": 2})
    tid = desk.ingest_tid(make_mail(sender="Иван <ivan@shop-example.ru>", subject="Ошибка 500"))
    desk.ingest(staff_reply(tid, "#spam"))
    assert desk.flush().code == 0
    before = _sent(desk)
    assert before
    _jobs(desk, _day0() + timedelta(days=5))  # the quarantine's entries of it expired
    assert desk.run("spam", "list", "--json").json() == []
    _jobs(desk, _day0() + timedelta(days=40))
    assert not set(_sent(desk)) & set(before)


def _gone_at(meta: dict, exists) -> bool:
    """ops/leftovers._gone of `meta` (queued 30 days ago) with keep_closed_days's cut
    20 days ago; `exists`: the store's answer whether its ticket is there."""
    from types import SimpleNamespace

    from maild.ops.leftovers import _gone

    now = datetime.now().astimezone()
    app = SimpleNamespace(store=SimpleNamespace(ticket_exists=exists))
    meta = {"queued_at": (now - timedelta(days=30)).isoformat(), **meta}
    return _gone(app, meta, (now - timedelta(days=20), now - timedelta(days=3)), {})


def test_which_sent_mail_of_no_live_ticket_goes():
    """Past keep_closed_days: a ticket's mail goes once the ticket is gone, not while
    it is there nor when its file cannot be read (it may be); an alert to the head
    naming no ticket stays (its file is what sends it once: an outage outlasting
    keep_closed_days would be told again); mail of a ticket queued since the cut stays."""

    def corrupt(tid):
        raise CorruptFile(tid, "not JSON")

    assert _gone_at({"id": "a", "tid": MISSING, "kind": "notice"}, lambda tid: False)
    assert not _gone_at({"id": "a", "tid": MISSING, "kind": "notice"}, lambda tid: True)
    assert not _gone_at({"id": "a", "tid": MISSING, "kind": "notice"}, corrupt)
    assert not _gone_at({"id": "imap-down-1", "kind": "alert"}, lambda tid: False)
    assert _gone_at({"id": "report-1", "kind": "report"}, lambda tid: False)
    recent = {"id": "a", "tid": MISSING, "kind": "notice"}
    recent["queued_at"] = (datetime.now().astimezone() - timedelta(days=1)).isoformat()
    assert not _gone_at(recent, lambda tid: False)
