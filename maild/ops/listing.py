"""`maild ticket list` at any size: filters, and rows streamed in order.

The archive keeps closed tickets' summaries by creation week, so reading its files
in order of their weeks (sorting only inside a file, or inside a run of files
whose spans overlap, as the legacy month files do with weeks) gives the closed
tickets oldest first without holding or sorting all of them; the open ones (a few
hundred) are merged in. `--since` skips whole files. With `--json` each ticket is
loaded, printed and dropped: memory does not grow with the number of tickets
(the JSON array is never built whole).

Order: tickets not closed that jump the queue first (domain.queue.jumps_queue: marked
critical), then all in order of arrival (created_at, then TID).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain, islice
from operator import itemgetter
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from maild.adapters.store import Store
from maild.adapters.store.rebuild import load_listed
from maild.domain.addresses import comparable_address, comparable_domain
from maild.domain.pending import next_due
from maild.domain.queue import jumps_queue
from maild.domain.records import Summary
from maild.output import json_text


@dataclass(frozen=True)
class Filter:
    status: str | None = None
    since: date | None = None
    requester: str | None = None  # an address, or "@domain" for everyone there
    level: str | None = None
    limit: int | None = None

    def keeps(self, row: Summary) -> bool:
        if self.status and row["status"] != self.status:
            return False
        if self.level and row["level"] != self.level:
            return False
        if self.since and row["created_at"][:10] < self.since.isoformat():
            return False
        if self.requester:  # an IDN domain in either spelling (a ticket from the site
            who = row.get("requester") or ""  # keeps A-labels: addresses.comparable_*)
            if self.requester.startswith("@"):
                domain = who.rpartition("@")[2]
                return "@" in who and comparable_domain(domain) == self._domain
            return comparable_address(who) == comparable_address(self.requester)
        return True

    @property
    def _domain(self) -> str:
        return comparable_domain(self.requester[1:]) if self.requester else ""


_key = itemgetter("created_at", "tid")  # the order of arrival


def _archived(store: Store, f: Filter, live: Sequence[Summary] = ()) -> Iterator[Summary]:
    """Closed tickets' summaries, oldest first, one run of overlapping files at a
    time, with the rows of `live` (sorted; open tickets) put in their places."""
    run: list[Any] = []
    run_end: date | None = None
    files = [x for x in store.archive_files() if not f.since or x[1] > f.since]
    i = 0  # the next row of live
    for start, end, path in [*files, (None, None, None)]:
        if run and (start is None or run_end is None or start >= run_end):
            rows = [r for p in run for r in store.archive_rows(p) if f.keeps(r)]
            # open tickets created before this run ends belong among its rows
            j = i
            limit = run_end.isoformat() if start is not None and run_end else None
            while j < len(live) and (limit is None or live[j]["created_at"][:10] < limit):
                j += 1
            rows += live[i:j]
            i = j
            rows.sort(key=_key)
            yield from rows
            run, run_end = [], None
        if path is not None and end is not None:  # (not the closing None)
            run.append(path)
            run_end = end if run_end is None else max(run_end, end)
    yield from live[i:]


def rows(store: Store, f: Filter) -> Iterator[Summary]:
    """Summaries that pass the filter, in list order, at most `limit`."""
    found: Iterable[Summary]
    if f.status == "closed":
        found = _archived(store, f)
    else:
        live = sorted((r for r in store.open_summaries() if f.keeps(r)), key=_key)
        urgent = [r for r in live if jumps_queue(r)]  # critical first (domain.queue)
        rest = [r for r in live if not jumps_queue(r)]
        found = chain(urgent, _archived(store, f, rest)) if f.status is None else urgent + rest
    return islice(found, f.limit) if f.limit else iter(found)


class TimeFormat:
    """Times as people read them (25.11.2026 15:30, in the desk's zone), fast.

    Only the hour can change between the stored offset and the desk's zone: the
    local "date hour" is worked out once per stored hour and offset, and the
    minutes are copied. An hour in which the zone changes its offset, or an offset
    that differs by part of an hour, is converted in full."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._hours: dict[tuple[str, str], str | None] = {}

    def _hour(self, value: str) -> str | None:
        key = (value[:13], value[16:])  # the hour, and what follows the minutes
        if key not in self._hours:
            self._hours[key] = None
            try:
                top = datetime.fromisoformat(f"{value[:13]}:00{value[16:]}")
            except ValueError:
                return None
            if top.tzinfo is None:
                return None
            a, b = top.astimezone(self.tz), (top + timedelta(minutes=59)).astimezone(self.tz)
            if a.utcoffset() == b.utcoffset() and a.minute == 0:
                self._hours[key] = f"{a.day:02d}.{a.month:02d}.{a.year} {a.hour:02d}:"
        return self._hours[key]

    def __call__(self, value: str | None) -> str:
        if not value:
            return ""
        if value[10:11] == "T" and value[13:14] == ":":
            # the seconds and fraction vary: the key keeps only the offset after them
            hour = self._hour(value[:16] + value[-6:])
            if hour is not None:
                return hour + value[14:16]
        d = datetime.fromisoformat(value).astimezone(self.tz)
        return f"{d.day:02d}.{d.month:02d}.{d.year} {d.hour:02d}:{d.minute:02d}"


HEADER = f"{'TID':<10} {'status':<8} {'level':<12} {'created':<17} {'due':<17} requester / subject"


class _Padded(dict):
    """Column text padded to its width, made once per distinct value."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def __missing__(self, value: Any) -> str:
        text = f"{value or '':<{self.width}}"
        self[value] = text
        return text


def print_table(found: Iterable[Summary], fmt: TimeFormat, out: TextIO) -> int:
    """The plain listing, written in chunks; the number of rows."""
    n = 0
    lines: list[str] = []
    statuses, levels = _Padded(8), _Padded(12)
    no_due = " " * 17
    for r in found:
        if not n:
            lines.append(HEADER)
        n += 1
        flag = "!" if r.get("critical") else " "
        due = next_due(r) if r.get("merged_waits") else r["reaction_due"]  # the nearest
        # (a time is always 16 characters: "25.11.2026 15:30")
        lines.append(
            f"{r['tid']:<10}{flag}{statuses[r['status']]} {levels[r['level']]} "
            f"{fmt(r['created_at'])}  {f'{fmt(due)} ' if due else no_due} "
            f"{r['requester']}  {r['subject']}"
        )
        if len(lines) >= 2048:
            out.write("\n".join(lines) + "\n")
            lines = []
    if lines:
        out.write("\n".join(lines) + "\n")
    if not n:
        out.write("no tickets\n")
    return n


def print_json(found: Iterable[Summary], store: Store, as_json: Any, out: TextIO) -> int:
    """A JSON array of full tickets (the INTERFACE.md shape, via `as_json`), one
    loaded at a time; the number printed."""
    n = 0
    out.write("[")
    for r in found:
        loaded = load_listed(store, r["tid"])  # a corrupt file: logged and skipped
        if loaded is None:
            continue
        text = json_text(as_json(*loaded), out)
        out.write(("\n  " if not n else ",\n  ") + text.replace("\n", "\n  "))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n
