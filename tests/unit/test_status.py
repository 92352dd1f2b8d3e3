"""maild.status.assess: the verdict from the figures (pure)."""

from __future__ import annotations

import fcntl
import io
import os
import struct
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from maild import servecheck
from maild.metrics import SLOTS, Counters, exposition
from maild.status import DEGRADED, FAILING, HEALTHY, _outbox, assess
from maild.unreadables import UNREADABLE


def figures(**changes):
    f = {
        "spool": {"pending": 0, "oldest_age": None, "shunted": 0},
        "outbox": {"queued": 0, "failing": 0, "refused": 0, "oldest_error": None},
        "imap": None,
        "scheduler": {"last_run": "2026-12-02T10:00:00+00:00", "age": 30.0},
        "tickets": {"open": 2, "overdue": 1},
        "fault": None,
    }
    for key, value in changes.items():
        f[key] = value
    return f


def error(age: float) -> dict:
    return {"id": "x", "to": ["a@b.c"], "error": "550 no", "attempts": 2, "queued_age": age}


@pytest.mark.parametrize(
    ("changes", "state", "needle"),
    [
        ({}, HEALTHY, None),
        ({"spool": {"pending": 3, "oldest_age": 300.0, "shunted": 0}}, DEGRADED, "spool"),
        ({"spool": {"pending": 3, "oldest_age": 1000.0, "shunted": 0}}, FAILING, "spool"),
        ({"spool": {"pending": 0, "oldest_age": None, "shunted": 1}}, DEGRADED, "shunted"),
        (
            {"outbox": {"queued": 1, "failing": 1, "refused": 0, "oldest_error": error(60)}},
            DEGRADED,
            "550",
        ),
        (
            {"outbox": {"queued": 1, "failing": 1, "refused": 0, "oldest_error": error(4000)}},
            FAILING,
            "a@b.c",
        ),
        ({"scheduler": {"last_run": None, "age": None}}, FAILING, "maild serve running"),
        ({"imap": {"last_contact": None, "age": None}}, FAILING, "imap"),
        ({"imap": {"last_contact": "x", "age": 10.0}}, HEALTHY, None),
        # restarted into a broken setup: the last run's contact is not this one's
        ({"imap": {"last_contact": "x", "age": 600.0, "waiting": 300.0}}, DEGRADED, "started"),
        ({"imap": {"last_contact": "x", "age": 600.0, "waiting": 30.0}}, HEALTHY, None),
        ({"fault": {"since": "s", "error": "disk full", "path": "/p"}}, FAILING, "disk full"),
        ({"stale_fault": {"pid": 7, "error": "disk full"}}, FAILING, "(pid 7) is not running"),
        # stopped (SIGTERM) or never started: at once, not once the scheduler's run is old
        ({"serve": {"running": False}}, FAILING, "maild serve is not running"),
        ({"serve": {"running": True, "pid": 7}}, HEALTHY, None),
        ({"serve": {"running": None, "error": "run/serve.lock: Permission denied"}}, HEALTHY, None),
    ],
)
def test_assess(changes, state, needle):
    got, reasons = assess(figures(**changes))
    assert got == state
    assert (needle is None and reasons == []) or any(needle in r for r in reasons)


def test_a_storage_serve_never_ran_on_is_told_serve_is_not_running(tmp_path):
    """No run/serve.lock (serve never ran here, a restored backup) is no process holding
    it: status says serve is not running and what to do, not that it cannot be told;
    a lock file no process holds says the same."""
    assert servecheck.probe(tmp_path) == {
        "running": False,
        "pid": None,
        "error": None,
        "stopped": False,
    }
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "serve.lock").touch()
    assert servecheck.probe(tmp_path) == {
        "running": False,
        "pid": None,
        "error": None,
        "stopped": False,
    }
    assert servecheck.line(servecheck.probe(tmp_path)) == "serve: not running"


