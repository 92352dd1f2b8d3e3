"""maild.unreadables: what `maild fsck` and `maild status` tell the admin to do about
a store file maild may not read, and which of the outbox's broken files those are.
(tests/integration/test_root_safety.py: root's files end to end.)"""

from __future__ import annotations

import os
from pathlib import Path

from maild.unreadables import (
    UNREADABLE,
    chown_fix,
    tickets_line,
    unreadable_files,
    unreadable_mail,
    unreadable_outbox,
)


def test_a_file_of_the_owner_whose_mode_bars_it_is_a_chmod(tmp_path: Path) -> None:
    """The storage owner's own file that maild may not read or may not write (0400 as
    `cp` of a read-only file leaves it, 0200, 000) is mended by its mode: "chmod u+rw",
    not the "fix its mode, or the disk" of a file nothing about it explains."""
    path = tmp_path / "registry.json"
    path.write_text("{}")
    for mode in (0o400, 0o200, 0o000):
        os.chmod(path, mode)
        assert chown_fix(tmp_path, path) == f"chmod u+rw {path}", oct(mode)
    os.chmod(path, 0o600)
    assert chown_fix(tmp_path, path) == "fix its mode, or the disk"


def test_a_file_that_cannot_even_be_looked_at_is_still_given_a_fix(tmp_path: Path) -> None:
    """A file whose owner and mode cannot be read (gone meanwhile, or the disk fails)
    is still named with what to look at, not with an empty fix."""
    assert chown_fix(tmp_path, tmp_path / "gone.json") == "fix its mode, or the disk"


def test_only_the_queue_files_maild_cannot_read_are_named_with_a_fix(tmp_path: Path) -> None:
    """status names the outbox files maild may not read, each with the chown that
    mends it; a file broken otherwise (cut short, not maild's) has no owner or mode
    to change, and is not named among them."""
    broken = {
        f"{tmp_path}/queue/b.mail": f"{UNREADABLE}: Permission denied",
        f"{tmp_path}/queue/a.mail": "no header: not maild's",
    }
    assert [u["path"] for u in unreadable_outbox(tmp_path, broken)] == [f"{tmp_path}/queue/b.mail"]


def test_a_spool_file_taken_meanwhile_is_not_named_unreadable(tmp_path: Path) -> None:
    """A name listed but gone when opened (taken by the run meanwhile; here a link to
    nothing) is no unreadable mail: status would call it held back."""
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert unreadable_mail(tmp_path) == []


def test_a_store_with_no_registry_yet_has_no_unreadable_files(tmp_path: Path) -> None:
    """A new storage has no registry.json: nothing there maild cannot read."""
    assert unreadable_files(tmp_path) == []


def test_the_open_tickets_line_counts_only_the_open_files_left_out() -> None:
    """«and those in N file(s)» counts the parts of open/ maild cannot read, not the
    registry, and is left out when there are none."""
    figures = {"open": 3, "overdue": 1, "unreadable": [{"path": "/r/registry.json"}]}
    assert tickets_line(figures) == "tickets: 3 open, 1 overdue"
    figures["unreadable"] += [{"path": "/r/open/0001.json"}]
    assert tickets_line(figures) == (
        "tickets: 3 open (and those in 1 file(s) maild cannot read), 1 overdue"
    )
