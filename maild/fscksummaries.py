"""`maild fsck`'s look at the summaries (open/ parts, archive weeks), derived from the
ticket files: each row compared with what the tickets say (`expected_summaries`), a
corrupt, stale or malformed file rebuilt from them by --repair (a corrupt one copied to
lost+found/ first)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from maild.adapters.store import CorruptFile, DurableJSONStorage, StoreUnavailable, open_part
from maild.adapters.store.rebuild import keep_copy, summary_of
from maild.adapters.store.summaries import same_row, table_rows
from maild.domain.records import Summary

if TYPE_CHECKING:  # fsck calls these with itself
    from maild.fsck import Fsck

TABLE = "_default"  # TinyDB's default table: the rows of a summary file


def expected_summaries(check: Fsck) -> dict[Path, dict[str, Summary]]:
    """Summary file -> TID -> row, as the ticket files say."""
    out: dict[Path, dict[str, Summary]] = {}
    for tid, ticket in check.tickets.items():
        if ticket.get("status") == "closed":
            year, week, _ = date.fromisoformat(ticket["created_at"][:10]).isocalendar()
            path = check.root / "archive" / f"{year}-W{week:02d}.json"
        else:
            path = open_part(check.root, tid)
        out.setdefault(path, {})[tid] = summary_of(ticket)
    return out


def summary_files(check: Fsck) -> list[Path]:
    files = sorted((check.root / "open").glob("*.json"))
    return files + sorted((check.root / "archive").glob("*.json"))


def check_summaries(check: Fsck) -> None:
    expected = expected_summaries(check)
    for path in sorted(set(summary_files(check)) | set(expected)):
        if not check.wanted(path):
            continue
        want = expected.get(path, {})
        try:
            rows = table_rows(path, check.app.store.cache) if path.exists() else []
        except CorruptFile as e:
            if e.unreadable:  # (its rows may be right: not rebuilt over them)
                check.unreadable(e)
                continue
            check.problem(path, f"corrupt summary file ({e.why})", "rebuilt from the tickets")
            if check.repair:
                keep_copy(check.app.store, path)
                write_summary(check, path, want)
            continue
        except StoreUnavailable as e:
            why = getattr(e, "why", e)  # not its path again, nor "run `maild fsck`"
            check.problem(path, f"corrupt summary file ({why})", "rebuilt from the tickets")
            if check.repair:
                keep_copy(check.app.store, path)
                write_summary(check, path, want)
            continue
        have = {r.get("tid"): r for r in rows if isinstance(r, dict)}
        # a corrupt ticket's row: reported with its file; kept while the file is
        # (unreadable: status still counts it), dropped when it is set aside
        want = {**want, **{t: r for t, r in have.items() if check.corrupt.get(t) is False}}
        wrong = sorted(t for t in want if not same_row(have.get(t), want[t]))
        extra = sorted(str(t) for t in have if t not in want and t not in check.corrupt)
        if not wrong and not extra and len(have) == len(rows):
            if check.repair and any(t not in want for t in have):
                write_summary(check, path, want)
            continue
        what = []
        if wrong:
            what.append(f"{len(wrong)} row(s) missing or stale ({', '.join(wrong[:5])})")
        if extra:
            what.append(f"{len(extra)} row(s) of no such ticket here ({', '.join(extra[:5])})")
        if len(have) != len(rows):
            what.append("malformed rows")
        check.problem(path, "; ".join(what), "rebuilt from the tickets")
        if check.repair:
            write_summary(check, path, want)


def write_summary(check: Fsck, path: Path, rows: dict[str, Summary]) -> None:
    cache = check.app.store.cache
    storage = DurableJSONStorage(str(path), cache=cache, keep=True)
    cache.forget(path)
    if not rows:
        check.app.store.files().remove(path)
        return
    table = {str(n): row for n, row in enumerate(rows.values(), 1)}
    storage.write({TABLE: table})
