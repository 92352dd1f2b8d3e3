"""`maild status` and the `[metrics] listen` endpoint against a running `maild serve`."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import stat
import subprocess
import sys
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import AS_ME, QUICK_RETRIES, Daemon, Desk, free_port, make_mail, wait_until

# the daemons of the tests that wait for the try after a fault is mended, not its length
PACE = QUICK_RETRIES


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    return {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_status_and_metrics_of_a_running_service(tmp_path, sink):
    mport = free_port()
    desk = Desk(
        tmp_path,
        sink.port,
        smtp={"listen": f"127.0.0.1:{free_port()}"},
        metrics={"listen": f"127.0.0.1:{mport}"},
    )
    r = desk.run("status")  # before the first start there is no store: says so, makes none
    assert r.code == 78 and "no maild store there yet" in r.err
    assert not (tmp_path / "data").exists()
    desk.make_store()  # the desk's setup makes it
    r = desk.run("status")
    assert r.code == 2 and "is maild serve running?" in r.out  # nothing ran yet
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail("ivan@shop-example.ru", ["support@example.com"], make_mail())
        assert wait_until(lambda: sink.to("ivan@shop-example.ru"))
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        # each staff member's copy of the notice may still be on its way: the queue empties
        assert wait_until(lambda: desk.run("status", "--json").json()["outbox"]["queued"] == 0)
        figures = desk.run("status", "--json").json()
        assert figures["state"] == "healthy" and figures["tickets"] == {"open": 1, "overdue": 0}
        assert figures["spool"]["pending"] == 0 and figures["outbox"]["queued"] == 0
        assert figures["scheduler"]["last_run"] is not None
        m = wait_until(lambda: (m := scrape(mport))["maild_mail_sent_total"] >= 1 and m)
        assert m["maild_mail_received_total"] == 1 and m["maild_tickets_opened_total"] == 1
        assert m["maild_processing_seconds_count"] == 1 and m["maild_tickets_open"] == 1
        assert m['maild_processing_seconds_bucket{le="+Inf"}'] == 1 and m["maild_health"] == 0

        sink.stop()  # the relay goes away: the next confirmation fails
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail("petr@x.example", ["support@example.com"], make_mail(sender="p@x.example"))
        assert wait_until(lambda: desk.run("status").code == 1), desk.run("status").out
        r = desk.run("status")

        def all_tried():  # confirmation, staff's copies: each failed once, not just some
            outbox = desk.run("status", "--json").json()["outbox"]
            return outbox["queued"] == outbox["failing"] >= 1

        assert wait_until(all_tried) and "oldest error: to " in r.out
        assert wait_until(lambda: scrape(mport)["maild_mail_failed_total"] >= 1)
        lines = daemon.logtext().splitlines()  # the relay is down: one line names them
        assert [x for x in lines if "not sent" in x and "p@x.example" in x], lines
        print(r.out)  # what an admin sees (pytest -s)
    finally:
        daemon.stop()
        sink.start = lambda: None  # the fixture's stop() must not fail on a stopped sink
        sink.stop = lambda: None


def test_an_imap_poller_without_contact_since_it_started_is_told_at_once(tmp_path, sink):
    """Restarted with a new, broken IMAP setup (a wrong port, a folder missing), maild
    counted the previous run's last contact: «healthy» for up to 15 minutes."""
    import os
    from datetime import UTC, datetime, timedelta

    from maild import status

    desk = Desk(tmp_path, sink.port, imap={"host": "127.0.0.1", "username": "u", "password": "p"})
    desk.make_store()  # (makes the store)
    root = tmp_path / "data"
    now = datetime.now(UTC)
    status.mark(root, status.IMAP_MARK, now - timedelta(minutes=10))  # the last run's
    started = {"at": (now - timedelta(minutes=5)).isoformat(), "pid": os.getpid()}
    status.note(root, status.IMAP_STARTED, started)
    imap = desk.run("status", "--json").json()["imap"]
    assert 290 < imap["waiting"] < 400
    assert "no contact with the server since maild started" in desk.run("status").out
    status.mark(root, status.IMAP_MARK, now)  # this run's first round
    assert desk.run("status", "--json").json()["imap"]["waiting"] is None


