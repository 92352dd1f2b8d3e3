"""adapters.reserve: the space the outbox keeps back for the records that must not
fail on a full disk (tests/faults/test_full_disk.py fills a real disk)."""

from __future__ import annotations

import errno
import os

import pytest

from maild.adapters import reserve as reserve_module
from maild.adapters.reserve import Reserve


def test_a_reserve_that_is_there_is_kept_not_made_again(tmp_path):
    """Each pass asks for the reserve: one already there whole is left as it is. Made
    again each time, a disk with less room than a second reserve (the old one still
    held) refused it, and the outbox stopped sending though its reserve was there."""
    reserve = Reserve(tmp_path / "reserve", size=1 << 16)
    assert reserve.ensure() is None
    made = os.stat(reserve.path)
    assert made.st_blocks * 512 >= 1 << 16
    assert reserve.ensure() is None
    assert os.stat(reserve.path).st_ino == made.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reserve"]
    reserve.release()
    assert not reserve.path.exists()
    assert reserve.ensure() is None and os.stat(reserve.path).st_size == 1 << 16


def test_a_reserve_file_without_its_blocks_is_made_again(tmp_path):
    """A reserve is the blocks it holds, not the size it says: a file as long as the
    reserve but sparse (holes give a full disk nothing back: a copy with holes, a
    restore) is made again, whole."""
    reserve = Reserve(tmp_path / "reserve", size=1 << 16)
    with open(reserve.path, "wb") as f:
        f.truncate(1 << 16)
    if os.stat(reserve.path).st_blocks * 512 >= 1 << 16:
        pytest.skip("this file system has no sparse files")
    assert reserve.ensure() is None
    assert os.stat(reserve.path).st_blocks * 512 >= 1 << 16


def test_a_reserve_that_cannot_be_looked_at_is_no_reserve(tmp_path):
    """A place whose reserve cannot even be looked at (here: its folder is a file) is
    said so, with why: the outbox sends nothing it could not record as sent."""
    (tmp_path / "run").write_text("")
    reserve = Reserve(tmp_path / "run" / "reserve", size=1 << 16)
    assert reserve.ensure() == os.strerror(errno.ENOTDIR)


def test_a_reserve_the_disk_has_no_room_for_leaves_nothing_behind(tmp_path, monkeypatch):
    """A disk too full for the reserve: what was begun of it is given back at once, not
    left beside it holding the room the outbox's records need."""

    def half_then_full(fd, size):
        os.write(fd, b"\0" * (size // 2))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(reserve_module, "allocate", half_then_full)
    reserve = Reserve(tmp_path / "reserve", size=1 << 16)
    assert reserve.ensure() == os.strerror(errno.ENOSPC)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("refusal", [errno.EOPNOTSUPP, errno.EINVAL])
def test_a_file_system_without_fallocate_gets_its_reserve_written(tmp_path, monkeypatch, refusal):
    """A file system that cannot allocate ahead (EOPNOTSUPP; EINVAL from some) gets
    the reserve written out, whole (a size no multiple of the block written is rounded
    up) and on the disk, not a reserve refused for ever and an outbox that never sends."""

    def no_fallocate(fd, offset, size):
        raise OSError(refusal, os.strerror(refusal))

    synced = []
    monkeypatch.setattr(os, "posix_fallocate", no_fallocate)
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    reserve = Reserve(tmp_path / "reserve", size=(1 << 16) + 1)
    assert reserve.ensure() is None
    assert os.stat(reserve.path).st_blocks * 512 >= (1 << 16) + 1
    assert synced
