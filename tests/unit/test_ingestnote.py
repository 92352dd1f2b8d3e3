"""maild.ingestnote: how long the note of a pipe that cannot spool holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maild.ingestnote import INGEST_STALLED, LIFETIME, holding


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
