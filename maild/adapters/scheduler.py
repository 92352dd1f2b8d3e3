"""APScheduler 3.x inside `maild serve`: it only decides *when* jobs run.

The jobs (maild.jobs) derive their work from stored state, so no job store is
needed: nothing lives only in the scheduler, and a restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
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

    async def report() -> None:
        await daemon.loop.run_in_executor(
            pool, _guard, "daily_report", lambda: jobs.daily_report(app, app.now())
        )
        daemon.outbox_wake.set()

    hh, mm = app.config.schedule.daily_report_time.split(":")
    # first run right at start: what fell due while the daemon was down goes out now
    sched.add_job(
        tick,
        IntervalTrigger(seconds=TICK_SECONDS),
        id="periodic",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(app.tz),
    )
    # every day at that time; the job itself skips days off (holidays.RU aware)
    sched.add_job(
        report,
        CronTrigger(hour=int(hh), minute=int(mm), timezone=app.tz),
        id="daily_report",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    sched.start()
    return sched
