"""The file that says on which day a once-a-day job last ran (the local date, ISO
8601): the digest, the SLA report, the attachment sweep. The scheduler asks every
minute; the file keeps the answer across restarts."""

from __future__ import annotations

from pathlib import Path

from maild.adapters.durable import write_atomic


def ran_on(path: Path, day: str) -> bool:
    """Whether the job of `path` has run on `day` already."""
    try:
        return path.read_text().strip() == day
    except FileNotFoundError:
        return False


def mark(path: Path, day: str) -> None:
    """The job of `path` has run on `day`."""
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, day.encode())
