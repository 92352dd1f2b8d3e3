"""adapters.durable: a Transaction records and shows its writes until its commit;
Direct and the plain functions write now; the store lock owns the transaction."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from maild.adapters import leftovers
from maild.adapters.durable import (
    Direct,
    Json,
    fsync_dir,
    is_there,
    read_bytes,
    temp_path,
    write_atomic,
)
from maild.adapters.store import Store
from maild.adapters.transaction import Transaction


def test_transaction_shows_its_writes_and_commits_them_in_order(tmp_path: Path) -> None:
    a, b, gone = tmp_path / "a", tmp_path / "b", tmp_path / "gone"
    gone.write_bytes(b"old")
    tx = Transaction()
    tx.put(a, b"1")
    tx.put(b, Json({"x": 1}))
    tx.remove(gone)
    assert not a.exists() and gone.exists()  # nothing on disk before the commit
    assert tx.read(a) == b"1" and tx.read(b) == b'{"x":1}'
    assert tx.exists(a) and not tx.exists(gone)
    assert tx.pending(tmp_path / "other") is None
    done: list[bool] = []
    tx.on_commit("k", lambda: done.append(True), lambda: done.append(False))
    tx.commit()
    assert a.read_bytes() == b"1" and b.read_bytes() == b'{"x":1}'
    assert not gone.exists() and done == [True]
    assert not tx  # empty again


def test_transaction_moves_after_the_writes_and_skips_a_gone_source(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(b"m")
    tx = Transaction()
    tx.move(src, dst)
    tx.move(tmp_path / "missing", tmp_path / "never")
    assert not tx.exists(src)
    tx.commit()
    assert dst.read_bytes() == b"m" and not (tmp_path / "never").exists()


def test_a_folder_is_listed_as_the_commit_will_leave_it(tmp_path: Path) -> None:
    q, other = tmp_path / "q", tmp_path / "other"
    q.mkdir()
    other.mkdir()
    for name in ("kept", "removed", "moved"):
        (q / name).write_bytes(b"")
    (other / "in").write_bytes(b"")
    tx = Transaction()
    tx.put(q / "new", b"")
    tx.put(other / "elsewhere", b"")
    tx.remove(q / "removed")
    tx.move(q / "moved", other / "out")
    tx.move(other / "in", q / "in")
    assert tx.listed(q) == [f"{q}/{n}" for n in ("in", "kept", "new")]
    assert Direct().listed(q) == [f"{q}/{n}" for n in ("kept", "moved", "removed")]
    tx.commit()
    assert Direct().listed(q) == tx.listed(q)
    assert Direct().listed(tmp_path / "missing") == []


def test_direct_writes_now(tmp_path: Path) -> None:
    files = Direct()
    files.put(tmp_path / "f", b"now")
    assert read_bytes(tmp_path / "f") == b"now" and files.exists(tmp_path / "f")
    files.move(tmp_path / "missing", tmp_path / "x")  # nothing there: nothing done
    files.move(tmp_path / "f", tmp_path / "g")
    assert (tmp_path / "g").read_bytes() == b"now"
    files.remove(tmp_path / "g")
    assert not files.exists(tmp_path / "g")


def test_the_store_lock_opens_and_owns_the_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    target = tmp_path / "store" / "t"
    assert isinstance(store.files(), Direct)
    with store.locked() as tx:
        assert isinstance(tx, Transaction) and store.files() is tx
        with store.locked() as inner:  # re-entrant: the same section
            assert inner is tx
        other: list[object] = []
        t = threading.Thread(target=lambda: other.append(store.files()))
        t.start()
        t.join()
        assert isinstance(other[0], Direct)  # another thread writes to disk
        tx.put(target, b"in the commit")
        assert not target.exists()
        write_atomic(tmp_path / "plain", b"now")  # plain functions: on disk now
        assert (tmp_path / "plain").read_bytes() == b"now"
    assert target.read_bytes() == b"in the commit"
    assert isinstance(store.files(), Direct)


def test_a_folder_whose_fsync_fails_is_named() -> None:
    """os.fsync names no file: `maild ingest` said "... Input/output error: ?" when the
    fsync of spool/new failed. /proc's folders refuse an fsync (EINVAL) for real."""
    with pytest.raises(OSError) as failed:
        fsync_dir("/proc")
    assert failed.value.filename == "/proc"
    assert str(failed.value).endswith(": '/proc'")


def test_a_move_into_a_missing_folder_fails_and_leaves_the_file(tmp_path: Path) -> None:
    """Direct.move passes over only a source that is gone (as a commit does): a move
    whose target folder is missing raises, so the caller does not take a message as
    moved (spool/cur/) while it still sits where it was."""
    (tmp_path / "f").write_bytes(b"mail")
    with pytest.raises(FileNotFoundError):
        Direct().move(tmp_path / "f", tmp_path / "gone" / "f")
    assert (tmp_path / "f").read_bytes() == b"mail"


def test_a_file_where_a_folder_belongs_holds_nothing(tmp_path: Path) -> None:
    """is_there: a path under a file is known not to be there (NotADirectoryError),
    not an error: a ticket looked up under a stray file reads as none."""
    (tmp_path / "file").write_bytes(b"")
    assert not is_there(tmp_path / "file" / "x")


def test_a_write_that_cannot_replace_leaves_no_temp_file(tmp_path: Path) -> None:
    """write_atomic onto a folder: the rename fails, and its temp file is removed, so a
    write retried (a job each minute) does not pile temp files up beside it."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_bytes(b"")  # (a non-empty folder: the rename fails)
    with pytest.raises(OSError):
        write_atomic(tmp_path / "d", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_a_group_commits_temp_file_is_named_as_leftovers_knows_it(tmp_path: Path) -> None:
    """A group commit's temp file ends in `.tx.tmp` (leftovers.COMMIT_TEMP), which the
    holder of the store lock removes at once, its writer known done: without the tag
    a killed worker's temp, ticket text in it, stayed while its pid lingered."""
    target = tmp_path / "a.json"
    for tag, committed in (("", False), (".tx", True)):
        name = os.path.basename(temp_path(target, tag))
        assert leftovers._TEMP.match(name) and name.startswith(".a.json.")
        assert name.endswith(leftovers.COMMIT_TEMP) is committed


def test_a_commit_removing_a_file_in_a_folder_never_made_succeeds(tmp_path):
    """Removing what was never there (the address record of one who never wrote: its
    folder not made either) changes nothing and the commit goes through: its folder,
    absent, is not synced (that raised, and the section's mail waited)."""
    tx = Transaction()
    tx.remove(tmp_path / "index" / "address" / "ab" / "x.json")
    tx.commit()
    assert not (tmp_path / "index").exists()


def test_a_commit_failing_before_its_renames_leaves_no_journal_to_redo(tmp_path, monkeypatch):
    """A commit whose first sync fails (EIO, a full disk) raised, and its section's
    mail is processed again: no redo journal of it is left, which the next holder of
    the lock would finish (the same writes made twice, or made after all)."""
    from maild.adapters import redo, transaction

    def failing(_path: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(transaction, "sync_fs", failing)
    tx = Transaction(str(tmp_path))
    tx.put(tmp_path / "a.json", b"1")
    tx.put(tmp_path / "b.json", b"2")
    with pytest.raises(OSError):
        tx.commit()
    assert not os.path.exists(redo.journal_path(str(tmp_path)))
    assert sorted(os.listdir(tmp_path)) == []  # nor a temp file
