"""A backup holds the outbox queue of its moment; the old desk sends that mail after
the backup, which the archive cannot know. A restored desk sent all of it a second
time (the audit: 75 duplicates at the relay). Now `maild restore` holds it: `maild
serve` on the restored storage sends none of it until `maild outbox release`; then
each goes once. `--send-queued` restores it unheld (the old desk's relay was down)."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from tests.helpers import AS_ME, QUICK_OUTBOX, Daemon, Desk, Sink, dead_port, make_mail, wait_until


def _old_desk_backup(tmp_path: Path, sink: Sink) -> tuple[Path, set[str]]:
    """Mail queued, a backup, then the old desk sends it all (to `sink`): the archive
    and the Message-IDs the old desk sent."""
    (tmp_path / "old").mkdir()
    old = Desk(tmp_path / "old", dead_port())
    for i in range(3):
        old.ingest(make_mail(sender=f"c{i}@shop.example", msgid=f"<q{i}@client>"))
    # not tried yet (as mail queued a moment before a backup): due at once, wherever
    assert all(m["next_try"] is None for m in old.run("outbox", "list", "--json").json())
    archive = tmp_path / "snap.tar.gz"
    r = old.run("backup", str(archive), "--json")
    assert r.code == 0, r.err
    assert r.json()["queued"] > 0
    old.sections["outbound"]["port"] = sink.port  # the relay is back: the old desk sends
    old.write_config()
    assert old.flush().code == 0
    sent = {m.msg["Message-ID"] for m in sink.received}
    assert len(sent) == r.json()["queued"]
    return archive, sent


def _restored(tmp_path: Path, archive: Path, sink: Sink, *flags: str) -> tuple[Desk, dict]:
    target = tmp_path / "restored"
    r = Desk(tmp_path / "old", sink.port).run(
        "restore", str(archive), "--storage", str(target), *AS_ME, *flags, "--json"
    )
    assert r.code == 0, r.err
    (tmp_path / "new").mkdir()
    return Desk(tmp_path / "new", sink.port, storage={"path": str(target)}), r.json()


def _count(sink: Sink) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in sink.received:
        out[m.msg["Message-ID"]] = out.get(m.msg["Message-ID"], 0) + 1
    return out


def test_restored_desk_sends_no_queued_mail_again_until_released(tmp_path, sink):
    archive, sent = _old_desk_backup(tmp_path, sink)
    new, figures = _restored(tmp_path, archive, sink)
    assert figures["held"] == len(sent) and figures["release"] == "maild outbox release --all"
    text = new.run("outbox", "list")
    assert text.code == 0 and f"{len(sent)} held since the restore" in text.out
    assert "maild outbox release --all sends them" in text.out
    status = new.run("status", "--json").json()
    assert status["outbox"]["held"] == len(sent) and status["outbox"]["failing"] == 0
    assert any("held since the restore" in r for r in status["reasons"])

    # `maild ingest` here queues the new mail's; serve's sender takes it on its next
    # pass (and more passes have more chances to send held mail)
    daemon = Daemon(new, pace=QUICK_OUTBOX).start()
    try:
        # a new mail's confirmation and two staff notices go: the sender has made its
        # passes meanwhile (all three awaited by their TID, as any other mail the new
        # daemon sends would pass for them in a count of all: the queue is counted below)
        new.ingest(make_mail(sender="late@shop.example", msgid="<late@client>"))
        [late] = [t["tid"] for t in new.tickets() if t["requester"] == "late@shop.example"]

        def its() -> list:
            return [m for m in sink.received if f"[TID#{late}]" in m.subject]

        assert wait_until(lambda: len(its()) == 3, 30), its()
        assert wait_until(lambda: new.run("outbox", "list", "--json").json() != [], 1)
        counts = _count(sink)
        assert [i for i in sent if counts[i] > 1] == []  # none of the old desk's again
        listed = new.run("outbox", "list", "--json").json()  # (the new mail's notices too)
        assert len([m for m in listed if m.get("held")]) == len(sent), listed
        flush = new.flush()  # a manual flush sends no held mail either
        assert "held since the restore" in flush.out
        assert [i for i in sent if _count(sink)[i] > 1] == []

        r = new.run("outbox", "release", "--all")
        assert r.code == 0 and r.out.startswith(f"released {len(sent)}"), r
        # sent now by a flush beside serve's own passes (not its next in 5 s): once each
        assert new.flush().code == 0
        assert wait_until(lambda: new.run("outbox", "list", "--json").json() == [], 30)
    finally:
        assert daemon.stop() == 0
    counts = _count(sink)
    assert all(counts[i] == 2 for i in sent)  # once by the old desk, once after release
    assert new.run("status", "--json").json()["outbox"]["held"] == 0


def test_restore_with_send_queued_sends_the_queue_on_start(tmp_path, sink):
    archive, sent = _old_desk_backup(tmp_path, sink)
    sink.handler.received.clear()  # as if the old desk's relay never took them
    new, figures = _restored(tmp_path, archive, sink, "--send-queued")
    assert figures["held"] == 0 and figures["release"] is None
    daemon = Daemon(new).start()
    try:
        assert wait_until(lambda: new.run("outbox", "list", "--json").json() == [], 30)
    finally:
        assert daemon.stop() == 0
    assert _count(sink) == dict.fromkeys(sent, 1)


def test_outbox_release_of_one_mail(tmp_path, sink):
    archive, sent = _old_desk_backup(tmp_path, sink)
    new, _ = _restored(tmp_path, archive, sink)
    one = new.run("outbox", "list", "--json").json()[0]
    assert one["held"]
    r = new.run("outbox", "release", one["id"])
    assert r.code == 0 and r.out.startswith("released 1"), r
    assert new.run("outbox", "release", "nope").code == 1
    # neither an id nor --all (an id forgotten): a usage error that releases nothing,
    # not all the mail the old desk may have sent already
    assert new.run("outbox", "release").code == 64
    before = len(sink.received)
    assert new.flush().code == 75  # sent; the rest stay held
    assert [m.msg["Message-ID"] for m in sink.received[before:]] == [one["message_id"]]
    assert len(new.run("outbox", "list", "--json").json()) == len(sent) - 1
    r = new.run("restore", str(archive), "--storage", str(tmp_path / "again"), *AS_ME)
    assert r.code == 0 and f"\n{len(sent)} queued mail held, not sent: " in r.out, r
    assert r.out.rstrip().endswith("send it: maild outbox release --all")


def test_two_releases_at_once_release_each_mail_once(tmp_path, sink):
    """Two `maild outbox release --all` at once: each listed the held mail, then took
    the hold off each without looking again, and both said they released it."""
    archive, sent = _old_desk_backup(tmp_path, sink)
    new, _figures = _restored(tmp_path, archive, sink)
    new.in_process = False  # two processes, as two admins' shells
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: new.run("outbox", "release", "--all"), range(2)))
    assert all(r.code == 0 for r in runs), runs
    counts = [int(r.out.split()[1].rstrip(":")) for r in runs]
    assert sum(counts) == len(sent), [r.out for r in runs]
    assert not [m for m in new.run("outbox", "list", "--json").json() if m.get("held")]


def test_restore_says_that_people_erased_since_the_backup_come_back(tmp_path, sink):
    """A backup taken before `maild forget` holds the person: restored, their tickets
    and the mail queued to them were back, and restore said only how to release that
    mail, which then went to them."""
    (tmp_path / "old").mkdir()
    old = Desk(tmp_path / "old", dead_port())
    old.ingest(make_mail(sender="ivan@shop.example"))
    archive = tmp_path / "snap.tar.gz"
    assert old.run("backup", str(archive)).code == 0
    assert old.run("forget", "ivan@shop.example").code == 0
    target = tmp_path / "restored"
    r = old.run("restore", str(archive), "--storage", str(target), *AS_ME)
    assert r.code == 0, r.err
    assert "erased with maild forget after the backup are in it again" in r.out
    assert "run maild forget ADDRESS again for each, before maild serve" in r.out


def test_outbox_release_json_is_one_object(tmp_path, sink):
    """`--json` on a command that changes something answers with one object (README,
    Beyond INTERFACE.md): `outbox release --json` printed its text line, which a
    script's JSON reader fails on."""
    archive, sent = _old_desk_backup(tmp_path, sink)
    new, _ = _restored(tmp_path, archive, sink)
    one = new.run("outbox", "list", "--json").json()[0]
    r = new.run("outbox", "release", one["id"], "--json")
    assert r.code == 0 and r.json() == {"released": [one["id"]]}, r
    r = new.run("outbox", "release", one["id"], "--json")  # not held any more
    assert r.code == 0 and r.json() == {"released": []}, r
    held = sorted(m["id"] for m in new.run("outbox", "list", "--json").json() if m.get("held"))
    r = new.run("outbox", "release", "--all", "--json")
    assert r.code == 0 and sorted(r.json()["released"]) == held, r
    assert len(r.json()["released"]) == len(sent) - 1


