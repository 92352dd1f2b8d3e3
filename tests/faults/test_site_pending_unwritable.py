"""Requests of the site's «Задать вопрос» form whose link expired are removed by the
jobs (a person's text and address kept no longer than needed). In a web/pending/
folder maild may not write (left root's by a root's `cp -a`), each removal failed
in silence, every day, and the requests stayed for good. The job now fails naming
the chown; after it they go. Through the real CLI, run by root (switching to nobody,
the storage's owner)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import OWNER, _seeded, run

owned, seeds = safety.owned, safety.seeds  # its fixtures: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def test_expired_site_requests_in_a_folder_maild_may_not_write_fail_the_job(owned, seeds):
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    pending = data / "web" / "pending"
    pending.mkdir(parents=True)
    os.chown(pending.parent, OWNER.pw_uid, OWNER.pw_gid)
    week_ago = time.time() - 7 * 86400
    for name, text in (("s1.json", '{"email": "ivan@shop-example.ru"}'), ("s1.eml", "Вопрос")):
        (pending / name).write_text(text, encoding="utf-8")
        os.chown(pending / name, OWNER.pw_uid, OWNER.pw_gid)
        os.utime(pending / name, (week_ago, week_ago))
    pending.chmod(0o755)  # root's: nobody lists it, and may not remove from it

    r = run(desk, python, "jobs", "run")
    assert r.code != 0 and "scheduled job site_pending_expired failed: permanent error" in r.err
    assert (
        f"{pending} belongs to root, not to nobody, the owner of {data}: chown -R nobody: {data}"
        in r.err
    ), r.err
    assert sorted(os.listdir(pending)) == ["s1.eml", "s1.json"]

    os.chown(pending, OWNER.pw_uid, OWNER.pw_gid)
    r = run(desk, python, "jobs", "run", "--json")
    assert r.code == 0 and r.json()["site_pending_expired"] == 1, r
    assert os.listdir(pending) == []
