"""adapters/daymark.py: the file that says on which day a once-a-day job last ran.
A run for a day ahead counts the days up to it as done; a file that holds no date
(empty, an admin's edit) is a job never run, not an error each minute."""

from __future__ import annotations

import os
from datetime import date

import pytest

from maild.adapters.daymark import ahead, last, mark, ran_on


@pytest.mark.parametrize("text", ["", "\n", "yesterday", "2026-13-01", "2026-12-05T08:00"])
def test_a_file_that_holds_no_date_is_a_job_never_run(tmp_path, text):
    """The scheduler asks every minute: a digest.last an admin emptied or wrote by
    hand must let the digest run (and `maild status` say nothing of it), not raise."""
    path = tmp_path / "digest.last"
    path.write_text(text)
    assert ran_on(path, "2026-12-05") is False
    assert last(path) is None
    assert ahead(tmp_path, date(2026, 12, 5)) == []


def test_a_day_marked_counts_itself_and_the_days_before_it_as_run(tmp_path):
    path = tmp_path / "run" / "attachments_swept"
    assert ran_on(path, "2026-12-05") is False
    mark(path, "2026-12-07")
    assert [ran_on(path, d) for d in ("2026-12-05", "2026-12-07", "2026-12-08")] == [
        True,
        True,
        False,
    ]
    assert ahead(tmp_path, date(2026, 12, 7)) == []
    [job] = ahead(tmp_path, date(2026, 12, 6))
    assert (job["job"], job["day"]) == ("the attachment sweep", "2026-12-07")


def test_a_day_written_by_hand_with_a_line_break_counts(tmp_path):
    """An admin's `echo 2026-12-07 > digest.last` (to have no digest until then) ends in
    a line break: it is that day, run, as maild's own mark is; not a job never run, which
    would send the digest the admin meant to hold back."""
    path = tmp_path / "digest.last"
    path.write_text("2026-12-07\n")
    assert ran_on(path, "2026-12-07") is True
    assert last(path) is not None and last(path)[0] == date(2026, 12, 7)
    [job] = ahead(tmp_path, date(2026, 12, 6))
    assert (job["job"], job["day"]) == ("the morning digest", "2026-12-07")


def test_the_last_run_is_told_with_the_time_it_was_marked(tmp_path):
    """`maild jobs run --report` says when today's report went: the mark's own time."""
    path = tmp_path / "daily_report.last"
    mark(path, "2026-12-07")
    os.utime(path, (1_765_000_000, 1_765_000_000))
    assert last(path) == (date(2026, 12, 7), 1_765_000_000)
