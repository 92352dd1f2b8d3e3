"""ops/forgetheld: whose «Задать вопрос» request waiting for its link `maild forget`
erases."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from maild.adapters.backupleft import STAGING_PREFIX
from maild.app import App
from maild.ops.forgetheld import _theirs, backup_copies

PATHS = (Path("a1b2c3.json"), Path("a1b2c3.eml"))


def test_a_request_the_form_wrote_in_the_other_spelling_of_the_domain_is_theirs() -> None:
    """The form stores the address as IDNA spells it; the admin types what the
    customer said, ivan@магазин.рф (or the other way round): README's site requests in
    either spelling. Another's address at that domain is not theirs."""
    records = {
        "ivan@xn--80aairftm.xn--p1ai": ("ivan@магазин.рф", True),
        "ivan@магазин.рф": ("ivan@xn--80aairftm.xn--p1ai", True),
        "anna@xn--80aairftm.xn--p1ai": ("ivan@магазин.рф", False),
    }
    for stored, (typed, theirs) in records.items():
        record = json.dumps({"email": stored, "subject": "Касса"}).encode()
        assert _theirs(lambda _path, r=record: r, PATHS, typed) is theirs, (stored, typed)


def test_a_record_that_is_no_object_maild_wrote_is_read_by_its_mail_instead() -> None:
    """A .json cut or written over by another program (JSON, not maild's record): the
    request is theirs by the address in its .eml, as when the record is missing, and
    forget does not stop on it."""
    mail = b"From: =?utf-8?b?0JjQstCw0L0=?= <Ivan@Shop.ru>\r\n\r\ntext\r\n"
    for record in (b"[]", b'"ivan@shop.ru"', b"{", b""):
        files = {PATHS[0]: record, PATHS[1]: mail}
        assert _theirs(files.__getitem__, PATHS, "ivan@shop.ru"), record
        assert not _theirs(files.__getitem__, PATHS, "an@shop.ru"), record


def test_a_request_gone_meanwhile_is_not_counted_as_theirs() -> None:
    """Its link clicked or swept between the listing and the read: both files gone,
    it is nobody's (forget's count of what it erased does not grow by it)."""

    def gone(path: Path) -> bytes:
        raise FileNotFoundError(path)

    assert not _theirs(gone, PATHS, "ivan@shop.ru")


def test_a_dry_run_counts_a_dead_backups_staging_as_removed_and_a_running_ones_as_waited_for(
    tmp_path: Path,
) -> None:
    """`forget --dry-run` says what the erasure would do to backups' copies of the
    store and does it not: the staging folder of a backup that did not finish would be
    removed, a running backup (it holds the folder's lock) waited for; both stay."""
    dead, running = tmp_path / f"{STAGING_PREFIX}111.1", tmp_path / f"{STAGING_PREFIX}222.2"
    dead.mkdir()
    running.mkdir()
    fd = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as the backup holds it while it lives
        app = cast(App, SimpleNamespace(store=SimpleNamespace(root=tmp_path)))
        assert backup_copies(app, True, lambda pid: pytest.fail(pid)) == (1, ["222"])
    finally:
        os.close(fd)
    assert dead.is_dir() and running.is_dir()


def test_a_running_backup_is_waited_for_and_only_a_folder_forget_removes_is_counted(
    tmp_path: Path,
) -> None:
    """Two backups run when the erasure comes to their staging folders: forget says it
    waits for each (on_wait) and takes the lock once it is free. One ends as a backup
    does, removing its own folder: waited for, not counted as removed by forget. The
    other is killed meanwhile: its folder, a copy of the person's data, is removed now
    and counted."""
    ends, killed = tmp_path / f"{STAGING_PREFIX}111.1", tmp_path / f"{STAGING_PREFIX}222.2"
    locks = {}
    for stage in (ends, killed):
        stage.mkdir()
        (stage / "ticket.json").write_text("ivan@shop.ru")
        locks[stage] = os.open(stage, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(locks[stage], fcntl.LOCK_EX)
    said = []

    def on_wait(pid: str) -> None:  # the backup goes on meanwhile, and stops
        said.append(pid)
        stage = ends if pid == "111" else killed
        if stage == ends:
            shutil.rmtree(stage)
        os.close(locks.pop(stage))

    try:
        app = cast(App, SimpleNamespace(store=SimpleNamespace(root=tmp_path)))
        assert backup_copies(app, False, on_wait) == (1, ["111", "222"])
    finally:
        for fd in locks.values():
            os.close(fd)
    assert said == ["111", "222"]
    assert not ends.exists() and not killed.exists()
