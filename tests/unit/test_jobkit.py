"""maild.jobkit.contained: one ticket's broken file is skipped and the job goes on; a
store that cannot be used at all (a lock timeout) or the environment (an OSError)
stops the run, told once as the job's failure, not as each ticket's file."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.jobkit import contained


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