def test_status_counts_the_open_tickets_past_their_reaction_time(desk):
    """The overdue figure of `maild status --json` (and the metrics' gauge
    maild_tickets_overdue an alert rests on) counts the tickets whose deadline has
    passed, not the ones still in time."""
    desk.make_store()
    month_ago = datetime.now(UTC) - timedelta(days=30)
    ingest(App(load(desk.config), clock=lambda: month_ago), make_mail(msgid="<old@c>"))
    ingest(App(load(desk.config)), make_mail(sender="petr@x.example", msgid="<new@c>"))
    r = desk.run("status", "--json")
    assert r.json()["tickets"] == {"open": 2, "overdue": 1}, r.out


def test_status_reports_a_processing_fault(desk):
    desk.make_store()  # (a read command would refuse)
    run = Path(desk.sections["storage"]["path"]) / "run"
    run.mkdir()
    fault = {"since": "2026-12-02T10:00:00+00:00", "error": "disk full", "path": "/var/lib/x"}
    (run / "fault.json").write_text(json.dumps(fault))
    r = desk.run("status", "--json")
    assert r.code == 2 and r.json()["fault"] == fault
    assert "processing paused: disk full (/var/lib/x)" in r.json()["reasons"]


def test_status_text_gives_every_time_in_the_desk_s_zone(desk):
    """The fault's time is the desk's (+03:00), the notes in run/ are UTC: one output
    said "fault since ...T05:40:19+03:00" beside "(since ...T02:40:19+00:00)". The text
    gives both in support.timezone; --json as they were recorded."""
    desk.make_store()  # (a read command would refuse)
    run = Path(desk.sections["storage"]["path"]) / "run"
    run.mkdir()
    fault = {"since": "2026-12-06T05:40:19.5+03:00", "error": "disk full", "path": "/x"}
    stopped = {"why": "cannot record", "since": "2026-12-06T02:40:19+00:00"}
    (run / "fault.json").write_text(json.dumps(fault | {"pid": os.getpid()}))
    (run / "outbox_stopped.json").write_text(json.dumps(stopped | {"pid": os.getpid()}))
    text = desk.run("status").out
    assert "fault since 2026-12-06T05:40:19+03:00: disk full" in text, text
    assert "sending stopped (since 2026-12-06T05:40:19+03:00)" in text, text
    assert "+00:00" not in text, text
    figures = desk.run("status", "--json").json()
    assert figures["fault"]["since"] == fault["since"]
    assert figures["outbox"]["stopped"]["since"] == stopped["since"]


def test_status_counts_mail_a_crashed_worker_held(desk):
    """A worker killed while it holds claimed mail leaves it in spool/claimed/<pid>/
    until `maild serve` starts again: status and the metrics' gauges still count it
    as not processed (it said "0 pending" while the mail waited for a restart)."""
    desk.make_store()  # (a read command would refuse)
    spool = Path(desk.sections["storage"]["path"]) / "spool"
    crash = (
        "import os, sys; from pathlib import Path; from maild.adapters.spool import Spool\n"
        "s = Spool(Path(sys.argv[1])); key = s.add(sys.stdin.buffer.read())\n"
        "assert s.claim(key); os._exit(9)  # dies holding the claim\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", crash, str(spool)], input=make_mail(), capture_output=True
    )
    assert p.returncode == 9, p.stderr
    assert not list((spool / "new").iterdir())
    r = desk.run("status", "--json")
    assert r.json()["spool"]["pending"] == 1, r.out
    assert r.json()["spool"]["oldest_age"] is not None


