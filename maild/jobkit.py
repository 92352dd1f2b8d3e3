"""What the scheduled jobs share: one ticket's failure contained, the outbox id of a
job's mail, and a ticket as its staff mail's templates read it."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.app import App
from maild.domain import ticket as tk
from maild.domain.records import Ticket
from maild.domain.sla import LEVELS
from maild.domain.tid import shown_subject

log = logging.getLogger("maild.jobs")


@contextlib.contextmanager
def contained(app: App, tid: str) -> Iterator[None]:
    """One ticket's failure (a corrupt file, data maild did not write) is logged and
    the job goes on with the next ticket; a store that cannot be used at all (lock
    timeout, disk error) still stops the run, as does an OSError (a read-only or full
    disk, a permission: the environment's, runner.ENV_FAULTS, met by the commit too):
    the job fails, told once as such (jobs.run_all), not as each ticket's file."""
    try:
        yield
        app.said_skipped.pop(tid, None)  # (read again: a new break is said again)
    except StoreUnavailable as e:
        if not isinstance(e, CorruptFile):
            raise
        _skipped(app, tid, str(e))
    except OSError:
        raise
    except Exception as e:
        _skipped(app, tid, f"its file is not as maild wrote it: {e or type(e).__name__}")


def _skipped(app: App, tid: str, why: str) -> None:
    """A ticket the jobs skip, logged once per reason in this process while it stays
    so (the jobs run each minute)."""
    if app.said_skipped.get(tid) != why:
        app.said_skipped[tid] = why
        log.error("[TID#%s] skipped: %s", tid, why)


def job_key(*parts: str) -> str:
    """The outbox id of a job's mail, from what caused it: queued once however often
    the job runs."""
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:24]


def ticket_ctx(app: App, ticket: Ticket) -> dict[str, Any]:
    """A ticket as the jobs' templates name it."""
    level = LEVELS[ticket["level"]]
    return {
        "tid": ticket["tid"],
        "subject": shown_subject(ticket["subject"]),
        "requester": ticket["requester"],
        "level_id": level.id,
        "level_name": level.name_ru,
        "reaction": level.reaction_ru(),
        "due": app.fmt_time(ticket.get("reaction_due")),
        "assignee": ticket.get("assignee"),
        # a merged wait's deadline mail: the ticket it goes on in (mergedwait.named)
        "merged_with": ticket.get("merged_into"),
        "status": tk.STATUS_STAFF_RU[ticket["status"]],
        "critical": bool(ticket.get("critical")),  # «[срочно]» in the deadline mail
        "keep_days": app.config.schedule.credentials_keep_days,
        "head": app.config.support.head or None,  # the closing letter names whom to write
    }