def test_a_holder_whose_pid_cannot_be_told_is_running_without_a_pid(tmp_path):
    """A lock whose holder the kernel does not name (one of another PID namespace has
    l_pid 0, an open file description's lock -1): serve runs, and status names no pid,
    not «pid -1»."""
    (tmp_path / "run").mkdir()
    lock = tmp_path / "run" / "serve.lock"
    lock.touch()
    setlk = getattr(fcntl, "F_OFD_SETLK", None)
    if setlk is None:
        pytest.skip("no F_OFD_SETLK on this system")
    fd = os.open(lock, os.O_RDWR)
    try:  # an OFD write lock: F_OFD_GETLK reports its l_pid as -1
        fcntl.fcntl(fd, setlk, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
        serve = servecheck.probe(tmp_path)
        assert serve == {"running": True, "pid": None, "error": None, "stopped": False}
        assert servecheck.line(serve) == "serve: running"
        assert servecheck.reasons(serve) == []
    finally:
        os.close(fd)


def test_exposition_is_prometheus_text():
    f = figures()
    f["state"] = "healthy"
    text = exposition([0.0] * SLOTS, f)
    assert "# TYPE maild_mail_received_total counter\nmaild_mail_received_total 0\n" in text
    assert 'maild_processing_seconds_bucket{le="+Inf"} 0' in text
    assert "maild_tickets_overdue 1" in text and "maild_imap" not in text
    assert "maild_spool_oldest_age_seconds" not in text  # nothing pending: no sample


def _samples(text: str) -> dict[str, str]:
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))


def test_the_histogram_is_cumulative_and_a_time_on_a_bound_is_inside_it():
    """Prometheus reads a histogram's bucket le="X" as every message done in X seconds
    or less (cumulative, the bound included: histogram_quantile rests on it); a time
    over the last bound is in +Inf alone. Each counter adds what it is given, one too."""
    counters = Counters()
    for seconds in (0.003, 0.1, 0.1, 0.7, 30.0):
        counters.observe(seconds)
    counters.add("received")
    counters.add("sent", 3)
    got = _samples(exposition(counters.snapshot(), figures(state="healthy")))
    bucket = 'maild_processing_seconds_bucket{le="%s"}'
    want = {"0.005": "1", "0.05": "1", "0.1": "3", "0.5": "3", "1": "4", "10": "4", "+Inf": "5"}
    assert {le: got[bucket % le] for le in want} == want
    assert got["maild_processing_seconds_count"] == "5"
    assert float(got["maild_processing_seconds_sum"]) == pytest.approx(30.903)
    assert got["maild_mail_received_total"] == "1" and got["maild_mail_sent_total"] == "3"


def test_the_gauges_an_alert_rests_on_say_a_fault_refused_mail_and_a_spool_that_fails():
    """A fault that pauses processing, mail the relay refused for good, and a spool
    that fails under `maild ingest` or the listener (mail deferred, answered 451) are
    what an admin's alert rule watches: each is a gauge, 1 (or the count) while so."""
    stall = {"since": "2026-12-02T10:00:00+00:00", "error": "No space left on device"}
    f = figures(
        fault={"since": "s", "error": "disk full", "path": "/p"},
        outbox={"queued": 0, "failing": 0, "refused": 2, "oldest_error": None},
        ingest={"spool_failing": stall},
        listener={"spool_failing": stall},
        state="failing",
    )
    got = _samples(exposition([0.0] * SLOTS, f))
    assert got["maild_fault"] == "1" and got["maild_outbox_refused"] == "2"
    assert got["maild_ingest_spool_failing"] == "1" and got["maild_health"] == "2"
    assert got["maild_listener_spool_failing"] == "1"
    got = _samples(exposition([0.0] * SLOTS, figures(listener={}, state="healthy")))
    assert (got["maild_fault"], got["maild_ingest_spool_failing"]) == ("0", "0")
    assert (got["maild_listener_spool_failing"], got["maild_outbox_refused"]) == ("0", "0")


def test_a_long_imap_round_is_no_fault_and_its_backlog_is_a_gauge():
    backlog = {"since": "2026-12-02T10:00:00+00:00", "left": 25000, "total": 30000, "pid": 7}
    f = figures(imap={"last_contact": "x", "age": 30.0, "backlog": backlog})
    assert assess(f) == (HEALTHY, [])
    f["state"] = "healthy"
    assert "\nmaild_imap_backlog 25000\n" in exposition([0.0] * SLOTS, f)
    f["imap"]["backlog"] = None
    assert "\nmaild_imap_backlog 0\n" in exposition([0.0] * SLOTS, f)


