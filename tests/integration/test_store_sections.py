"""Within a locked section the store reads an index or summary file once; what
another process wrote before it took the lock is always seen, and so are the
section's own writes. What it keeps parsed between sections survives another
process's section only where that section left it alone."""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path

from maild.adapters.store import FileCache, Store, open_part
from maild.domain.sender import License


def _in_child(root: str, step: str) -> None:
    store = Store(Path(root))
    with store.locked():
        if step == "sender":
            store.record_sender("anna@shop-example.ru", "1111-2222", "2026-03-01T10:00:00+00:00")
        elif step == "msgid":
            store.index_msgid("<m1@shop-example.ru>", "1111-2222")
        elif step == "license":
            store.add_license(
                License(key="L-1", level="vip", emails=("anna@shop-example.ru",), until=None)
            )
        elif step == "ticket":
            store.save(ticket("2222-3333"), [])
        elif step == "dies":  # a section that never commits
            store.save(ticket("2222-3333"), [])
            os._exit(0)


def ticket(tid: str) -> dict:
    return {
        "tid": tid,
        "status": "open",
        "level": "free",
        "requester": "anna@shop-example.ru",
        "subject": "Не печатается счёт",
        "created_at": "2026-01-01T10:00:00+03:00",
        "closed_at": None,
    }


def other_process(root: Path, step: str) -> None:
    proc = multiprocessing.get_context("fork").Process(target=_in_child, args=(str(root), step))
    proc.start()
    proc.join()
    assert proc.exitcode == 0


def test_what_another_process_wrote_between_two_sections_is_seen(tmp_path):
    store = Store(tmp_path)
    with store.locked():  # every file looked at, and found absent
        assert store.sender_first_seen("anna@shop-example.ru") is None
        assert store.tid_for_msgid("<m1@shop-example.ru>") is None
        assert store.registry() == ([], [])
    for step in ("sender", "msgid", "license"):
        other_process(tmp_path, step)
    with store.locked():
        assert store.sender_first_seen("anna@shop-example.ru") == "2026-03-01"
        assert store.tid_for_msgid("<m1@shop-example.ru>") == "1111-2222"
        assert [lic.key for lic in store.registry()[0]] == ["L-1"]
    # outside a locked section as well
    assert store.tid_for_msgid("<m1@shop-example.ru>") == "1111-2222"


def test_a_section_sees_its_own_writes_over_what_it_read(tmp_path):
    store = Store(tmp_path)
    with store.locked():
        assert store.tid_for_msgid("<m2@shop-example.ru>") is None
        assert store.auto_replies("boris@shop-example.ru") == []
        assert store.registry() == ([], [])
        store.index_msgid("<m2@shop-example.ru>", "3333-4444")
        store.record_sender("boris@shop-example.ru", "3333-4444", "2026-03-02T10:00:00+00:00")
        store.add_license(
            License(key="L-2", level="partner", emails=("boris@shop-example.ru",), until=None)
        )
        assert store.tid_for_msgid("<m2@shop-example.ru>") == "3333-4444"
        assert store.sender_first_seen("boris@shop-example.ru") == "2026-03-02"
        assert [lic.key for lic in store.registry()[0]] == ["L-2"]
    with store.locked():
        assert store.tid_for_msgid("<m2@shop-example.ru>") == "3333-4444"
        assert store.sender_first_seen("boris@shop-example.ru") == "2026-03-02"
        assert [lic.key for lic in store.registry()[0]] == ["L-2"]


def test_a_summary_file_put_in_a_section_is_read_back_after_it_was_absent(tmp_path):
    cache = FileCache()
    path = str(tmp_path / "open" / "00.json")
    (tmp_path / "open").mkdir()
    cache.hold(str(tmp_path))
    try:
        assert cache.get(path) is None  # absent, and remembered as absent
        Path(path).write_text('{"_default": {}}')
        cache.put(path, {"_default": {}})
        assert cache.get(path) == {"_default": {}}
    finally:
        cache.hold(None)


def kept_parsed(store: Store) -> set[str]:
    prefix = f"{store.root}{os.sep}"
    return {p[len(prefix) :] for p in store.cache.entries if p.startswith(prefix)}


def test_another_process_s_section_drops_only_the_summary_files_it_changed(tmp_path):
    store = Store(tmp_path)
    with store.locked():
        store.add_license(
            License(key="L-2", level="partner", emails=("boris@shop-example.ru",), until=None)
        )
        store.save(ticket("4444-5555"), [])
    part = open_part(tmp_path, "4444-5555").relative_to(tmp_path).as_posix()
    assert {"registry.json", part} <= kept_parsed(store)

    other_process(tmp_path, "license")  # changes registry.json, not the part
    with store.locked():
        assert part in kept_parsed(store)
        assert "registry.json" not in kept_parsed(store)
        assert sorted(lic.key for lic in store.registry()[0]) == ["L-1", "L-2"]
        assert [r["tid"] for r in store.open_summaries()] == ["4444-5555"]


def test_after_two_sections_of_others_or_an_unfinished_one_nothing_is_kept(tmp_path):
    store = Store(tmp_path)
    for others in (["sender", "msgid"], ["dies"]):
        with store.locked():
            assert [lic.key for lic in store.registry()[0]] in ([], ["L-1"])
            if not store.registry()[0]:
                store.add_license(
                    License(key="L-1", level="vip", emails=("anna@shop-example.ru",), until=None)
                )
        assert "registry.json" in kept_parsed(store)
        for step in others:
            other_process(tmp_path, step)
        with store.locked():
            assert "registry.json" not in kept_parsed(store)


def test_each_store_keeps_its_own_parsed_files(tmp_path):
    """The parsed summary files belong to the Store object that read them: another
    Store on the same storage starts with none, and after_fork drops them."""
    store = Store(tmp_path)
    with store.locked():
        store.save(ticket("4444-5555"), [])
    part = open_part(tmp_path, "4444-5555").relative_to(tmp_path).as_posix()
    assert part in kept_parsed(store)
    other = Store(tmp_path)
    assert other.cache is not store.cache and not kept_parsed(other)
    assert [r["tid"] for r in other.open_summaries()] == ["4444-5555"]
    assert part in kept_parsed(other)
    store.after_fork()
    assert not kept_parsed(store) and not store.cache.tid_index
    assert [r["tid"] for r in store.open_summaries()] == ["4444-5555"]


def test_a_section_reads_back_each_of_its_writes_to_one_record(tmp_path):
    """The daemon holds the lock around a batch: automatic replies to one sender in
    it are each counted, a read between two writes seeing the first and the read after
    the second seeing both (a read kept from before the second would drop a count, and
    the caps would let more automatic mail go to that sender)."""
    store = Store(tmp_path)
    who = "boris@shop-example.ru"
    times = [datetime(2026, 3, 2, 10, n, tzinfo=UTC) for n in range(3)]
    with store.locked():
        for n, when in enumerate(times):
            store.record_auto_reply(who, when)
            assert store.auto_replies(who) == times[: n + 1]
    with store.locked():
        assert store.auto_replies(who) == times


def test_another_thread_of_the_process_waits_for_the_section(tmp_path):
    """The lock is re-entrant in the thread that holds it only: another thread of the
    same process (the daemon's site and its batches share one Store) waits for the
    section to end, never writes into it at once (one's updates lost to the other)."""
    import threading

    from maild.adapters.store import StoreUnavailable

    store, entered = Store(tmp_path), []

    def other() -> None:
        try:
            with store.locked(timeout=0.1):
                entered.append("entered")
        except StoreUnavailable:
            entered.append("waited")

    with store.locked():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert entered == ["waited"]
