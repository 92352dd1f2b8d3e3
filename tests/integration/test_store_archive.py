"""Closed tickets' summaries live in week files; a reopen takes the row out again,
also from a month file written before the week partitions. Open tickets' summaries
live in the parts of open/."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from maild.adapters.store import OPEN_PARTS, Store, open_part
from maild.domain.sender import Identification
from maild.domain.ticket import new_ticket

FREE = Identification("free", "none", None, "неизвестный адрес")


def ticket(status: str, tid: str = "1234-5678") -> dict:
    return {
        "tid": tid,
        "status": status,
        "level": "free",
        "requester": "ivan@shop-example.ru",
        "subject": "Не печатается счёт",
        "created_at": "2026-01-01T10:00:00+03:00",  # ISO week 2026-W01
        "closed_at": "2026-01-02T10:00:00+03:00" if status == "closed" else None,
    }


def listed(store: Store) -> dict[str, list[str]]:
    return {s: [r["tid"] for r in store.summaries(s)] for s in ("open", "closed")}


def test_closed_goes_to_its_week_and_back_out_on_reopen(tmp_path):
    store = Store(tmp_path)
    with store.locked():
        store.save(ticket("closed"), [])
    assert [p.name for p in (tmp_path / "archive").iterdir()] == ["2026-W01.json"]
    assert listed(store) == {"open": [], "closed": ["1234-5678"]}
    with store.locked():
        store.save(ticket("open"), [])
    assert listed(store) == {"open": ["1234-5678"], "closed": []}


def test_reopen_also_clears_a_month_file_of_an_older_store(tmp_path):
    store = Store(tmp_path)
    with store.locked():
        store.save(ticket("closed"), [])
    week = tmp_path / "archive" / "2026-W01.json"
    week.rename(tmp_path / "archive" / "2026-01.json")  # the layout before weeks
    store = Store(tmp_path)  # nothing kept parsed
    assert listed(store) == {"open": [], "closed": ["1234-5678"]}
    with store.locked():
        store.save(ticket("open"), [])
    assert listed(store) == {"open": ["1234-5678"], "closed": []}


TIDS = [f"{1000 + n}-{5000 + 7 * n}" for n in range(40)]


def _open_tickets(root) -> Store:
    """A store with the TIDS open."""
    store = Store(root)
    with store.locked():
        for tid in TIDS:
            store.save(ticket("open", tid), [])
    return store


def test_saving_an_open_ticket_rewrites_its_part_only(tmp_path):
    store = _open_tickets(tmp_path)
    parts = sorted((tmp_path / "open").iterdir())
    assert 1 < len(parts) <= OPEN_PARTS
    before = {p.name: p.stat().st_ino for p in parts}
    with store.locked():
        store.save(ticket("waiting", TIDS[0]), [])
    after = {p.name: p.stat().st_ino for p in sorted((tmp_path / "open").iterdir())}
    changed = [name for name in before if after[name] != before[name]]
    assert changed == [open_part(tmp_path, TIDS[0]).name]
    statuses = {r["tid"]: r["status"] for r in store.open_summaries()}
    assert sorted(statuses) == sorted(TIDS) and statuses[TIDS[0]] == "waiting"


def test_files_in_open_that_are_not_parts_are_neither_read_nor_removed(tmp_path):
    store = _open_tickets(tmp_path)
    stray = tmp_path / "open" / "notes.json"  # not maild's: left alone
    stray.write_text(json.dumps({"_default": {"1": ticket("open", "9999-9999")}}))
    store = Store(tmp_path)  # nothing kept parsed
    with store.locked():
        store.save(ticket("closed", TIDS[1]), [])
    assert stray.exists()
    assert sorted(listed(store)["open"]) == sorted(TIDS[:1] + TIDS[2:])
    assert listed(store)["closed"] == [TIDS[1]]


def test_parsed_summary_files_are_kept_within_a_byte_budget(tmp_path, monkeypatch):
    """Replies to many old tickets read many archive weeks: the files kept parsed
    between uses are bounded in bytes too, the least recently used going first."""
    from maild.adapters.store import FileCache

    monkeypatch.setattr(FileCache, "MAX_BYTES", 250)
    cache = FileCache()
    paths = []
    for n in range(4):
        path = tmp_path / f"2026-W0{n + 1}.json"
        path.write_text(json.dumps({"_default": {"1": {"tid": f"{n}", "subject": "x" * 70}}}))
        paths.append(str(path))
        assert cache.get(str(path))["_default"]["1"]["tid"] == f"{n}"
    assert 100 < Path(paths[0]).stat().st_size < 125  # two fit in 250 bytes, three do not
    assert list(cache.entries) == paths[2:]
    assert cache.size == sum(Path(p).stat().st_size for p in paths[2:])
    cache.forget(paths[3])
    assert list(cache.entries) == paths[2:3] and cache.size == Path(paths[2]).stat().st_size


def test_a_week_file_spans_its_iso_week_across_the_new_year(tmp_path):
    """30 December 2025 is in ISO week 2026-W01: its file is named so, and the span
    archive_files gives that file is the week's seven days, Monday 29 December to
    Sunday 4 January. Named by the calendar year (2025-W01, a span in January 2025), or
    a span a day short, a ticket would be left out of `ticket list --since` that day
    and out of its place in the closed tickets' listing."""
    store = Store(tmp_path)
    late = dict(ticket("closed"), created_at="2025-12-30T10:00:00+03:00")
    with store.locked():
        store.save(late, [])
    [(start, end, path)] = store.archive_files()
    assert path.name == "2026-W01.json"
    assert (start, end) == (date(2025, 12, 29), date(2026, 1, 5))


