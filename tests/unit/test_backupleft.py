"""adapters/backupleft.py: a backup's staging folder and partial archive are its own
while it holds their lock; without it they are leftovers, removed. A partial archive
is known by its first member; another program's temp file beside it stays."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile

import pytest

from maild.adapters.backupleft import (
    MANIFEST,
    _claim,
    partial_archive,
    remove_dead_partials,
    remove_dead_stages,
    stage_pid,
    stages,
    staging_folder,
)


def _tar_head() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    return gzip.compress(buf.getvalue())[:-8]  # cut short: no gzip trailer yet


def test_a_running_backups_staging_folder_is_kept_a_dead_ones_removed(tmp_path):
    dead = tmp_path / ".backup-999999.1"  # an earlier maild's, or one killed: no lock
    (dead / "tickets").mkdir(parents=True)
    with staging_folder(tmp_path) as stage:
        (tmp_path / "tickets").mkdir()
        assert remove_dead_stages(tmp_path) == [str(dead)]
        assert os.path.isdir(stage)
    assert not os.path.exists(stage)
    assert sorted(os.listdir(tmp_path)) == ["tickets"]


def test_partial_archives_of_dead_backups_are_removed_not_others_files(tmp_path):
    dead = tmp_path / ".maild-20261205-100103.tar.gz.2696.tmp"
    dead.write_bytes(_tar_head())
    named = tmp_path / ".today.tar.gz.77.tmp"
    named.write_bytes(b"")  # killed before its first write: empty, known by its name
    others = tmp_path / ".notes.txt.123.tmp"
    others.write_bytes(b"another program's")
    empty = tmp_path / ".other.tgz.5.tmp"
    empty.write_bytes(b"")
    fd = partial_archive(tmp_path / ".maild-20261205-100200.tar.gz.1.tmp")  # running
    try:
        os.write(fd, _tar_head())
        removed = remove_dead_partials(tmp_path, "today.tar.gz")
    finally:
        os.close(fd)
    assert removed == sorted([str(dead), str(named)])
    assert sorted(os.listdir(tmp_path)) == sorted(
        [others.name, empty.name, ".maild-20261205-100200.tar.gz.1.tmp"]
    )


def _gzip_tar(member: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(member)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    return gzip.compress(buf.getvalue())


def test_another_programs_gzip_temp_file_stays_beside_the_partials(tmp_path):
    """A temp file of the partial's shape (`.<name>.<pid>.tmp`) that another program
    writes there, itself a .tar.gz, is no backup's unless its first member is maild's
    manifest: it stays, however dead its pid; an empty one of a dated backup name (the
    daily `maild backup` of another day, killed before its first write) is maild's."""
    theirs = tmp_path / ".site.tar.gz.4242.tmp"
    theirs.write_bytes(_gzip_tar("index.html"))
    plain = tmp_path / ".log.gz.4243.tmp"
    plain.write_bytes(gzip.compress(b"a log line\n" * 100))
    dated = tmp_path / ".maild-20261204-020000.tar.gz.4244.tmp"
    dated.write_bytes(b"")
    assert remove_dead_partials(tmp_path, "maild-20261205-020000.tar.gz") == [str(dated)]
    assert sorted(os.listdir(tmp_path)) == sorted([theirs.name, plain.name])


def test_a_staging_folder_names_the_pid_of_its_backup():
    """`maild forget` says which backup it waits for by the pid in the folder's name
    (`.backup-<pid>.<ns>`): the pid alone, as ps shows it, not the nanoseconds after it."""
    assert stage_pid("/srv/maild/.backup-2696.1733390503123456789") == "2696"


def test_a_backups_partial_archive_and_staging_folder_are_the_owners_alone(tmp_path):
    """The partial archive becomes the archive by a rename, mode and all: every
    person's data and the reply secret, so 0600 from its first byte; the staging
    folder of links to the whole store is 0700. Whatever the umask lets through."""
    old = os.umask(0o022)
    try:
        fd = partial_archive(tmp_path / ".maild-20261205-100200.tar.gz.1.tmp")
        try:
            assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
        finally:
            os.close(fd)
        with staging_folder(tmp_path) as stage:
            assert stat.S_IMODE(os.stat(stage).st_mode) == 0o700
    finally:
        os.umask(old)


def test_a_backup_whose_new_file_a_cleaner_removed_before_the_lock_makes_it_again(tmp_path):
    """A cleaner (another backup, fsck) that found the file made but not locked yet
    removed it: the backup's fd leads to a removed file, whose archive would be renamed
    from nothing. It sees that (the name no longer leads to what it locked) and makes
    the file again; the fd it keeps is the one the name leads to."""
    path = tmp_path / ".maild-20261205-100200.tar.gz.1.tmp"
    made = []

    def make(name: str) -> int:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        if not made:
            os.unlink(name)  # the cleaner, between the backup's open and its lock
        made.append(fd)
        return fd

    fd = _claim(str(path), make)
    try:
        assert len(made) == 2 and fd == made[1]
        assert os.path.samestat(os.fstat(fd), os.stat(path))
    finally:
        os.close(fd)


def test_a_partial_archive_name_taken_already_is_not_written_through(tmp_path):
    """The partial's name is known beforehand (`.<archive>.<pid>.tmp`): a file or a
    symlink someone put there is not opened and written (every person's data would
    go into a file of its owner's and mode, renamed as the archive, or where the
    link points); the backup fails instead."""
    theirs = tmp_path / "theirs"
    theirs.write_bytes(b"")
    theirs.chmod(0o644)
    path = tmp_path / ".maild-20261205-100200.tar.gz.1.tmp"
    os.link(theirs, path)
    with pytest.raises(FileExistsError):
        partial_archive(path)
    path.unlink()
    path.symlink_to(theirs)
    with pytest.raises(FileExistsError):
        partial_archive(path)
    assert theirs.read_bytes() == b"" and stat.S_IMODE(theirs.stat().st_mode) == 0o644


def test_only_real_folders_are_staging_folders_and_they_come_in_name_order(tmp_path):
    """A file or a symlink named like a staging folder is no backup's: not removed as
    one (nor is the folder a link leads to), and no error stops the start's sweep."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".backup-1.1").symlink_to(tmp_path / "elsewhere")
    (tmp_path / ".backup-2.1").write_text("a file")
    names = [f".backup-{n}.{n}" for n in (31, 7, 200, 45, 9, 1000, 12)]
    for name in names:
        (tmp_path / name).mkdir()
    assert stages(tmp_path) == [str(tmp_path / n) for n in sorted(names)]
    assert remove_dead_stages(tmp_path) == [str(tmp_path / n) for n in sorted(names)]
    assert sorted(os.listdir(tmp_path)) == [".backup-1.1", ".backup-2.1", "elsewhere"]


def test_what_only_looks_like_a_partial_archive_stays(tmp_path):
    """A symlink to a dead backup's partial, or another program's empty temp file
    whose name only begins like a backup's, is not a partial: left, and the sweep goes
    on. A folder maild may write to but not list (a drop folder) is left alone."""
    dead = tmp_path / "keep" / ".maild-20261205-100103.tar.gz.2696.tmp"
    dead.parent.mkdir()
    dead.write_bytes(_tar_head())
    (tmp_path / ".maild-20261205-100103.tar.gz.2697.tmp").symlink_to(dead)
    (tmp_path / ".maild-notes.tar.gz.2698.tmp").write_bytes(b"")
    before = sorted(os.listdir(tmp_path))
    assert remove_dead_partials(tmp_path, "maild-20261206-020000.tar.gz") == []
    assert sorted(os.listdir(tmp_path)) == before and dead.exists()
