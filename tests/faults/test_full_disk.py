"""The outbox never sends a mail twice because of a full disk: on a small real
ext4 file system (loop-mounted; tmpfs behaves differently) filled while the relay
takes the mails, each mail reaches the relay at most once while the disk is full,
`maild outbox flush` says why in one line (exit 75), and every mail goes out
exactly once when space returns."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from maild.adapters.outbound import Outbox
from maild.configtypes import OutboundConfig
from maild.render import Mail
from tests.faults.fs import ext4, fill, read_only
from tests.helpers import SUPPORT, Desk, Sink, make_mail

CUSTOMERS = 60  # 180 mails: the sent log needs new blocks after the disk is full
FILL_AT = 10  # the relay fills the disk when it takes this mail


def relay_that_at(n: int, fault: Callable[[], object]) -> Sink:
    """A started relay sink that brings about `fault` as it takes its n-th mail."""
    sink = Sink()
    take = sink.handler.handle_DATA

    async def taking(server, session, envelope):
        reply = await take(server, session, envelope)
        if len(sink.received) == n:
            fault()
        return reply

    sink.handler.handle_DATA = taking
    return sink.start()


def _desk_with_queued_mail(tmp_path: Path, mnt: Path, relay_port: int) -> tuple[Desk, set[str]]:
    """A desk storing on `mnt` with a confirmation and staff notices queued for each of
    CUSTOMERS new tickets, and the Message-IDs queued."""
    # every customer's notice goes: no flood of new tickets at one domain or desk-wide
    no_flood = {"max_new_ticket_notices_per_hour": 0}
    desk = Desk(tmp_path, relay_port, storage={"path": str(mnt / "data")}, support=no_flood)
    for n in range(CUSTOMERS):
        desk.ingest(make_mail(sender=f"c{n}@shop{n}.example", msgid=f"<f{n}@c.example>"))
    return desk, {m["message_id"] for m in desk.run("outbox", "list", "--json").json()}


def test_a_full_disk_never_sends_a_mail_twice(tmp_path):
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16) as mnt:
        ballast = []
        sink = relay_that_at(FILL_AT, lambda: ballast.append(fill(mnt)))
        try:
            desk, queued = _desk_with_queued_mail(tmp_path, mnt, sink.port)
            staff = len(desk.sections["support"]["staff"])
            assert len(queued) == (1 + staff) * CUSTOMERS  # a confirmation, a notice per member

            full = desk.run("outbox", "flush")
            assert ballast, "the disk was not filled"
            assert full.code == 75 and len(full.err.splitlines()) == 1, full.err
            assert "Traceback" not in full.err and "record" in full.err
            # the reserve given up made room for the record: none is left unrecorded
            assert not list((mnt / "data" / "outbox" / "queue").glob("*.sent"))
            again = desk.run("outbox", "flush")  # still full: nothing is sent
            assert again.code == 75 and "No space left" in again.err, again.err
            while_full = Counter(r.msg["Message-ID"] for r in sink.received)
            assert FILL_AT <= len(while_full) < len(queued)
            assert max(while_full.values()) == 1

            ballast[0].unlink()  # space returns
            done = desk.run("outbox", "flush")
            assert done.code == 0, done.err
            sent = Counter(r.msg["Message-ID"] for r in sink.received)
        finally:
            sink.stop()
    assert set(sent) == queued  # all sent ...
    assert max(sent.values()) == 1  # ... once


def test_a_full_disk_pauses_processing_and_the_mail_waits(tmp_path, caplog):
    """Processing on a full disk: a fault, not the messages' (nothing counted or
    shunted); the alert cannot be queued either, so the log says so at ERROR."""
    from maild import runner
    from maild.app import App
    from maild.config import load
    from maild.faults import Faults

    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=8) as mnt:
        desk = Desk(tmp_path, 1, storage={"path": str(mnt / "data")})
        app = App(load(desk.config))
        keys = [app.spool.add(make_mail(msgid=f"<e{n}@c.example>")) for n in range(5)]
        ballast = fill(mnt)
        faults = Faults(app)
        for _ in range(3):
            result = runner.run_batch(app, keys)
            assert result.fault is not None and "No space" in result.fault[0]
            faults.after(result)
        assert sorted(app.spool.pending()) == sorted(keys) and app.spool.shunted() == []
        assert all(app.spool.attempts(k) == 0 for k in keys)
        assert "cannot queue the alert" in caplog.text
        # the fault's own note could not be written either: status said "healthy"
        full = desk.run("status")
        assert full.code == 2 and "storage: its file system is full" in full.out, full.out
        ballast.unlink()
        assert "file system is full" not in desk.run("status").out
        faults.after(result := runner.run_batch(app, keys))
        assert result.ok == 5 and len(desk.tickets()) == 5
        assert not (mnt / "data" / "run" / "fault.json").exists()


def test_the_admins_commands_on_a_full_disk_name_the_full_place(tmp_path):
    """`maild backup` to a full backup disk said "storage unavailable, try again later:
    No space left on device: ?" (sending the admin to the storage, which was fine);
    `maild license add` on a full storage named no file either ("?")."""
    with (
        ext4(tmp_path / "store.img", tmp_path / "store", size_mb=8) as store,
        ext4(tmp_path / "dest.img", tmp_path / "dest", size_mb=4) as dest,
    ):
        desk = Desk(tmp_path, 1, storage={"path": str(store / "data")})
        desk.ingest(make_mail())
        ballast = fill(dest)
        r = desk.run("backup", str(dest))
        assert r.code == 75 and len(r.err.splitlines()) == 1, r.err
        assert r.err.startswith(f"maild: backup: No space left on device: {dest}/maild-"), r.err
        assert r.err.endswith(".tar.gz; no archive written, try again later\n"), r.err
        assert sorted(p.name for p in dest.iterdir()) == ["ballast", "lost+found"]
        ballast.unlink()

        fill(store)
        r = desk.run("backup", str(dest))  # the staging folder inside the storage
        assert r.code == 75 and f"No space left on device: {store}/data/." in r.err, r.err
        add = ("license", "add", "--key", "K-1", "--level", "vip", "--email", "a@b.example")
        r = desk.run(*add)
        assert r.code == 75 and len(r.err.splitlines()) == 1, r.err
        assert f"No space left on device: {store}/data/registry.json" in r.err, r.err


def test_a_mail_sent_but_not_recorded_is_recorded_not_sent_again(tmp_path):
    """The move to sent/ fails after the relay took a mail (sent/ read-only here, a
    full disk that even the reserve cannot help, or the folder's mode): the mail
    stayed queued, and the next `outbox flush` (or a restart) sent it again. It is
    marked sent beside its queue file; no pass sends anything while sent/ takes no
    record, and the next one that can records it instead of sending it."""
    sent = tmp_path / "data" / "outbox" / "sent"
    stack = contextlib.ExitStack()
    sink = relay_that_at(FILL_AT, lambda: stack.enter_context(read_only(sent)))
    try:
        # the relay answers mail FILL_AT only once sent/ is read-only: mount(8) may wait
        # seconds for other tests' mounts, and a relay timeout would end that send
        desk = Desk(tmp_path, sink.port, outbound={"timeout": 120})
        # 15 mails: one relay connection (one per 8 mails), whose sent log is open before
        # the read-only remount (a log opened on the bind mount would make it "busy")
        for n in range(5):
            desk.ingest(make_mail(sender=f"c{n}@shop.example", msgid=f"<r{n}@c.example>"))
        queued = {m["message_id"] for m in desk.run("outbox", "list", "--json").json()}
        with stack:
            first = desk.run("outbox", "flush")
            assert first.code == 75 and "Traceback" not in first.err, first.err
            assert list((tmp_path / "data" / "outbox" / "queue").glob("*.sent"))
            again = desk.run("outbox", "flush")  # sent/ still takes nothing: nothing goes
            assert again.code == 75 and "not writable" in again.err, again.err
            taken = len(sink.received)
        assert taken >= FILL_AT
        done = desk.run("outbox", "flush")
        assert done.code == 0, done.err
        got = Counter(r.msg["Message-ID"] for r in sink.received)
    finally:
        sink.stop()
    assert set(got) == queued and max(got.values()) == 1
    assert not list((tmp_path / "data" / "outbox" / "queue").iterdir())


def test_status_counts_the_space_maild_may_use_not_the_blocks_kept_for_root(tmp_path):
    """`maild status` judges the storage as maild's user meets it: the blocks the file
    system keeps for root (ext4's 5 % by default) are no space of maild's. Counted,
    a disk at its reserve answered mail 451 while status said it had megabytes free
    and was not full."""
    import os

    from maild.app import App
    from maild.config import load

    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16, reserved=40) as mnt:
        desk = Desk(tmp_path, 1, storage={"path": str(mnt / "data")})
        App(load(desk.config))  # the store
        assert "storage: its file system" not in desk.run("status").out
        st = os.statvfs(mnt)
        with open(mnt / "ballast", "wb") as f:  # what maild's user may use, to 256 KB
            f.write(b"\0" * (st.f_bavail * st.f_frsize - (256 << 10)))
            os.fsync(f.fileno())
        full = desk.run("status")
        assert "storage: its file system is full" in full.out, full.out


def test_a_storage_out_of_inodes_is_full_with_megabytes_free(tmp_path):
    """A file system out of inodes refuses every new file (ENOSPC) with megabytes
    free: `maild ingest` answers 75 (postfix keeps the mail) and status said "healthy",
    judging the bytes alone, while no mail could be spooled."""
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16, inodes=512) as mnt:
        desk = Desk(tmp_path, 1, storage={"path": str(mnt / "data")})
        desk.ingest(make_mail(msgid="<before@c.example>"))
        assert "storage: its file system" not in desk.run("status").out
        (mnt / "ballast").mkdir()
        made = 0
        with contextlib.suppress(OSError):
            while True:
                (mnt / "ballast" / str(made)).touch()
                made += 1
        r = desk.run("ingest", "-", input=make_mail(msgid="<after@c.example>"))
        assert r.code == 75 and "No space left on device" in r.err, r
        full = desk.run("status")
        said = "storage: its file system is out of inodes (0 free, with "
        assert full.code == 2 and said in full.out, full.out
        assert "MB free" in full.out and "is full (" not in full.out, full.out
        for n in range(made - 200, made):  # files removed: no longer full
            (mnt / "ballast" / str(n)).unlink()
        assert "storage: its file system" not in desk.run("status").out
        desk.ingest(make_mail(msgid="<after@c.example>"))


def test_a_status_note_that_cannot_be_written_leaves_nothing(tmp_path):
    """The listener's «answered 451» note on a full disk: its temp file is made (an
    inode, no data block), its write fails; each try left an empty one behind."""
    from maild import status

    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=4) as mnt:
        (mnt / "run").mkdir()
        fill(mnt)
        for _ in range(3):
            status.note(mnt, status.LISTENER_STALLED, {"since": "now", "error": "full"})
        assert list((mnt / "run").iterdir()) == []


def test_status_says_when_the_outbox_cannot_record_and_sends_nothing(tmp_path, sink):
    """outbox/sent/ not writable (a mount gone read-only; for maild's user, its mode):
    the sender sends nothing, rightly, and logged it each pass; `maild status` said
    «healthy, 0 failing» for ever, since no mail was ever tried."""
    # a pass that could not record pauses the sender 5 s, doubling (outbound.PAUSE_FIRST),
    # and the pass after the pause comes with the next of every 5 s (OUTBOX_INTERVAL);
    # shorter here: the test waits for that pass, not for the length of either
    pace = {"maild.adapters.outbound.PAUSE_FIRST": 0.5, "maild.server.OUTBOX_INTERVAL": 0.5}
    desk, daemon, send = _serving(tmp_path, sink, pace)
    sent = tmp_path / "data" / "outbox" / "sent"
    try:
        with read_only(sent):
            send("k@shop.example")
            _wait_in_log(daemon, "cannot record sent mail")
            r = desk.run("status")
            assert r.code == 2 and "outbox: sending stopped (since " in r.out, r.out
            assert f"cannot record sent mail in {sent}: not writable" in r.out
            assert sink.received == []
        send("m@shop.example")  # a pass: it sends again
        assert len(sink.wait_for(6, timeout=30)) == 6
        deadline = time.monotonic() + 10  # (the note goes once the pass has ended)
        while "sending stopped" in (out := desk.run("status").out):
            assert time.monotonic() < deadline, out
            time.sleep(0.1)
    finally:
        daemon.stop()


def test_a_queue_that_takes_no_record_sends_nothing_and_nothing_twice(tmp_path, sink):
    """outbox/queue/ not writable (a mount gone read-only, its mode, `chattr +i`): the
    move of a sent mail out of it fails, and so does the mark beside it; each `outbox
    flush` (and each restart of serve) sent the same mail again. Nothing is sent while
    queue/ takes no record, and the error names queue/; once it does, each mail goes
    once."""
    desk = Desk(tmp_path, sink.port)
    desk.ingest(make_mail(sender="ivan@shop.example", msgid="<q1@c.example>"))
    queued = {m["message_id"] for m in desk.run("outbox", "list", "--json").json()}
    queue = tmp_path / "data" / "outbox" / "queue"
    with read_only(queue):
        for _ in range(2):
            r = desk.run("outbox", "flush")
            assert r.code == 75 and f"sent mail out of {queue}: not writable" in r.err, r.err
        assert sink.received == []
    assert desk.run("outbox", "flush").code == 0
    got = Counter(r.msg["Message-ID"] for r in sink.wait_for(len(queued)))
    time.sleep(0.3)
    assert set(got) == queued and len(sink.received) == len(queued)


def test_a_mail_neither_recorded_nor_marked_is_not_sent_again_by_its_sender(tmp_path):
    """The relay took it, then queue/ went read-only: neither the move to sent/ nor
    the mark beside it can be made. The process that sent it knows: once queue/
    takes writes again, its next pass records the mail and does not send it again."""
    outbox = Outbox(tmp_path / "outbox")
    headers = {"From": "support@example.com", "To": "ivan@shop.example",
               "Subject": "[TID#1000-0001] Re", "Message-ID": "<n1@example.com>"}  # fmt: skip
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\nanswer\r\n"
    assert outbox.enqueue("mail-1", Mail(headers, raw.encode()), [headers["To"]])
    stack = contextlib.ExitStack()
    sink = relay_that_at(1, lambda: stack.enter_context(read_only(outbox.queue)))
    try:
        cfg = OutboundConfig(host="127.0.0.1", port=sink.port, timeout=120)  # (mount(8) waits)
        with stack:
            assert outbox.flush(cfg) == (1, 0) and outbox.stopped
            assert not list(outbox.queue.glob("*.sent"))  # no mark either
        assert outbox.flush(cfg) == (0, 0) and outbox.stopped is None
    finally:
        sink.stop()
    assert len(sink.received) == 1
    assert (outbox.sent / "mail-1.mail").exists() and outbox.entries() == []


def test_mail_queued_while_the_sender_pauses_goes_as_the_pause_ends(tmp_path, sink):
    """A pass that could not record pauses the sender (outbound.PAUSE_FIRST, 5 s); the
    wake-up of mail queued in the pause found it paused and was spent, and the mail
    waited for the next timer pass (OUTBOX_INTERVAL, 5 s, after it): up to 10 s late
    once sent/ took records again. The next pass comes as the pause ends. The pause is
    the real one; the interval is long here, so that a pass it brings shows."""
    from maild.adapters.outbound import PAUSE_FIRST

    desk, daemon, send = _serving(tmp_path, sink, {"maild.server.OUTBOX_INTERVAL": 120.0})
    try:
        with read_only(tmp_path / "data" / "outbox" / "sent"):
            send("k@shop.example")
            _wait_in_log(daemon, "cannot record sent mail")
            paused = time.monotonic()  # the pause began before: it ends before this + 5 s
        send("m@shop.example")  # queued in the pause
        assert len(sink.wait_for(6, timeout=PAUSE_FIRST + 10)) == 6, daemon.logtext()
        assert time.monotonic() - paused < PAUSE_FIRST + 10
    finally:
        daemon.stop()


def _serving(tmp_path, sink: Sink, pace: dict[str, float]):
    """A desk served by `maild serve` (its timers `pace`d: tests/pace.py) with an SMTP
    listener; the daemon, and a function that mails support from an address."""
    import smtplib

    from tests.helpers import Daemon, free_port

    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    daemon = Daemon(desk, pace=pace).start()

    def send(sender: str) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            c.sendmail(sender, [SUPPORT], make_mail(sender=sender))

    return desk, daemon, send


def _wait_in_log(daemon, text: str) -> None:
    deadline = time.monotonic() + 20
    while text not in daemon.logtext():
        assert time.monotonic() < deadline, daemon.logtext()
        time.sleep(0.05)


def test_a_write_on_a_full_disk_leaves_no_temp_file(tmp_path):
    """durable.write_atomic on a full disk: its temp file is made (an inode), the write
    of its bytes fails and the temp is removed; a half-written one left by each try
    (a ticket saved again, a note) kept the disk full after its space came back."""
    from maild.adapters.durable import write_atomic

    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=4) as mnt:
        (mnt / "t").mkdir()
        fill(mnt)
        for _ in range(3):
            with contextlib.suppress(OSError):
                write_atomic(mnt / "t" / "ticket.json", b"x" * (64 << 10))
        assert list((mnt / "t").iterdir()) == []


def test_a_full_disk_stops_every_relay_connection_of_the_pass(tmp_path):
    """A pass shares its mail over parallel relay connections (outbound.py). When one
    cannot record a mail on the full disk, the pass stops: the others send no more
    than the mail each had on its way. Going on, they spent the reserve kept for the
    records of mail the relay already took on mail sent after the disk was full,
    and once it is spent a mail the relay took may be neither recorded nor marked,
    and go again."""
    from maild.adapters.outbound import PARALLEL_CONNECTIONS

    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16) as mnt:
        ballast = []
        sink = relay_that_at(FILL_AT, lambda: ballast.append(fill(mnt)))
        try:
            desk, queued = _desk_with_queued_mail(tmp_path, mnt, sink.port)
            assert len(queued) >= 8 * PARALLEL_CONNECTIONS * 4  # each connection has plenty

            full = desk.run("outbox", "flush")
            assert ballast and full.code == 75, full.err
            taken = len(sink.received)
            # after the fill: the records that still found room (20 mails in all
            # here) and the mail on its way on each connection; going on, the other
            # three connections sent all of theirs (140)
            assert FILL_AT <= taken < FILL_AT + len(queued) // PARALLEL_CONNECTIONS, taken

            ballast[0].unlink()
            assert desk.run("outbox", "flush").code == 0
            sent = Counter(r.msg["Message-ID"] for r in sink.received)
        finally:
            sink.stop()
    assert set(sent) == queued and max(sent.values()) == 1
