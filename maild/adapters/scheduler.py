"""The periodic tick inside `maild serve`: it only decides *when* jobs run.

The jobs (maild.jobs) derive their work from stored state, so no job store is
needed: nothing lives only in the scheduler, and a restart loses nothing. The
digest and the daily report run from the tick too (due from their time of day).

The pause between ticks is measured on the event loop's monotonic clock, not on
the wall clock: when NTP steps the system clock back, a wall-clock schedule (as
APScheduler's interval trigger keeps) waits until the clock reads the planned time
again, and for a step of an hour no reminder or escalation went out for an hour.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from maild import jobs, status
from maild.app import App

log = logging.getLogger("maild.scheduler")

TICK_SECONDS = 60


def start_scheduler(app: App, daemon: Any) -> asyncio.Task:
    """The tick as a task of the daemon's loop (cancel it to stop): the first run right
    at start, so what fell due while the daemon was down goes out now, then one run
    TICK_SECONDS after the end of the one before (never two at once)."""
    pool = daemon.process_pool  # the same worker as mail: one writer at a time

    async def tick() -> None:
        # each job's own failure is contained and logged by jobs.run_all
        await daemon.loop.run_in_executor(pool, jobs.run_all, app)
        status.mark(app.config.storage_path, status.SCHEDULER_MARK)  # for maild status
        daemon.outbox_wake.set()

    async def ticks() -> None:
        while True:
            try:
                await tick()
            except Exception:  # the jobs' own errors are logged by jobs.run_all; any
                # other must not end the loop (no reminder would ever go out again)
                log.exception("scheduler: periodic run failed; next in %d s", TICK_SECONDS)
            await asyncio.sleep(TICK_SECONDS)  # monotonic: a clock step does not move it

    return asyncio.get_running_loop().create_task(ticks(), name="scheduler")
