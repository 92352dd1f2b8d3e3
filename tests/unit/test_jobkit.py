"""maild.jobkit.contained: one ticket's broken file is skipped and the job goes on; a
store that cannot be used at all (a lock timeout) or the environment (an OSError)
stops the run, told once as the job's failure, not as each ticket's file. And
job_key: one outbox id per cause of a job's mail."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.jobkit import contained, job_key


def _app() -> SimpleNamespace:
    return SimpleNamespace(said_skipped={})


def test_a_store_that_cannot_be_used_stops_the_job_and_skips_no_ticket():
    app = _app()
    with pytest.raises(StoreUnavailable), contained(app, "1234-5678"):  # type: ignore[arg-type]
        raise StoreUnavailable("the store's lock was not given in 30 s")
    assert app.said_skipped == {}


def test_a_corrupt_ticket_file_is_skipped_and_the_job_goes_on():
    app = _app()
    with contained(app, "1234-5678"):  # type: ignore[arg-type]
        raise CorruptFile("1234-5678.json", "not a ticket file")
    assert app.said_skipped == {"1234-5678": "1234-5678.json: not a ticket file (run `maild fsck`)"}


def test_an_error_of_the_environment_stops_the_job():
    app = _app()
    with pytest.raises(OSError), contained(app, "1234-5678"):  # type: ignore[arg-type]
        raise OSError(30, "Read-only file system")
    assert app.said_skipped == {}


def test_the_mail_of_distinct_causes_never_shares_an_outbox_id():
    """An id two causes shared would leave the second mail unqueued, taken for one in
    the outbox already (a reminder lost): a month of reminders for a busy desk's
    tickets, each with its own id; the same cause, run again, the same id."""
    causes = [
        (f"{n // 100:04d}-{n % 100:04d}", kind, f"2026-12-{day:02d}T10:00:00+03:00")
        for n in range(200)
        for kind in ("reminder", "escalation")
        for day in range(1, 31)
    ]
    keys = {job_key(*cause) for cause in causes}
    assert len(keys) == len(causes)
    assert job_key(*causes[0]) == job_key(*causes[0])


def test_a_causes_parts_are_kept_apart():
    """The same text cut into other parts is another cause (a staff member and a kind
    of reminder, a list's mails by their ids)."""
    assert job_key("anna@example.com", "reminder") != job_key("anna@example.comreminder")
    assert job_key("ab", "c") != job_key("a", "bc")
