"""The file that says on which day a once-a-day job last ran (the local date, ISO
8601): the digest, the SLA report, the attachment sweep. The scheduler asks every
minute; the file keeps the answer across restarts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from maild.adapters.durable import write_atomic


def ran_on(path: Path, day: str) -> bool:
    """Whether the job of `path` has run on `day` already, or on a later day: after a
    run for a day ahead (`maild jobs run --now`), the days up to it are done too, so
    none of them gets a second digest or report."""
    try:
        last = date.fromisoformat(path.read_text().strip())
    except (FileNotFoundError, ValueError):  # never ran, or not a date maild wrote
        return False
    return last >= date.fromisoformat(day)


def last(path: Path) -> tuple[date, float] | None:
    """The day the job of `path` last ran for, and when (the file's mtime, seconds since
    the epoch); None when it never ran."""
    try:
        return date.fromisoformat(path.read_text().strip()), path.stat().st_mtime
    except (FileNotFoundError, ValueError):
        return None


def mark(path: Path, day: str) -> None:
    """The job of `path` has run on `day`."""
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, day.encode())


# The once-a-day jobs' files, by what `maild status` calls them (relative to the store)
JOBS = {
    "the daily SLA report": "daily_report.last",
    "the morning digest": "digest.last",
    "the attachment sweep": "run/attachments_swept",
    "the sent mail sweep": "run/sent_swept",  # ops/leftovers.py
    "the address record sweep": "run/addresses_swept",
}


def ahead(root: Path, today: date) -> list[dict[str, str]]:
    """The once-a-day jobs that last ran for a day after `today`: a run with the clock
    ahead (`maild jobs run --now` a day ahead, or a system clock set forward once)
    counts the days up to it as done (ran_on), so none of them runs until that day,
    which `maild status` says."""
    out = []
    for job, name in JOBS.items():
        ran = last(root / name)
        if ran is not None and ran[0] > today:
            out.append({"job": job, "day": ran[0].isoformat(), "file": str(root / name)})
    return out
