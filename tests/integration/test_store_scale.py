"""A big store still answers correctly: ticket show, dedup by Message-ID, TID and
In-Reply-To matching, a closed ticket reopening, a new ticket among many.

The store is seeded by bench/seed.py (the store's own layout, no fsync). By default
it holds 2,000 tickets spread over the open-summary parts and several archive weeks,
so the same look-ups are exercised as at 100k. MAILD_SCALE_TICKETS=100000 runs the
full size (about 45 s more). Nothing here is timed.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from bench.seed import seed
from tests.helpers import Desk, make_mail

N = int(os.environ.get("MAILD_SCALE_TICKETS", "2000"))


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    desk = Desk(root, relay_port=9)  # nothing is sent: no outbox flush here
    desk.sections["support"].pop("reply_secret")  # the seeded store brings its own
    desk.write_config()
    seeded = seed(root / "data", N, samples=40)
    assert len(seeded.open_tids) + len(seeded.closed_tids) == N
    return desk, seeded


def _ingest(desk: Desk, raw: bytes) -> dict:
    r = desk.run("ingest", "-", "--json", input=raw)
    assert r.code == 0, r.err
    return json.loads(r.out)


def _listed(desk: Desk, status: str) -> set[str]:
    r = desk.run("ticket", "list", "--status", status)
    assert r.code == 0, r.err
    return set(re.findall(r"^(\d{4}-\d{4})", r.out, re.MULTILINE))


def test_ticket_show_finds_seeded_tickets(big):
    desk, seeded = big
    for tid in list(seeded.samples)[:10]:
        requester, msgid, _conf, subject = seeded.samples[tid]
        t = desk.ticket(tid)
        assert t["tid"] == tid
        assert t["requester"] == requester
        assert t["subject"] == subject
        assert t["messages"][0]["message_id"] == msgid
    r = desk.run("ticket", "show", "0000-0001")
    assert r.code == 1


def test_duplicate_message_id_is_stored_once(big):
    desk, seeded = big
    tid = list(seeded.samples)[10]
    requester, msgid, _conf, subject = seeded.samples[tid]
    before = len(desk.ticket(tid)["messages"])
    out = _ingest(desk, make_mail(sender=requester, subject=subject, msgid=msgid))
    assert out["outcome"] == "duplicate"
    assert out["tid"] == tid
    assert len(desk.ticket(tid)["messages"]) == before


def test_tid_in_subject_joins_the_ticket_and_reopens_it(big):
    desk, seeded = big
    closed = [t for t in seeded.samples if t in set(seeded.closed_tids)]
    tid = closed[0]
    requester, _msgid, _conf, subject = seeded.samples[tid]
    assert desk.ticket(tid)["status"] == "closed"
    raw = make_mail(
        sender=requester,
        subject=f"RE: Ответ: {subject} [TID#{tid}]",
        msgid="<scale-followup-1@client.example>",
        body="Ошибка снова появилась после перезагрузки сервера.",
    )
    out = _ingest(desk, raw)
    assert (out["outcome"], out["tid"]) == ("appended", tid)
    t = desk.ticket(tid)
    assert t["status"] == "open"
    assert t["messages"][-1]["message_id"] in (
        "<scale-followup-1@client.example>",
        *[m["message_id"] for m in t["messages"] if m["direction"] == "out"],
    )
    assert "<scale-followup-1@client.example>" in [m["message_id"] for m in t["messages"]]
    # the summary moved from the archive to the open tickets
    assert tid in _listed(desk, "open")
    assert tid not in _listed(desk, "closed")


def test_in_reply_to_of_our_confirmation_joins_the_ticket(big):
    desk, seeded = big
    open_samples = [t for t in seeded.samples if t in set(seeded.open_tids)]
    tid = open_samples[0] if open_samples else list(seeded.samples)[20]
    requester, _msgid, conf, _subject = seeded.samples[tid]
    raw = make_mail(
        sender=requester,
        subject="Дополнение к обращению",
        msgid="<scale-followup-2@client.example>",
        headers={"In-Reply-To": conf, "References": conf},
    )
    out = _ingest(desk, raw)
    assert (out["outcome"], out["tid"]) == ("appended", tid)


def test_stranger_copying_a_tid_and_new_mail_open_new_tickets(big):
    desk, seeded = big
    tid = list(seeded.samples)[30]
    out = _ingest(
        desk,
        make_mail(
            sender="stranger@elsewhere.example",
            subject=f"Re: чужое обращение [TID#{tid}]",
            msgid="<scale-stranger@elsewhere.example>",
        ),
    )
    assert out["outcome"] == "new" and out["tid"] != tid
    assert desk.ticket(out["tid"])["refers_to"] == tid
    fresh = _ingest(
        desk, make_mail(sender="new@client.example", msgid="<scale-new@client.example>")
    )
    assert fresh["outcome"] == "new"
    taken = set(seeded.open_tids) | set(seeded.closed_tids)
    assert fresh["tid"] not in taken
    t = desk.ticket(fresh["tid"])
    assert t["messages"][0]["message_id"] == "<scale-new@client.example>"
    assert fresh["tid"] in _listed(desk, "new")


def _rows(desk: Desk, *args: str) -> list[tuple[str, str]]:
    """(TID, created as YYYY-MM-DD HH:MM) of each line of the plain listing."""
    r = desk.run("ticket", "list", *args)
    assert r.code == 0, r.err
    found = re.findall(r"^(\d{4}-\d{4}).{24}(\d\d)\.(\d\d)\.(\d{4}) (\d\d:\d\d)", r.out, re.M)
    return [(tid, f"{y}-{m}-{d} {hm}") for tid, d, m, y, hm in found]


def test_listing_streams_in_order_with_filters(big):
    desk, seeded = big
    rows = _rows(desk)
    tids = [t for t, _ in rows]
    assert len(tids) == len(set(tids)) and set(seeded.open_tids) | set(seeded.closed_tids) <= set(
        tids
    )
    assert [c for _, c in rows] == sorted(c for _, c in rows)  # oldest first (none critical)
    middle = rows[len(rows) // 2][1][:10]
    since = _rows(desk, "--since", middle)
    assert since and all(c[:10] >= middle for _, c in since) and len(since) < len(rows)
    assert [t for t, _ in _rows(desk, "--status", "closed", "--limit", "7")] == [
        t for t in tids if t in set(seeded.closed_tids)
    ][:7]
    first = desk.tickets("--limit", "3")
    assert [t["tid"] for t in first] == tids[:3] and first[0] == desk.ticket(tids[0])
    tid = list(seeded.samples)[5]
    requester = seeded.samples[tid][0]
    assert tid in {t["tid"] for t in desk.tickets("--requester", requester)}