def test_a_message_the_imap_server_keeps_failing_to_give_is_degraded_and_a_gauge():
    """The rest of the mail flows: not failing, but the admin should look (the server's
    log, the message in a mail client)."""
    unfetchable = {
        "since": "2026-12-02T10:00:00+00:00",
        "folder": "INBOX",
        "uid": 7,
        "answer": "[SERVERBUG] Internal error occurred.",
        "retry": 300.0,
        "count": 2,
        "pid": 9,
        "age": 620.0,
    }
    f = figures(imap={"last_contact": "x", "age": 30.0, "unfetchable": unfetchable})
    assert assess(f) == (
        DEGRADED,
        [
            "imap: 2 message(s) in INBOX cannot be fetched from the server (UID 7 fails since "
            "2026-12-02T10:00:00+00:00, 620 s): [SERVERBUG] Internal error occurred.; each stays "
            "there untouched and is tried again every 300 s, the other mail is taken"
        ],
    )
    f["state"] = "degraded"
    assert "\nmaild_imap_unfetchable 2\n" in exposition([0.0] * SLOTS, f)
    f["imap"]["unfetchable"] = None
    assert "\nmaild_imap_unfetchable 0\n" in exposition([0.0] * SLOTS, f)


def test_a_message_spooled_that_the_imap_server_does_not_move_is_degraded_and_a_gauge():
    """Its ticket is made and the rest of the mail flows, but the server's quota or the
    processed folder wants the admin's look."""
    unmoved = {
        "since": "2026-12-02T10:00:00+00:00",
        "folder": "INBOX",
        "processed_folder": "Processed",
        "uid": 1,
        "message_id": "<q0@c>",
        "answer": "[OVERQUOTA] Quota exceeded (mailbox for user is full)",
        "retry": 300.0,
        "count": 3,
        "pid": 9,
        "age": 40.0,
    }
    f = figures(imap={"last_contact": "x", "age": 30.0, "unmoved": unmoved})
    assert assess(f) == (
        DEGRADED,
        [
            "imap: 3 message(s) stored but not moved to Processed: [OVERQUOTA] Quota exceeded "
            "(mailbox for user is full) (UID 1, Message-ID <q0@c>, since "
            "2026-12-02T10:00:00+00:00, 40 s); each is spooled (a ticket) and stays in INBOX, "
            "not taken again, the move is tried again every 300 s, the other mail is taken"
        ],
    )
    f["state"] = "degraded"
    assert "\nmaild_imap_unmoved 3\n" in exposition([0.0] * SLOTS, f)
    f["imap"]["unmoved"] = None
    assert assess(f) == (HEALTHY, [])
    assert "\nmaild_imap_unmoved 0\n" in exposition([0.0] * SLOTS, f)


def test_a_crashed_serve_is_told_as_before_not_twice():
    """kill -9 leaves run/serve.json: its line says so; the lock's line is not added."""
    crashed = {"pid": 7, "since": "2026-12-02T10:00:00+00:00"}
    got, reasons = assess(figures(serve={"running": False}, serve_crashed=crashed))
    assert got == FAILING and len(reasons) == 1
    assert "ended without stopping (killed or crashed)" in reasons[0]


REFUSED = {"at": "2026-12-02T10:00:00+00:00", "error": "ConnectionRefusedError: [Errno 111] "
           "Connection refused", "pid": 7, "age": 5.0}  # fmt: skip


@pytest.mark.parametrize(
    ("imap", "state", "reason"),
    [
        # no contact ever, or none lately: the reason names the last failure, not the log
        (
            {"age": None},
            FAILING,
            "imap: no contact with the server lately; the last try "
            "failed 5 s ago (at 2026-12-02T10:00:00+00:00): ConnectionRefusedError: [Errno 111] "
            "Connection refused",
        ),  # fmt: skip
        ({"age": 1200.0}, FAILING, "lately; the last try failed 5 s ago"),
        ({"age": 600.0, "waiting": 300.0}, DEGRADED, "since maild started; the last try fa"),
        ({"age": 60.0}, HEALTHY, None),  # a passing failure: named in the text line only
        ({"age": 1.0}, HEALTHY, None),  # a round went well since
    ],
)
def test_the_last_imap_failure_is_named_while_no_round_went_well_since(imap, state, reason):
    from maild.statustext import format_text

    f = figures(imap={"last_contact": "x", **imap, "last_error": REFUSED})
    got, reasons = assess(f)
    assert got == state
    assert (reason is None and reasons == []) or reason in reasons[0], reasons
    f.update(state="x", reasons=reasons, storage=None, tickets={"open": 0, "overdue": 0})
    [line] = [x for x in format_text(f).splitlines() if x.startswith("imap:")]
    named = "; the last try failed 5 s ago (at 2026-12-02T10:00:00+00:00): ConnectionRef"
    assert (named in line) == (imap["age"] != 1.0), line


