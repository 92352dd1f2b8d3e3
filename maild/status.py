"""`maild status`: is the desk healthy? Figures read from the storage, and a verdict.

What the daemon does not keep anywhere else it notes in small files under
<storage>/run/ (the names and fields below): the last successful IMAP round and the
last periodic job run (one ISO time each), and why the last IMAP round that failed
did (named while no round went well since); while the IMAP server refuses the login,
while mail waits on it because it cannot be spooled, while an IMAP round takes over a
minute (what it still has to take), while a message the server fails to give keeps
failing (the oldest of `count`), while a message spooled is not moved to the processed
folder (likewise); while the listener answers 451 because the spool
fails (and while `maild ingest`, an MTA's pipe, cannot spool: ingestnote.py); while
the sender sends nothing because it cannot record what it sends. Each
note with a "pid" counts while that process runs. `fault.json` ({"since", "error",
"path"}) is there while processing is paused on a fault of the environment; notes of
template overrides that fail: maild/overrides.py. Exit: 0 healthy, 1 degraded, 2
failing (Nagios/monit semantics).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from maild import imapnotes, ingestnote, servecheck, storagehealth
from maild.adapters import daymark
from maild.adapters.claimers import pid_alive
from maild.adapters.durable import spooled_ns
from maild.adapters.layout import KEY_READABLE, readable_keys
from maild.adapters.outhold import RELEASE
from maild.adapters.spool import mail_in
from maild.app import App
from maild.domain.pending import next_due
from maild.domain.recordcheck import fault_note
from maild.domain.records import aware_time
from maild.domain.sla import passed
from maild.output import print_json
from maild.overrides import failing, reasons
from maild.runnotes import put, read_note
from maild.statustext import format_text, in_zone
from maild.unreadables import (
    unreadable_files,
    unreadable_mail_reasons,
    unreadable_outbox,
    unreadable_reasons,
    unreadable_spool,
)

IMAP_MARK = "imap_contact"
IMAP_REFUSED = "imap_refused.json"  # {"since", "host", "port", "user", "answer", "pid"}
IMAP_STALLED = "imap_stalled.json"  # {"since", "uid", "error", "pid"}
IMAP_BACKLOG = "imap_backlog.json"  # {"since", "left", "total", "pid"}
IMAP_UNFETCHED = "imap_unfetched.json"  # {"since", "folder", "uid", "answer", "retry", "count",
# "pid"}
IMAP_UNMOVED = "imap_unmoved.json"  # {"since", "folder", "processed_folder", "uid",
# "message_id", "answer", "retry", "count", "pid"}
LISTENER_STALLED = "listener_stalled.json"  # {"since", "error", "pid"}
METRICS_FAILED = "metrics_failed.json"  # {"since", "listen", "error", "pid"}: serve runs on
OUTBOX_STOPPED = "outbox_stopped.json"  # {"why", "since", "pid"}
IMAP_STARTED = "imap_started.json"  # {"at", "pid"}: this run's poller started
IMAP_FAILED = "imap_failed.json"  # {"at", "error", "pid"}: why its last round failed
SCHEDULER_MARK = "scheduler_run"
# {"pid", "since"}: the running `maild serve`, removed when it stops cleanly; left
# with a pid that no longer runs, it ended without stopping (kill -9, a crash)
SERVE_NOTE = "serve.json"
FAULT_FILE = "fault.json"
HEALTHY, DEGRADED, FAILING = 0, 1, 2
STATES = ("healthy", "degraded", "failing")

# seconds; the scheduler ticks every 60 s, IMAP reports at least every IDLE
# round (300 s) or poll_interval, and every minute during a long round
SPOOL_SLOW, SPOOL_STUCK = 120, 900
SCHEDULER_STALE = 600
IMAP_STALE = 900
# A running poller's first round takes seconds (its connect and login time out in 60):
# one without contact since it started longer than this is told at once, not only once
# the previous run's last contact is IMAP_STALE old (a restart with a new, broken setup)
IMAP_FIRST_CONTACT = 120
OUTBOX_STUCK = 3600


def mark(root: Path, name: str, when: datetime | None = None) -> None:
    """Note that `name` happened now (or `when`). Best effort: a note that could
    not be written must not stop the work it is about."""
    put(root / "run", name, (when or datetime.now(UTC)).isoformat())


def note(root: Path, name: str, record: dict[str, Any] | None) -> None:
    """Keep `record` as JSON in run/`name` (None: remove it). Best effort, as mark()."""
    if record is None:
        with contextlib.suppress(OSError):
            (root / "run" / name).unlink(missing_ok=True)
        return
    put(root / "run", name, json.dumps(record, ensure_ascii=False))


def read_mark(root: Path, name: str) -> datetime | None:
    """The time mark() noted as `name`; None when there is none or it is unreadable.

    A time without its UTC offset is unreadable (records.aware_time), not UTC: maild
    writes each with one, so such a time is not maild's and its zone is unknown; read
    as UTC, a local time east of Greenwich would lie in the future and make a dead
    scheduler look as if it had just run. Unreadable, it reads as "never": failing
    until the running scheduler notes its next run (each minute), the safe side for
    a monitor."""
    try:
        return aware_time((root / "run" / name).read_text().strip())
    except OSError:
        return None


def _age(now: datetime, then: datetime | str | None) -> float | None:
    if then is None:
        return None
    if isinstance(then, str):
        then = datetime.fromisoformat(then)
    return max(0.0, (now - then).total_seconds())


def _spool(app: App, now: datetime) -> dict[str, Any]:
    pending = app.spool.unprocessed()  # oldest first: keys start with arrival ns
    oldest = None
    if pending and (ns := spooled_ns(pending[0])) is not None:
        oldest = datetime.fromtimestamp(ns / 1e9, UTC)
    bad = mail_in(app.spool.root / "bad")
    unreadable = {"unreadable": u} if (u := unreadable_spool(app.config.storage_path)) else {}
    return {
        "pending": len(pending),
        "oldest_age": _age(now, oldest),
        "shunted": len(bad),
        **unreadable,
    }


def _outbox(app: App, now: datetime) -> dict[str, Any]:
    queued = app.outbox.entries()
    held = [m for m in queued if m.get("held")]  # since a restore: not tried (outhold.py)
    unreadable = unreadable_outbox(app.config.storage_path, app.outbox.broken)
    failing = [m for m in queued if m.get("last_error") and not m.get("held")]
    oldest = failing[0] if failing else None  # entries() are oldest first
    refused = app.outbox.refused_log()  # set aside, never sent (README, outbox)
    return {
        "queued": len(queued),
        "broken": len(app.outbox.broken) - len(unreadable),  # (entries() found them)
        **({"unreadable": unreadable} if unreadable else {}),
        "stopped": current_note(app.config.storage_path, OUTBOX_STOPPED),
        "failing": len(failing),
        "held": len(held),
        "held_since": held[0]["held"] if held else None,
        "refused": len(refused),
        "last_refused": max(refused.values(), default=None, key=datetime.fromisoformat),
        "oldest_error": oldest
        and {
            "id": oldest["id"],
            "to": oldest["to"],
            "error": oldest["last_error"],
            "attempts": oldest["attempts"],
            "queued_age": _age(now, oldest["queued_at"]),
        },
    }


def _tickets(app: App, now: datetime) -> dict[str, Any]:
    rows = app.store.open_summaries()
    # the nearest deadline of each: its own or a customer's merged into it (pending)
    overdue = sum(1 for r in rows if passed(next_due(r), now))
    unreadable = {"unreadable": u} if (u := unreadable_files(app.store.root)) else {}
    return {"open": len(rows), "overdue": overdue, **unreadable}  # (its open: not counted)


def _held(record: dict[str, Any] | None) -> tuple[Any, Any]:
    """(record, None) while the process that wrote it runs, (None, record) once it
    has stopped: a note of a killed daemon is history, not the present. A record
    without a pid (older versions) counts as held."""
    pid = record and record.get("pid")
    if isinstance(pid, int) and not pid_alive(pid):
        return None, record
    return record, None


def current_note(root: Path, name: str) -> dict[str, Any] | None:
    """The note `name` while the process that wrote it runs, else None."""
    return _held(read_note(root, name))[0]


def collect(app: App, now: datetime | None = None, serving: bool = False) -> dict[str, Any]:
    """Every figure `maild status` and the metrics endpoint show, from the storage;
    `serving`: called inside `maild serve` (servecheck.probe says why it must know)."""
    now = now or datetime.now(UTC)
    root = app.config.storage_path
    fault, stale = _held(fault_note(read_note(root, FAULT_FILE)))
    refused = current_note(root, IMAP_REFUSED)
    stalled = current_note(root, IMAP_STALLED)
    backlog = current_note(root, IMAP_BACKLOG)
    unfetched = current_note(root, IMAP_UNFETCHED)
    unmoved = current_note(root, IMAP_UNMOVED)
    imap = read_mark(root, IMAP_MARK)
    failed = read_note(root, IMAP_FAILED)
    started = current_note(root, IMAP_STARTED)
    run_at = aware_time(started.get("at")) if started else None
    sched = read_mark(root, SCHEDULER_MARK)
    gone = _held(read_note(root, SERVE_NOTE))[1]
    serve = servecheck.probe(root, serving)
    figures: dict[str, Any] = {
        "spool": _spool(app, now),
        "outbox": _outbox(app, now),
        "storage": storagehealth.figures(root),
        "imap": None
        if app.config.imap is None
        else {
            "last_contact": imap and imap.isoformat(),
            "age": _age(now, imap),
            # how long this run's poller has tried without a contact, if so
            "waiting": _age(now, run_at) if run_at and (not imap or imap < run_at) else None,
            "login_refused": refused,
            "spool_failing": stalled,
            "backlog": backlog,
            "unfetchable": unfetched and unfetched | {"age": _age(now, unfetched.get("since"))},
            "unmoved": unmoved and unmoved | {"age": _age(now, unmoved.get("since"))},
            "last_error": failed and failed | {"age": _age(now, aware_time(failed.get("at")))},
        },
        "listener": None
        if app.config.smtp is None
        else {"spool_failing": current_note(root, LISTENER_STALLED)},
        "ingest": ingestnote.figures(root, now),  # (the pipe is no setting: always there)
        "metrics": app.config.metrics.listen
        and {"listen_failed": current_note(root, METRICS_FAILED)},
        "scheduler": {"last_run": sched and sched.isoformat(), "age": _age(now, sched)},
        "tickets": _tickets(app, now),
        "templates": failing(root, app.config.templates.path),  # overrides that fail
        "fault": fault,
        # a serve that ended without stopping: history once another runs (one that
        # started on a full disk could not write its own note over the last one's)
        "stale_fault": None if serve["running"] else stale,
        "serve_crashed": None if stale or serve["running"] else gone,  # (a stale fault says it)
        "serve": serve,  # {"running", "pid", "error"}: serving now?
        "readable_keys": [{"path": str(p), "mode": f"{m:04o}"} for p, m in readable_keys(root)],
        "days_ahead": daymark.ahead(root, now.astimezone(app.tz).date()),
    }
    state, reasons = assess(figures)
    figures.update(state=STATES[state], reasons=reasons)
    return figures


def _not_running(f: dict[str, Any]) -> list[str]:
    """A `maild serve` that ended without stopping, while processing was paused or not."""
    stale, gone = f.get("stale_fault"), f.get("serve_crashed")
    if stale:
        return [
            f"maild serve (pid {stale.get('pid')}) is not running: it stopped while processing "
            f"was paused on: {stale.get('error')} ({stale.get('path')}); mail waits in the "
            "spool until it is started again"
        ]
    if gone:
        return [
            f"maild serve (pid {gone.get('pid')}, running since {gone.get('since')}) is not "
            "running: it ended without stopping (killed or crashed); no mail is taken, "
            "processed or sent until it is started again"
        ]
    return []


def _not_sent(o: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(failing, degraded) of mail that does not go: failing for an hour or less, the
    sender stopped (it cannot record what it sends), queue files without a record or
    that maild may not read."""
    failing, degraded = [], []
    err, stopped = o["oldest_error"], o.get("stopped")
    if err and (err["queued_age"] or 0) > OUTBOX_STUCK:
        failing.append(f"outbox: mail to {', '.join(err['to'])} fails for an hour: {err['error']}")
    elif err:
        degraded.append(f"outbox: {o['failing']} failing, last error: {err['error']}")
    if stopped:
        failing.append(f"outbox: sending stopped (since {stopped.get('since')}): "
                       f"{stopped.get('why')}; no mail goes until that is fixed")  # fmt: skip
    if o.get("held"):
        degraded.append(f"outbox: {o['held']} mail(s) held since the restore of the backup of "
                        f"{o['held_since']}, not sent (the old desk may have sent them): "
                        f"{RELEASE} sends them")  # fmt: skip
    degraded += unreadable_mail_reasons(o)  # the rest goes
    if o.get("broken"):
        degraded.append(f"outbox: {o['broken']} queue file(s) without their record or whole "
                        "mail cannot be sent: maild fsck names them")  # fmt: skip
    return failing, degraded


