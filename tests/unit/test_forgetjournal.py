"""ops/forgetjournal: how many people's erasure `maild fsck` says did not finish, read
from the notes' names (<person key>.<n>) in index/forgets/ (unfinished); what a note
gives the re-run of a forget cut short (note, earlier); and what a ticket erased twice
in one run is reported as having lost (merge)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from maild.app import App
from maild.config import load
from maild.domain.forget import Erasure
from maild.fsckfiles import _check_forgetting
from maild.ops.forgetjournal import earlier, journal_path, merge, note, unfinished
from tests.helpers import Desk, dead_port


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


def test_a_ticket_erased_twice_is_reported_once_with_what_both_passes_erased() -> None:
    """forget's last pass finds again a ticket written to meanwhile (their ticket got
    one more message) and merges what it erased into the first pass's: the ticket stays
    theirs though its customer is erased by then (the later pass says not theirs), else
    the outbox's notices of their ticket were kept; and the later pass's Message-IDs,
    files and counts add to the first's, which the journal keeps for a re-run."""
    first = Erasure("T1", theirs=True, messages=2, attachments=["a" * 64], replaced=1)
    first.message_ids = ["<1@shop.ru>"]
    later = Erasure("T1", theirs=False, messages=1, attachments=["b" * 64], replaced=3)
    later.message_ids, later.spool_keys = ["<2@shop.ru>"], ["k2"]
    merge(first, later)
    assert first.theirs
    assert first.message_ids == ["<1@shop.ru>", "<2@shop.ru>"]
    assert (first.messages, first.replaced, first.spool_keys) == (3, 4, ["k2"])
    assert first.attachments == ["a" * 64, "b" * 64]
    merge(later, Erasure("T1", theirs=True))  # a pass that finds it theirs makes it so
    assert later.theirs


def test_a_note_gives_a_re_run_all_that_its_ticket_erased(tmp_path: Path) -> None:
    """A forget cut short after its tickets' sections (killed, a full disk) left
    tickets that no longer hold the address: its re-run knows what they erased from
    the notes alone. The attachments' sha256 are how it removes the person's files (a
    passport scan), the Message-IDs how it erases the notices quoting them, `theirs`
    whether the ticket's notices go too: each comes back as noted, and another
    person's notes are not theirs."""
    app = App(load(Desk(tmp_path, dead_port()).config))
    erased = Erasure("T1", theirs=True, messages=2, attachments=["a" * 64], replaced=1)
    erased.message_ids = ["<1@shop.ru>"]
    note(app, "ivan@shop.ru", erased)
    note(app, "ivan@shop.ru", Erasure("T2", messages=1))
    note(app, "petr@firm.ru", Erasure("T3", messages=1))
    again = sorted(earlier(app, "ivan@shop.ru"), key=lambda e: e.tid)
    assert [e.tid for e in again] == ["T1", "T2"]
    assert (again[0].theirs, again[0].messages, again[0].replaced) == (True, 2, 1)
    assert again[0].attachments == ["a" * 64] and again[0].message_ids == ["<1@shop.ru>"]


def test_a_note_that_is_not_maild_s_is_taken_as_none(tmp_path: Path, caplog) -> None:
    """A note the disk garbled, or one not maild's (no JSON, a list, a field missing),
    is logged and taken as no erasure: the re-run still erases all the address holds
    and removes it with the rest, rather than stopping on a traceback each time."""
    app = App(load(Desk(tmp_path, dead_port()).config))
    note(app, "ivan@shop.ru", Erasure("T1", messages=1))
    folder = Path(journal_path(app.store.root))
    key = next(folder.iterdir()).name.split(".")[0]
    for tid, text in (("T2", "\0\0\0"), ("T3", "[]"), ("T4", '{"tid": "T4"}')):
        (folder / f"{key}.{tid}").write_text(text)
    assert [e.tid for e in earlier(app, "ivan@shop.ru")] == ["T1"]
    assert caplog.text.count("not maild's note of an unfinished erasure") == 3
