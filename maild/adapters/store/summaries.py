"""Ticket summaries: one row per ticket in a part of open/ while it is not closed,
then in the archive week it was created in.

A summary file's rows are changed in place and the whole document written back, so
one upsert costs the same with ten open tickets or ten thousand (TinyDB's own Table
copies the table twice per write and scans it for the next id)."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB

from maild.adapters.durable import names_in
from maild.adapters.store.files import DurableJSONStorage, FileCache, StoreUnavailable
from maild.domain.recordcheck import summary_fault
from maild.domain.records import Summary, Ticket

log = logging.getLogger("maild.store")

SUMMARY_FIELDS = (
    "tid",
    "status",
    "level",
    "requester",
    "subject",
    "created_at",
    "reaction_due",
    "reaction_from",  # (the reminders' pass over tickets not due: jobs.reminders)
    "first_reaction_at",
    "first_reaction_due",
    "first_reaction_level",  # (the SLA report's level of the first deadline)
    "critical",
    "assignee",
    "closed_at",
)
SUMMARY_KEYS = frozenset(("tid", "status", "level", "requester", "created_at"))
# in the rows of the few tickets that have them (merged: the SLA report, mergedwait)
MERGE_FIELDS = ("merged_into", "merged_waits")
# in the rows of tickets with a follow-up's deadline (domain/followups.py: the level of
# the pending one, the outcomes of those that ended, counted by level): the SLA report
FOLLOWUP_FIELDS = ("reaction_level", "later_reactions", "reaction_judged", "merged_followups")
# only where set (a row without one reads as none: no follow-up); first_reaction_from:
# a ticket opened by automatic mail, whose first deadline started later (the report)
SPARSE_FIELDS = (*MERGE_FIELDS, *FOLLOWUP_FIELDS, "first_reaction_from")
# gained after release
LATER_FIELDS = frozenset(("reaction_from", "first_reaction_level", *SPARSE_FIELDS))


def same_row(have: object, want: Mapping[str, object]) -> bool:
    """A stored summary row says what its ticket says. One written before a field of
    LATER_FIELDS existed lacks it, and is not stale for that: it gains it when its
    ticket next changes (and its reader falls back, as jobs.reminders does)."""
    if have == want:
        return True
    return isinstance(have, dict) and have == {
        k: v for k, v in want.items() if k in have or k not in LATER_FIELDS
    }


OPEN_PARTS = 256
PART_NAMES = frozenset(f"{n:02x}.json" for n in range(OPEN_PARTS))


def open_part(root: Path, tid: str) -> Path:
    """The file of open/ that holds the summary of `tid` while it is not closed."""
    return root / "open" / f"{zlib.crc32(tid.encode()) % OPEN_PARTS:02x}.json"


def summary_of(ticket: Ticket) -> Summary:
    """The row of a ticket in open/ or its archive week (SPARSE_FIELDS only where set)."""
    row = {k: ticket.get(k) for k in SUMMARY_FIELDS} | {
        k: ticket.get(k) for k in SPARSE_FIELDS if ticket.get(k)
    }
    return cast(Summary, row)  # (the fields are Summary's keys, a ticket's values)


def archive_path(root: str, ticket: Ticket) -> str:
    """The ISO week the ticket was created in: a reply to an old ticket rewrites a
    week's summaries (~1/150 of three years), not a month's."""
    year, week, _ = date.fromisoformat(ticket["created_at"][:10]).isocalendar()
    return f"{root}/archive/{year}-W{week:02d}.json"


def month_archive_path(root: str, ticket: Ticket) -> str:
    """Where stores made before the week partitions keep it: by creation month."""
    return f"{root}/archive/{ticket['created_at'][:7]}.json"


_NEXT_ID = object()  # the index key of the next free doc id (never a TID)


def rows(db: TinyDB, cache: FileCache) -> tuple[dict[str, Any], dict[str, Any], dict[Any, Any]]:
    """A summary file's tables, its table of rows (doc id -> row) and an index of
    that table: TID -> doc id, and the next free doc id.

    The index is kept in `cache` for as long as its table object lives (TinyDB
    replaces the object whenever it writes the table itself, and the index is
    rebuilt), and dropped with the file's parsed copy: one table per file at most."""
    tables = db.storage.read() or {}
    table = tables.setdefault(db.default_table_name, {})
    storage = db.storage
    assert isinstance(storage, DurableJSONStorage)  # a summary file's (open_db: not whole)
    path = storage.path
    hit = cache.tid_index.get(path)
    if hit is None or hit[0] is not table:
        if len(cache.tid_index) > cache.MAX:
            cache.tid_index.clear()
        index: dict[Any, Any] = {doc["tid"]: k for k, doc in table.items() if "tid" in doc}
        index[_NEXT_ID] = max((int(k) for k in table), default=0) + 1
        hit = (table, index)
        cache.tid_index[path] = hit
    return tables, table, hit[1]