def assess(f: dict[str, Any]) -> tuple[int, list[str]]:
    """The verdict and why, from the figures (pure)."""
    failing: list[str] = []
    degraded: list[str] = []
    if f["fault"]:
        error, path = f["fault"].get("error"), f["fault"].get("path")
        named = not path or path in str(error)  # a permission error names what refused
        failing.append(f"processing paused: {error}" + ("" if named else f" ({path})"))
    # ended without stopping (as today), else stopped or never started
    failing += _not_running(f) or servecheck.reasons(f.get("serve"))
    failing += storagehealth.problems(f.get("storage") or {})
    age = f["spool"]["oldest_age"]
    if age is not None and age > SPOOL_STUCK:
        failing.append(f"spool: mail waits for processing for {age:.0f} s")
    elif age is not None and age > SPOOL_SLOW:
        degraded.append(f"spool: mail waits for processing for {age:.0f} s")
    for key in f.get("readable_keys", ()):  # whoever reads it signs as maild does
        degraded.append(
            f"{key['path']} {KEY_READABLE} (mode {key['mode']}): chmod 600 {key['path']}"
        )
    degraded += _days_ahead(f)
    if f["spool"]["shunted"]:
        degraded.append(f"spool: {f['spool']['shunted']} shunted message(s): maild spool list")
    not_sent = _not_sent(f["outbox"])
    failing += not_sent[0]
    degraded += not_sent[1]
    sched = f["scheduler"]["age"]
    if sched is None or sched > SCHEDULER_STALE:
        failing.append("scheduler has not run lately: is maild serve running?")
    imap = f["imap"]
    no_contact = _no_contact(imap)
    failing += no_contact[0]
    degraded += no_contact[1]
    stalled = imap and imap.get("spool_failing")
    if stalled:
        failing.append(
            f"imap: mail waits on the server: it cannot be spooled (since "
            f"{stalled.get('since')}): {stalled.get('error')}; it is taken once it can be"
        )
    degraded += imapnotes.reasons(imap) + reasons(f.get("templates"))
    degraded += unreadable_reasons(f["tickets"]) + unreadable_mail_reasons(f["spool"])
    listener = f.get("listener") and f["listener"].get("spool_failing")
    if listener:
        failing.append(
            f"listener: mail is answered 451 (the MTA keeps it and retries): it cannot be "
            f"spooled (since {listener.get('since')}): {listener.get('error')}"
        )
    failing += ingestnote.reasons(f)
    if bad := f.get("metrics") and f["metrics"]["listen_failed"]:  # mail goes on
        degraded.append(f"metrics: {bad.get('error')} (since {bad.get('since')}): nothing "
                        "answers Prometheus; free the port or change metrics.listen")  # fmt: skip
    if failing:
        return FAILING, failing + degraded
    return (DEGRADED, degraded) if degraded else (HEALTHY, [])


