"""`maild ingest` (an MTA's pipe) that cannot spool: it exits 75 and the MTA keeps
the mail, retries it, and bounces it to the customer once it is too old (postfix:
5 days), while nothing else shows it. Each such ingest notes it in
run/ingest_stalled.json ({"since", "error"}: since the first of them, the last one's
error); the next that spools a message removes it. No pid: each ingest is a process
of its own, and the note holds until one spools. `maild status` is failing while it
is there (`ingest.spool_failing`), as for the listener's 451 (listener_stalled.json)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from maild.runnotes import put, read_note

INGEST_STALLED = "ingest_stalled.json"  # {"since", "error"}


def cannot_spool(root: Path, error: str) -> None:
    """Note that a message could not be spooled, `error` said why. Best effort: run/
    may refuse it as spool/ did (a read-only file system: status says that itself)."""
    old = read_note(root, INGEST_STALLED) or {}
    since = old.get("since") or datetime.now(UTC).isoformat()
    put(root / "run", INGEST_STALLED, json.dumps({"since": since, "error": error}))


def spooled(root: Path) -> None:
    """A message is spooled: the pipe takes mail (again)."""
    with contextlib.suppress(OSError):
        (root / "run" / INGEST_STALLED).unlink(missing_ok=True)


def figures(root: Path) -> dict[str, Any]:
    return {"spool_failing": read_note(root, INGEST_STALLED)}


def reasons(f: dict[str, Any]) -> list[str]:
    """`maild status`'s failing reason, from collect's figures."""
    stalled = (f.get("ingest") or {}).get("spool_failing")
    if not stalled:
        return []
    return [
        f"ingest: piped mail is deferred (the MTA keeps it, retries, and bounces it once "
        f"too old: postfix after 5 days): it cannot be spooled (since {stalled.get('since')}): "
        f"{stalled.get('error')}; this holds until a piped mail is spooled again "
        "(postqueue -f retries them now)"
    ]
