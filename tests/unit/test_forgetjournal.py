"""ops/forgetjournal.unfinished: how many people's erasure `maild fsck` says did not
finish, read from the notes' names (<person key>.<n>) in index/forgets/."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from maild.fsckfiles import _check_forgetting
from maild.ops.forgetjournal import journal_path, unfinished


def test_unfinished_counts_people_not_notes_nor_temp_files(tmp_path: Path) -> None:
    """Two notes of one person are one erasure; a temp file of a note being written
    (a dot first) is none: fsck would report an erasure that never began."""
    assert unfinished(tmp_path) == 0  # no folder: none left unfinished
    folder = Path(journal_path(tmp_path))
    folder.mkdir(parents=True)
    (folder / ".abc.1.tmp").write_text("{}")
    assert unfinished(tmp_path) == 0
    (folder / "abc.1").write_text("{}")
    (folder / "abc.2").write_text("{}")
    (folder / "def.1").write_text("{}")
    assert unfinished(tmp_path) == 2


def test_a_name_that_is_no_note_makes_the_count_unknown(tmp_path: Path) -> None:
    """A file named without its number is not maild's: the count is unknown (None,
    fsck says it cannot read them), not taken as one more person."""
    folder = Path(journal_path(tmp_path))
    folder.mkdir(parents=True)
    (folder / "abc.1").write_text("{}")
    (folder / "stray").write_text("x")
    assert unfinished(tmp_path) is None


def test_fsck_names_notes_it_cannot_count_as_an_erasure_that_did_not_finish(tmp_path: Path):
    """Unknown (None) is no «none left»: fsck names the notes as an erasure «of one or
    more people» that did not finish, so the admin runs `maild forget` again, rather
    than says nothing of a person whose mail may still be queued."""
    said: list[str] = []
    check = SimpleNamespace(root=tmp_path, problem=lambda path, what: said.append(what))
    _check_forgetting(check)
    assert said == []
    folder = Path(journal_path(tmp_path))
    folder.mkdir(parents=True)
    (folder / "stray").write_text("x")
    _check_forgetting(check)
    assert len(said) == 1 and "of one or more people did not finish" in said[0]