def test_an_archive_file_named_past_the_calendar_is_no_file_of_ours(tmp_path):
    """A file put in archive/ by hand as «99999999999999999999-01.json» (or «9999-12»,
    whose span ends past the last day Python has) was an OverflowError: `ticket list`
    and the daily sweep ended in a traceback. It is no file of ours, as «notes.json»."""
    store = Store(tmp_path)
    late = dict(ticket("closed"), created_at="2025-12-30T10:00:00+03:00")
    with store.locked():
        store.save(late, [])
    for name in ("99999999999999999999-01", "9999-12", "2026-W99999999999999999999"):
        (tmp_path / "archive" / f"{name}.json").write_text("{}")
    assert [p.name for _, _, p in store.archive_files()] == ["2026-W01.json"]


def stored_ticket(status: str) -> dict:
    """A ticket as maild writes it (Store.load reads it back), created as ticket()'s."""
    created = datetime.fromisoformat(ticket(status)["created_at"])
    full = new_ticket("1234-5678", "ivan@shop-example.ru", "Не печатается счёт", FREE, created,
                      lambda _level, at: at)  # fmt: skip
    return {**full, "status": status, "closed_at": ticket(status)["closed_at"]}


def test_a_closed_ticket_taken_out_leaves_no_row_in_its_week(tmp_path):
    """#spam takes a ticket out whatever its status: a closed one's row goes from its
    archive week, or `ticket list --status closed` would list a ticket with no file."""
    store = Store(tmp_path)
    with store.locked():
        store.save(stored_ticket("closed"), [])
        store.remove("1234-5678")
    assert listed(store) == {"open": [], "closed": []}


def test_a_deleted_ticket_leaves_no_row_in_a_month_file_of_an_older_store(tmp_path):
    """Retention deletes a ticket closed long ago, whose row a store made before the
    week partitions keeps in its month file: the row goes with the ticket."""
    store = Store(tmp_path)
    with store.locked():
        store.save(stored_ticket("closed"), [])
    (tmp_path / "archive" / "2026-W01.json").rename(tmp_path / "archive" / "2026-01.json")
    store = Store(tmp_path)  # nothing kept parsed
    with store.locked():
        loaded = store.load("1234-5678")
        assert loaded is not None
        store.delete_ticket(loaded[0])
    assert listed(store) == {"open": [], "closed": []}


@pytest.mark.parametrize("where", ["", "tickets/maild"])
def test_a_save_meeting_two_corrupt_summary_files_sets_both_aside(tmp_path, where):
    """Closing a ticket writes its open/ part and its archive week: both found garbage
    (a disk's damage), each is set aside and the ticket's row written, where one retry
    only made the mail of that ticket wait until `maild fsck --repair`. So too in a
    storage whose own path has a folder named «tickets» (/srv/tickets/maild): that
    was taken for a ticket file, never set aside, and every save raised."""
    tmp_path = tmp_path / where
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = Store(tmp_path)
    with store.locked():
        store.save(stored_ticket("open"), [])
        store.save(stored_ticket("closed"), [])
    for path in (open_part(tmp_path, "1234-5678"), tmp_path / "archive" / "2026-W01.json"):
        path.write_text("garbage")
    store = Store(tmp_path)  # nothing kept parsed
    with store.locked():
        store.save(stored_ticket("closed"), [])
    assert listed(store) == {"open": [], "closed": ["1234-5678"]}
    kept = sorted(p.parent.name for p in (tmp_path / "lost+found").rglob("*") if p.is_file())
    assert kept == ["archive", "open"]  # a copy of each for a post-mortem


def test_a_row_added_by_another_store_object_keeps_the_rows_there(tmp_path):
    """A summary file's next free row is found past its last one when the file is
    read afresh (after a restart, or another process's write): a row given the last
    one's place would replace it, and that ticket would vanish from every listing."""
    for tid in TIDS[:3]:  # each by a Store that has kept nothing parsed
        store = Store(tmp_path)
        with store.locked():
            store.save(ticket("closed", tid), [])
    assert listed(Store(tmp_path))["closed"] == sorted(TIDS[:3])