@pytest.mark.parametrize(
    ("free", "said"),
    [
        (512 * 1024, ["storage: its file system is full (512 KB free): mail is answered 451"]),
        ((1 << 20) - 1, ["storage: its file system is full (1023 KB free)"]),
        (1 << 20, []),
        (None, []),  # not known: no word of it
    ],
)
def test_a_storage_under_a_megabyte_free_is_full_before_it_is_at_nothing(free, said):
    """Under 1 MB free the storage is full: the notes `maild status` reads are written
    there too, so a disk at its last bytes could not say so itself; at 1 MB it is not."""
    from maild.storagehealth import problems

    got = problems({"free_bytes": free, "read_only": False, "path": "/srv/maild"})
    assert len(got) == len(said) and all(g.startswith(s) for g, s in zip(got, said, strict=True)), (
        got
    )


@pytest.mark.parametrize(
    ("files", "said"),
    [
        (0, ["storage: its file system is out of inodes (0 free, with 300 MB)"]),
        (99, ["storage: its file system is out of inodes (99 free"]),
        (100, []),
        (None, []),  # not known (btrfs has no inode table): no word of it
    ],
)
def test_a_storage_under_a_hundred_free_inodes_is_full_whatever_space_it_has(files, said):
    """Each mail, ticket and note is a new file: a file system out of inodes refuses
    them with megabytes free, so under 100 free inodes the storage is full as under
    1 MB; the bytes' line is said first when both are short."""
    from maild.storagehealth import problems

    storage = {"free_bytes": 300 << 20, "free_files": files, "read_only": False, "path": "/srv"}
    got = problems(storage)
    assert len(got) == len(said) and all(g.startswith(s) for g, s in zip(got, said, strict=True)), (
        got
    )
    both = problems({**storage, "free_bytes": 0, "free_files": 0})
    assert len(both) == 1 and "is full (0 KB free)" in both[0], both


@pytest.mark.parametrize(
    ("files", "favail", "flag", "free_files", "read_only"),
    [
        (0, 0, 0, None, False),  # btrfs: 0 inodes of 0, no table: not known, not "none left"
        (1000, 50, os.ST_RDONLY, 50, True),  # mounted read-only (the kernel's remount)
    ],
)
def test_the_storage_figures_read_its_inodes_and_a_read_only_mount(
    tmp_path, files, favail, flag, free_files, read_only
):
    """statvfs's figures as status judges them: a file system without an inode table
    says 0 free of 0 (read as none left, status was failing on every btrfs storage),
    and its read-only flag is what stops the mail."""
    from maild import storagehealth

    st = SimpleNamespace(
        f_bavail=1 << 20, f_frsize=4096, f_files=files, f_favail=favail, f_flag=flag
    )
    got = storagehealth.read(st, tmp_path)
    assert (got["free_files"], got["read_only"]) == (free_files, read_only)
    assert bool(storagehealth.problems(got)) == read_only


def test_a_read_only_storage_is_failing_and_said_alone_whatever_space_it_has():
    """A storage mounted read-only (the kernel's remount after disk errors, the
    service's sandbox) stops the mail as a full one does: status is failing and says
    how to mount it back, whatever space is left; a full one is not said besides, as
    nothing can be freed there before it is read-write again."""
    from maild.storagehealth import problems

    for free in (300 << 20, 0):
        got = problems({"free_bytes": free, "read_only": True, "path": "/srv/maild"})
        assert len(got) == 1 and "/srv/maild is on a read-only file system" in got[0], got
    state, reasons = assess(
        figures(storage={"free_bytes": 300 << 20, "read_only": True, "path": "/srv/maild"})
    )
    assert state == FAILING and any("mount it read-write" in r for r in reasons), reasons


def test_the_text_says_the_held_mail_and_the_space_left():
    """The outbox line counts the mail a restore holds back (not tried until released),
    and nothing of it when none is held; the storage's free space is a line of its own,
    in MB."""
    from maild.statustext import format_text

    f = figures(state="degraded", reasons=[], storage={"free_bytes": 300 << 20})
    f["outbox"] = {"queued": 3, "failing": 0, "refused": 0, "oldest_error": None, "held": 2}
    lines = format_text(f).splitlines()
    assert "outbox: 3 queued, 0 failing, 0 refused, 2 held" in lines, lines
    assert "storage: 300 MB free" in lines, lines
    f["outbox"]["held"] = 0  # nothing held: not said
    assert "outbox: 3 queued, 0 failing, 0 refused" in format_text(f).splitlines()


