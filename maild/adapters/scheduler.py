"""APScheduler 3.x inside `maild serve`: it only decides *when* jobs run.

The jobs (maild.jobs) derive their work from stored state, so no job store is
needed: nothing lives only in the scheduler, and a restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from maild import jobs, status
from maild.app import App

log = logging.getLogger("maild.scheduler")

TICK_SECONDS = 60


def _guard(name: str, fn, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.exception("scheduled job %s failed; it runs again at its next time", name)


def start_scheduler(app: App, daemon: Any) -> AsyncIOScheduler:
    sched = AsyncIOScheduler(timezone=app.tz)
    pool = daemon.process_pool  # the same worker as mail: one writer at a time

    async def tick() -> None:
        await daemon.loop.run_in_executor(pool, _guard, "periodic", jobs.run_all, app)
        status.mark(app.config.storage_path, status.SCHEDULER_MARK)  # for maild status
        daemon.outbox_wake.set()

    # first run right at start: what fell due while the daemon was down goes out now
    # (the digest and the daily report too: they are due from their time to the day's end)
    sched.add_job(
        tick,
        IntervalTrigger(seconds=TICK_SECONDS),
        id="periodic",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(app.tz),
    )
    sched.start()
    return sched
