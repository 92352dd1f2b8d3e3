"""`maild ingest` (postfix's pipe) that cannot spool: postfix defers the mail and,
after its maximal_queue_lifetime (5 days), bounces it to the customer; `maild status`
said healthy meanwhile. It is failing now, as for the listener's 451, until a piped
mail is spooled again. Run as the storage's owner (nobody): root may write anywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.faults.fs import read_only
from tests.helpers import make_mail
from tests.integration.test_root_safety import OWNER, owned, pytestmark, run

__all__ = ["owned", "pytestmark"]


def _ingest(desk, python, msgid: str):
    return run(desk, python, "ingest", "-", stdin=make_mail(msgid=msgid), user=OWNER.pw_uid)


def _status(desk, python) -> dict:
    r = run(desk, python, "status", "--json", user=OWNER.pw_uid)
    return json.loads(r.out)


def test_a_spool_new_that_ingest_cannot_write_makes_status_failing_until_one_is_spooled(owned):
    desk, python = owned
    assert _ingest(desk, python, "<ok1@shop.ru>").code == 0
    assert _status(desk, python)["ingest"] == {"spool_failing": None}
    new = Path(desk.sections["storage"]["path"]) / "spool" / "new"
    new.chmod(0o555)
    try:
        errors = []
        for n in range(2):
            r = _ingest(desk, python, f"<bar{n}@shop.ru>")
            assert r.code == 75 and "cannot spool the message" in r.err, r
            errors.append(r.err)
            if n == 0:
                since = _status(desk, python)["ingest"]["spool_failing"]["since"]
        # the folder that bars it, not the temp file's (spool/tmp, which lets it in)
        said = (f"Permission denied: {new}/", f"({new}, where it would be, belongs to nobody, "
                f"mode 0555); maild runs as nobody: fix the mode: chmod u+rwx {new}")  # fmt: skip
        assert all(s in errors[1] for s in said) and "spool/tmp" not in errors[1], errors[1]
        f = _status(desk, python)
        stalled = f["ingest"]["spool_failing"]
        assert stalled["since"] == since and stalled["error"] in errors[1], stalled  # the first
        assert f["state"] == "failing"
        assert any(r.startswith("ingest: piped mail is deferred") and stalled["error"] in r
                   for r in f["reasons"]), f["reasons"]  # fmt: skip
        text = run(desk, python, "status", user=OWNER.pw_uid)
        assert text.code == 2 and "! ingest: piped mail is deferred" in text.out, text
    finally:
        new.chmod(0o755)
    assert _ingest(desk, python, "<ok2@shop.ru>").code == 0  # postfix's retry
    assert _status(desk, python)["ingest"] == {"spool_failing": None}


def test_on_a_read_only_storage_status_says_so_without_the_note(owned):
    """run/ refuses the note as spool/ refused the mail: the storage's own check is
    what makes status failing, and names the fix."""
    desk, python = owned
    assert _ingest(desk, python, "<ok1@shop.ru>").code == 0
    data = Path(desk.sections["storage"]["path"])
    with read_only(data):
        assert _ingest(desk, python, "<ro@shop.ru>").code == 75
        f = _status(desk, python)
    assert f["ingest"] == {"spool_failing": None} and f["state"] == "failing", f
    assert any("read-only file system" in r for r in f["reasons"]), f["reasons"]


def test_a_note_no_ingest_refreshed_for_longer_than_the_mta_keeps_mail_holds_no_more(owned):
    """A pipe given up for LMTP or IMAP after it failed spools nothing again: its note
    kept `maild status` failing for good. It holds while its last failure is within
    postfix's maximal_queue_lifetime (5 days: then the deferred mail is bounced), and
    a failure after it starts a new one."""
    desk, python = owned
    assert _ingest(desk, python, "<ok1@shop.ru>").code == 0  # (makes the store)
    data = Path(desk.sections["storage"]["path"])
    new, note = data / "spool" / "new", data / "run" / "ingest_stalled.json"
    new.chmod(0o555)
    try:
        for n in range(2):
            assert _ingest(desk, python, f"<gone{n}@shop.ru>").code == 75
    finally:
        new.chmod(0o755)
    kept = json.loads(note.read_text())
    assert kept["since"] <= kept["last"], kept  # the first failure, and the last one
    now = datetime.now(UTC)
    for days, holds in ((4.9, True), (5.1, False)):
        last = (now - timedelta(days=days)).isoformat()
        note.write_text(json.dumps(kept | {"since": last, "last": last}))
        f = _status(desk, python)
        assert (f["ingest"]["spool_failing"] is not None) == holds, (days, f["ingest"])
        assert any(r.startswith("ingest: piped") for r in f["reasons"]) == holds, f["reasons"]
    new.chmod(0o555)
    try:
        assert _ingest(desk, python, "<again@shop.ru>").code == 75
    finally:
        new.chmod(0o755)
    stalled = _status(desk, python)["ingest"]["spool_failing"]
    assert stalled["since"] == stalled["last"] > last, stalled  # a new failure's, not the old