def test_a_fault_of_a_killed_daemon_is_not_reported_as_current(tmp_path, sink):
    """`maild serve` killed (-9) while processing is paused: status said "processing
    paused" as if a daemon were retrying. It says the daemon is not running, and a
    new `maild serve` takes the fault file over (it reports the fault again only once
    it meets it itself)."""
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    data = tmp_path / "data"
    fault_file = data / "run" / "fault.json"

    shards = [data / "tickets" / f"{n:02d}" for n in range(100)]

    def break_tickets() -> None:  # a file where a ticket's folder goes: writing it fails
        for shard in shards:
            shard.write_text("")

    def mend_tickets() -> None:
        for shard in shards:
            shard.unlink()

    daemon = Daemon(desk, pace=PACE).start()
    try:
        break_tickets()
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail("ivan@shop-example.ru", ["support@example.com"], make_mail())
        fault = wait_until(lambda: fault_file.exists() and json.loads(fault_file.read_text()))
        assert fault["pid"] == daemon.proc.pid
    finally:
        daemon.kill()
    mend_tickets()
    r = desk.run("status", "--json")
    figures = r.json()
    assert r.code == 2 and figures["fault"] is None, r.out
    assert figures["stale_fault"]["pid"] == fault["pid"]
    reason = f"maild serve (pid {fault['pid']}) is not running: it stopped while processing"
    assert any(x.startswith(reason) for x in figures["reasons"]), figures["reasons"]
    assert not any("processing paused" in x for x in figures["reasons"])
    text = desk.run("status").out
    assert f"stale fault of a stopped process (pid {fault['pid']})" in text, text

    break_tickets()  # still there when maild serve starts again
    daemon = Daemon(desk, pace=PACE).start()
    try:
        again = wait_until(
            lambda: (
                fault_file.exists()
                and (f := json.loads(fault_file.read_text()))["pid"] == daemon.proc.pid
                and f
            )
        )
        assert again["since"] == fault["since"]  # one fault, across the restart
        mend_tickets()
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        assert len(desk.tickets()) == 1 and not fault_file.exists()
    finally:
        assert daemon.stop() == 0
    log = daemon.logtext()
    assert "the last run stopped while processing was paused since" in log
    assert "processing works again" in log


def test_signing_keys_in_the_storage_are_made_0600_and_warned_once_others_can_read(tmp_path, sink):
    """reply_secret and web_secret sign reply addresses and the site's links: made
    0600 whatever the umask; a chmod that lets every user read them is a warning of
    check-config, a log line at serve's start and a degraded status."""
    desk = Desk(tmp_path, sink.port, web={"base_url": "https://support.example.com"})
    desk.sections["web"]["listen"] = f"127.0.0.1:{free_port()}"
    desk.sections["support"].pop("reply_secret")  # maild makes and keeps its own
    desk.write_config()
    saved = os.umask(0)
    try:
        desk.make_store()  # the first command makes the keys
    finally:
        os.umask(saved)
    keys = [tmp_path / "data" / name for name in ("reply_secret", "web_secret")]
    assert [stat.S_IMODE(k.stat().st_mode) for k in keys] == [0o600, 0o600]
    r = desk.run("check-config")
    assert r.code == 0 and "signing key" not in r.err
    for key in keys:
        key.chmod(0o644)
    r = desk.run("check-config")
    assert r.code == 0 and r.out.strip().endswith(": OK")
    warned = [x for x in r.err.splitlines() if "signing key" in x]
    assert warned == [
        f"maild: warning: {desk.config}: {k} is a signing key every user of this host can "
        f"read (mode 0644): chmod 600 {k}"
        for k in keys
    ]
    daemon = Daemon(desk).start()
    try:
        assert all(w.removeprefix("maild: warning: ") in daemon.logtext() for w in warned)
        assert wait_until(lambda: desk.run("status").code == 1), desk.run("status").out
        reasons = desk.run("status", "--json").json()["reasons"]
        assert reasons == [w.split(": ", 3)[3] for w in warned]
        for key in keys:
            key.chmod(0o600)
        assert desk.run("status").code == 0
    finally:
        daemon.stop()


