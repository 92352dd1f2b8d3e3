"""A ticket folder maild may not search (tickets/NN left root's, mode 0700, by an
admin's `cp -a` or `tar` as root; maild runs as the storage's owner, as root's maild
does) hides its tickets' files: whether one is there cannot be known. Such a ticket
reads as one maild may not read, never as none: the customer's reply and staff's
`#close` wait in spool/new (no second ticket, no second confirmation, no quarantine)
and are processed onto it once the folder is chowned back; `ticket show` says it
cannot read it and how to fix that, `ticket list --json` names what it skipped.
Before, os.path.exists answered False there: the reply opened a second ticket, staff's
`#close` was quarantined as "staff: no ticket", `ticket show` said «no ticket».
Through the real CLI and a real `maild serve`, run by root (switching to nobody)."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from maild.domain.replyaddr import sign_for
from tests.helpers import SUPPORT, make_mail
from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import OWNER, _seeded, run, serve_until

owned, seeds = safety.owned, safety.seeds  # its fixtures: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def _ticket_files(data: Path) -> list[str]:
    return sorted(glob.glob(str(data / "tickets" / "*" / "*.json")))  # (root sees all)


def _staff_to(data: Path, tid: str) -> str:
    """Anna's reply address for `tid`, signed with the key the store made (its own)."""
    return sign_for(tid, "anna@example.com", (data / "reply_secret").read_bytes(), SUPPORT)


def test_a_ticket_folder_maild_may_not_search_holds_its_mail_back(owned, seeds):
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    [path] = _ticket_files(data)
    tid, folder = Path(path).stem, Path(path).parent
    queued = sorted(os.listdir(data / "outbox" / "queue"))  # the first confirmation
    os.chown(folder, 0, 0)
    folder.chmod(0o700)

    show = run(desk, python, "ticket", "show", tid)
    assert show.code == 1 and "Traceback" not in show.err, show
    assert f"no ticket {tid}" not in show.err
    assert len(show.err.strip().splitlines()) == 1, show.err
    assert f"{path}: unreadable: Permission denied" in show.err, show.err
    assert f"{folder} belongs to root, not to nobody" in show.err  # and the chown
    listed = run(desk, python, "ticket", "list", "--json")
    assert listed.code == 0 and listed.out.strip() == "[]", listed
    assert f"skipping a ticket file: {path}: unreadable" in listed.err, listed.err  # not silent

    reply = make_mail(msgid="<n2@c.example>", subject=f"Re: [TID#{tid}] x", body="ещё")
    r = run(desk, python, "ingest", "-", stdin=reply)
    assert r.code == 0 and "processing deferred" in r.out, r  # not a ticket of its own
    to, subject = _staff_to(data, tid), f"Re: [TID#{tid}]"
    close = make_mail(sender="anna@example.com", to=to, subject=subject, body="Готово.\n#close",
                      msgid="<n3@example.com>")  # fmt: skip
    s = run(desk, python, "ingest", "-", stdin=close)
    assert s.code == 0 and "processing deferred" in s.out, s  # not quarantined
    assert _ticket_files(data) == [path]
    assert sorted(os.listdir(data / "outbox" / "queue")) == queued  # no second confirmation
    assert not list((data / "quarantine").glob("*.json"))
    assert len(os.listdir(data / "spool" / "new")) == 2  # both wait

    os.chown(folder, OWNER.pw_uid, OWNER.pw_gid)  # the admin's chown
    serve_until(desk, python, data / "index" / "redact" / tid)  # closed: queued for redaction
    assert not os.listdir(data / "spool" / "new")
    assert _ticket_files(data) == [path]  # both went onto the ticket
    shown = run(desk, python, "ticket", "show", tid, "--json")
    assert shown.code == 0, shown
    ticket = shown.json()
    assert ticket["status"] == "closed", ticket
    kinds = {m["message_id"]: m["kind"] for m in ticket["messages"]}
    assert kinds["<n2@c.example>"] == "customer" and kinds["<n3@example.com>"] == "staff"
    assert not list((data / "quarantine").glob("*.json"))