def test_an_open_part_found_corrupt_is_refilled_with_its_open_tickets_only(tmp_path):
    """A part of open/ found corrupt when a ticket of it is saved is set aside and
    filled again from the ticket files of its part: the open tickets' rows come back,
    and a closed ticket of the same part, whose row is in its archive week, gets none
    there (it would be listed twice, once as open)."""
    part = open_part(tmp_path, TIDS[0])
    kin = (t for t in (f"{n}-0000" for n in range(1000, 9999)) if open_part(tmp_path, t) == part)
    closed, later = next(kin), next(kin)
    created = datetime.fromisoformat(ticket("open")["created_at"])

    def save(store: Store, tid: str, status: str) -> None:
        full = new_ticket(tid, "ivan@shop-example.ru", "Счёт", FREE, created,
                          lambda _level, at: at)  # fmt: skip
        with store.locked():
            store.save({**full, "status": status, "closed_at": ticket(status)["closed_at"]}, [])

    store = Store(tmp_path)
    save(store, TIDS[0], "open")
    save(store, closed, "closed")
    part.write_bytes(b"\x00" * 16)  # a disk's damage
    store = Store(tmp_path)  # nothing kept parsed
    save(store, later, "open")  # meets the part: set aside, filled again
    shown = listed(store)
    assert (sorted(shown["open"]), shown["closed"]) == (sorted([TIDS[0], later]), [closed])


def test_a_row_without_a_summarys_fields_is_skipped_by_listings(tmp_path):
    """A row of open/ without the fields every summary has (a hand edit, a file of
    another program's) is left out of `ticket list` and the jobs, with a line naming the
    file; the part's other rows are listed (let through, `ticket list` ended in a
    KeyError traceback)."""
    from maild.adapters.store.summaries import readable_rows

    _open_tickets(tmp_path)
    part = open_part(tmp_path, TIDS[0])
    data = json.loads(part.read_text())
    data["_default"]["999"] = {"tid": "9999-9999"}
    part.write_text(json.dumps(data))
    rows = readable_rows(part, None)
    assert "9999-9999" not in [r["tid"] for r in rows] and TIDS[0] in [r["tid"] for r in rows]
    assert sorted(r["tid"] for r in Store(tmp_path).open_summaries()) == sorted(TIDS)


def test_a_ticket_file_copied_under_another_tids_name_is_no_ticket_of_it(tmp_path):
    """A ticket's file copied by hand to another TID's place (a restore gone wrong) is
    not read as that ticket, whose TID its records do not hold: the store calls it
    corrupt rather than loading another ticket's thread under this TID."""
    from maild.adapters.store import CorruptFile

    created = datetime.fromisoformat(ticket("open")["created_at"])
    store = Store(tmp_path)
    full = new_ticket(TIDS[0], "ivan@shop-example.ru", "Счёт", FREE, created,
                      lambda _level, at: at)  # fmt: skip
    with store.locked():
        store.save(full, [])
    copy = Path(store._ticket_path(TIDS[1]))
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(Path(store._ticket_path(TIDS[0])).read_bytes())
    store = Store(tmp_path)  # nothing kept parsed
    assert store.load(TIDS[0])[0]["tid"] == TIDS[0]
    with pytest.raises(CorruptFile, match="not a ticket file"):
        store.load(TIDS[1])


def test_a_ticket_file_with_no_ticket_record_is_corrupt_not_a_crash(tmp_path):
    """A ticket file holding no ticket record (`{}`, as a restore or an editor may
    leave it) reads as a file that is not a ticket's, named as such: never a
    traceback, nor a ticket of that TID."""
    from maild.adapters.store import CorruptFile

    store = Store(tmp_path)
    path = Path(store._ticket_path(TIDS[0]))
    path.parent.mkdir(parents=True, exist_ok=True)
    for text in ("{}", '{"ticket": {}, "messages": {}}'):
        path.write_text(text)
        with pytest.raises(CorruptFile, match="not a ticket file"):
            Store(tmp_path).load(TIDS[0])


def test_a_tid_whose_file_cannot_be_known_absent_is_not_drawn_for_a_new_ticket(tmp_path):
    """A new ticket's TID is not one whose folder maild cannot look into (here a
    symlink loop; root's 0700 folder alike): a ticket may be there, and the new
    one's file could not be written there (its mail would wait for nothing)."""
    from maild.adapters.store import CorruptFile

    store = Store(tmp_path)
    folder = Path(store._ticket_path(TIDS[0])).parent
    folder.symlink_to(folder.name)  # ELOOP: neither there nor known to be absent
    with pytest.raises(CorruptFile):
        store.ticket_exists(TIDS[0])
    assert store.tid_taken(TIDS[0])
    assert not store.tid_taken("9911-0000")