def test_status_says_at_once_that_a_killed_daemon_is_not_running(tmp_path, sink):
    """After `kill -9` of `maild serve` status said "healthy" for ten minutes (until the
    scheduler's last run was old): a monitor saw nothing while no mail was taken."""
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
    finally:
        daemon.kill()
    r = desk.run("status", "--json")
    figures = r.json()
    assert r.code == 2 and figures["serve_crashed"]["pid"] == daemon.proc.pid, r.out
    reason = f"maild serve (pid {daemon.proc.pid}, running since "
    assert figures["reasons"][0].startswith(reason), figures["reasons"]
    assert "ended without stopping (killed or crashed)" in desk.run("status").out
    # a backup restored elsewhere has no daemon yet, not a crashed one
    assert desk.run("backup", str(tmp_path / "b.tar.gz")).code == 0
    assert (
        desk.run(
            "restore", str(tmp_path / "b.tar.gz"), "--storage", str(tmp_path / "r"), *AS_ME
        ).code
        == 0
    )
    assert not (tmp_path / "r" / "run" / "serve.json").exists()

    killed = (tmp_path / "data" / "run" / "serve.json").read_text()
    daemon = Daemon(desk).start()  # the new one takes the note over; a clean stop ends it
    try:
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        # a serve started on a full disk could not write its own: the killed one's stays,
        # and a monitor was told for good that no serve runs, while this one did
        (tmp_path / "data" / "run" / "serve.json").write_text(killed)
        r = desk.run("status", "--json")
        assert r.code == 0 and r.json()["serve_crashed"] is None, r.out
    finally:
        assert daemon.stop() == 0
    r = desk.run("status", "--json")  # stopped, not crashed: still not running
    assert r.code == 2 and r.json()["serve_crashed"] is None, r.out
    assert r.json()["serve"]["running"] is False


def test_status_names_a_corrupt_registry_that_holds_all_new_mail(tmp_path, sink):
    """A registry.json broken by a hand edit: every new mail waits in the spool («until
    the file is mended»), and status said only that mail waits, 120 s later, with no
    fault. It names the file and what to do at once, and clears once it is mended."""
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    assert desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", "a@b.c").code == 0
    registry = tmp_path / "data" / "registry.json"
    good = registry.read_bytes()
    registry.write_text('{"licenses": [\n')
    daemon = Daemon(desk, pace=PACE).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail("ivan@shop-example.ru", ["support@example.com"], make_mail())
        r = wait_until(lambda: (r := desk.run("status", "--json")).json()["fault"] and r)
        assert r.code == 2 and r.json()["fault"]["path"] == str(registry), r.out
        text = desk.run("status").out
        assert f"processing paused: {registry} cannot be read" in text, text
        assert "maild fsck" in text and "registry.json: fix its JSON or restore it" in text
        registry.write_bytes(good)
        assert wait_until(lambda: desk.run("ticket", "list", "--json").json())
        assert wait_until(lambda: desk.run("status", "--json").json()["fault"] is None)
    finally:
        daemon.stop()


@pytest.mark.daily_mail
def test_status_says_when_a_daily_job_last_ran_for_a_day_ahead(desk):
    """`maild jobs run --now` a day ahead (or a clock set forward once) counts the days
    up to it as done: no SLA report nor digest went out until then, and status said
    nothing of it."""
    desk.ingest(make_mail())
    calendar = App(load(desk.config)).calendar
    day = date.today() + timedelta(days=60)  # a business day two months ahead
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    assert desk.run("jobs", "run", "--now", f"{day}T09:05:00+03:00").code == 0
    r = desk.run("status", "--json")
    said = " ".join(r.json()["reasons"])
    root = desk.root / "data"
    assert f"the daily SLA report last ran for {day}, a day still ahead" in said, said
    # the likely cause named first: README suggests the run, the clock was fine
    assert "a day still ahead (likely a `maild jobs run --now` for a later day, else the " in said
    assert f"rm {root / 'daily_report.last'} to run it now" in said
    assert f"the morning digest last ran for {day}" in said
    for job in ("the attachment sweep", "the sent mail sweep", "the address record sweep"):
        assert f"{job} last ran for {day}" in said, said  # the file each sweep marks
    (root / "daily_report.last").unlink()
    (root / "digest.last").unlink()
    for name in ("attachments_swept", "sent_swept", "addresses_swept"):
        (root / "run" / name).unlink(missing_ok=True)
    said = " ".join(desk.run("status", "--json").json()["reasons"])
    assert "a day still ahead" not in said


