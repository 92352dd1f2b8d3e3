"""`maild ingest` (an MTA's pipe) that cannot spool: it exits 75 and the MTA keeps
the mail, retries it, and bounces it to the customer once it is too old (postfix:
5 days), while nothing else shows it. Each such ingest notes it in
run/ingest_stalled.json ({"since", "last", "error"}: since the first of them, when the
last one failed and its error); the next that spools a message removes it. No pid:
each ingest is a process of its own, and the note holds until one spools, or until
its last failure is older than the MTA keeps mail (LIFETIME: a pipe given up for LMTP
or IMAP spools nothing again, and what it deferred is bounced by then). `maild status`
is failing while it holds (`ingest.spool_failing`), as for the listener's 451
(listener_stalled.json)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maild.domain.records import aware_time
from maild.runnotes import put, read_note

INGEST_STALLED = "ingest_stalled.json"  # {"since", "last", "error"}
LIFETIME = timedelta(days=5)  # postfix's maximal_queue_lifetime: then it has bounced


def cannot_spool(root: Path, error: str) -> None:
    """Note that a message could not be spooled, `error` said why. Best effort: run/
    may refuse it as spool/ did (a read-only file system: status says that itself)."""
    now = datetime.now(UTC)
    old = holding(root, now) or {}
    since, last = old.get("since") or now.isoformat(), now.isoformat()
    put(root / "run", INGEST_STALLED, json.dumps({"since": since, "last": last, "error": error}))


def holding(root: Path, now: datetime) -> dict[str, Any] | None:
    """The note, unless its last failure (an older one's: its first) is over LIFETIME
    before `now`: an old note nothing refreshes tells of a pipe no longer used."""
    note = read_note(root, INGEST_STALLED)
    last = aware_time(note.get("last") or note.get("since")) if note else None
    return note if last is not None and now - last <= LIFETIME else None


def spooled(root: Path) -> None:
    """A message is spooled: the pipe takes mail (again)."""
    with contextlib.suppress(OSError):
        (root / "run" / INGEST_STALLED).unlink(missing_ok=True)


def figures(root: Path, now: datetime) -> dict[str, Any]:
    return {"spool_failing": holding(root, now)}


def reasons(f: dict[str, Any]) -> list[str]:
    """`maild status`'s failing reason, from collect's figures."""
    stalled = (f.get("ingest") or {}).get("spool_failing")
    if not stalled:
        return []
    return [
        f"ingest: piped mail is deferred (the MTA keeps it, retries, and bounces it once "
        f"too old: postfix after {LIFETIME.days} days): it cannot be spooled "
        f"(since {stalled.get('since')}): {stalled.get('error')}; this holds until a piped "
        "mail is spooled again "
        "(postqueue -f retries them now)"
    ]
