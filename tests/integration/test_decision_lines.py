"""The lines a decision says (domain/said.py) reach the log through the pipeline, as
the domain's own logging put them there before: same logger, level and text, and
before the line of what was stored. Only once the decision is stored: a section
whose commit fails (a full disk) stored nothing, and the mail is processed again,
so its lines would name a note that never was. End to end: `maild ingest` in the
process, its store on the real file system."""

from __future__ import annotations

import errno
import logging

import pytest

from maild.adapters.transaction import Transaction
from tests.helpers import Desk, make_mail

ANNA = "anna@example.com"  # staff: her mail to support@ proves nothing of her From
CLAIMS = f"claims staff address {ANNA} but is not verified"


def _forged(tid: str) -> bytes:
    return make_mail(sender=ANNA, subject=f"Re: [TID#{tid}]", body="#close\nГотово.")


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("maild")]


def test_a_decisions_lines_are_logged_as_before_then_the_stored_line(
    tmp_path, sink, caplog
) -> None:
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="maild"):
        desk.ingest(_forged(tid))
    lines = [r for r in _lines(caplog) if f"[TID#{tid}]" in r.getMessage()]
    [said] = [r for r in lines if CLAIMS in r.getMessage()]
    assert (said.name, said.levelno) == ("maild.trust", logging.WARNING)
    stored = next(i for i, r in enumerate(lines) if "added to ticket" in r.getMessage())
    assert lines.index(said) < stored


def test_a_decision_whose_commit_failed_says_nothing(
    tmp_path, sink, caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    raw = _forged(tid)
    commit = Transaction._commit

    def full(self: Transaction) -> None:
        if self:  # (the section's writes: the disk is full)
            raise OSError(errno.ENOSPC, "No space left on device")
        commit(self)

    monkeypatch.setattr(Transaction, "_commit", full)
    with caplog.at_level(logging.INFO, logger="maild"):
        failed = desk.run("ingest", "-", input=raw)
    monkeypatch.undo()
    assert failed.code == 0 and "processing deferred" in failed.out, failed  # kept in the spool
    assert not [r for r in _lines(caplog) if CLAIMS in r.getMessage()]
    assert "note" not in [m["kind"] for m in desk.ticket(tid)["messages"]]  # nothing stored
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="maild"):
        desk.ingest(raw)  # the disk has room again
    assert len([r for r in _lines(caplog) if CLAIMS in r.getMessage()]) == 1


def test_a_forged_staff_mails_line_says_why_and_what_became_of_it(tmp_path, sink, caplog):
    """The warning said only "is not verified": not what that takes, nor that the
    mail's commands did not run and nothing of it reached the customer."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    with caplog.at_level(logging.INFO, logger="maild"):
        desk.ingest(_forged(tid))
    [said] = [r.getMessage() for r in _lines(caplog) if CLAIMS in r.getMessage()]
    assert "signed reply address" in said and "support.authserv_id" in said, said
    assert said.endswith("kept as a note, not relayed, no command run"), said
