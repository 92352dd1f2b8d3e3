"""adapters/backupleft.py: a backup's staging folder and partial archive are its own
while it holds their lock; without it they are leftovers, removed. A partial archive
is known by its first member; another program's temp file beside it stays."""

from __future__ import annotations

import gzip
import io
import os
import tarfile

from maild.adapters.backupleft import (
    MANIFEST,
    partial_archive,
    remove_dead_partials,
    remove_dead_stages,
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
