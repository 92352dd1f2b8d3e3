"""Closed tickets' summaries live in week files; a reopen takes the row out again,
also from a month file written before the week partitions."""

from __future__ import annotations

from maild.adapters.store import Store


def ticket(status: str) -> dict:
    return {
        "tid": "1234-5678",
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
