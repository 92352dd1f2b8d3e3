"""`maild forget` cut short after its first ticket's locked section, run again: the
re-run erases what one whole run erases. The last section fails with a real error
(outbox/sent on a small ext4 image, full: ENOSPC) when it would withdraw the queued staff
notices, so forget exits 75 "try again later" with the tickets already erased; run
again once writable, it withdraws and empties the notices of the person's ticket and
the notice that quoted their message in another's ticket, and removes their
attachment, as a clean forget on a copy of the same store does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.fs import ext4, fill
from tests.helpers import ROOT, Desk, dead_port, make_mail
from tests.integration.test_forget_claimed import _holding

EX_TEMPFAIL = 75
GONE = "ivan@shop.ru"
IVAN_TEXT = "Мой паспорт 4510 123456, телефон +7 999 123-45-67"
IVAN_IN_PETRS = "Мой СНИЛС 112-233-445 95"
SCAN = b"%PDF-1.4 scan of passport 4510 123456\n%%EOF\n"


def _store(root: Path) -> tuple[Desk, dict[str, str]]:
    """Ivan's ticket (with a file) and Petr's, where Ivan (in Cc) wrote too; the relay
    is down, so the staff notices of both stay queued."""
    root.mkdir()
    desk = Desk(root, dead_port())
    ivans = desk.ingest_tid(
        make_mail(
            sender=f"Иван <{GONE}>",
            subject="Паспортные данные",
            body=IVAN_TEXT,
            attachments=[("scan.pdf", "application/pdf", SCAN)],
        )
    )
    petr = make_mail(sender="Петр <petr@firm.ru>", body="Заказ 55 завис.", headers={"Cc": GONE})
    tid = desk.ingest_tid(petr)
    ivan = make_mail(sender=f"Иван <{GONE}>", subject=f"Re: [TID#{tid}]", body=IVAN_IN_PETRS)
    desk.ingest(ivan)
    return desk, {"ivan": ivans, "petr": tid}


def _copy(desk: Desk, root: Path) -> Desk:
    shutil.copytree(desk.root / "data", root / "data", symlinks=True)
    return Desk(root, desk.relay_port)


def _outbox(desk: Desk) -> tuple[list, list]:
    """The queued mail and the sent/withdrawn records, as `outbox list` shows them."""
    queued = desk.run("outbox", "list", "--json").json()
    sent = desk.run("outbox", "list", "--sent", "--json").json()

    def shown(mails: list) -> list:
        keep = ("id", "kind", "tid", "to", "subject", "withdrawn", "erased")
        return sorted(tuple(str(m.get(k)) for k in keep) for m in mails)

    return shown(queued), shown(sent)


def _files(desk: Desk, top: str) -> list[str]:
    folder = desk.root / "data" / top
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _nothing_of_theirs(desk: Desk) -> None:
    for text in (GONE, IVAN_TEXT, IVAN_IN_PETRS, "4510 123456"):
        assert _holding(desk.root, text) == [], text
    for path in (desk.root / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SCAN not in data and GONE.encode() not in data.lower(), path


def test_forget_run_again_after_its_last_section_failed(tmp_path: Path) -> None:
    desk, _ = _store(tmp_path / "redo")
    clean = _copy(desk, tmp_path / "clean")
    queued = [(m["kind"], m["to"]) for m in desk.run("outbox", "list", "--json").json()]
    assert queued.count(("notice", ["anna@example.com"])) == 3, queued
    assert clean.run("forget", GONE).code == 0
    _nothing_of_theirs(clean)

    sent = desk.root / "data" / "outbox" / "sent"
    kept = shutil.move(sent, tmp_path / "sent")
    with ext4(tmp_path / "sent.img", sent):  # outbox/sent on a small file system
        for path in Path(kept).iterdir():
            shutil.copy2(path, sent)
        ballast = fill(sent)
        failed = desk.run("forget", GONE)  # its last section cannot withdraw a notice
        assert failed.code == EX_TEMPFAIL, (failed.out, failed.err)
        assert desk.tickets("--requester", GONE) == []  # the tickets' sections were
        ballast.unlink()  # committed                                  # space again
        unfinished = desk.run("fsck")  # names the forget that did not finish, not whose
        assert unfinished.code != 0 and "`maild forget` of 1 person(s) did not finish" in (
            unfinished.out + unfinished.err
        ), (unfinished.out, unfinished.err)
        assert GONE not in unfinished.out + unfinished.err
        again = desk.run("forget", GONE)
        assert again.code == 0, again.err

        assert _outbox(desk) == _outbox(clean)
        left = [(m["kind"], m["to"]) for m in desk.run("outbox", "list", "--json").json()]
        assert left.count(("notice", ["anna@example.com"])) == 1, left  # Petr's own
        assert _files(desk, "attachments") == _files(clean, "attachments")
        _nothing_of_theirs(desk)
        assert desk.run("fsck").code == 0
        third = desk.run("forget", GONE, "--json").json()  # done: nothing left to erase
        assert third["tickets"] == [] and third["outbox_mails_erased"] == 0


@pytest.mark.parametrize("whose", ["ivan", "petr"])
def test_forget_run_again_after_a_kill_in_a_tickets_commit(tmp_path: Path, whose: str) -> None:
    """Killed (SIGKILL) right after the commit of Ivan's ticket's section, or Petr's,
    renamed the ticket file (tests/killmid.py): the re-run finishes that commit when
    it takes the store lock, then knows what it erased."""
    desk, tids = _store(tmp_path / "redo")
    clean = _copy(desk, tmp_path / "clean")
    assert clean.run("forget", GONE).code == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_KILL_AFTER_RENAME=f"/{tids[whose]}.json")
    cmd = [sys.executable, "-m", "tests.killmid", "--config", str(desk.config), "forget", GONE]
    killed = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert desk.run("forget", GONE).code == 0
    assert _outbox(desk) == _outbox(clean)
    assert _files(desk, "attachments") == _files(clean, "attachments")
    _nothing_of_theirs(desk)
    assert desk.run("fsck").code == 0