def upsert(db: TinyDB, cache: FileCache, tid: str, summary: Summary) -> None:
    tables, table, index = rows(db, cache)
    key = index.get(tid)
    if key is not None and table.get(key) == summary:
        return
    if key is None:
        key = str(index[_NEXT_ID])
        index[_NEXT_ID] += 1
        index[tid] = key
    table[key] = summary
    db.storage.write(tables)


def remove_row(db: TinyDB, cache: FileCache, tid: str) -> bool:
    """Remove the row of `tid`; False if there was none."""
    tables, table, index = rows(db, cache)
    key = index.pop(tid, None)
    if key is None:
        return False
    table.pop(key, None)
    db.storage.write(tables)
    return True


def table_rows(path: Path, cache: FileCache | None = None) -> list[Summary]:
    """The rows of a summary file, as its TinyDB would give them (without one); with
    `cache`, the parsed file is kept there."""
    tables = DurableJSONStorage(str(path), cache=cache, keep=True).read() or {}
    return list(tables.get(TinyDB.default_table_name, {}).values())


def readable_rows(path: Path, cache: FileCache | None) -> list[Summary]:
    """A summary file's rows for listings and jobs: a corrupt or unreadable file is
    logged with its path and skipped (its tickets are missing from the listing until
    `maild fsck --repair` rebuilds it; the other tickets are still served)."""
    try:
        found = table_rows(path, cache)
    except StoreUnavailable as e:
        log.error("skipping a summary file: %s", e)
        return []
    return whole_rows(path, found)


def whole_rows(path: Path, found: list[Summary]) -> list[Summary]:
    """The rows of `found` (read of `path`) with every field as maild writes it: the
    others are logged and skipped (`maild fsck` names the file, `--repair` rewrites it)."""
    good = [r for r in found if isinstance(r, dict) and not summary_fault(r, SUMMARY_KEYS)]
    if len(good) != len(found):
        log.error(
            "%s: %d malformed row(s) skipped (run `maild fsck`)", path, len(found) - len(good)
        )
    return good


def json_files(folder: Path) -> list[Path]:
    """The summary files in `folder`, by name; none when it is not there (a new store).
    A folder maild may not list (left root's by a root's `cp -a`) raises its
    PermissionError: read as empty (what glob does), every listing said "no tickets",
    the report had none and no reminder went, without a word."""
    names = sorted(names_in(folder))
    return [folder / n for n in names if n.endswith(".json") and not n.startswith(".")]


def open_files(root: Path) -> list[Path]:
    """The parts of open/ (other files there are not maild's)."""
    return [p for p in json_files(root / "open") if p.name in PART_NAMES]


def archive_files(root: Path) -> list[tuple[date, date, Path]]:
    """The archive's summary files with the span of creation dates each holds
    (first day, day after the last), in order of that span."""
    out = []
    for p in json_files(root / "archive"):
        year, _, part = p.stem.partition("-")
        try:
            if part.startswith("W"):
                start = date.fromisocalendar(int(year), int(part[1:]), 1)
                end = start + timedelta(days=7)
            else:
                start = date(int(year), int(part), 1)
                end = (start + timedelta(days=32)).replace(day=1)
        except (ValueError, OverflowError):  # (a year of 20 figures; «9999-12» ends past)
            continue  # not a file of ours
        out.append((start, end, p))
    out.sort()
    return out
