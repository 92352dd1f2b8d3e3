"""A message that fails by itself is shunted after storage.max_attempts, with one
alert naming it, and `maild spool list/retry` puts it back; when every message
fails, it is the environment: nothing is counted. A message whose process died
while working on it is counted too.

The failure is injected into the pipeline (no real message crashes maild), the
rest is real: the spool, the store, the outbox and the CLI."""

from __future__ import annotations

import json
import logging
import os

import pytest

from maild import runner
from maild.app import App
from maild.config import load
from maild.domain.limits import MAX_FAULT_CHARS
from maild.faults import Faults, read_fault, recover
from tests.helpers import make_mail

REAL_PROCESS = runner.process


@pytest.fixture
def app(desk, monkeypatch):
    def process(app, raw, **kw):
        if b"POISON" in raw or os.environ.get("TEST_ALL_FAIL"):
            raise ValueError("injected failure")
        return REAL_PROCESS(app, raw, **kw)

    monkeypatch.setattr(runner, "process", process)
    return App(load(desk.config))


HEAD_AND_STAFF = ["anna@example.com", "boris@example.com", "head@example.com"]


def _alerts(app: App) -> list[dict]:
    """The alert mails queued, one copy to each of head and staff."""
    mails = [m for m in app.outbox.entries() if m["kind"] == "alert"]
    assert sorted(m["to"][0] for m in mails) == sorted(HEAD_AND_STAFF * (len(mails) // 3))
    return [m for m in mails if m["to"] == ["head@example.com"]]


def test_a_poison_message_is_shunted_once_and_put_back(desk, app, monkeypatch):
    poison = app.spool.add(make_mail(subject="POISON", msgid="<p@c.example>"))
    faults = Faults(app)
    for n in range(3):
        good = app.spool.add(make_mail(sender=f"g{n}@c.example", msgid=f"<g{n}@c.example>"))
        result = runner.run_batch(app, [poison, good])
        assert result.ok == 1 and result.failed[0][0] == poison
        faults.after(result)
    assert app.spool.shunted() == [poison]
    assert len(desk.tickets()) == 3
    alerts = _alerts(app)
    assert len(alerts) == 1 and "не удалось обработать" in alerts[0]["subject"]
    assert poison in app.outbox.raw(alerts[0]["id"]).decode()
    listed = desk.run("spool", "list", "--json")
    assert listed.code == 0 and [r["id"] for r in listed.json()] == [poison]
    assert listed.json()[0]["message_id"] == "<p@c.example>"
    monkeypatch.setattr(runner, "process", REAL_PROCESS)
    retried = desk.run("spool", "retry", "--all", "--json")
    assert (retried.code, retried.json()) == (0, {"retried": [poison]})
    assert app.spool.shunted() == [] and list(app.spool.pending()) == [poison]
    assert app.spool.attempts(poison) == 0  # forgotten: max_attempts more tries
    assert runner.run_batch(app, [poison]).ok == 1
    assert len(desk.tickets()) == 4
    assert desk.run("spool", "retry", "nope").code == 1
    bare = desk.run("spool", "retry")  # neither a key nor --all: a usage error, one line
    assert bare.code == 64 and bare.err == "maild: give a spool id or --all\n", bare.err


def test_spool_list_tells_each_shunted_message_and_retry_names_what_it_did_not_find(desk):
    """What the admin decides by: `spool list --json` gives each message's tries (all
    of storage.max_attempts) and when it arrived; a message with no From: shows «-» in
    its column, not a gap; `spool retry` of an id not in spool/bad/ (a typo) puts
    nothing back, says so by name, and its JSON lists no such id as retried."""
    from datetime import UTC, datetime

    app = App(load(desk.config))
    key = app.spool.add(b"Subject: no sender\r\nMessage-ID: <ns@c.example>\r\n\r\nhi\r\n")
    for _ in range(app.config.storage.max_attempts):
        app.spool.failed(key)
    [row] = desk.run("spool", "list", "--json").json()
    assert (row["id"], row["attempts"]) == (key, app.config.storage.max_attempts), row
    age = datetime.now(UTC) - datetime.fromisoformat(row["received_at"])
    assert 0 <= age.total_seconds() < 600, row
    assert desk.run("spool", "list").out.split()[1:4] == [row["received_at"], "-", "no"]
    typo = desk.run("spool", "retry", key + "x", "--json")
    assert (typo.code, typo.json()) == (1, {"retried": []}), typo
    assert typo.err == f"maild: no shunted message {key}x\n", typo.err
    # an empty id named spool/bad/ itself: «permanent error: Is a directory», exit 78
    empty = desk.run("spool", "retry", "")
    assert (empty.code, empty.err) == (1, "maild: no shunted message \n"), empty
    assert app.spool.shunted() == [key]
    # a message with a From: names its sender; a plain retry says what went back
    raw = b"From: ivan@shop.example\r\nSubject: x\r\nMessage-ID: <iv@c.example>\r\n\r\nhi\r\n"
    ivan = app.spool.add(raw)
    for _ in range(app.config.storage.max_attempts):
        app.spool.failed(ivan)
    rows = {r["id"]: r for r in desk.run("spool", "list", "--json").json()}
    assert rows[ivan]["from"] == "ivan@shop.example", rows
    back = desk.run("spool", "retry", ivan)
    assert (back.code, back.out) == (0, f"{ivan}: back in the queue\n"), back
    assert app.spool.shunted() == [key]


def test_when_every_message_fails_nothing_is_counted(desk, app, monkeypatch):
    monkeypatch.setenv("TEST_ALL_FAIL", "1")
    keys = [app.spool.add(make_mail(msgid=f"<a{n}@c.example>")) for n in range(2)]
    faults = Faults(app)  # healthy so far: the first batch failing as a whole is enough
    for _ in range(5):
        faults.after(runner.run_batch(app, keys))
    assert app.spool.shunted() == [] and sorted(app.spool.pending()) == sorted(keys)
    assert all(app.spool.attempts(k) == 0 for k in keys)
    assert "every message fails" in read_fault(app.config.storage_path)["error"]
    assert len(_alerts(app)) == 1  # the fault, once
    monkeypatch.delenv("TEST_ALL_FAIL")
    faults.after(runner.run_batch(app, keys))
    assert read_fault(app.config.storage_path) is None
    assert len(desk.tickets()) == 2


def test_a_lone_message_failing_while_every_try_fails_is_counted_once_not_shunted(
    desk, app, monkeypatch
):
    """A single message in the queue that fails on every try is the environment (a
    broken registry file), not the message: only its first failure right after a batch
    that worked counts; the tries after a batch that failed too count nothing, so an
    outage that lasts longer than storage.max_attempts tries turns no mail bad."""
    monkeypatch.setenv("TEST_ALL_FAIL", "1")
    key = app.spool.add(make_mail(msgid="<alone@c.example>"))
    faults = Faults(app)
    for _ in range(2 * app.config.storage.max_attempts):
        faults.after(runner.run_batch(app, [key]))
    assert app.spool.shunted() == [] and list(app.spool.pending()) == [key]
    assert app.spool.attempts(key) == 1
    assert "every message fails" in read_fault(app.config.storage_path)["error"]


def test_the_backoff_starts_at_one_second_and_doubles_up_to_its_cap(desk, app):
    """README: processing is tried again after 1 s, doubling, at most 30 s; the pause's
    log line says the wait, and admins read it so."""
    faults = Faults(app)
    waits = []
    for _ in range(7):
        faults.tries += 1
        waits.append(faults.delay())
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    faults.cleared()
    assert faults.delay() == 0.0


def test_one_failed_try_alerts_no_one_the_second_does(desk, app):
    """A blip (one failed try, the next works) mails no one: head and staff are told
    once the fault has outlasted one retry, and once only however long it lasts."""
    faults = Faults(app)
    faults.fault("tickets: Read-only file system", "")
    assert _alerts(app) == []
    faults.fault("tickets: Read-only file system", "")
    faults.fault("tickets: Read-only file system", "")
    assert len(_alerts(app)) == 1


def test_a_fault_file_naming_our_own_pid_is_a_stopped_runs(desk, app):
    """A container's daemon may get the same pid every boot: run/fault.json naming this
    process's pid was left by a run that stopped, and a new serve takes it over (keeps
    its start, removes the file) instead of leaving it as another running maild's."""
    path = app.config.storage_path / "run" / "fault.json"
    path.parent.mkdir(exist_ok=True)
    since = "2026-01-02T03:04:05+00:00"
    path.write_text(json.dumps({"since": since, "error": "e", "path": "", "pid": os.getpid()}))
    faults = Faults(app)
    faults.take_over()
    assert not path.exists() and faults.previous is not None
    assert faults.previous["since"] == since


def test_the_message_a_dead_process_worked_on_is_counted(desk, app):
    keys = [app.spool.add(make_mail(msgid=f"<d{n}@c.example>")) for n in range(2)]
    dead = os.fork()
    if dead == 0:  # a process that claims both, works on the second and dies
        for k in keys:
            app.spool.claim(k)
        app.spool.working_on(keys[1])
        os._exit(0)
    os.waitpid(dead, 0)
    assert list(app.spool.pending()) == []
    assert recover(app, Faults(app)) == 1
    assert sorted(app.spool.pending()) == sorted(keys)
    assert [app.spool.attempts(k) for k in keys] == [0, 1]


def test_claims_left_under_a_pid_that_is_ours_now_go_back(desk, app):
    """Pids repeat (a container's daemon may get the same one every boot)."""
    key = app.spool.add(make_mail(msgid="<again@c.example>"))
    stale = app.spool.root / "claimed" / str(os.getpid())
    stale.mkdir()
    os.rename(app.spool.root / "new" / key, stale / key)
    fresh = App(load(desk.config))  # a new process, as far as the spool knows
    assert runner.run_batch(fresh, [key]).ok == 1  # the stale claim went back first
    assert fresh.spool.attempts(key) == 0 and len(desk.tickets()) == 1


def test_a_message_failing_after_its_mail_was_queued_leaves_none_of_it(desk, app, monkeypatch):
    """The failure comes after the pipeline queued the staff notice and the
    confirmation. None of that attempt is kept (before, its notice stayed queued for a
    ticket never stored); the batch is run again without it, so the others' mail is
    queued once, and the failed message waits, counted (its raw-text try fails too)."""

    def process(app, raw, **kw):
        decision = REAL_PROCESS(app, raw, **kw)
        if b"LATE" in raw:
            raise ValueError("injected failure after the mail was queued")
        return decision

    monkeypatch.setattr(runner, "process", process)
    good = [
        app.spool.add(make_mail(sender=f"g{n}@c.example", msgid=f"<g{n}@c.example>"))
        for n in range(2)
    ]
    late = app.spool.add(make_mail(subject="LATE", sender="l@c.example", msgid="<l@c.example>"))
    result = runner.run_batch(app, [good[0], late, good[1]])
    assert result.ok == 2 and [key for key, _ in result.failed] == [late]
    tids = {t["tid"] for t in desk.tickets()}
    queued = app.outbox.entries()
    assert len(tids) == 2 and {m["tid"] for m in queued} == tids
    assert len(queued) == 2 * 3  # each: a notice to each staff member, a confirmation
    assert list(app.spool.pending()) == [late] and app.spool.attempts(late) == 0


def _lines(caplog, key: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if key in r.getMessage()]


def test_the_lines_about_a_failing_message_name_its_message_id_tid_and_why(desk, app, caplog):
    """The admin greps the MTA's log and the mail for its Message-ID, and the ticket
    for its TID: each line about a failing message starts with both, and says why
    (the lines named only the spool key, and the shunt not the error)."""
    poison = app.spool.add(make_mail(subject="Re: [TID#1234-5678] POISON", msgid="<p@c.example>"))
    faults = Faults(app)
    with caplog.at_level(logging.INFO):
        for n in range(3):
            good = app.spool.add(make_mail(sender=f"g{n}@c.example", msgid=f"<g{n}@c.example>"))
            faults.after(runner.run_batch(app, [poison, good]))
    assert app.spool.shunted() == [poison]
    lines = _lines(caplog, poison)
    assert lines and all(x.startswith("<p@c.example> [TID#1234-5678] spool ") for x in lines)
    assert all("injected failure" in x for x in lines), lines
    kinds = ("storing it as raw text", "not stored", "run again", "attempt 3", "spool/bad")
    assert all(any(k in x for x in lines) for k in kinds), lines


def test_the_pause_and_a_deferred_ingest_name_the_mail_they_were_met_on(
    desk, app, caplog, monkeypatch
):
    """An error of the environment pauses processing: the line says so and names
    the mail it was met on, at its end (the mail is not at fault)."""

    def process(app, raw, **kw):
        raise PermissionError(13, "Permission denied", "/var/lib/maild/tickets/12")

    monkeypatch.setattr(runner, "process", process)
    key = app.spool.add(make_mail(subject="Без TID", msgid="<env@c.example>"))
    with caplog.at_level(logging.INFO):
        Faults(app).after(runner.run_batch(app, [key]))
        spooled, _ = runner.ingest(app, make_mail(subject="[TID#1234-5678]", msgid="<i@c.x>"))
    [paused] = [r.getMessage() for r in caplog.records if "processing paused" in r.getMessage()]
    assert "Permission denied (/var/lib/maild/tickets/12)" in paused, paused
    assert paused.endswith(f"; met on <env@c.example> spool {key}"), paused
    [deferred] = _lines(caplog, spooled)
    assert deferred.startswith(f"<i@c.x> [TID#1234-5678] spool {spooled}: stored, processing")
    assert "PermissionError: Permission denied" in deferred


def test_no_fault_alert_or_line_repeats_more_than_the_start_of_an_error(
    desk, app, caplog, monkeypatch
):
    """An error's words may hold what it was met on (a record's whole JSON: the
    customer's text and addresses): run/fault.json, the log lines and the alert to
    head and staff say only its first limits.MAX_FAULT_CHARS characters."""
    record = json.dumps(
        {"text": "Здравствуйте " * 900, "to": "ivan@shop.example"}, ensure_ascii=False
    )

    def process(app, raw, **kw):
        raise ValueError(record)

    monkeypatch.setattr(runner, "process", process)
    keys = [app.spool.add(make_mail(msgid=f"<l{n}@c.example>")) for n in range(2)]
    faults = Faults(app)
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            faults.after(runner.run_batch(app, keys))
        faults.after(runner.BatchResult(list(keys), fault=(f"the worker failed: {record}", "")))
    assert len(read_fault(app.config.storage_path)["error"]) <= MAX_FAULT_CHARS
    assert max(len(r.getMessage()) for r in caplog.records) < 2 * MAX_FAULT_CHARS
    [alert] = _alerts(app)
    assert len(app.outbox.raw(alert["id"])) < 3 * MAX_FAULT_CHARS + 3000


def test_a_message_failing_alone_after_an_outage_ended_is_counted(desk, app, monkeypatch):
    """An outage over (a batch works again), a message that then fails alone right after
    that batch is its own fault, counted as after any batch that worked. Were the
    outage taken as going on, a bad mail alone in the queue was never counted nor
    shunted: processing paused on it as on a fault of the server, for as long as no
    other mail came."""
    monkeypatch.setenv("TEST_ALL_FAIL", "1")
    keys = [app.spool.add(make_mail(msgid=f"<o{n}@c.example>")) for n in range(2)]
    faults = Faults(app)
    faults.after(runner.run_batch(app, keys))  # the outage: nothing counted
    assert all(app.spool.attempts(k) == 0 for k in keys)
    monkeypatch.delenv("TEST_ALL_FAIL")
    faults.after(runner.run_batch(app, keys))  # it is over
    assert read_fault(app.config.storage_path) is None and len(desk.tickets()) == 2
    poison = app.spool.add(make_mail(subject="POISON", msgid="<p2@c.example>"))
    faults.after(runner.run_batch(app, [poison]))
    assert app.spool.attempts(poison) == 1
    assert read_fault(app.config.storage_path) is None  # no pause, no fault alert


def test_a_fault_met_again_after_a_restart_keeps_its_start_and_its_one_alert(desk, app):
    """README: a serve that starts after a crash records a fault still there anew with
    its first `since` (what `maild status` says it has lasted since) and mails no one
    about it twice."""
    path = app.config.storage_path / "run" / "fault.json"
    path.parent.mkdir(exist_ok=True)
    since = "2026-01-02T03:04:05+00:00"
    old = {"since": since, "error": "e", "path": "", "pid": os.getpid(), "alerted": True}
    path.write_text(json.dumps(old))
    faults = Faults(app)
    faults.take_over()
    for _ in range(3):
        faults.fault("tickets: Read-only file system", "")
    assert read_fault(app.config.storage_path)["since"] == since
    assert _alerts(app) == []


def test_a_message_that_kills_its_process_each_time_is_shunted_and_told(desk, app):
    """A message whose process dies on it at every try (it kills the worker) goes to
    spool/bad after storage.max_attempts, as one that fails by itself: head and staff
    get the one mail naming it, else it was set aside with no word to anyone."""
    key = app.spool.add(make_mail(msgid="<kills@c.example>"))
    faults = Faults(app)
    for _ in range(app.config.storage.max_attempts):
        dead = os.fork()
        if dead == 0:  # a process that claims it, works on it and dies
            app.spool.claim(key)
            app.spool.working_on(key)
            os._exit(0)
        os.waitpid(dead, 0)
        assert recover(app, faults) == 1
    assert app.spool.shunted() == [key]
    alerts = _alerts(app)
    assert len(alerts) == 1 and key in app.outbox.raw(alerts[0]["id"]).decode()


def test_a_lone_message_failing_right_after_a_paused_batch_is_not_counted(desk, app, monkeypatch):
    """A batch the environment stopped (a read-only tickets/) is no batch that worked: a
    message failing alone on the next try may fail by the same cause in another form,
    so it counts nothing; only its failure right after a batch that worked does."""
    key = app.spool.add(make_mail(msgid="<after@c.example>"))
    faults = Faults(app)

    def read_only(app, raw, **kw):
        raise PermissionError(13, "Permission denied", "tickets")

    with monkeypatch.context() as m:
        m.setattr(runner, "process", read_only)
        result = runner.run_batch(app, [key])
        assert result.fault is not None
        faults.after(result)
    monkeypatch.setenv("TEST_ALL_FAIL", "1")
    faults.after(runner.run_batch(app, [key]))
    assert app.spool.attempts(key) == 0
