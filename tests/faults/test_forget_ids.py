"""`maild forget` and Message-IDs that hold the person's address (many mail clients
make them so: `<1700000000.ivan@shop.ru>`): after a clean forget no file of the store
holds the address, in any case, neither in the tickets' records, nor the Message-ID
index (whose file names are hashes of the ids), nor the outbox's In-Reply-To and
References; fsck finds the store whole. A forget killed once a ticket's note is written notes
what it erased under a keyed hash, the ids as the store keeps them: its note tells
neither the address nor its plain hash; the re-run finishes as a whole run does."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from maild.cli import main
from tests.faults.test_forget_redo import GONE, _copy, _files, _outbox, _store
from tests.helpers import ROOT, Desk, dead_port, make_mail

IDS = ("<1700000000.Ivan@Shop.ru>", f"<1700000001.{GONE}>")


def _with_ids(root: Path) -> tuple[Desk, dict[str, str]]:
    """_store, and Ivan's mail with an id of his address in Petr's ticket and a
    ticket of his own; Petr answers his (In-Reply-To, References: the staff notice
    of Petr's mail carries the id too)."""
    desk, tids = _store(root)
    petrs = f"Re: [TID#{tids['petr']}]"
    desk.ingest(make_mail(sender=f"Иван <{GONE}>", subject=petrs, body="ещё", msgid=IDS[0]))
    tids["own"] = desk.ingest_tid(
        make_mail(sender=f"Иван <{GONE}>", subject="Другой вопрос", body="Вопрос", msgid=IDS[1])
    )
    reply = {"In-Reply-To": IDS[0], "References": IDS[0]}
    desk.ingest(make_mail(sender="Петр <petr@firm.ru>", subject=petrs, body="и я", headers=reply))
    return desk, tids


def _names_them(path: Path) -> bool:
    """Whether a file (its name or bytes, any case) holds the address, its plain
    hash, or the hash of an id of it (the Message-ID index's file names)."""
    needles = [GONE.encode(), hashlib.sha1(GONE.encode()).hexdigest().encode()]
    needles += [hashlib.sha1(i.encode()).hexdigest().encode() for i in IDS]
    data = path.read_bytes().lower()
    return any(n in data or n in path.name.encode() for n in needles)


def _holding_address(desk: Desk) -> list[str]:
    files = (p for p in (desk.root / "data").rglob("*") if p.is_file())
    return [str(p.relative_to(desk.root)) for p in files if _names_them(p)]


def _notes(desk: Desk) -> list[Path]:
    """The note of a forget cut short (index/forgets/), its files."""
    index = (desk.root / "data" / "index").rglob("*")
    return [p for p in index if p.is_file() and p.parent.name == "forgets"]


def test_forget_leaves_no_message_id_of_the_address(tmp_path: Path) -> None:
    desk, tids = _with_ids(tmp_path / "desk")
    assert _holding_address(desk) != []
    assert desk.run("forget", GONE).code == 0
    assert _holding_address(desk) == []
    fsck = desk.run("fsck")
    assert fsck.code == 0, (fsck.out, fsck.err)
    # the tickets keep Ivan's messages, under the ids kept instead
    shown = [desk.ticket(t["tid"])["messages"] for t in desk.tickets()]
    ids = {m["message_id"] for messages in shown for m in messages}
    assert {"<1700000000.forgotten@invalid>", "<1700000001.forgotten@invalid>"} <= ids, ids


def test_an_index_entry_of_their_id_that_holds_no_tid_goes_too(tmp_path: Path) -> None:
    """An index entry of an id of theirs that holds no TID (garbage: fsck names it)
    has no ticket to carry over to the id kept, but its file name is the id's hash,
    which confirms a guess of the address: the forget removes it with the others."""
    desk, _tids = _with_ids(tmp_path / "desk")
    digest = hashlib.sha1(IDS[0].encode()).hexdigest()
    index = (desk.root / "data" / "index").rglob("*")
    [entry] = [p for p in index if p.is_file() and digest in p.name]
    entry.write_bytes(b"not a TID\n")
    assert desk.run("forget", GONE).code == 0
    assert _holding_address(desk) == []


@pytest.mark.parametrize("at", ["/index/forget", "/index/erased"])
def test_a_forget_killed_notes_no_address_nor_its_hash(tmp_path: Path, at: str) -> None:
    """Killed (SIGKILL) once a ticket's note is written, or once its last locked
    section is committed (the mark of index/erased renamed), before its second sweep
    of attachment files and of backups' staging folders: its note stays, naming no
    address nor its plain hash, fsck names it, and a re-run finishes as a whole run."""
    desk, _ = _with_ids(tmp_path / "redo")
    clean = _copy(desk, tmp_path / "clean")
    assert clean.run("forget", GONE).code == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_KILL_AFTER_RENAME=at)
    cmd = [sys.executable, "-m", "tests.killmid", "--config", str(desk.config), "forget", GONE]
    killed = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    unfinished = desk.run("fsck")  # (takes the lock: the commit cut short is finished)
    assert "`maild forget` of 1 person(s) did not finish" in unfinished.out + unfinished.err
    assert _notes(desk) and [n for n in _notes(desk) if _names_them(n)] == []
    assert desk.run("forget", GONE).code == 0
    assert _notes(desk) == []
    assert _outbox(desk) == _outbox(clean)
    assert _files(desk, "attachments") == _files(clean, "attachments")
    assert _holding_address(desk) == []
    assert desk.run("fsck").code == 0


def test_the_note_grows_with_the_tickets_not_their_square(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ticket's section notes its own ticket: a person of N tickets costs writes
    of the order of one note of N tickets, not N notes ever longer (N^2/2 entries)."""
    (tmp_path / "desk").mkdir()
    desk = Desk(tmp_path / "desk", dead_port())
    n = 12
    for i in range(n):
        desk.ingest(make_mail(sender=f"Иван <{GONE}>", subject=f"Вопрос {i}", body=f"Текст {i}"))
    written: list[int] = []
    replace = os.replace

    def counted(src, dst, **kwargs):  # type: ignore[no-untyped-def]
        if "/index/forget" in os.fspath(dst):
            written.append(os.path.getsize(src))
        replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", counted)
    assert main(["--config", str(desk.config), "forget", GONE]) == 0
    monkeypatch.undo()
    # one ticket's entry is about the smallest write (the first section's)
    assert sum(written) <= 3 * n * min(written), written
