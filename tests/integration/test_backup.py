"""`maild backup` while `maild serve` takes SMTP mail, then `maild restore` into a
fresh directory: every ticket and every queued mail of the snapshot is there, as it
was, and nothing accepted before the backup began is missing."""

from __future__ import annotations

import getpass
import io
import json
import os
import smtplib
import stat
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from maild.ops.backup import FORMAT, MANIFEST
from tests.helpers import AS_ME, Daemon, Desk, dead_port, free_port, make_mail

TOTAL = 80  # mails sent; the backup starts after BEFORE of them were accepted
BEFORE = 15


def _send_load(port: int, accepted: list[tuple[str, float]], stop: threading.Event) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        for i in range(TOTAL):
            if stop.is_set():
                return
            msgid = f"<load-{i}@client.example>"
            raw = make_mail(sender=f"client{i}@shop{i % 7}.example", msgid=msgid)
            s.sendmail(f"client{i}@shop{i % 7}.example", ["support@example.com"], raw)
            accepted.append((msgid, time.monotonic()))


def _outbox(desk: Desk) -> dict[str, dict]:
    r = desk.run("outbox", "list", "--json")
    assert r.code == 0, r.err
    return {m["id"]: m for m in r.json()}


def test_backup_under_smtp_load_restores_every_ticket_and_queued_mail(tmp_path):
    # no relay listens: every mail maild queues stays queued, to be compared
    for sub in ("live", "r"):
        (tmp_path / sub).mkdir()
    live = Desk(tmp_path / "live", dead_port(), smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(live).start()
    accepted: list[tuple[str, float]] = []
    stop = threading.Event()
    sender = threading.Thread(target=_send_load, args=(daemon.port, accepted, stop))
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while len(accepted) < BEFORE and time.monotonic() < deadline and sender.is_alive():
            time.sleep(0.01)
        assert len(accepted) >= BEFORE
        began = time.monotonic()
        archive = tmp_path / "snap.tar.gz"
        r = live.run("backup", str(archive), "--json")
        assert r.code == 0, r.err
        figures = r.json()
        sender.join(60)
    finally:
        stop.set()
        sender.join(10)
        assert daemon.stop() == 0
    assert archive.stat().st_mode & 0o077 == 0  # personal data and the reply secret
    with tarfile.open(archive) as tar:
        assert not [n for n in tar.getnames() if n.startswith((".backup-", "/")) or n == "lock"]

    target = tmp_path / "restored"
    r = live.run("restore", str(archive), "--storage", str(target), *AS_ME)
    assert r.code == 0, r.err
    restored = Desk(tmp_path / "r", live.relay_port, storage={"path": str(target)})

    mine = {t["tid"]: t for t in restored.tickets()}
    theirs = {t["tid"]: t for t in live.tickets()}
    assert len(mine) == figures["tickets"] > 0
    for tid, t in mine.items():  # a ticket is not changed by later mail (all new)
        assert t == theirs[tid]  # the whole `ticket show --json` shape, messages included
    for tid in list(mine)[:5]:
        assert restored.ticket(tid) == live.ticket(tid)

    # queued mail: the same records, and each ticket's mail is queued with it
    queued, live_queued = _outbox(restored), _outbox(live)
    assert len(queued) == figures["queued"]
    for mail_id, m in queued.items():
        other = live_queued[mail_id]
        for k in ("to", "subject", "tid", "message_id", "queued_at", "kind"):
            assert m[k] == other[k]
    queued_ids = {m["message_id"] for m in queued.values()}
    for t in mine.values():
        out = [m["message_id"] for m in t["messages"] if m["direction"] == "out"]
        assert out and set(out) <= queued_ids
    # ticket mail belongs to a restored ticket; reports (the morning digest, which the
    # daemon's first tick may queue once tickets exist) belong to none
    assert {m["tid"] for m in queued.values() if m["kind"] != "report"} <= set(mine)

    # nothing accepted before the backup began is lost: a ticket, or pending in the spool
    pending = b"".join(p.read_bytes() for p in (target / "spool" / "new").iterdir())
    in_tickets = {t["messages"][0]["message_id"] for t in mine.values()}
    for msgid, at in accepted:
        if at < began:
            assert msgid in in_tickets or msgid.encode() in pending, msgid
    # the restored storage works: its pending mail becomes tickets
    daemon = Daemon(restored).start()
    try:
        deadline = time.monotonic() + 20
        while len(restored.tickets()) < len(mine) + figures["pending"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        assert daemon.stop() == 0


def test_backup_into_a_directory_says_which_archive_it_wrote(tmp_path, desk):
    tid = desk.ingest_tid(make_mail())
    backups = tmp_path / "backups"
    backups.mkdir()
    r = desk.run("backup", str(backups), "--json")
    assert r.code == 0, r.err
    figures = r.json()
    assert {"files", "tickets", "queued", "pending", "seconds_locked"} <= set(figures)
    archive = Path(figures["archive"])
    assert archive.parent == backups.resolve() and list(backups.iterdir()) == [archive]
    target = tmp_path / "restored"
    assert desk.run("restore", figures["archive"], "--storage", str(target), *AS_ME).code == 0
    (tmp_path / "r").mkdir()
    restored = Desk(tmp_path / "r", desk.relay_port, storage={"path": str(target)})
    assert [t["tid"] for t in restored.tickets()] == [tid]


def test_restore_of_a_plain_tar_of_the_storage_says_how_to_extract_it(tmp_path, desk):
    """README's upgrade step archives the storage with tar (`tar -C /var/lib -czf ...
    maild`): restore refused it "not a maild backup", exit 1, and said nothing more.
    It says it is a plain tar of a storage and gives the tar command, which works."""
    tid = desk.ingest_tid(make_mail())
    archive = tmp_path / "before-upgrade.tar.gz"
    subprocess.run(["tar", "-C", str(desk.root), "-czf", str(archive), "data"], check=True)
    target = tmp_path / "new" / "maild"
    r = desk.run("restore", str(archive), "--storage", str(target))
    assert r.code == 1 and not target.exists(), r
    command = (
        f"mkdir -p {target} && tar -C {target} --strip-components=1 -xpf {archive} "
        f"&& chown {getpass.getuser()}: {target}"
    )
    assert r.err.strip() == (
        f"maild: restore: {archive}: not a maild backup (no {MANIFEST}): it is a plain tar "
        "of a storage (its folder data/), not made by maild backup; extract it with tar, "
        f"with maild serve stopped, into a new or empty folder: {command}"
    ), r.err
    subprocess.run(command, shell=True, check=True)
    (tmp_path / "r").mkdir()
    restored = Desk(tmp_path / "r", desk.relay_port, storage={"path": str(target)})
    assert [t["tid"] for t in restored.tickets()] == [tid]


def test_restore_of_another_tar_names_no_storage_in_it(tmp_path, desk):
    """A tar that is no storage, though a folder in it has a name a storage has (a
    site's `archive/`, a helpdesk export's `tickets/`), is only «not a maild backup»:
    one name is not a storage, so no tar command to extract it as one is given."""
    site = tmp_path / "site"
    for name in ("archive/2025.html", "tickets/readme.txt", "index.html"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("x")
    for folder in ("archive", "tickets"):
        archive = tmp_path / f"{folder}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(site / folder, arcname=f"site/{folder}")
            tar.add(site / "index.html", arcname="site/index.html")
        r = desk.run("restore", str(archive), "--storage", str(tmp_path / "new"))
        assert r.code == 1 and r.err.strip() == (
            f"maild: restore: {archive}: not a maild backup (no {MANIFEST})"
        ), r.err
        assert not (tmp_path / "new").exists()


def test_restore_refuses_a_non_empty_directory_and_other_files(tmp_path, desk):
    desk.ingest(make_mail())
    archive = tmp_path / "b.tar.gz"
    assert desk.run("backup", str(archive)).code == 0
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    r = desk.run("restore", str(archive), "--storage", str(busy))
    assert r.code == 1 and "not an empty directory" in r.err
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    r = desk.run("restore", str(junk), "--storage", str(tmp_path / "new"))
    assert r.code == 1 and "not a maild backup" in r.err
    assert not Path(tmp_path / "new").exists()
    r = desk.run("backup", str(desk.root / "data" / "b.tar.gz"))
    assert r.code == 1 and "inside the storage" in r.err
    # into a directory: a dated archive there
    r = desk.run("backup", str(tmp_path))
    assert r.code == 0, r.err
    assert list(tmp_path.glob("maild-*.tar.gz"))


def test_restore_of_a_truncated_or_damaged_archive_restores_nothing(tmp_path, desk):
    """A backup cut short (a full disk, a copy interrupted) or altered in transit:
    one line, exit 1, and no half-restored storage that would start as if whole; the
    folders made on the way to a new DIR go too (an admin's next try, or a typo
    corrected, would find them)."""
    desk.ingest(make_mail(attachments=[("a.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"x" * 5000)]))
    archive = tmp_path / "b.tar.gz"
    assert desk.run("backup", str(archive)).code == 0
    whole = archive.read_bytes()
    crc_flipped = whole[:-8] + bytes([whole[-8] ^ 0xFF]) + whole[-7:]  # gzip trailer's CRC
    cases = {"half": whole[: len(whole) // 2], "trailer": whole[:-4], "crc": crc_flipped}
    for name, data in cases.items():
        bad = tmp_path / f"{name}.tar.gz"
        bad.write_bytes(data)
        deep = tmp_path / f"deep-{name}" / "a" / "b"
        for target in (tmp_path / f"new-{name}", tmp_path / f"empty-{name}", deep):
            if target.name.startswith("empty"):
                target.mkdir()
            r = desk.run("restore", str(bad), "--storage", str(target), *AS_ME)
            assert r.code == 1, (name, r)
            assert r.err.count("\n") == 1 and "damaged or truncated" in r.err, (name, r.err)
            assert "Traceback" not in r.err
            assert not target.exists() or not any(target.iterdir()), name
        assert not deep.parent.parent.exists(), name


def _archive(path: Path, members: list[tarfile.TarInfo]) -> None:
    """A .tar.gz with a maild manifest and the given members (empty files, links)."""
    with tarfile.open(path, "w:gz") as tar:
        manifest = json.dumps({"format": FORMAT, "tickets": 0, "queued": 0}).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        for m in members:
            tar.addfile(m, io.BytesIO(b"") if m.isfile() else None)


@pytest.mark.parametrize("filters", [True, False], ids=["filters", "no-filters"])
def test_restore_writes_nothing_outside_the_new_storage(tmp_path, desk, monkeypatch, filters):
    """An archive altered to write elsewhere (a ../ name, a symlink out of the tree),
    to hold a symlink at all, or to make a device restores nothing, and says so (not
    "damaged or truncated"), and an absolute name lands inside the new storage, on
    every Python maild runs on
    (3.11.0-3.11.3 have no tarfile extraction filters: restore's own checks, then)."""
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter")  # restore runs in this process
    absolute = tmp_path / "restored-absolute"
    _archive(tmp_path / "absolute.tar.gz", [tarfile.TarInfo(str(tmp_path / "escaped"))])
    r = desk.run("restore", str(tmp_path / "absolute.tar.gz"), "--storage", str(absolute), *AS_ME)
    assert r.code == 0, r.err
    assert (absolute / str(tmp_path).lstrip("/") / "escaped").is_file()
    cases = {
        "dotdot": [tarfile.TarInfo("tickets/../../escaped")],
        "symlink": [tarfile.TarInfo("tickets"), tarfile.TarInfo("tickets/x")],
    }
    cases["symlink"][0].type, cases["symlink"][0].linkname = tarfile.SYMTYPE, str(tmp_path)
    cases["symlink"][1].name = "tickets/escaped"
    cases["inner-symlink"] = [tarfile.TarInfo("tickets/x.json"), tarfile.TarInfo("tickets/y.json")]
    cases["inner-symlink"][0].type, cases["inner-symlink"][0].linkname = tarfile.SYMTYPE, "y.json"
    cases["device"] = [tarfile.TarInfo("tickets/null")]
    cases["device"][0].type, cases["device"][0].devmajor = tarfile.CHRTYPE, 1
    for name, members in cases.items():
        archive = tmp_path / f"{name}.tar.gz"
        _archive(archive, members)
        target = tmp_path / f"restored-{name}"
        r = desk.run("restore", str(archive), "--storage", str(target), *AS_ME)
        assert r.code == 1 and r.err.count("\n") == 1, (name, r.err)
        # not "damaged or truncated": altered to do harm, which a new download cannot mend
        # a symbolic link, even one pointing inside, is none of a backup's: said so on
        # either Python (the data filter took one pointing inside)
        what = {"device": "a special file (a device, a fifo)", "dotdot": "a path outside"}
        what |= dict.fromkeys(["symlink", "inner-symlink"], "a symbolic link")
        what = what[name]
        assert r.err.startswith(f"maild: restore: {archive}: holds {what}"), (name, r.err)
        assert "which no maild backup holds (" in r.err and "nothing restored" in r.err
        assert not target.exists() and not (tmp_path / "escaped").exists(), name


@pytest.mark.parametrize("filters", [True, False], ids=["filters", "no-filters"])
def test_restore_of_a_hard_link_to_a_file_the_archive_lacks_says_damaged(
    tmp_path, desk, monkeypatch, filters
):
    """A hard link whose file is not in the archive (a member lost or cut out): one
    line, "damaged", exit 1, nothing restored, as other damage (it was a traceback)."""
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter")  # restore runs in this process
    link = tarfile.TarInfo("tickets/x.json")
    link.type, link.linkname = tarfile.LNKTYPE, "tickets/gone.json"
    archive, target = tmp_path / "link.tar.gz", tmp_path / "restored"
    _archive(archive, [link])
    r = desk.run("restore", str(archive), "--storage", str(target), *AS_ME)
    assert r.code == 1 and r.err.count("\n") == 1, r.err
    assert "damaged or truncated" in r.err and "nothing restored" in r.err, r.err
    assert "Traceback" not in r.err and not target.exists()


def test_restore_into_a_relative_folder_names_the_path_to_set(tmp_path, desk, monkeypatch):
    """storage.path must be absolute: the line that says where to put the restored
    storage names the folder as the config must, not as typed."""
    desk.ingest(make_mail())
    archive = tmp_path / "b.tar.gz"
    assert desk.run("backup", str(archive)).code == 0
    monkeypatch.chdir(tmp_path)
    r = desk.run("restore", str(archive), "--storage", "maild.new", *AS_ME)
    assert r.code == 0, r.err
    assert f"into {tmp_path / 'maild.new'}; with maild serve stopped, move it" in r.out
    # under the shipped unit (ProtectSystem=strict) only storage.path's own place is
    # writable: setting storage.path to another folder left the service failing
    assert "or set storage.path to it" in r.out


def test_restore_of_a_missing_archive_says_so(tmp_path, desk):
    r = desk.run("restore", str(tmp_path / "nope.tar.gz"), "--storage", str(tmp_path / "new"))
    assert r.code == 1 and r.err == f"maild: restore: {tmp_path / 'nope.tar.gz'}: no such file\n"
    assert not (tmp_path / "new").exists()


def test_backup_replaces_no_file_but_an_earlier_backup(tmp_path, desk):
    """`maild backup /etc/maild/maild.toml` (a slip of the tab key) replaced the config
    with the archive, and `maild backup /var/backups/maild/` before the folder was made
    wrote an archive named `maild` beside it (each backup replacing the last)."""
    desk.ingest(make_mail())
    config = desk.config.read_bytes()
    r = desk.run("backup", str(desk.config))
    assert r.code == 1 and "exists and is not a maild backup; not replaced" in r.err, r
    assert desk.config.read_bytes() == config
    missing = tmp_path / "backups"
    for dest in (f"{missing}/", f"{missing}/."):
        r = desk.run("backup", dest)
        assert r.code == 1 and f"{missing}: no such directory" in r.err, r
        assert not missing.exists()
    archive = tmp_path / "today.tar.gz"  # a timer's fixed name: each day replaces the last
    for _ in range(2):
        r = desk.run("backup", str(archive))
        assert r.code == 0, r.err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("gz")) == [archive.name]


@pytest.mark.parametrize("dest", ["", " ", "-"])
def test_backup_to_no_path_or_to_stdout_is_a_usage_error(tmp_path, desk, monkeypatch, dest):
    """`maild backup "$DEST"` with DEST unset wrote an archive into the directory the
    command ran in (/ for a timer), and `maild backup -` a file named «-» there."""
    desk.ingest(make_mail())
    monkeypatch.chdir(tmp_path)
    r = desk.run("backup", dest)
    assert r.code == 64 and f"DEST is {dest!r}: give the archive's file or a folder" in r.err
    assert sorted(p.name for p in tmp_path.iterdir() if "gz" in p.name or p.name == "-") == []


def test_restore_makes_the_storage_folder_0750_under_an_admins_umask(tmp_path, desk):
    """The archive has no entry for the storage folder itself: made under an admin's
    umask (022) it was 0755, where the unit makes it 0750 (StateDirectoryMode)."""
    desk.ingest(make_mail())
    archive = tmp_path / "b.tar.gz"
    assert desk.run("backup", str(archive)).code == 0
    target = tmp_path / "new" / "data"
    saved = os.umask(0o022)
    try:
        r = desk.run("restore", str(archive), "--storage", str(target), *AS_ME)
    finally:
        os.umask(saved)
    assert r.code == 0, r.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    # nothing in it is another local user's to read
    files = [p for p in target.rglob("*") if p.is_file()]
    assert files and all(p.stat().st_mode & 0o007 == 0 for p in files), [
        (p, oct(p.stat().st_mode)) for p in files if p.stat().st_mode & 0o007
    ]


def test_a_mail_caught_both_queued_and_sent_is_restored_as_sent_only(tmp_path):
    """The snapshot links outbox/queue/ before sent/ (so no mail moved in between is
    lost): a mail the sender moved meanwhile is found in both. The restored desk
    keeps it once, as sent: queued too, it would go to the customer a second time."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail())
    outbox = desk.root / "data" / "outbox"
    moved = sorted((outbox / "queue").iterdir())[0]
    os.link(moved, outbox / "sent" / moved.name)  # the sender's move, half seen
    archive = tmp_path / "b.tar.gz"
    assert desk.run("backup", str(archive)).code == 0
    target = tmp_path / "restored"
    assert desk.run("restore", str(archive), "--storage", str(target), *AS_ME).code == 0
    assert (target / "outbox" / "sent" / moved.name).is_file()
    assert not (target / "outbox" / "queue" / moved.name).exists()
    assert len(list((target / "outbox" / "queue").iterdir())) == 2  # the others wait


def test_backup_replaces_no_other_archive(tmp_path, desk):
    """Only an archive `maild backup` wrote (its manifest first) is replaced, not the
    admin's own tar.gz of /etc under the name typed."""
    desk.ingest(make_mail())
    other = tmp_path / "etc.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.add(desk.config, arcname="maild.toml")
    before = other.read_bytes()
    r = desk.run("backup", str(other))
    assert r.code == 1 and "exists and is not a maild backup; not replaced" in r.err, r
    assert other.read_bytes() == before


def test_restore_refuses_an_archive_of_another_format(tmp_path, desk):
    """A manifest of a format this maild does not know (a later version's backup) is
    no backup it can restore: refused, nothing made."""
    archive = tmp_path / "later.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = json.dumps({"format": FORMAT + 1}).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    r = desk.run("restore", str(archive), "--storage", str(tmp_path / "new"))
    assert r.code == 1 and "not a maild backup" in r.err, r
    assert not (tmp_path / "new").exists()