def test_a_metrics_port_serve_cannot_have_is_named_by_status(tmp_path, sink):
    """serve logs it and runs on without the endpoint (mail goes on): status said
    healthy while Prometheus got nothing. Degraded, naming the port and the error,
    until a serve starts that has it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        desk = Desk(tmp_path, sink.port, metrics={"listen": listen})
        desk.run("license", "list")  # the store
        daemon = Daemon(desk).start()
        try:
            assert wait_until(lambda: desk.run("status").code == 1), desk.run("status").out
            r = desk.run("status")
            [line] = [x for x in r.out.splitlines() if x.startswith("! metrics: ")]
            assert f"cannot listen on {listen}: Address already in use" in line, line
            failed = desk.run("status", "--json").json()["metrics"]["listen_failed"]
            assert failed["listen"] == listen and failed["pid"] == daemon.proc.pid
        finally:
            daemon.stop()
    daemon = Daemon(desk).start()  # the port is free now
    try:
        assert wait_until(lambda: desk.run("status").code == 0), desk.run("status").out
        assert desk.run("status", "--json").json()["metrics"] == {"listen_failed": None}
    finally:
        daemon.stop()


def test_metrics_listen_on_an_ipv6_address_in_brackets(tmp_path, sink):
    """`metrics.listen = "[::1]:PORT"`, as every other listen key writes IPv6: the
    endpoint listens on ::1 (the brackets are the key's, not the host's) and status
    names no listen failure."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError as e:
        pytest.skip(f"no IPv6 loopback here: {e}")
    desk = Desk(tmp_path, sink.port, metrics={"listen": f"[::1]:{port}"})
    desk.make_store()
    daemon = Daemon(desk).start()
    url = f"http://[::1]:{port}/metrics"

    def scraped() -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return r.read()
        except OSError:  # not listening yet
            return b""

    try:
        assert wait_until(lambda: b"maild_" in scraped()), url
        assert desk.run("status", "--json").json()["metrics"] == {"listen_failed": None}
    finally:
        daemon.stop()


def test_status_refused_a_storage_names_the_config_file_and_gives_json(tmp_path, sink):
    """ "config error: storage.path ...: no maild store there yet" named no config file
    (every other config error does), and `status --json` printed nothing to parse."""
    desk = Desk(tmp_path, sink.port)
    r = desk.run("status")
    [line] = r.err.strip().splitlines()
    assert r.code == 78 and line.startswith(f"maild: config error: {desk.config}: storage.path ")
    assert "no maild store there yet" in line and r.out == ""
    r = desk.run("status", "--json")
    assert r.code == 78 and r.json() == {"config": str(desk.config), "error": line[7:]}
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("not a store")
    r = desk.run("ticket", "list")
    assert r.code == 78 and f"config error: {desk.config}: storage.path {data}: " in r.err
    assert not (tmp_path / "data" / "tickets").exists()


def test_each_daemon_counts_in_its_own_counters(tmp_path, sink):
    """The metrics' counters are the daemon's that serves them (made before it forks
    its children, handed to what counts): two daemons of one process count apart, and
    one without [metrics] counts nothing, where one set of the process's counted for
    whichever daemon had last turned metrics on."""
    from maild.metrics import NAMES
    from maild.server import Daemon as Served

    def daemon(name: str, **kw: dict[str, str]) -> Served:
        (tmp_path / name).mkdir()
        return Served(App(load(Desk(tmp_path / name, sink.port, **kw).config)))

    listen = {"listen": f"127.0.0.1:{free_port()}"}
    one, two, off = daemon("one", metrics=listen), daemon("two", metrics=listen), daemon("off")
    for key in ("a", "b"):
        one.enqueue(key)
    off.enqueue("c")
    assert one.counters is not None and two.counters is not None and off.counters is None
    received = NAMES.index("received")
    assert one.counters.snapshot()[received] == 2 and two.counters.snapshot()[received] == 0
