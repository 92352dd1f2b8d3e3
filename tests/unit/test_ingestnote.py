"""maild.ingestnote: how long the note of a pipe that cannot spool holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maild.ingestnote import INGEST_STALLED, LIFETIME, cannot_spool, holding, reasons


def test_the_note_holds_by_its_last_failure_not_its_first(tmp_path: Path) -> None:
    """An ingest failing for a week holds `maild status` failing: postfix bounces what
    the failures of the last 5 days deferred still to come. Its first failure's age
    (since) says nothing of that; a note without `last` (written before it had one)
    goes by since."""
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    (tmp_path / "run").mkdir()
    note = tmp_path / "run" / INGEST_STALLED
    week, hour = (now - timedelta(days=7)).isoformat(), (now - timedelta(hours=1)).isoformat()
    note.write_text(json.dumps({"since": week, "last": hour, "error": "read-only"}))
    assert holding(tmp_path, now) == {"since": week, "last": hour, "error": "read-only"}
    note.write_text(json.dumps({"since": hour, "error": "read-only"}))
    assert holding(tmp_path, now) is not None
    assert holding(tmp_path, now + LIFETIME) is None


def test_each_failure_keeps_the_first_and_moves_the_last(tmp_path: Path) -> None:
    """Each ingest that cannot spool keeps when the failures began (status says since
    when) and makes itself the last, with its error: a week of failures still holds the
    note 5 days past the newest, not 5 days past one that stopped being renewed."""
    (tmp_path / "run").mkdir()
    now = datetime.now(UTC)
    week, hour = (now - timedelta(days=7)).isoformat(), (now - timedelta(hours=1)).isoformat()
    note = tmp_path / "run" / INGEST_STALLED
    note.write_text(json.dumps({"since": week, "last": hour, "error": "read-only"}))
    cannot_spool(tmp_path, "No space left on device")
    held = holding(tmp_path, datetime.now(UTC))
    assert held is not None and held["since"] == week
    assert held["last"] > hour and held["error"] == "No space left on device"
    assert holding(tmp_path, now + LIFETIME - timedelta(minutes=30)) is not None


def test_status_says_since_when_the_pipe_fails_and_why() -> None:
    """`maild status` names the first failure (since when mail has been deferred, what
    the MTA bounces first), not the newest, and the newest's error."""
    stalled = {"since": "2026-12-01T08:00:00+00:00", "last": "2026-12-07T11:00:00+00:00"}
    [reason] = reasons({"ingest": {"spool_failing": {**stalled, "error": "read-only"}}})
    assert "since 2026-12-01T08:00:00+00:00" in reason and "2026-12-07" not in reason
    assert reason.endswith("(postqueue -f retries them now)") and "read-only" in reason
    assert reasons({"ingest": {"spool_failing": None}}) == []
