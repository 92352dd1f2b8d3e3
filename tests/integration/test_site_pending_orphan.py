"""A «Задать вопрос» request whose .eml was written but not its .json (Pending.add
killed, or a full disk, between its two writes): `maild forget` of its sender removes
it, and the scheduler's sweep removes it once an hour old (no link ever went)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from maild.web.forms import Pending
from tests.helpers import make_mail

ORPHAN = "0123456789abcdef01234567"


def _pending(desk) -> Pending:
    return Pending(desk.root / "data" / "web" / "pending")


def test_forget_removes_an_orphan_request_of_the_person(desk):
    desk.ingest(make_mail(sender="ivan@shop.ru"))
    pending = _pending(desk)
    raw = make_mail(sender="Иван Петров <Ivan@Shop.ru>", body="Мой паспорт 4500 123456")
    (pending.root / f"{ORPHAN}.eml").write_bytes(raw)
    other = make_mail(sender="olga@client.ru", body="Её вопрос")
    (pending.root / "fedcba9876543210fedcba98.eml").write_bytes(other)  # another's stays
    (pending.root / "00aa00aa00aa00aa00aa00aa.eml").write_bytes(other.replace(b"olga", b"ivan"))
    (pending.root / "00aa00aa00aa00aa00aa00aa.json").write_bytes(b'{"email": "olga@client.ru"}')
    dry = desk.run("forget", "ivan@shop.ru", "--dry-run")
    assert dry.code == 0 and (pending.root / f"{ORPHAN}.eml").exists(), dry.err
    r = desk.run("forget", "ivan@shop.ru")
    assert r.code == 0, r.err
    assert sorted(p.name for p in pending.root.iterdir()) == [
        "00aa00aa00aa00aa00aa00aa.eml",  # its record names another: theirs by it
        "00aa00aa00aa00aa00aa00aa.json",
        "fedcba9876543210fedcba98.eml",
    ]


def test_the_sweep_removes_an_orphan_request_after_an_hour(desk):
    desk.ingest(make_mail())  # a store
    pending = _pending(desk)
    now = time.time()
    for sub_id, ext, age in [
        (ORPHAN, "eml", 2 * 3600),  # orphan, two hours old: goes
        ("fedcba9876543210fedcba98", "eml", 60),  # orphan of a moment ago: may be mid-add
        ("00aa00aa00aa00aa00aa00aa", "eml", 2 * 3600),  # whole, its link still open
        ("00aa00aa00aa00aa00aa00aa", "json", 2 * 3600),
    ]:
        path = pending.root / f"{sub_id}.{ext}"
        path.write_bytes(make_mail())
        os.utime(path, (now - age, now - age))
    at = datetime.fromtimestamp(now, UTC) + timedelta(seconds=1)
    r = desk.run("jobs", "run", "--now", at.isoformat(), "--json")
    assert r.code == 0 and r.json()["site_pending_expired"] == 1, r.out + r.err
    assert sorted(p.name for p in pending.root.iterdir()) == [
        "00aa00aa00aa00aa00aa00aa.eml",
        "00aa00aa00aa00aa00aa00aa.json",
        "fedcba9876543210fedcba98.eml",
    ]


def test_forget_leaves_an_orphan_request_of_an_address_that_holds_theirs(desk):
    """Forgetting an@shop.ru removes no orphan .eml of ivan@shop.ru: the address is
    matched as a whole."""
    desk.ingest(make_mail(sender="an@shop.ru"))
    pending = _pending(desk)
    (pending.root / f"{ORPHAN}.eml").write_bytes(make_mail(sender="Иван <Ivan@Shop.ru>"))
    r = desk.run("forget", "an@shop.ru")
    assert r.code == 0, r.err
    assert (pending.root / f"{ORPHAN}.eml").exists()
