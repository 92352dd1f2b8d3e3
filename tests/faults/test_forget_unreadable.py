"""`maild forget` (the right to erasure) of a store where a folder or file maild may
not read holds their mail: outbox/ files or sent/ left root's by `sudo maild ...` of
an older version, a lost+found/ copied by root's `cp -a`. They were walked past as
empty: the command said it was done, exit 0, and their mail stayed. It now fails,
naming what to chown; run again after the chown it erases the rest. Through the real
CLI, run by root (switching to nobody, the storage's owner)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import OWNER, _seeded, run

owned, seeds = safety.owned, safety.seeds  # its fixtures: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

IVAN = "ivan@shop-example.ru"  # sample_request.eml's sender


def _holding(data: Path) -> list[str]:
    """The files under the storage that still hold Ivan's address (root reads all)."""
    r = subprocess.run(["grep", "-rlF", IVAN, str(data)], capture_output=True, text=True)
    return sorted(r.stdout.split())


def _made(path: Path, text: str) -> None:
    """A file of nobody's at `path` (its folders too), as maild leaves one there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    for p in (path, path.parent, path.parent.parent):
        os.chown(p, OWNER.pw_uid, OWNER.pw_gid)


BARRED = [
    "outbox/sent",
    "outbox/queue/*.mail",
    "lost+found",
    "lost+found/*.json",
    "web/pending/*.json",
]


@pytest.mark.parametrize("barred", BARRED)
def test_forget_where_maild_may_not_read_fails_naming_it_and_erases_after_the_chown(
    owned, seeds, barred
):
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    _made(data / "lost+found" / "0101-0101.json", f'{{"requester": "{IVAN}"')  # fsck's
    _made(data / "web" / "pending" / "s1.json", f'{{"email": "{IVAN}"}}')  # «Задать вопрос»
    paths = sorted(data.glob(barred))
    assert paths and all(p.is_dir() or str(p) in _holding(data) for p in paths)
    for path in paths:
        os.chown(path, 0, 0)
        path.chmod(0o700 if path.is_dir() else 0o600)

    r = run(desk, python, "forget", IVAN)
    assert r.code == 78 and "Traceback" not in r.err, r
    assert r.err.startswith("maild: permanent error: Permission denied: "), r.err
    assert f"belongs to root, not to nobody, the owner of {data}: chown -R nobody: {data}" in r.err
    assert _holding(data)  # not all erased, and not said to be

    for path in paths:
        os.chown(path, OWNER.pw_uid, OWNER.pw_gid)
    r = run(desk, python, "forget", IVAN)
    assert r.code == 0, r
    assert _holding(data) == []