def test_released_mail_goes_with_the_next_pass_not_after_the_old_desks_back_off(tmp_path, sink):
    """A mail the old desk failed to send holds its back-off (next try in an hour) in
    the archive. Released, it goes with the daemon's next pass (not forced, as
    `outbox flush` is), not an hour later."""
    from datetime import UTC, datetime, timedelta

    from maild.adapters.outbound import Outbox
    from maild.adapters.outhold import release
    from maild.configtypes import OutboundConfig
    from maild.render import Mail

    outbox = Outbox(tmp_path / "outbox")
    headers = {"From": "support@example.com", "To": "ivan@shop.example",
               "Subject": "[TID#1000-0001] Re", "Message-ID": "<h1@example.com>"}  # fmt: skip
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\nanswer\r\n"
    assert outbox.enqueue("mail-1", Mail(headers, raw.encode()), [headers["To"]])
    now = datetime.now(UTC)
    outbox.mark("mail-1", held=now.isoformat(), attempts=1, last_try=now.isoformat(),
                next_try=(now + timedelta(hours=1)).isoformat())  # fmt: skip
    cfg = OutboundConfig(host="127.0.0.1", port=sink.port)
    assert outbox.flush(cfg, now, force=False) == (0, 0)  # held
    assert release(outbox, None) == (["mail-1"], True)
    assert outbox.flush(cfg, now, force=False) == (1, 0)
    assert [m.msg["Message-ID"] for m in sink.wait_for(1)] == ["<h1@example.com>"]