def test_a_figure_taken_this_second_is_said_as_nought_seconds_not_never():
    """An age of 0 s (the scheduler ran, a mail was spooled, this very second) is said
    as such: "never" is for what never happened, and the spool's oldest is named."""
    from maild.statustext import format_text

    f = figures(state="healthy", reasons=[], storage=None)
    f["scheduler"] = {"last_run": "2026-12-02T10:00:00+00:00", "age": 0.0}
    f["spool"] = {"pending": 1, "oldest_age": 0.0, "shunted": 0}
    lines = format_text(f).splitlines()
    assert "scheduler: last run 0 s ago" in lines, lines
    assert "spool: 1 pending, oldest 0 s, 0 shunted" in lines, lines
    f["storage"] = {"free_bytes": 0}  # a full disk: its free space is said, 0 MB
    assert "storage: 0 MB free" in format_text(f).splitlines()


def test_the_oldest_error_names_every_recipient_of_the_mail():
    """The oldest failing mail's line names all its recipients, not the first alone:
    the admin looks for the address that fails."""
    from maild.statustext import format_text

    f = figures(state="degraded", reasons=[], storage=None)
    f["outbox"] = {"queued": 1, "failing": 1, "refused": 0, "oldest_error": error(60.0)}
    f["outbox"]["oldest_error"]["to"] = ["a@b.c", "typo@gmial.com"]
    lines = format_text(f).splitlines()
    assert "  oldest error: to a@b.c, typo@gmial.com: 550 no" in lines, lines


def test_the_imap_line_says_mail_cannot_be_spooled():
    """IMAP mail fetched that cannot be spooled (the storage refuses it) is said on
    the imap line: the server is reached, yet the mail stays in its folder."""
    from maild.statustext import format_text

    f = figures(state="failing", reasons=[], storage=None)
    f["imap"] = {"last_contact": "x", "age": 1.0, "spool_failing": True}
    [line] = [x for x in format_text(f).splitlines() if x.startswith("imap:")]
    assert line.startswith("imap: last contact 1 s ago, mail cannot be spooled"), line


def test_the_imap_line_counts_mail_that_cannot_be_fetched_or_moved():
    """Mail waiting in the polled folder that the server keeps failing to give, or that
    was spooled but not moved, is counted on the imap line of `maild status`; a backlog
    being taken says how many of how many are left."""
    from maild.statustext import format_text

    f = figures(state="degraded", reasons=[], storage=None)
    f["imap"] = {
        "last_contact": "x",
        "age": 1.0,
        "unfetchable": {"count": 2},
        "unmoved": {"count": 1, "processed_folder": "Processed"},
    }
    [line] = [x for x in format_text(f).splitlines() if x.startswith("imap:")]
    said = ", 2 message(s) cannot be fetched, 1 message(s) not moved to Processed"
    assert line == f"imap: last contact 1 s ago{said}", line
    f["imap"]["backlog"] = {"left": 40, "total": 100, "since": "2026-12-02T10:00:00+00:00"}
    lines = format_text(f).splitlines()
    backlog = "  taking a backlog: 40 of 100 message(s) left (the round began 2026-12-02T10:00"
    assert any(x.startswith(backlog) for x in lines), lines


@pytest.mark.parametrize(
    ("stat", "stopped"),
    [
        (b"42 (maild) S 1 42 42 0 -1", False),
        (b"42 (maild) T 1 42 42 0 -1", True),  # SIGSTOP
        (b"42 (maild) t 1 42 42 0 -1", True),  # a debugger's stop (gdb, strace -p)
        (b"42 (a) S (b) t 1 42 42 0 -1", True),  # its name may hold ") S": the last ")"
    ],
)
def test_a_serve_stopped_by_a_signal_or_a_debugger_is_told_stopped(monkeypatch, stat, stopped):
    """A serve held by a tracer ('t' in /proc/PID/stat) answers no mail as one stopped
    by SIGSTOP ('T') does; the state follows the process's name, which may hold
    anything, ")" too."""
    monkeypatch.setattr(servecheck, "open", lambda *a, **k: io.BytesIO(stat), raising=False)
    assert servecheck._stopped(42) is stopped


def test_a_serve_gone_meanwhile_is_not_told_stopped():
    """No /proc/PID/stat (the process ended since the lock was asked, or no /proc):
    running as far as the lock tells, not «stopped» with a kill -CONT to send."""
    assert servecheck._stopped(2**31 - 1) is False


