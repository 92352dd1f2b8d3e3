"""Quarantine.blocked: the block list kept parsed by the Quarantine object, read
again when the file changes (another process's `maild block`, staff's #spam) and
when the caller's locked section changed it."""

from __future__ import annotations

from pathlib import Path

from maild.adapters.quarantine import Quarantine
from maild.adapters.store import Store


def test_another_process_blocking_is_seen_at_once(tmp_path: Path) -> None:
    mine, theirs = Quarantine(tmp_path), Quarantine(tmp_path)
    assert mine.blocked("a@spam.example") is None
    assert theirs.block("spam.example")
    assert mine.blocked("a@spam.example") == "spam.example"
    assert mine.blocked("a@mx.spam.example") == "spam.example"
    assert theirs.block("b@other.example")
    assert mine.blocked("b@other.example") == "b@other.example"
    assert theirs.unblock("spam.example")
    assert mine.blocked("a@spam.example") is None
    (tmp_path / "blocklist.json").unlink()
    assert mine.blocked("b@other.example") is None
    (tmp_path / "blocklist.json").write_bytes(b"not json")
    assert mine.blocked("b@other.example") is None


def test_a_block_in_the_locked_section_counts_before_its_commit(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    q = Quarantine(tmp_path, store.files)
    assert q.blocked("a@spam.example") is None
    with store.locked():
        q.block("spam.example")  # e.g. #spam in a batch: the next message is blocked
        assert not (tmp_path / "blocklist.json").exists()
        assert q.blocked("a@spam.example") == "spam.example"
    assert q.blocked("a@spam.example") == "spam.example"
    assert Quarantine(tmp_path).blocklist() == ["spam.example"]
