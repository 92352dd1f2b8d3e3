"""`maild ticket list`'s plain table (ops.listing.print_table): the `!` of a ticket
marked critical (README, #critical), and its times in the desk's zone through
TimeFormat's per-hour cache, which must not copy the stored minutes into a zone whose
offset is not whole hours; and `--since` over the archive's week files."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.ops.listing import Filter, TimeFormat, print_table, rows


def _row(tid: str, critical: bool) -> dict[str, object]:
    return {
        "tid": tid,
        "status": "open",
        "level": "standard",
        "created_at": "2026-11-25T12:30:00+00:00",
        "reaction_due": None,
        "requester": "olga@client.ru",
        "subject": "Касса",
        "critical": critical,
    }


def test_a_critical_ticket_is_marked_with_an_exclamation_mark() -> None:
    """README: a ticket marked #critical shows `!` in `ticket list`; the others a blank."""
    out = io.StringIO()
    rows = [_row("A-1", True), _row("A-2", False)]
    assert print_table(rows, TimeFormat(ZoneInfo("UTC")), out) == 2
    _header, urgent, plain = out.getvalue().splitlines()
    assert urgent.startswith("A-1       !open") and plain.startswith("A-2        open")


@given(
    st.sampled_from(["Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "Europe/Moscow"]),
    st.integers(0, 2 * 365 * 24 * 60),
)
def test_a_time_reads_as_the_desks_zone_says_in_any_offset(zone: str, minutes: int) -> None:
    """A desk in India (+05:30) or Nepal (+05:45): 15:10 UTC is 20:40 there, not the
    20:10 that the hour worked out once and the stored minutes copied would give."""
    tz = ZoneInfo(zone)
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    fmt = TimeFormat(tz)
    fmt(at.replace(minute=0).isoformat())  # the hour cached first, as a listing does
    local = at.astimezone(tz)
    assert fmt(at.isoformat()) == local.strftime("%d.%m.%Y %H:%M")


def test_an_hour_in_which_the_zone_changes_its_offset_is_converted_in_full() -> None:
    """Casey station (Antarctica) moved from +08 to +11 at 16:01 UTC on 1 October
    2022: that hour's 16:00 reads 00:00, its 16:30 reads 03:30, not the 00:30 that
    the hour cached at 16:00 and the stored minutes copied would give."""
    fmt = TimeFormat(ZoneInfo("Antarctica/Casey"))
    assert fmt("2022-10-01T16:00:00+00:00") == "02.10.2022 00:00"
    assert fmt("2022-10-01T16:30:00+00:00") == "02.10.2022 03:30"


class Archived:
    """What `ticket list --status closed` reads of a store: one archive week file."""

    def __init__(self, summaries: list[dict[str, Any]]) -> None:
        self.summaries = summaries

    def archive_files(self) -> list[tuple[date, date, str]]:
        return [(date(2026, 11, 23), date(2026, 11, 30), "2026-W48.json")]

    def archive_rows(self, _path: str) -> list[dict[str, Any]]:
        return list(self.summaries)


def test_since_lists_the_closed_tickets_of_a_week_it_falls_inside() -> None:
    """--since skips only the archive files that end by that day: a week that begins
    before it and ends after it holds tickets created since (skipped by the file's
    first day, `ticket list --since` named none of that week's)."""
    made = [
        {**_row("A-1", False), "status": "closed", "created_at": "2026-11-24T10:00:00+00:00"},
        {**_row("A-2", False), "status": "closed", "created_at": "2026-11-27T10:00:00+00:00"},
    ]
    f = Filter(status="closed", since=date(2026, 11, 26))
    assert [r["tid"] for r in rows(Archived(made), f)] == ["A-2"]


class Desk:
    """What `ticket list` reads of a store: open tickets and archive files, each
    (first day, day after the last, its rows)."""

    def __init__(self, live: list[dict[str, Any]], files: list[tuple[date, date, list[Any]]]):
        self.live, self.files = live, files

    def open_summaries(self) -> list[dict[str, Any]]:
        return list(self.live)

    def archive_files(self) -> list[tuple[date, date, int]]:
        return sorted((start, end, n) for n, (start, end, _rows) in enumerate(self.files))

    def archive_rows(self, n: int) -> list[dict[str, Any]]:
        return list(self.files[n][2])


def _at(tid: str, status: str, created: str) -> dict[str, Any]:
    return {**_row(tid, False), "status": status, "created_at": created}


def test_status_lists_only_the_tickets_in_that_status() -> None:
    """`ticket list --status waiting` (or new, open): the tickets in it, none of the
    other tickets not closed (all of them are read from the same open summaries)."""
    live = [
        _at("A-1", "open", "2026-11-24T10:00:00+00:00"),
        _at("A-2", "waiting", "2026-11-24T11:00:00+00:00"),
        _at("A-3", "new", "2026-11-24T12:00:00+00:00"),
    ]
    for status, tid in (("open", "A-1"), ("waiting", "A-2"), ("new", "A-3")):
        assert [r["tid"] for r in rows(Desk(live, []), Filter(status=status))] == [tid]


def test_an_open_ticket_of_a_weeks_first_day_is_listed_among_that_weeks_tickets() -> None:
    """Arrival order over the archive: an open ticket made on the day a week file
    begins comes after that week's closed tickets made earlier that day, not before
    them with the week before (whose file ends, exclusive, on that day)."""
    monday = date(2026, 11, 30)
    week = timedelta(days=7)
    weeks = [
        (monday - week, monday, [_at("A-1", "closed", "2026-11-25T10:00:00+00:00")]),
        (monday, monday + week, [_at("A-2", "closed", "2026-11-30T08:00:00+00:00")]),
    ]
    live = [_at("A-3", "open", "2026-11-30T09:00:00+00:00")]
    assert [r["tid"] for r in rows(Desk(live, weeks), Filter())] == ["A-1", "A-2", "A-3"]


def test_a_long_table_lists_each_ticket_once() -> None:
    """The table is written in chunks of 2048 lines: a desk with more tickets sees
    each of them once, in order."""
    made = [_row(f"A-{n}", False) for n in range(5000)]
    out = io.StringIO()
    assert print_table(made, TimeFormat(ZoneInfo("UTC")), out) == 5000
    lines = out.getvalue().splitlines()
    assert len(lines) == 5001 and [line.split()[0] for line in lines[1:]] == [
        f"A-{n}" for n in range(5000)
    ]


def test_the_due_column_is_the_nearest_deadline_of_a_customer_merged_in() -> None:
    """README, Merging tickets: a ticket with a customer merged in before any reaction
    is due by the nearer of its own deadline and theirs; `ticket list` shows that one,
    not the ticket's own later one."""
    row = {
        **_row("A-1", False),
        "reaction_due": "2026-11-26T18:00:00+00:00",
        "merged_waits": [
            {
                "tid": "B-2",
                "created_at": "2026-11-25T11:00:00+00:00",
                "first_reaction_due": "2026-11-25T15:00:00+00:00",
            }
        ],
    }
    out = io.StringIO()
    assert print_table([row], TimeFormat(ZoneInfo("UTC")), out) == 1
    line = out.getvalue().splitlines()[1]
    assert "25.11.2026 15:00" in line and "26.11.2026 18:00" not in line, line


def test_a_month_file_of_an_older_store_is_merged_with_the_weeks_it_overlaps() -> None:
    """An older store's month file spans the weeks beside it: its tickets of the last
    days of November are listed in order with those of the week files that cover those
    days, the week after the one inside it (W48) as well."""
    w48, w49 = date(2026, 11, 23), date(2026, 11, 30)
    files = [
        (date(2026, 11, 1), date(2026, 12, 1), [_at("M-1", "closed", "2026-11-30T12:00:00+00:00")]),
        (w48, w48 + timedelta(days=7), [_at("W-1", "closed", "2026-11-24T09:00:00+00:00")]),
        (w49, w49 + timedelta(days=7), [_at("W-2", "closed", "2026-11-30T08:00:00+00:00")]),
    ]
    found = rows(Desk([], files), Filter(status="closed"))
    assert [r["tid"] for r in found] == ["W-1", "W-2", "M-1"]


def test_requester_at_a_domain_matches_addresses_there_only() -> None:
    """`--requester @shop.ru`: addresses at shop.ru (either IDN spelling), not a
    requester recorded without an address that reads «shop.ru» (a From: line with
    only a domain), nor one at a subdomain."""
    f = Filter(requester="@shop.ru")
    for who, kept in (("olga@shop.ru", True), ("shop.ru", False), ("a@mail.shop.ru", False)):
        assert f.keeps({**_row("A-1", False), "requester": who}) is kept, who
