"""The scheduled work, derived from stored state on every run.

Each job looks at tickets (or the outbox) as stored, decides what is due at
`now`, and records what it sent in the ticket (`sent`), so a restart neither
loses a reminder nor sends one twice. maild serve's tick (adapters/scheduler.py)
only decides *when* to call.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from maild import guard, privileges, status
from maild.adapters import daymark, sitepending
from maild.adapters.store import StoreUnavailable
from maild.app import App
from maild.digest import hhmm, morning_queue
from maild.domain import ticket as tk
from maild.domain.calendar import unknown_year
from maild.domain.limits import MAX_LISTED_FILES as MAX_LISTED
from maild.domain.records import MessageRecord, Ticket, aware_time
from maild.domain.redact import redaction_due
from maild.domain.waiting import WaitStep, waiting_step
from maild.faults import alert
from maild.imapnotes import unanswered
from maild.jobkit import contained, job_key, ticket_ctx
from maild.ops.leftovers import daily_addresses, daily_sent
from maild.ops.retention import daily_sweep, purge_closed
from maild.outgoing import queue_notice, queue_ticketless
from maild.redaction import redact_ticket
from maild.refusals import tell_refused
from maild.reminders import reminders

log = logging.getLogger("maild.jobs")


def waiting(app: App, now: datetime) -> int:
    """#wait tickets: remind the customer after N business days, close after M more
    (what is due, and to whom: domain/waiting.waiting_step)."""
    people = (app.config.support.internal, app.config.support.address)
    n = 0
    for row in app.store.open_summaries():
        if not tk.waits_for_customer(row):
            continue
        with contained(app, row["tid"]), app.store.locked():
            loaded = app.store.load(row["tid"])
            if loaded is None:
                continue
            step = waiting_step(loaded[0], now, app.calendar, app.config.schedule, people)
            if step is None:
                continue
            _carry_out(app, step, *loaded, now)
            n += 1
    return n


def _carry_out(
    app: App, step: WaitStep, ticket: Ticket, messages: list[MessageRecord], now: datetime
) -> None:
    """The #wait `step` done for `ticket`: its mail queued, the ticket saved (closed)."""
    tid, to = ticket["tid"], list(step.to)
    if step.kind == "remind":
        context = dict(ticket_ctx(app, ticket), close_at=app.fmt_time(step.close_at))
        key = job_key(tid, "wait", step.since)
        queue_notice(
            app,
            ticket,
            messages,
            key=key,
            template="reminder_customer.txt",
            to=to,
            context=context,
            now=now,
        )
        sent = dict(ticket.get("sent") or {}, waiting_reminder=now.isoformat())
        app.store.save({**ticket, "sent": sent}, messages)
        return
    ticket, _ = tk.apply_command(ticket, "close", None, now, app.due, "maild")
    context = dict(ticket_ctx(app, ticket), autoclosed=True)
    key = job_key(tid, "autoclose", step.since)
    queue_notice(
        app, ticket, messages, key=key, template="resolved.txt", to=to, context=context, now=now
    )
    ticket["sent"] = dict(ticket.get("sent") or {}, autoclosed=now.isoformat())
    app.store.save(ticket, messages)
    if closed_at := ticket["closed_at"]:  # (set by the closing)
        app.store.mark_for_redaction(tid, closed_at)
    log.info("[TID#%s] closed after waiting for the customer", tid)


def redaction(app: App, now: datetime) -> int:
    """Access data of the tickets closed long enough (domain.redact.redaction_due: two
    days, config) blanked out; the rule is the domain's, the job finds and rewrites."""
    keep = app.config.schedule.credentials_keep_days
    n = 0
    for tid, closed_at in app.store.pending_redactions():
        if not redaction_due(closed_at, keep, now):
            continue
        with contained(app, tid), app.store.locked():
            loaded = app.store.load(tid)
            if loaded is not None and loaded[0]["status"] == "closed":
                redact_ticket(app, *loaded, now)
                n += 1
            app.store.unmark_redaction(tid)
    return n


