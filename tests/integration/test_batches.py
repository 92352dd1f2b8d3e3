"""The daemon's batches (workers.process_batch): a batch whose time budget runs out
returns the keys it has not parsed yet and processes every message it parsed, so a
message is parsed once however the batches are cut."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from maild import app as appmod
from maild import workers
from maild.app import App
from maild.config import load
from tests.helpers import make_mail


@pytest.fixture
def spooled(desk, monkeypatch):
    """An App on the desk's data dir with five messages spooled, and a count of
    parses by raw message."""
    app = App(load(desk.config))
    keys = [
        app.spool.add(make_mail(msgid=f"<b{n}@c.example>", subject=f"Вопрос {n}")) for n in range(5)
    ]
    parses: Counter[bytes] = Counter()
    real_parse = appmod.parse  # every reading of a mail is App.parse's

    def counted(raw: bytes, *args, **kwargs):
        parses[raw] += 1
        return real_parse(raw, *args, **kwargs)

    monkeypatch.setattr(appmod, "parse", counted)
    return app, keys, parses


def test_a_batch_out_of_time_processes_what_it_parsed_and_returns_the_rest(spooled, monkeypatch):
    app, keys, parses = spooled
    monkeypatch.setattr(workers, "BATCH_SECONDS", 0.0)  # out of time after one parse
    left = workers.process_batch(app, keys).left
    assert left == keys[1:]
    assert not app.spool.is_pending(keys[0])
    assert all(app.spool.is_pending(k) for k in left)
    assert len(app.store.summaries()) == 1
    while left:
        left = workers.process_batch(app, left).left
    assert len(app.store.summaries()) == 5
    assert sorted(parses.values()) == [1] * 5  # none parsed twice


def test_a_batch_in_time_processes_all(spooled):
    app, keys, parses = spooled
    assert workers.process_batch(app, keys).left == []
    assert not any(app.spool.is_pending(k) for k in keys)
    assert len(app.store.summaries()) == 5 and sum(parses.values()) == 5


def test_a_mail_whose_records_cannot_be_committed_fails_by_itself(spooled, monkeypatch):
    """The batch's group commit meets a record no store can write (lone surrogates,
    what the text past the recipient limit kept of raw 8-bit bytes): the failure is
    that mail's, not the desk's. The rest of the batch is processed, the mail is stored
    as raw text, and no fault of the environment is said (it paused the desk for ever)."""
    app, keys, _parses = spooled
    bad = app.spool.read(keys[2])
    counted = appmod.parse

    def unwritable(raw: bytes, *args, **kwargs):
        msg = counted(raw, *args, **kwargs)
        cut = "to: \udcd0\udcbf\udcd0\udcb5 <petya@shop.example>"
        return dataclasses.replace(msg, recipients_cut=cut) if raw == bad else msg

    monkeypatch.setattr(appmod, "parse", unwritable)
    result = workers.process_batch(app, keys)
    assert result.fault is None and result.failed == [] and result.ok == 5
    assert not any(app.spool.is_pending(k) for k in keys)
    assert len(app.store.summaries()) == 5
    assert not (app.spool.root / "attempts" / keys[2]).exists()
    # stored as raw text under its own Message-ID: fsck finds its spool copy whole (it
    # was filed under a made-up id, and fsck called the copy damaged at every run)
    [raw_text] = [t for t in app.store.summaries() if not t["requester"]]
    [stored] = [m for m in app.store.load(raw_text["tid"])[1] if m.get("spool_key")]
    assert stored["message_id"] == "<b2@c.example>", stored
    from maild.fsck import Fsck

    assert Fsck(app, repair=False).run().problems == []
