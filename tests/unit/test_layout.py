"""adapters/layout.py: what may be used as a store. A missing or empty directory (a
new file system's lost+found aside) becomes one, for a command that may make it; the
signing key kept in the store is never one a crash left empty or blank."""

from __future__ import annotations

import errno
import os

import pytest

from maild.adapters.layout import (
    StoreRefused,
    check_storage,
    kept_secret,
    readable_keys,
    reply_secret,
)


def test_a_new_file_systems_mount_point_is_an_empty_store(tmp_path):
    """mkfs leaves lost+found in an empty file system: storage.path at its mount point
    is a new store, not a directory of someone else's files."""
    (tmp_path / "lost+found").mkdir()
    assert check_storage(tmp_path) is True


def test_a_command_that_only_reads_makes_no_store_where_there_is_none(tmp_path):
    """`maild status` or `ticket list` on a wrong path, or before the file system is
    mounted, is refused: an empty desk made there would look like every ticket gone,
    and leave a store under the mount point."""
    missing = tmp_path / "mnt" / "maild"
    with pytest.raises(StoreRefused, match="no maild store there yet"):
        check_storage(missing, create=False)
    assert not missing.exists()


@pytest.mark.parametrize("left", [b"", b"\n", b"  \n"])
def test_a_key_file_a_crash_left_empty_or_blank_is_made_anew(tmp_path, left):
    """An older version's crash left reply_secret empty (or a line end): with no ticket
    yet, a new random key replaces it; never is the empty or blank one used, with
    which anyone could sign a reply address or a Message-ID as maild does."""
    (tmp_path / "reply_secret").write_bytes(left)
    key = reply_secret(tmp_path)
    assert len(key) == 64 and key == (tmp_path / "reply_secret").read_bytes()
    (tmp_path / "reply_secret").write_bytes(left)
    (tmp_path / "tickets" / "20261205-0001").mkdir(parents=True)
    with pytest.raises(StoreRefused, match="missing or empty but the store has tickets"):
        reply_secret(tmp_path)


def test_a_key_file_its_group_may_read_is_not_one_every_user_may(tmp_path):
    """The warning says "every user of this host can read": a key the admin let maild's
    group read (0640, a backup tool in that group) is not warned of; one others may
    read (0604) is, with its mode."""
    key = tmp_path / "reply_secret"
    key.write_text("k" * 64)
    key.chmod(0o640)
    assert readable_keys(tmp_path) == []
    key.chmod(0o604)
    assert readable_keys(tmp_path) == [(key, 0o604)]


def test_a_key_missing_on_a_read_only_store_is_this_processs_alone(tmp_path, monkeypatch):
    """A disk remounted read-only whose store has no site key yet (web set up since the
    last start): a command that only reads signs with a key of its own, made now and
    kept nowhere, instead of failing on the write of the key file."""

    def failing(code: int):
        def open_(path, flags, mode=0o777):
            raise OSError(code, os.strerror(code), str(path))

        return open_

    monkeypatch.setattr(os, "open", failing(errno.EROFS))
    key = kept_secret(tmp_path / "web_secret")
    assert len(key) == 64 and kept_secret(tmp_path / "web_secret") != key
    assert not (tmp_path / "web_secret").exists()
    monkeypatch.setattr(os, "open", failing(errno.EACCES))  # any other failure is said
    with pytest.raises(PermissionError):
        kept_secret(tmp_path / "web_secret")
