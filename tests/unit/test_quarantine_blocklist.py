"""Quarantine.blocked: the block list kept parsed by the Quarantine object, read
again when the file changes (another process's `maild block`, staff's #spam) and
when the caller's locked section changed it."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_the_senders_list_is_parsed_once_per_change_and_none_when_broken(
    tmp_path: Path, caplog
) -> None:
    """Quarantine.sending_blocks: unchanged, the parsed list is kept (one stat a pass);
    broken, it is None (the sender withdraws nothing), logged once per change."""
    mine, theirs = Quarantine(tmp_path), Quarantine(tmp_path)
    empty = mine.sending_blocks()
    assert empty is not None and empty.match("a@spam.example") is None
    assert theirs.block("spam.example")
    blocks = mine.sending_blocks()
    assert blocks is not None and blocks.match("a@spam.example") == "spam.example"
    assert mine.sending_blocks() is blocks  # not read again
    path = tmp_path / "blocklist.json"
    path.write_bytes(b'["spam.example", 5]')  # screening uses "spam.example"; the sender not
    assert mine.sending_blocks() is None and mine.sending_blocks() is None
    assert mine.blocked("a@spam.example") == "spam.example"
    errors = [r.getMessage() for r in caplog.records if "without a look" in r.getMessage()]
    assert len(errors) == 1 and "5 is no address or domain" in errors[0]
    path.write_bytes(b'["spam.example"]')
    blocks = mine.sending_blocks()
    assert blocks is not None and blocks.match("a@spam.example") == "spam.example"
    path.unlink()
    blocks = mine.sending_blocks()
    assert blocks is not None and blocks.match("a@spam.example") is None


def test_a_block_list_that_is_no_list_is_named_and_never_written_over(tmp_path: Path) -> None:
    """blocklist.json broken by hand (not JSON, an entry that is no string): `block
    list` names it, and `block add`/`remove` refuse, leaving it as it is for the
    admin to mend; written over, the entries it held were lost for good."""
    from maild.adapters.store.files import CorruptFile

    path = tmp_path / "blocklist.json"
    q = Quarantine(tmp_path)
    for broken in (b'["spam.example", 5]', b'["spam.example", "evil.example"'):
        path.write_bytes(broken)
        for change in (q.blocklist, lambda: q.block("b@x.example"), lambda: q.unblock("5")):
            with pytest.raises(CorruptFile):
                change()
        assert path.read_bytes() == broken


@pytest.mark.parametrize(
    ("typed", "entry"),
    [
        ("Ivan Petrov <IVAN@Shop.Example>", "ivan@shop.example"),  # copied from a From:
        ("@Spam.Example", "spam.example"),
        ("  seo@spam.example\n", "seo@spam.example"),
        ("Ivan <ivan@shop.example", "ivan <ivan@shop.example"),  # unclosed: refused below
    ],
)
def test_what_the_admin_types_is_the_entry_blocked(typed: str, entry: str) -> None:
    """`block add`/`remove` take an address as mail shows it, any case, a domain with
    its «@»; a name with an unclosed «<» is left as typed, for `block add` to refuse
    as no address (cutting at a «>» that is not there failed with a traceback)."""
    from maild.adapters.quarantine import normalize_entry
    from maild.spamcli import _blockable

    assert normalize_entry(typed) == entry
    assert _blockable(entry) == (" " not in entry)