def outbox_alerts(app: App, now: datetime) -> int:
    """Mail that keeps failing: tell the head once; the mail stays queued. What one
    run finds is one mail to the head (each copy was one: a relay down for an hour
    with hundreds of mails queued gave the head hundreds of alerts at once)."""
    limit = app.config.schedule.outbox_give_up_attempts
    due = [
        m
        for m in app.outbox.entries()
        if m["attempts"] >= limit
        and not m.get("alerted")
        and m.get("kind") != "alert"
        and not m.get("held")  # not tried: held since a restore (adapters/outhold.py)
    ]
    head = app.config.support.head
    if due and head:
        _alert_head(app, head, due, now)
    told = "head alerted" if head else "no support.head to alert"
    for meta in due:
        log.warning("outbox %s: %d failed attempts, %s", meta["id"], meta["attempts"], told)
        app.outbox.mark(meta["id"], alerted=now.isoformat())
    return len(due)


def _alert_head(app: App, head: str, due: list[Any], now: datetime) -> None:
    """One mail to the head naming the mails in `due` (at most limits.MAX_LISTED_FILES
    of them, the rest counted): of its ticket when it is one mail."""
    shown = [dict(m, queued_at=app.fmt_time(m["queued_at"])) for m in due]  # not ISO
    if len(due) == 1:
        subject, body = app.renderer.text("outbox_alert.txt", {"m": shown[0]})
    else:
        listed = shown[:MAX_LISTED]
        context = {"mails": listed, "total": len(due), "more": len(due) - len(listed)}
        subject, body = app.renderer.text("outbox_alerts.txt", context)
    key = job_key(*sorted(m["id"] for m in due), "alert")
    tid = due[0].get("tid") if len(due) == 1 else None
    if tid is None:  # list mail: a reply to it is held, never a ticket (listreply)
        queue_ticketless(app, key, (subject, body), [head], now, "alert")
        return
    msg = app.renderer.message(
        subject=subject,
        body=body,
        to=[head],
        tid=tid,
        message_id=f"<{key}@{app.config.support.domain}>",
        now=now,
    )
    app.outbox.enqueue(key, msg, [head], tid=tid, kind="alert", now=now)


def daily_report(app: App, now: datetime) -> bool:
    """The SLA report to the head, once per business day."""
    from maild.report import format_sla, sla_report

    head = app.config.support.head
    local = now.astimezone(app.tz)
    if not head or not app.calendar.is_working_day(local.date()):
        return False
    state_path = app.config.storage_path / "daily_report.last"
    if daymark.ran_on(state_path, local.date().isoformat()):
        return False
    data = sla_report(app, until=local.date(), now=now)
    # The quarantine since the previous working day's report: after a weekend or the
    # New Year days, the mail quarantined while no report went is counted too.
    since = datetime.combine(
        app.calendar.previous_working_day(local.date()),
        # (reports "off", this one asked for by hand: since that day's start)
        hhmm(app.config.schedule.daily_report_time) or time(0),
        tzinfo=app.tz,
    )
    subject, body = app.renderer.text(
        "report_sla.txt",
        {
            "date": local.strftime("%d.%m.%Y"),
            "table": format_sla(app, data),
            "quarantined": guard.quarantined_since(app, since),
            "quarantined_since": app.fmt_time(since),
            "unknown_year": unknown_year(
                local.date(), app.config.calendar.listed, app.calendar.known
            ),
        },
    )
    key = job_key("daily-report", local.date().isoformat())
    # the head's answer to it is one to a list, on no ticket (domain.listreply)
    queue_ticketless(app, key, (subject, body), [head], now)
    daymark.mark(state_path, local.date().isoformat())
    log.info("daily SLA report queued to %s", head)
    return True


def report_withheld(app: App, now: datetime) -> str:
    """Why daily_report made no report at `now` (said to whoever asked for one by hand,
    `maild jobs run --report`): no head, a day off, or made already that day."""
    local = now.astimezone(app.tz).date()
    if not app.config.support.head:
        return "support.head is not set"
    if not app.calendar.is_working_day(local):
        return f"{local.isoformat()} is a day off (not a business day)"
    ran = daymark.last(app.config.storage_path / "daily_report.last")
    if ran is None:
        return "no report was due"
    day, mtime = ran
    made = app.fmt_time(datetime.fromtimestamp(mtime, app.tz))
    if day > local:  # a run for a day ahead covers the days up to it (daymark.ran_on)
        return f"the report for the later day {day.isoformat()} went already, at {made}"
    return f"today's report ({day.isoformat()}) went already, at {made}"


