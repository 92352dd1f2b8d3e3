"""A mail refused for good is told to its ticket once: a refused/ file whose mail is
cut short (a partial restore, a disk's damage) is left out of the telling (fsck names
it) instead of a notice every minute, and a refused mail put back after its ticket was
told (a restore of an older backup) adds no second record of the same notice."""

from __future__ import annotations

import json

from tests.helpers import Desk, Sink, make_mail

TYPO = "ivan@exmaple.ru"
RUNS = ("2026-12-07T10:00:00+03:00", "2026-12-07T11:00:00+03:00", "2026-12-07T12:00:00+03:00")


def _put_back(root, cut: int) -> str:
    """The refused mail, told already (in sent/), back in refused/ as not told, its mail
    `cut` bytes short; its file's name."""
    [src] = [
        p
        for p in (root / "data" / "outbox" / "sent").glob("*.mail")
        if json.loads(p.read_bytes().partition(b"\n")[0]).get("refused")
    ]
    head, _, mail = src.read_bytes().partition(b"\n")
    record = json.loads(head)
    record.pop("told")
    kept = mail[: len(mail) - cut]
    dest = root / "data" / "outbox" / "refused" / src.name
    dest.write_bytes(json.dumps(record, ensure_ascii=False).encode() + b"\n" + kept)
    src.unlink()
    return src.name


def _after_runs(desk: Desk, tid: str) -> tuple[list[int], list[dict]]:
    """refused_told of each run of the jobs, and the ticket's records they added."""
    before = len(desk.run("ticket", "show", tid, "--json").json()["messages"])
    told = []
    for now in RUNS:
        r = desk.run("jobs", "run", "--now", now, "--json")
        assert r.code == 0, r.err
        told.append(r.json()["refused_told"])
    return told, desk.run("ticket", "show", tid, "--json").json()["messages"][before:]


def test_a_cut_refused_mail_is_not_told_every_run(tmp_path):
    relay = Sink(refuse={TYPO: "550 5.1.1 No such user"}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(sender=TYPO))
        assert desk.flush().code == 0  # refused, told at once, moved to sent/
        name = _put_back(tmp_path, cut=200)
        told, added = _after_runs(desk, tid)
        assert told == [0, 0, 0] and added == [], added
        assert (tmp_path / "data" / "outbox" / "refused" / name).exists()
        fsck = desk.run("fsck").out
        assert f"outbox/refused/{name}: its mail is cut short" in fsck
    finally:
        relay.stop()


def test_a_refused_mail_told_before_is_not_noted_again(tmp_path):
    relay = Sink(refuse={TYPO: "550 5.1.1 No such user"}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(sender=TYPO))
        assert desk.flush().code == 0
        thread = desk.run("ticket", "show", tid, "--json").json()["messages"]
        name = _put_back(tmp_path, cut=0)
        told, added = _after_runs(desk, tid)
        assert told == [1, 0, 0] and added == [], added  # settled, nothing recorded twice
        assert not (tmp_path / "data" / "outbox" / "refused" / name).exists()
        ids = [
            m["message_id"] for m in desk.run("ticket", "show", tid, "--json").json()["messages"]
        ]
        assert len(ids) == len(set(ids)) == len(thread)
    finally:
        relay.stop()