@pytest.mark.parametrize(
    ("serve", "said"),
    [
        ({"running": True, "pid": 7, "error": None, "stopped": False}, "serve: running (pid 7)"),
        ({"running": True, "pid": None, "error": None, "stopped": False}, "serve: running"),
        ({"running": False, "pid": None, "error": None, "stopped": False}, "serve: not running"),
        (
            {"running": None, "pid": None, "error": "run/serve.lock: Permission denied"},
            "serve: cannot be told (run/serve.lock: Permission denied)",
        ),
    ],
)
def test_the_serve_line_says_what_the_lock_told(serve, said):
    """A lock this user cannot read is no serve stopped: «cannot be told» and why, not
    «not running», which sends an admin to restart a serve that runs."""
    assert servecheck.line(serve) == said


def test_mail_failing_for_an_hour_is_failing_whatever_failed_after_it(tmp_path):
    """The outbox's oldest failing mail decides: mail to one address refused for two
    hours is failing (exit 2), though mail queued a minute ago fails too; told by the
    newest failure, status said degraded and named the wrong address."""
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def entry(n: int, minutes: int) -> dict:
        queued_at = (now - timedelta(minutes=minutes)).isoformat()
        return {"id": f"m{n}", "to": [f"c{n}@client.example"], "last_error": "451 later",
                "attempts": 3, "queued_at": queued_at}  # fmt: skip

    entries = [entry(1, 120), entry(2, 1)]  # oldest first, as OutQueue.entries() lists
    outbox = SimpleNamespace(entries=lambda: entries, broken={}, refused_log=dict)
    app = SimpleNamespace(outbox=outbox, config=SimpleNamespace(storage_path=tmp_path))
    state, reasons = assess(figures(outbox=_outbox(app, now)))
    assert state == FAILING
    assert reasons == ["outbox: mail to c1@client.example fails for an hour: 451 later"]


def test_a_queue_file_maild_may_not_read_is_told_once_as_unreadable(tmp_path):
    """A queue file maild may not read is said as such, with its fix; it was also
    counted among the files «without their record or whole mail» (fsck cannot mend
    a file it may not read), beside one whose record is really missing."""
    locked, cut = tmp_path / "m1.eml", tmp_path / "m2.eml"
    broken = {str(locked): f"{UNREADABLE}: permission denied", str(cut): "no record"}
    outbox = SimpleNamespace(entries=list, broken=broken, refused_log=dict)
    app = SimpleNamespace(outbox=outbox, config=SimpleNamespace(storage_path=tmp_path))
    state, reasons = assess(figures(outbox=_outbox(app, datetime.now(UTC))))
    assert state == DEGRADED
    assert len(reasons) == 2 and str(locked) in reasons[0], reasons
    assert reasons[1].startswith("outbox: 1 queue file(s) without their record"), reasons


def test_each_gauge_is_its_own_figure():
    """An alert rule reads a gauge by its name: each carries its own figure of `maild
    status` (failing mail is not the queue's size, shunted mail not the pending, the
    IMAP login refused or mail it cannot spool is 1 while so, the ages are given)."""
    since = {"since": "2026-12-02T10:00:00+00:00", "error": "No space left on device"}
    f = figures(
        spool={"pending": 3, "oldest_age": 40.0, "shunted": 5},
        outbox={"queued": 7, "failing": 6, "refused": 2, "oldest_error": None},
        tickets={"open": 11, "overdue": 4},
        scheduler={"last_run": "2026-12-02T10:00:00+00:00", "age": 12.0},
        imap={"last_contact": "x", "age": 9.0, "login_refused": since, "spool_failing": since},
        state="failing",
    )
    got = _samples(exposition([0.0] * SLOTS, f))
    want = {
        "maild_spool_pending": "3",
        "maild_spool_oldest_age_seconds": "40",
        "maild_spool_shunted": "5",
        "maild_outbox_queued": "7",
        "maild_outbox_failing": "6",
        "maild_outbox_refused": "2",
        "maild_tickets_open": "11",
        "maild_tickets_overdue": "4",
        "maild_scheduler_last_run_age_seconds": "12",
        "maild_imap_last_contact_age_seconds": "9",
        "maild_imap_login_refused": "1",
        "maild_imap_spool_failing": "1",
    }
    assert {name: got.get(name) for name in want} == want
    f["imap"] = {"last_contact": "x", "age": 9.0}
    got = _samples(exposition([0.0] * SLOTS, f))
    assert (got["maild_imap_login_refused"], got["maild_imap_spool_failing"]) == ("0", "0")
