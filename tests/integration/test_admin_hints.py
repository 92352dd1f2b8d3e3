"""What the admin is told names the real cause and the fix. A permission error
names what refused (a temp file being made is never there: its folder; a folder
above the path the user may not enter), whose it is, and the fix: the same
`chown -R OWNER: STORAGE` check-config gives for a folder of the storage left root's,
`chmod o+x` for a folder above that bars the way. Root's check-config judges a port
as the storage's owner would.

Runs only as root (CI runs as root). The storage belongs to `nobody`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import make_mail
from tests.integration import test_root_safety as safety
from tests.integration.test_root_safety import OWNER, _seeded, run

owned, seeds = safety.owned, safety.seeds  # its fixtures: a storage of nobody's

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def _status_while_paused(desk, python: str, fault: Path) -> str:
    """`maild status` while `maild serve` (root's, switched to nobody) has processing
    paused on a fault (run/fault.json written), and what serve logged."""
    status, err = safety.serve_until(desk, python, fault, then=lambda: run(desk, python, "status"))
    return status.out + err


def test_a_root_owned_queue_folder_is_named_with_the_chown(owned, seeds):
    """outbox/queue left root's: "Permission denied (…/queue/.….tx.tmp)", a file that
    is never there, with no owner and no fix, in the log and in status."""
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    queue = data / "outbox" / "queue"
    os.chown(queue, 0, 0)
    fix = f"{queue} belongs to root, not to nobody, the owner of {data}: chown -R nobody: {data}"
    r = run(desk, python, "ingest", "-", stdin=make_mail(subject="Второй вопрос"))
    assert r.code == 0 and "processing deferred" in r.err, r
    assert f"Permission denied: {fix}" in r.err and ".tmp" not in r.err, r.err
    said = _status_while_paused(desk, python, data / "run" / "fault.json")
    assert f"! processing paused: PermissionError: Permission denied: {fix}\n" in said, said
    [stopped] = [x for x in said.splitlines() if x.startswith("! outbox: sending stopped")]
    assert f"out of {queue}: not writable ({fix}); no mail goes until that is fixed" in stopped
    assert ".tmp" not in said and "Traceback" not in said, said


def test_a_root_owned_spool_folder_names_the_folder_a_mail_is_renamed_into(owned, seeds):
    """spool/new left root's: ingest's rename of the spooled mail from spool/tmp is
    refused, and the error named spool/tmp/KEY (nobody's) with a vague fix."""
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    os.chown(data / "spool" / "new", 0, 0)
    second = make_mail(subject="Второй вопрос", msgid="<second@shop.ru>")
    r = run(desk, python, "ingest", "-", stdin=second)
    assert r.code == 75, r
    assert r.err.strip() == (
        "maild: <second@shop.ru> cannot spool the message: permanent error: Permission denied: "
        f"{data}/spool/new belongs to root, not to nobody, the owner of {data}: "
        f"chown -R nobody: {data}"
    ), r.err


def test_a_backup_folder_behind_a_shut_parent_names_the_parent(owned, seeds):
    """`maild backup locked/bk/`, bk nobody's and locked root's, mode 0700: the error
    named bk, which nobody owns, and a vague "its owner, group or mode"."""
    desk, python = owned
    _seeded(desk, seeds(()))
    locked = Path(desk.sections["storage"]["path"]).parent / "locked"
    (locked / "bk").mkdir(parents=True)
    os.chown(locked / "bk", OWNER.pw_uid, OWNER.pw_gid)
    locked.chmod(0o700)
    r = run(desk, python, "backup", f"{locked}/bk/")
    assert r.code == 78, r
    assert (
        f"Permission denied: {locked}/bk (nobody may not enter {locked}: root, mode 0700); "
        f"maild runs as nobody: let nobody pass through it (chmod o+x {locked}, "
    ) in r.err, r.err
    locked.chmod(0o711)
    assert run(desk, python, "backup", f"{locked}/bk/").code == 0


def test_restore_by_the_service_user_into_roots_folder_names_owner_and_fix(owned, seeds):
    """`maild restore --storage …/r9` run as nobody: "…/r9: Permission denied" alone."""
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    backups = data.parent / "backups"
    backups.mkdir()
    os.chown(backups, OWNER.pw_uid, OWNER.pw_gid)
    assert run(desk, python, "backup", f"{backups}/").code == 0
    [archive] = backups.iterdir()
    target = data.parent / "r9"
    r = run(desk, python, "restore", str(archive), "--storage", str(target), user=OWNER.pw_uid)
    assert r.code == 78 and not target.exists(), r
    assert (
        f"Permission denied: {target} ({data.parent}, where it would be, belongs to root); "
        f"maild runs as nobody: let nobody use it (chown nobody: {data.parent}, "
    ) in r.err, r.err


def test_root_s_check_config_warns_of_a_low_port_the_owner_may_not_listen_on(owned):
    """README's install runs check-config as root: it said OK to smtp.listen on port
    625, and serve, run by the unit as the storage's owner, then stopped (78)."""
    desk, python = owned
    start = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")
    if int(start.read_text()) <= 625:
        pytest.skip("every user may listen on port 625 here")
    desk.sections["smtp"] = {"listen": "127.0.0.1:625"}
    desk.write_config()
    data = desk.sections["storage"]["path"]
    r = run(desk, python, "check-config")
    assert r.code == 0, r
    [line] = [x for x in r.err.splitlines() if "smtp.listen" in x]
    assert (
        f"smtp.listen = 127.0.0.1:625: nobody, the owner of {data}, may not listen there: "
        "a port below "
    ) in line, line