def test_only_whole_queued_mails_are_held_and_counted_and_only_held_ones_named(tmp_path):
    """The count `maild restore` reports is of the mails it held: a queue file without a
    whole record is left and not counted; `maild outbox list` names as held only those
    that are (one not held has no "held" to name)."""
    from maild.adapters.outfile import EXT, pack, unpack
    from maild.adapters.outhold import held, hold_all

    queue = tmp_path / "queue"
    queue.mkdir()
    record = {
        **dict.fromkeys(["from", "kind", "last_error", "message_id", "next_try", "subject"]),
        **{"id": "a", "sender": "support@desk.example", "to": ["c@shop.example"]},
        **{"attempts": 0, "tid": None, "queued_at": "2026-11-23T09:00:00+03:00"},
    }
    (queue / f"a{EXT}").write_bytes(pack(record, b"Subject: x\n\n"))
    (queue / f"b{EXT}").write_bytes(b"no record")
    assert hold_all(queue, "2026-11-23T10:00:00+03:00") == 1
    meta, _ = unpack(str(queue / f"a{EXT}"), (queue / f"a{EXT}").read_bytes())
    assert meta["held"] == "2026-11-23T10:00:00+03:00"
    rows = [{"id": "a", "held": "x"}, {"id": "b"}]
    assert held(rows) == [{"id": "a", "held": "x"}]  # type: ignore[arg-type]
