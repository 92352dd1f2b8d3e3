"""adapters/scheduler.py: serve's periodic tick. A run that fails unexpectedly does
not end the tick (no reminder would ever go out again), and each run wakes the
outbox for the mail the jobs queued."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from maild import jobs, status
from maild.adapters import scheduler


def test_the_tick_outlives_a_failed_run_and_wakes_the_outbox(tmp_path, monkeypatch, caplog):
    """The first run raises (an error jobs.run_all does not contain, as a worker pool
    broken under it): logged, and the next run comes TICK_SECONDS later all the same;
    a run that ends marks the scheduler's time for `maild status` and wakes the outbox
    at once, not at its own next pass."""
    monkeypatch.setattr(scheduler, "TICK_SECONDS", 0)
    runs: list[object] = []

    async def main() -> None:
        async def run_in_executor(pool, fn, app):
            runs.append(fn)
            if len(runs) == 1:
                raise RuntimeError("the worker pool broke")

        daemon = SimpleNamespace(
            process_pool=None,
            loop=SimpleNamespace(run_in_executor=run_in_executor),
            outbox_wake=asyncio.Event(),
        )
        app = SimpleNamespace(config=SimpleNamespace(storage_path=tmp_path))
        task = scheduler.start_scheduler(app, daemon)
        await asyncio.wait_for(daemon.outbox_wake.wait(), timeout=5)
        task.cancel()

    asyncio.run(main())
    assert runs[:2] == [jobs.run_all, jobs.run_all]
    assert "scheduler: periodic run failed" in caplog.text
    assert (tmp_path / "run" / status.SCHEDULER_MARK).exists()