def _no_contact(imap: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """(failing, degraded) of an IMAP server maild cannot read: the login refused, no
    contact lately or none since maild started (with the last failure, if known)."""
    refused = imap and imap.get("login_refused")
    if refused:
        return [
            f"imap: the server {refused.get('host')}:{refused.get('port')} refuses the login "
            f"of {refused.get('user')}: {refused.get('answer')} (since {refused.get('since')}; "
            "check imap.username and imap.password or the token of "
            "imap.oauth2_token_command, or the account on the server)"
        ], []
    if imap is None:
        return [], []
    why = imapnotes.last_failure(imap) or " (see the log)"
    if imap["age"] is None or imap["age"] > IMAP_STALE:
        return [f"imap: no contact with the server lately{why}"], []
    if (imap.get("waiting") or 0) > IMAP_FIRST_CONTACT:
        return [], [f"imap: no contact with the server since maild started{why}"]
    return [], []


def _days_ahead(f: dict[str, Any]) -> list[str]:
    """The once-a-day jobs that ran for a day still ahead: none runs till then."""
    return [
        f"{job['job']} last ran for {job['day']}, a day still ahead (likely a `maild jobs "
        f"run --now` for a later day, else the clock was ahead): it runs again from that "
        f"day; rm {job['file']} to run it now"
        for job in f.get("days_ahead") or ()
    ]


def cmd_status(app: App, args: argparse.Namespace) -> int:
    figures = collect(app)
    if args.json:
        print_json(figures)
    else:
        print(in_zone(format_text(figures), app.tz))  # one zone: the desk's
    return STATES.index(figures["state"])
