"""The redaction two days after the closing (passwords blanked in the ticket and the
files kept for staff) met a kept file maild may not read (left root's by a root's
`cp -a` of attachments/): it went on without it, marked the ticket done, and the
password stayed in that file for good. The job now fails naming the chown and runs
again at its next time; after the chown it rewrites the file. Through the real CLI,
run by root (switching to nobody, the storage's owner)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.test_ticket_folder_unreadable import _staff_to
from tests.helpers import make_mail
from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import OWNER, run

owned = safety.owned  # its fixture: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

SECRET = b"DB_PASSWORD=LogSecret77\n"


def test_a_kept_file_maild_may_not_read_fails_the_redaction_until_chowned(owned):
    desk, python = owned
    desk.sections["attachments"] = {"accept_other_types": True}
    desk.write_config()
    data = Path(desk.sections["storage"]["path"])
    log = [("error.log", "text/plain", b"10:00 ERROR login failed\n" + SECRET)]
    r = run(desk, python, "ingest", "-", stdin=make_mail(attachments=log))
    assert r.code == 0, r
    tid = r.out.split("TID#")[1].split("]")[0]
    close = make_mail(sender="anna@example.com", to=_staff_to(data, tid), body="#close\nГотово.",
                      subject=f"Re: [TID#{tid}]", msgid="<close@example.com>")  # fmt: skip
    assert run(desk, python, "ingest", "-", stdin=close).code == 0
    closed = datetime.fromisoformat(
        run(desk, python, "ticket", "show", tid, "--json").json()["closed_at"]
    )
    later = (closed + timedelta(days=2, minutes=1)).isoformat()
    [kept] = [
        p for p in (data / "attachments").rglob("*") if p.is_file() and SECRET in p.read_bytes()
    ]
    os.chown(kept, 0, 0)
    kept.chmod(0o600)

    r = run(desk, python, "jobs", "run", "--now", later, "--json")
    assert r.code != 0 and "scheduled job redact" in r.err, r
    assert f"{kept} belongs to root, not to nobody" in r.err and "chown -R nobody:" in r.err, r.err

    os.chown(kept, OWNER.pw_uid, OWNER.pw_gid)
    r = run(desk, python, "jobs", "run", "--now", later, "--json")
    assert r.code == 0 and r.json()["redacted"] == 1, r
    [path] = (data / "tickets").glob(f"*/{tid}.json")  # the file the ticket names now
    ticket = json.loads(path.read_bytes())
    records = ticket["messages"].values()  # (TinyDB's table: by document id)
    [sha] = [a["sha256"] for m in records for a in m.get("attachments") or []]
    assert SECRET not in (data / "attachments" / sha[:2] / sha).read_bytes()
