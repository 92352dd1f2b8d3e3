"""A queue file of the outbox maild may not read (an admin's `cp` as root left it
root's, 0600; or its mode 000) is one mail that cannot go, not a stopped sender: the
rest of the queue is sent, `outbox list` lists it and names the file with the fix,
`maild status` is degraded naming it (its JSON printed), `fsck` names it, and once
mended it goes too. Before, the listing raised on it: every sender pass failed («outbox
pass failed» and a traceback in the log), nothing was sent, `status` exited 78 without
its JSON, `outbox list` exited 78. Through the real CLI and a real `maild serve`, run
by root (switching to nobody, the storage's owner)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import make_mail
from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import OWNER, _seeded, run, serve_until

owned, seeds = safety.owned, safety.seeds  # its fixtures: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def test_an_outbox_file_maild_may_not_read_holds_back_only_its_own_mail(owned, seeds, sink):
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    queue = data / "outbox" / "queue"
    for n in range(3):  # three more customers: their confirmations queued
        mail = make_mail(sender=f"c{n}@shop.example", msgid=f"<c{n}@shop.example>")
        assert run(desk, python, "ingest", "-", stdin=mail).code == 0
    files = sorted(queue.iterdir())
    assert len(files) >= 4, files
    roots, barred, rest = files[0], files[1], files[2:]
    os.chown(roots, 0, 0)  # root's `cp` of it
    roots.chmod(0o600)
    barred.chmod(0o000)  # nobody's own, its mode bars it
    fixes = {roots: f"chown nobody: {roots}", barred: f"chmod u+rw {barred}"}

    listed = run(desk, python, "outbox", "list")
    assert listed.code == 0 and "Traceback" not in listed.err, listed
    assert len(listed.out.splitlines()) == len(rest), listed.out
    for path, fix in fixes.items():
        line = f"maild: outbox: {path}: cannot read it (maild runs as nobody): {fix}"
        assert line in listed.err, listed.err

    status = run(desk, python, "status", "--json")
    assert status.code in (1, 2) and "permanent error" not in status.err, status
    outbox = status.json()["outbox"]
    assert outbox["queued"] == len(rest) and outbox["broken"] == 0, outbox
    assert outbox["unreadable"] == [{"path": str(p), "fix": f} for p, f in fixes.items()]
    said = run(desk, python, "status").out
    for path, fix in fixes.items():
        line = f"! cannot read {path} (maild runs as nobody): that mail waits until it can: {fix}"
        assert line in said, said

    checked = run(desk, python, "fsck")
    assert checked.code == 1 and "Traceback" not in checked.err, checked
    for path, fix in fixes.items():
        named = f"{path.relative_to(data)}: unreadable by nobody: Permission denied"
        assert f"{named} (not repaired: {fix})" in checked.out, checked.out

    sent = data / "outbox" / "sent" / rest[-1].name
    _, err = serve_until(desk, python, sent)
    assert "outbox pass failed" not in err and "unexpected error" not in err, err
    assert all((data / "outbox" / "sent" / p.name).exists() for p in rest)
    assert sorted(queue.iterdir()) == [roots, barred]  # they wait
    assert f"outbox: {roots}: cannot read it (maild runs as nobody)" in err, err

    assert len(sink.received) == len(rest)

    os.chown(roots, OWNER.pw_uid, OWNER.pw_gid)  # the admin mends them: they go too
    barred.chmod(0o600)
    for path in (roots, barred):
        if path.exists():
            serve_until(desk, python, data / "outbox" / "sent" / path.name)
    assert not list(queue.iterdir())
    assert len(sink.received) == len(files)


def test_fsck_names_every_folder_and_file_of_the_store_maild_may_not_write(owned, seeds):
    """A folder deep in the store left root's, readable (a root's `cp -a` or `tar`:
    index/msgid/ab, tickets/03) paused processing when it was written, and `maild fsck`
    said "0 problem(s)" (check-config looks two levels deep). Now fsck names each folder
    and file maild's user may not read or write, with the fix, not repaired; a folder
    whose fix is a `chown -R` once, not each file under it too (2000 files under it
    were 2008 lines)."""
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    index = data / "index"  # a root's `cp -a` of the whole tree, files readable
    (index / "copied").mkdir()
    for n in range(300):
        (index / "copied" / f"f{n}").write_text("x")
    for path in [index, *index.rglob("*")]:
        os.chown(path, 0, 0)  # root's, readable, not writable
        path.chmod(0o755 if path.is_dir() else 0o644)
    ticket = next((data / "tickets").glob("*/*.json"))
    folder = ticket.parent
    os.chown(ticket, 0, 0)  # root's file in a folder of nobody's
    ticket.chmod(0o644)
    folder.chmod(0o500)  # nobody's own, its mode bars writing
    r = run(desk, python, "fsck")
    assert r.code == 1 and "Traceback" not in r.err, r
    expected = [
        f"{index.relative_to(data)}: nobody may not write in it "
        f"(not repaired: chown -R nobody: {index})",
        f"{ticket.relative_to(data)}: nobody may not write it "
        f"(not repaired: chown nobody: {ticket})",
        f"{folder.relative_to(data)}: nobody may not write in it "
        f"(not repaired: chmod u+rwx {folder})",
    ]
    for line in expected:
        assert line in r.out.splitlines(), r.out
    assert f"{len(expected)} problem(s)" in r.out, r.out
    for path in [ticket, *index.rglob("*"), index]:
        os.chown(path, OWNER.pw_uid, OWNER.pw_gid)
    folder.chmod(0o700)
    assert "0 problem(s)" in run(desk, python, "fsck").out
