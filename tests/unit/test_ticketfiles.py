"""The store's layout of ticket files (adapters/store/ticketfiles.py) is the one the
Store writes to, `maild fsck` looks in and calls no stray."""

from __future__ import annotations

import os
from pathlib import Path

from maild.adapters.store.ticketfiles import ticket_file_tid, ticket_path
from maild.fsckfiles import stray_files


def test_a_ticket_file_where_the_layout_puts_it_is_no_stray_and_elsewhere_is(tmp_path: Path):
    placed = [Path(ticket_path(tmp_path, tid)) for tid in ("1234-5678", "9900-0001")]
    misplaced = tmp_path / "tickets" / "56" / "1234-5678.json"  # another TID's folder
    other = tmp_path / "tickets" / "12" / "notes.json"
    for path in (*placed, misplaced, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    assert placed[0] == tmp_path / "tickets" / "12" / "1234-5678.json"
    assert stray_files(tmp_path) == sorted([misplaced, other])
    for path, tid in zip(placed, ("1234-5678", "9900-0001"), strict=True):
        assert ticket_file_tid(tmp_path, os.fspath(path.parent), path.name) == tid
    assert ticket_file_tid(tmp_path, os.fspath(misplaced.parent), misplaced.name) is None


def test_a_writes_temp_file_in_tickets_is_no_stray(tmp_path: Path):
    """A ticket's temp file (durable.temp_path: .<name>.<pid>.<ns>.tmp) is a write under
    way or a leftover fsck names as such: not «not a ticket file», which --repair would
    move aside from under its writer's rename."""
    folder = tmp_path / "tickets" / "12"
    folder.mkdir(parents=True)
    (folder / ".1234-5678.json.4242.1700000000000000000.tmp").write_text("{}")
    (folder / "1234-5678.json.tmp").write_text("{}")  # no writer's name: a stray
    assert stray_files(tmp_path) == [folder / "1234-5678.json.tmp"]