def scheduled_report(app: App, now: datetime) -> int:
    """The daily report by the schedule: from `daily_report_time` on a business day,
    once (daily_report keeps the day). Run by every tick rather than at that minute
    only, so a daemon started or a machine resumed later that day still sends it."""
    if app.calendar.daily_due(now, hhmm(app.config.schedule.daily_report_time)) is None:
        return 0
    return int(daily_report(app, now))


def imap_alert(app: App, now: datetime) -> int:
    """One mail to the head and staff when `maild serve` has not read the mailbox for
    status.IMAP_STALE: the server refuses the login (a password changed, a token
    expired) or cannot be reached. Once per outage: its start names the mail."""
    root, imap = app.config.storage_path, app.config.imap
    started = status.current_note(root, status.IMAP_STARTED) if imap else None
    if imap is None or not started:  # no IMAP, or no poller running: nothing is being tried
        return 0
    refused = status.current_note(root, status.IMAP_REFUSED)
    since = aware_time(refused.get("since")) if refused else None
    if since is None:  # (a note whose time is no time: as none)
        contact = status.read_mark(root, status.IMAP_MARK)
        times = [d for d in (contact, aware_time(started.get("at"))) if d]
        since = max(times) if times else None
    if since is None or (now - since).total_seconds() < status.IMAP_STALE:
        return 0
    # the last failed round's error, unless a round went well after it, as status says
    failed = status.current_note(root, status.IMAP_FAILED) or {}
    failed_at, contact = aware_time(failed.get("at")), status.read_mark(root, status.IMAP_MARK)
    ages = [(now - t).total_seconds() if t else None for t in (failed_at, contact)]
    if not unanswered(*ages):
        failed = {}
    context = {
        "mailbox": imap.username,
        "server": f"{imap.host}:{imap.port}",
        "since": app.fmt_time(since),
        "answer": refused and refused.get("answer"),
        "error": failed.get("error"),
        "failed_at": app.fmt_time(failed_at) if failed else None,
    }
    return int(alert(app, f"imap {since.isoformat()}", "imap_alert.txt", context))


JOBS: tuple[tuple[str, Any], ...] = (
    ("reminders", reminders),
    ("waiting", waiting),
    ("redacted", redaction),
    ("outbox_alerts", outbox_alerts),
    ("refused_told", lambda app, now: len(tell_refused(app, now))),  # a pass left untold
    ("purged", purge_closed),
    ("digest", morning_queue),
    ("report", scheduled_report),
    ("quarantine_expired", guard.expire),
    ("site_pending_expired", lambda app, now: sitepending.expire(app.config.storage_path, now)),
    ("attachments_removed", daily_sweep),
    ("sent_removed", daily_sent),
    ("addresses_removed", daily_addresses),
    ("imap_alert", imap_alert),
)


def run_all(
    app: App, now: datetime | None = None, failed: list[str] | None = None
) -> dict[str, int]:
    """Every periodic job once (what `maild jobs run` and the scheduler call): each
    job's count, 0 for one that failed (logged; named in `failed`). A job's failure
    stops no other: one corrupt file the purge met stopped every job after it, the
    morning queue and the daily report included, minute after minute."""
    now = now or app.now()
    counts = {}
    for name, job in JOBS:
        try:
            counts[name] = int(job(app, now))
            continue
        except (StoreUnavailable, OSError) as e:  # the environment's, or a file's: a line
            why = (
                privileges.describe(e, app.config.storage_path)
                if isinstance(e, OSError)
                else str(e)
            )
            log.error("scheduled job %s failed: %s; it runs again at its next time", name, why)
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", name)
        counts[name] = 0
        if failed is not None:
            failed.append(name)
    return counts
