"""A folder of the storage made immutable (chattr +i: a backup tool's, an admin's
freeze) refuses maild with EPERM, root too, whatever its owner and mode. The log
said "let root use it (its owner, group or mode)", a fix that changes nothing; it
names the attribute and the chattr that lifts it."""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path

import pytest

from maild import privileges, runner


@pytest.fixture
def frozen(tmp_path: Path):
    folder = tmp_path / "data" / "tickets"
    folder.mkdir(parents=True)
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("this file system or user cannot set chattr +i")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_immutable_folder_is_named_with_its_chattr(frozen: Path) -> None:
    try:
        (frozen / "12").mkdir()
    except PermissionError as e:
        error = e
    else:
        pytest.skip("an immutable folder took a new entry here")
    assert error.errno == errno.EPERM
    said, where = runner.describe(error, frozen.parent)
    assert where == str(frozen)
    assert f"immutable: lsattr -d {frozen}" in said and f"chattr -i {frozen}" in said, said
    assert "owner, group or mode" not in said, said
    line = privileges.describe(error, frozen.parent)
    assert f"chattr -i {frozen}" in line and "owner, group or mode" not in line, line


def test_a_folder_without_the_attribute_keeps_the_owner_hint(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    assert privileges.fsattr.hint(folder) is None


def test_a_file_not_made_in_an_immutable_folder_names_the_folder(frozen: Path) -> None:
    """A temp file being made (never there) is told by the folder that refused it."""
    error = PermissionError(errno.EPERM, "Operation not permitted", str(frozen / "1.tmp"))
    line = privileges.describe(error, frozen.parent)
    assert f"({frozen}, where it would be, is immutable: lsattr -d {frozen})" in line, line
    assert line.endswith(f"chattr -i {frozen}"), line


def test_a_link_or_a_socket_has_no_attribute_and_keeps_the_owner_hint(tmp_path: Path) -> None:
    """A path that cannot be opened to ask (a symbolic link, not followed; a socket) has
    no such attribute to name: the usual hint, not an error while telling one."""
    import socket

    target = tmp_path / "plain"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s"))
        for path in (link, tmp_path / "s"):
            assert privileges.fsattr.flags(path) == [] and privileges.fsattr.hint(path) is None
        error = PermissionError(errno.EACCES, "Permission denied", str(link))
        assert "owner, group or mode" in privileges.describe(error, tmp_path)
    finally:
        sock.close()
