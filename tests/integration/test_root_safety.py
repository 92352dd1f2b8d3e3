"""Root is safe: run as root on a storage owned by another user, `maild` becomes
that user first, so every file it leaves there belongs to the storage's owner.

Runs only as root (CI runs as root). The storage belongs to `nobody`; the test
needs an interpreter that `nobody` can read (a pyenv under /root is not): the
test's own, else the system's python3 of the same version with this venv's
packages on PYTHONPATH.
"""

from __future__ import annotations

import functools
import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from maild import privileges
from tests import zygote
from tests.faults.fs import read_only
from tests.helpers import DATA, REPLY_SECRET, ROOT, Desk, Result, free_port, make_mail

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

OWNER = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
ENV = dict(
    os.environ,
    PYTHONPATH=os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]]),
)


@functools.cache  # the machine's answer: asked once per worker, not by every test
def _python_for(uid: int, gid: int) -> str | None:
    probe = (
        f"import os; os.setgroups([]); os.setgid({gid}); os.setuid({uid}); "
        "import difflib, encodings.cp1251, tinydb, jinja2, maild.commands"
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for exe in (sys.executable, f"/usr/bin/{version}"):
        if Path(exe).exists():
            r = subprocess.run([exe, "-c", probe], env=ENV, capture_output=True, cwd="/")
            if r.returncode == 0:
                return exe
    return None


@pytest.fixture
def owned(sink):
    """A Desk whose storage exists, empty, owned by nobody:nogroup (under a
    folder everyone can enter: pytest's tmp_path is root's alone)."""
    python = _python_for(OWNER.pw_uid, OWNER.pw_gid)
    if python is None:
        pytest.skip("no interpreter that nobody can read")
    base = Path(tempfile.mkdtemp(prefix="maild-root-"))
    base.chmod(0o755)
    desk = Desk(base, sink.port)
    desk.sections["support"].pop("reply_secret")  # the store makes and keeps its own
    desk.config_mode = 0o644  # other users run maild on it here; it holds no key
    desk.write_config()
    data = base / "data"
    data.mkdir()
    os.chown(data, OWNER.pw_uid, OWNER.pw_gid)
    yield desk, python
    shutil.rmtree(base)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Stores made once per module and worker, by `maild ingest` of sample_request.eml
    and, where asked, `maild license add ARGS`, in this process: as root on root's files
    maild switches to no one. `_seeded` copies one into a test's storage."""
    made: dict[tuple[str, ...], Path] = {}

    def seed(license: tuple[str, ...]) -> Path:
        if license not in made:
            base = tmp_path_factory.mktemp("seed")
            desk = Desk(base, 9)  # nothing is sent
            desk.sections["support"].pop("reply_secret")  # the store makes its own
            desk.write_config()
            desk.ingest((DATA / "sample_request.eml").read_bytes())
            if license:
                r = desk.run("license", "add", *license)
                assert r.code == 0, r.err
            made[license] = base / "data"
        return made[license]

    return seed


def _seeded(desk: Desk, seed: Path) -> None:
    """The desk's (empty) storage given a copy of `seed`, every file nobody's, as the
    commands that made it, run by root, would have left it: what the test starts from,
    without an interpreter for each of those commands in every test."""
    data = Path(desk.sections["storage"]["path"])
    shutil.copytree(seed, data, symlinks=True, dirs_exist_ok=True)
    for folder, dirs, files in os.walk(data):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), OWNER.pw_uid, OWNER.pw_gid)
    os.chown(data, OWNER.pw_uid, OWNER.pw_gid)


def run(desk: Desk, python: str, *args: str, stdin: bytes = b"", user: int | None = None):
    """`python -m maild --config ... args` run by root (or `user`) in /, as the
    service's unit or an admin's shell runs it. It is forked from a zygote of `python`
    that imported maild.cli as root, as a new interpreter would have before maild
    switches user (tests/zygote.py): a command costs ~30 instead of ~200 ms of CPU.
    The zygote also imported, as root, the commands' modules a new interpreter imports
    after the switch: whether nobody can import them is
    test_a_python_installation_the_owner_cannot_read_is_refused_before_anything's,
    which runs new interpreters."""
    argv = ["--config", str(desk.config), *args]
    who = None if user is None else (user, user)
    p = zygote.run("maild", argv, ENV, "/", stdin, user=who, executable=python, own_zygote=True)
    return Result(p.returncode, p.stdout.decode(), p.stderr.decode())


def strangers(root: Path) -> list[str]:
    out = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(folder, name))
            if (st.st_uid, st.st_gid) != (OWNER.pw_uid, OWNER.pw_gid):
                out.append(os.path.join(folder, name))
    return out


def serve_until(
    desk: Desk, python: str, done: Path, timeout: float = 20, then: Callable[[], Any] | None = None
) -> tuple[Any, str]:
    """`maild serve` started by root, stopped (SIGTERM) once `done` exists: what
    `then()` returned while it ran (default: the names of its child processes), and
    what it wrote to stderr."""
    with tempfile.TemporaryFile() as stderr:
        p = start_serve(desk, python, stderr)
        try:
            deadline = time.monotonic() + timeout
            while not done.exists() and p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert done.exists()
            got = then() if then is not None else children(p.pid)
        finally:
            p.terminate()
            p.wait(30)
        stderr.seek(0)
        err = stderr.read().decode()
    assert "Traceback" not in err, err
    return got, err


def start_serve(desk: Desk, python: str, stderr: Any) -> zygote.Forked:
    """`maild serve` started by root, as the unit starts it (forked as `run` forks);
    its stderr to the file `stderr`."""
    argv = ["--config", str(desk.config), "serve"]
    with open(os.devnull, "wb") as null:
        return zygote.start("maild", argv, ENV, null, stderr, "/", executable=python)


def children(pid: int) -> list[str]:
    """The process names of `pid`'s children."""
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sorted(Path(f"/proc/{kid}/comm").read_text().strip() for kid in kids)


@pytest.mark.daily_mail
def test_root_commands_leave_only_the_owners_files(owned, sink):
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    # the site too: its key (web_secret) is kept in the storage
    desk.sections["web"] = {
        "listen": f"127.0.0.1:{free_port()}",
        "base_url": "https://support.example.com",
    }
    desk.write_config()
    r = run(desk, python, "check-config")
    assert r.code == 0, r.err
    assert list(data.iterdir()) == []  # check-config created nothing
    mail = (DATA / "sample_request.eml").read_bytes()
    steps = [
        ("license", "add", "--key", "K-1", "--level", "vip", "--email", "ivan@shop-example.ru"),
        ("group", "add", "--name", "Shop", "--level", "standard", "--domain", "shop.example"),
        ("ingest", "-"),
        ("block", "add", "spam@bad.example"),
        ("ingest", "-"),  # from the blocked sender: quarantined
        ("ticket", "list"),
        ("outbox", "list"),
        ("outbox", "flush"),
        # a business morning, so the morning queue runs (and makes digest.last) at any
        # hour the suite runs
        ("jobs", "run", "--now", "2026-12-01T10:00:00+03:00"),
        ("status",),
    ]
    spam = make_mail(sender="spam@bad.example", subject="Выгодное предложение")
    inputs = iter((mail, spam))
    for args in steps:
        r = run(desk, python, *args, stdin=next(inputs) if args[0] == "ingest" else b"")
        assert r.code in (0, 1, 2) and "Traceback" not in r.err, (args, r)
    assert len(sink.wait_for(2, timeout=5)) >= 1  # the confirmation went out
    # the daemon's own files; its children named as they are when maild starts as
    # the storage's owner
    names = serve_until(desk, python, data / "run" / "scheduler_run")[0]
    assert names == ["maild-sender", "maild-worker"], names
    made = ("registry.json", "reply_secret", "web_secret", "digest.last", "blocklist.json")
    assert all((data / name).exists() for name in made)
    assert list((data / "quarantine").glob("*.json")) and (data / "spool" / "claimed").is_dir()
    assert strangers(data) == []
    # ... and the service, as nobody, can go on using all of it
    r = run(desk, python, "license", "add", "--key", "K-2", "--level", "vip", "--email", "a@b.c")
    assert r.code == 0, r.err


def test_other_user_is_refused_naming_the_owner(owned):
    desk, python = owned
    daemon_uid = pwd.getpwnam("daemon").pw_uid
    for args, code in ((("ticket", "list"), 78), (("ingest", "-"), 75)):
        r = run(desk, python, *args, user=daemon_uid)
        assert r.code == code, r
        assert "nobody" in r.err and len(r.err.strip().splitlines()) == 1, r.err


def test_the_hint_fits_who_owns_the_storage(owned):
    """The pipe of an MTA never runs as root, so «run maild as root» was no advice for
    a storage left to root: it says to give it to the user maild runs as; and to its
    own owner, whose mode bars writing, to chmod, not to change the owner."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    os.chown(data, 0, 0)
    r = run(desk, python, "ingest", "-", stdin=make_mail(), user=OWNER.pw_uid)
    assert r.code == 75 and "belongs to root" in r.err and f"chown -R nobody: {data}" in r.err, r
    os.chown(data, OWNER.pw_uid, OWNER.pw_gid)
    data.chmod(0o500)
    r = run(desk, python, "license", "list", user=OWNER.pw_uid)
    assert r.code == 78 and f"chmod u+rwx {data}" in r.err and "sudo" not in r.err, r
    assert len(r.err.strip().splitlines()) == 1


def test_a_root_storage_is_to_be_given_to_the_service_user_not_whoever_ran(owned, monkeypatch):
    """`sudo -u nobody maild ...` on a storage left to root said "chown -R nobody:",
    which hands the storage to the wrong user when the service runs as another one
    (MAILD_USER, default maild): the hint names that user."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    os.chown(data, 0, 0)
    monkeypatch.setitem(ENV, "MAILD_USER", "daemon")
    r = run(desk, python, "ticket", "list", user=OWNER.pw_uid)
    assert r.code == 78 and len(r.err.strip().splitlines()) == 1, r
    assert f"chown -R daemon: {data}" in r.err and "run maild as daemon" in r.err, r.err
    assert "chown -R nobody" not in r.err, r.err


def test_a_key_of_the_right_owner_that_its_mode_bars_is_a_mode_to_change(owned):
    """A reply_secret of the storage's owner, mode 000: check-config said OK, and every
    command stopped with "fix the owner or run as the storage owner" though the owner
    was right; both now name the file and the chmod."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    key = data / "reply_secret"  # a store of its own, as `maild serve` made it
    key.write_text("5" * 16 + "0123456789abcdef")
    os.chown(key, OWNER.pw_uid, OWNER.pw_gid)
    key.chmod(0)
    for args, code in ((("serve",), 78), (("ticket", "list"), 78), (("ingest", "-"), 75)):
        r = run(desk, python, *args, stdin=make_mail())  # as root: it switches to nobody
        assert r.code == code and r.err.strip().splitlines() == [
            f"maild: permanent error: Permission denied: {key} (it belongs to nobody, mode "
            f"0000); maild runs as nobody: fix the mode: chmod u+rw {key}"
        ], (args, r)
    r = run(desk, python, "check-config")
    assert r.code == 78 and f"cannot read {key} (nobody, mode 0000)" in r.err, r
    assert f"chmod 600 {key}" in r.err and "owner or run as" not in r.err, r


def test_a_read_only_storage_is_called_read_only_not_a_mode_to_change(owned):
    """Its owner (postfix's pipe, the service) read "belongs to nobody, but its mode
    0o755 bars writing: chmod u+rwx": no chmod helps a read-only mount; nor did
    check-config's «run maild as root» help anyone on a storage left to root."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    with read_only(data):
        for args, code in ((("ingest", "-"), 75), (("block", "add", "x@bad.example"), 78)):
            r = run(desk, python, *args, stdin=make_mail(), user=OWNER.pw_uid)
            assert r.code == code and "is on a read-only file system" in r.err, r
            assert "chmod" not in r.err and len(r.err.strip().splitlines()) == 1, r.err
        # root (sudo maild ...) went on as if it could write: the same verdict now
        for args, code in ((("ingest", "-"), 75), (("block", "add", "x@bad.example"), 78)):
            r = run(desk, python, *args, stdin=make_mail())
            assert r.code == code and "is on a read-only file system" in r.err, r
        # outside /var/lib/maild: read-only under the shipped unit's ProtectSystem=strict
        hint = (
            "under the shipped systemd unit the storage must be /var/lib/maild or listed in "
            f"ReadWritePaths= (systemctl edit maild: ReadWritePaths={data})"
        )
        for args in (("check-config",), ("serve",)):
            r = run(desk, python, *args, user=OWNER.pw_uid)
            assert r.code == 78 and hint in r.out + r.err, r
    os.chown(data, 0, 0)
    try:
        r = run(desk, python, "check-config", user=OWNER.pw_uid)
        assert "belongs to root and nobody may not write it" in r.out + r.err, r
        assert "run maild as root" not in r.out + r.err
    finally:
        os.chown(data, OWNER.pw_uid, OWNER.pw_gid)


def _shown(r: Result) -> str:
    """What a command printed, without the time `report sla` says it was made."""
    return "\n".join(line for line in r.out.splitlines() if not line.startswith("Составлен"))


def _writable_copy(desk: Desk) -> Desk:
    """A copy of the desk's storage, root's, and a Desk on it that runs maild in this
    process (as root on root's files, maild becomes no one else): what the commands
    print on a writable store, without ten interpreters more."""
    root = desk.root / "copy"
    shutil.copytree(desk.sections["storage"]["path"], root / "data", symlinks=True)
    reference = Desk(root, desk.relay_port)
    reference.sections = json.loads(json.dumps(desk.sections))
    reference.sections["storage"]["path"] = str(root / "data")
    reference.write_config()
    return reference


def test_a_read_only_storage_can_still_be_read(owned, seeds):
    """A disk remounted read-only after errors is when the admin most needs to read
    the tickets, and every command refused it (exit 78, "is on a read-only file
    system"). Now what only reads the store works there, as root and as the service's
    user, and prints what it prints on a writable store; `status` is failing and says
    why in one line; what writes is refused as before."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    _seeded(desk, seeds(("--key", "K-1", "--level", "vip", "--email", "a@b.ru")))
    reference = _writable_copy(desk)
    tid = reference.tickets()[0]["tid"]
    reading = [
        ("ticket", "list"), ("ticket", "list", "--json"), ("ticket", "show", tid),
        ("report", "sla"), ("fsck",), ("outbox", "list"), ("license", "list"),
        ("spam", "list"), ("block", "list"), ("spool", "list"),
    ]  # fmt: skip
    before = {args: reference.run(*args) for args in reading}
    assert all(r.code == 0 and r.out for r in before.values()), before
    reason = (
        f"! storage: {data} is on a read-only file system: mount it read-write; under the "
        f"shipped systemd unit the storage must be /var/lib/maild or listed in "
        f"ReadWritePaths= (systemctl edit maild: ReadWritePaths={data})"
    )
    writing = [
        (("ingest", "-"), 75), (("block", "add", "x@bad.example"), 78), (("fsck", "--repair"), 78),
        (("license", "add", "--key", "K-2", "--level", "vip", "--email", "c@d.ru"), 78),
        (("forget", "a@b.ru"), 78), (("backup", str(data.parent / "b.tar.gz")), 78),
    ]  # fmt: skip
    with read_only(data):
        for user in (None, OWNER.pw_uid):  # root, the service
            for args in reading:
                r = run(desk, python, *args, user=user)
                assert r.code == 0 and r.err == "" and _shown(r) == _shown(before[args]), (args, r)
            r = run(desk, python, "status", user=user)
            assert r.code == 2 and r.err == "" and r.out.count(reason) == 1, r
            r = run(desk, python, "status", "--json", user=user)
            assert r.code == 2 and r.json()["state"] == "failing", r
            assert reason[2:] in r.json()["reasons"] and r.json()["storage"]["read_only"] is True
            for args, code in writing if user is None else writing[:2]:
                r = run(desk, python, *args, stdin=make_mail(), user=user)
                assert r.code == code and "is on a read-only file system" in r.err, (args, r)
                assert len(r.err.strip().splitlines()) == 1, r.err
    assert not (data.parent / "b.tar.gz").exists()


def test_a_parent_the_owner_may_write_but_not_enter_makes_no_store(owned):
    """The storage not made yet, under a folder of mode 0600 (writable, not enterable):
    nothing can be made in it, so check-config run by its owner names it (exit 78),
    rather than say OK and leave the service to fail on its first mail."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    desk.sections["storage"]["path"] = str(data / "store")
    desk.write_config()
    data.chmod(0o600)
    try:
        r = run(desk, python, "check-config", user=OWNER.pw_uid)
    finally:
        data.chmod(0o755)
    said = f"storage.path {data / 'store'} does not exist and nobody's {data} is not writable"
    assert r.code == 78 and said in r.err, r


def test_permanent_errors_name_the_path(owned):
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    data.chmod(0o500)  # the owner itself may not write: no switch helps
    r = run(desk, python, "license", "list")  # would make the store
    # root, switched to the owner, hears what the owner does (the service)
    assert r.code == 78 and f"mode 0o500 bars writing: chmod u+rwx {data}" in r.err, r
    assert "Traceback" not in r.err
    r = run(desk, python, "ingest", "-", stdin=(DATA / "sample_request.eml").read_bytes())
    assert r.code == 75 and str(data) in r.err, r
    data.chmod(0o755)
    (data / "spool").mkdir()  # as root, by hand: check-config names it
    r = run(desk, python, "check-config")
    assert r.code == 78 and "do not belong to its owner nobody" in r.err, r
    assert "in the top two levels of" in r.err  # it looks two levels down only
    os.chown(data / "spool", OWNER.pw_uid, OWNER.pw_gid)
    (data / "open").mkdir()
    os.chown(data / "open", OWNER.pw_uid, OWNER.pw_gid)
    (data / "open" / "07.json").write_text("{}")  # root's, one level down
    r = run(desk, python, "check-config")
    assert r.code == 78 and f"e.g. {data / 'open' / '07.json'}: chown" in r.err, r


def test_a_missing_storage_names_the_root_owned_folder_it_would_be_in(owned):
    """ "Permission denied: .../missing (it belongs to root)": the missing folder
    belongs to no one; the folder it would be made in is root's."""
    desk, python = owned
    parent = Path(desk.sections["storage"]["path"]).parent / "par"
    parent.mkdir(mode=0o755)
    desk.sections["storage"]["path"] = str(parent / "missing")
    desk.write_config()
    r = run(desk, python, "ingest", "-", stdin=make_mail(), user=OWNER.pw_uid)
    assert r.code == 75, r
    assert (
        f"Permission denied: {parent}/missing ({parent}, where it would be, belongs to root)"
        in r.err
    )


def test_root_ingest_of_a_file_only_root_reads_says_whose_read_it_was(owned, tmp_path):
    """`sudo maild ingest /root/mail.eml`: "Permission denied" alone did not say that
    maild, switched to the storage's owner, reads the file as that user."""
    desk, python = owned
    mail = tmp_path / "mail.eml"  # (pytest's tmp_path: root's alone)
    mail.write_bytes(make_mail())
    mail.chmod(0o600)
    r = run(desk, python, "ingest", str(mail))
    assert r.code == 75, r
    assert (
        f"cannot read {mail}, nothing spooled: Permission denied (maild reads it as nobody, "
        f"the storage's owner: pipe it in instead: maild ingest - < {mail})"
    ) in r.err, r.err
    r = run(desk, python, "ingest", "-", stdin=mail.read_bytes())
    assert r.code == 0, r


def test_backup_into_a_folder_the_owner_may_not_write_names_it(owned, seeds):
    """`sudo maild backup /var/backups/maild/` writes as the storage's owner: a
    folder only root may write is a permission error (78) naming folder and users."""
    desk, python = owned
    _seeded(desk, seeds(()))
    backups = Path(desk.sections["storage"]["path"]).parent / "backups"
    backups.mkdir(mode=0o755)
    r = run(desk, python, "backup", str(backups))
    assert r.code == 78 and len(r.err.strip().splitlines()) == 1, r
    assert f"Permission denied: {backups} (it belongs to root)" in r.err, r.err
    assert "maild runs as nobody" in r.err and list(backups.iterdir()) == []
    # maild runs as the storage owner already: "or run as the storage owner" misled
    assert f"let nobody use it (chown nobody: {backups}," in r.err, r.err
    assert "storage owner" not in r.err, r.err
    os.chown(backups, OWNER.pw_uid, OWNER.pw_gid)
    r = run(desk, python, "backup", str(backups))
    assert r.code == 0 and len(list(backups.glob("maild-*.tar.gz"))) == 1, r


def test_backup_of_a_file_its_mode_bars_names_the_storage_s_file_and_the_chmod(owned, seeds):
    """A ticket file of nobody's own, mode 000: backup named its hard link in the
    staging folder (removed by then) and blamed the storage folder's owner."""
    desk, python = owned
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    ticket = next((data / "tickets").rglob("*.json"))
    ticket.chmod(0)
    backups = data.parent / "backups"
    backups.mkdir(mode=0o755)
    os.chown(backups, OWNER.pw_uid, OWNER.pw_gid)
    r = run(desk, python, "backup", str(backups))
    assert r.code == 78 and r.err.strip().splitlines() == [
        f"maild: permanent error: Permission denied: {ticket} (it belongs to nobody, mode "
        f"0000); maild runs as nobody: fix the mode: chmod u+rw {ticket}"
    ], r
    assert list(backups.iterdir()) == []


def test_backup_into_a_drop_folder_it_may_write_but_not_list(owned, seeds):
    """A drop folder (mode 0333: everyone may put files in, nobody but root list it):
    the cleaning of killed backups' partial archives there raised EACCES on listing
    it, and the backup stopped with "permanent error", exit 78 (before that cleaning,
    the same error came after the archive was written: the fsync of the folder opens
    it, which needs read permission). It cannot see the partials there anyway, and
    sync() makes the rename durable: the backup is written, exit 0."""
    desk, python = owned
    _seeded(desk, seeds(()))
    drop = Path(desk.sections["storage"]["path"]).parent / "drop"
    drop.mkdir()
    drop.chmod(0o333)
    r = run(desk, python, "backup", str(drop))  # as root: it switches to nobody
    assert r.code == 0 and r.err == "", r
    made = list(drop.iterdir())  # (root lists it)
    assert len(made) == 1 and made[0].name.startswith("maild-"), made
    assert made[0].stat().st_uid == OWNER.pw_uid


def test_an_unreadable_queue_is_not_called_empty(owned, seeds):
    desk, python = owned
    _seeded(desk, seeds(()))
    queue = Path(desk.sections["storage"]["path"]) / "outbox" / "queue"
    mail = sorted(queue.iterdir())[0]  # the confirmation or the staff notice
    os.chown(mail, 0, 0)
    mail.chmod(0o600)  # what `sudo maild ...` of an older version left behind
    r = run(desk, python, "outbox", "list")  # (the rest listed: test_outbox_file_unreadable)
    assert "outbox is empty" not in r.out and mail.name.removesuffix(".mail") not in r.out, r
    assert f"{mail}: cannot read it (maild runs as nobody): chown nobody: {mail}" in r.err


def _left_roots(desk: Desk, seeds: Callable[..., Path], folder: str) -> tuple[Path, str]:
    """The seeded storage with `folder` of it left root's, mode 0700 (a root's `cp -a`
    or `tar`): the storage, and what maild says of it (its owner and the chown)."""
    _seeded(desk, seeds(()))
    data = Path(desk.sections["storage"]["path"])
    os.chown(data / folder, 0, 0)
    (data / folder).chmod(0o700)
    whose = f"{data / folder} belongs to root, not to nobody, the owner of {data}"
    return data, f"{whose}: chown -R nobody: {data}"


@pytest.mark.parametrize("folder", ["outbox", "spool"])
def test_a_storage_folder_left_roots_is_given_back_not_opened_to_everyone(owned, seeds, folder):
    """outbox/ or spool/ left root's, mode 0700, by a root's `cp -a` or `tar`: every
    command fails as the store opens, and its one line names the folder's owner and
    the chown back to the storage's owner, not "chmod o+x" (that would open the
    customers' mail to every user of the machine)."""
    desk, python = owned
    data, fix = _left_roots(desk, seeds, folder)
    for argv, code, stdin in ((["status"], 78, b""), (["ingest", "-"], 75, make_mail())):
        r = run(desk, python, *argv, stdin=stdin)
        assert r.code == code and r.err == f"maild: permanent error: Permission denied: {fix}\n", r
    said = run(desk, python, "status", "--json")  # a monitor's parser: JSON, not nothing
    assert said.code == 78 and said.json() == {
        "config": str(desk.config),
        "error": f"permanent error: Permission denied: {fix}",
    }, said
    os.chown(data / folder, OWNER.pw_uid, OWNER.pw_gid)
    assert run(desk, python, "ingest", "-", stdin=make_mail()).code == 0


@pytest.mark.parametrize("folder", ["open", "archive"])
def test_a_summaries_folder_maild_may_not_list_is_no_empty_desk(owned, seeds, folder):
    """open/ or archive/ left root's, mode 0700: read as empty (glob's answer), `ticket
    list` said «no tickets», the report had none, and the reminders' job found no
    ticket to remind of, all with exit 0. Each names the folder and the chown."""
    desk, python = owned
    data, fix = _left_roots(desk, seeds, folder)
    for argv in (["ticket", "list"], ["report", "sla"]):
        r = run(desk, python, *argv)
        assert r.code == 78 and r.out == "", r
        assert r.err == f"maild: permanent error: Permission denied: {fix}\n"
    if folder == "open":  # (no job reads archive/ here: storage.keep_closed_days unset)
        r = run(desk, python, "jobs", "run")
        assert r.code != 0 and "scheduled job reminders failed: permanent error" in r.err, r
    os.chown(data / folder, OWNER.pw_uid, OWNER.pw_gid)
    assert len(run(desk, python, "ticket", "list", "--json").json()) == 1


def test_fsck_calls_a_root_owned_file_unreadable_not_corrupt(owned, seeds):
    """registry.json and a ticket file left by `sudo maild ...` of an older version
    (root's, 0600): fsck says they cannot be read and gives the chown, never
    "corrupt registry: restore it from a backup" (that loses licenses added since)."""
    desk, python = owned
    _seeded(desk, seeds(("--key", "K", "--level", "vip", "--email", "a@b.ru")))
    data = Path(desk.sections["storage"]["path"])
    registry, ticket = data / "registry.json", next((data / "tickets").glob("*/*.json"))
    for path in (registry, ticket):
        os.chown(path, 0, 0)
        path.chmod(0o600)
    r = run(desk, python, "fsck", "--repair")
    assert r.code == 1 and "Traceback" not in r.err, r
    assert "corrupt" not in r.out and "backup" not in r.out, r.out
    for path in (registry, ticket):
        assert (
            f"unreadable by nobody: Permission denied (not repaired: chown nobody: {path})" in r.out
        )
        assert path.stat().st_uid == 0 and path.read_bytes()  # left as it was
    for path in (registry, ticket):
        os.chown(path, OWNER.pw_uid, OWNER.pw_gid)
    assert "0 problem(s)" in run(desk, python, "fsck").out


def test_mail_root_copied_into_the_spool_waits_alone_and_is_named(owned):
    """A message root copied into spool/new (`cp` keeps root's owner and 0600) paused
    all processing: the mail after it was answered 250 and never became a ticket,
    and fsck said "0 problem(s)". Now it waits alone, and fsck and status name it."""
    desk, python = owned
    r = run(desk, python, "ingest", "-", stdin=make_mail(msgid="<first@c.example>"))
    assert r.code == 0, r.err
    new = Path(desk.sections["storage"]["path"]) / "spool" / "new"
    now = time.time_ns()
    restored = new / f"{now - 10_000}.P1Q1.host"  # the oldest: met first
    restored.write_bytes(make_mail(sender="r@shop.example", msgid="<restored@c.example>"))
    restored.chmod(0o600)  # root's
    keys = [f"{now + n}.P1Q{n + 2}.host" for n in range(2)]
    for n, key in enumerate(keys):
        (new / key).write_bytes(make_mail(sender=f"s{n}@shop.example", msgid=f"<s{n}@c.example>"))
        os.chown(new / key, OWNER.pw_uid, OWNER.pw_gid)  # as the listener leaves it
    serve_until(desk, python, new.parent / "cur" / f"{keys[-1]}:2,S")
    assert len(run(desk, python, "ticket", "list", "--json").json()) == 3
    assert sorted(os.listdir(new)) == [restored.name]  # waits: not shunted, not counted
    fix = f"chown nobody: {restored}"
    r = run(desk, python, "fsck")
    named = f"spool/new/{restored.name}: unreadable by nobody: Permission denied"
    assert r.code == 1 and f"{named} (not repaired: {fix})" in r.out, r
    r = run(desk, python, "status")
    named = f"! cannot read {restored} (maild runs as nobody): that mail waits until it can"
    assert f"{named}: {fix}" in r.out, r.out
    os.chown(restored, OWNER.pw_uid, OWNER.pw_gid)
    serve_until(desk, python, new.parent / "cur" / f"{restored.name}:2,S")
    assert len(run(desk, python, "ticket", "list", "--json").json()) == 4


def test_root_owned_summaries_are_unreadable_not_corrupt_nor_an_empty_desk(owned, seeds):
    """open/*.json and registry.json root's 0600 (a root `cp`, an older run as root):
    fsck said "corrupt summary file (unreadable: Permission denied)" with no chown,
    --repair tried to set them aside (exit 78 naming a temp file), status counted
    "0 open", healthy. A file maild may not read is neither corrupt nor set aside."""
    desk, python = owned
    _seeded(desk, seeds(("--key", "K", "--level", "vip", "--email", "a@b.ru")))
    data = Path(desk.sections["storage"]["path"])
    files = [data / "registry.json", *sorted((data / "open").glob("*.json"))]
    assert len(files) == 2
    for path in files:
        os.chown(path, 0, 0)
        path.chmod(0o600)
    for args in (("fsck",), ("fsck", "--repair")):
        r = run(desk, python, *args)
        assert r.code == 1 and "Traceback" not in r.err and "corrupt" not in r.out, r
        for path in files:
            line = f"{path.relative_to(data)}: unreadable by nobody: Permission denied "
            assert f"{line}(not repaired: chown nobody: {path})" in r.out, r.out
        assert not (data / "lost+found").exists()
        assert [p.stat().st_uid for p in files] == [0, 0] and all(p.read_bytes() for p in files)
    r = run(desk, python, "status")
    assert r.code == 2 or r.code == 1, r  # (no serve here: the scheduler fails it)
    for path in files:
        assert f"! cannot read {path} (maild runs as nobody): chown nobody: {path}" in r.out
    assert "tickets: 0 open (and those in 1 file(s) maild cannot read)," in r.out, r.out


def test_a_python_installation_the_owner_cannot_read_is_refused_before_anything(owned):
    """maild's dependencies under a folder only root may enter (as in a pyenv or a
    `pip install --user` under /root): root's maild switches to nobody, who cannot
    import anything more. Each import on first use (the holidays table, a charset's
    codec) then failed: the mail spooled, two tracebacks, "processing deferred",
    exit 0. Now one line names the user and the folder, and nothing is touched."""
    desk, python = owned
    data = Path(desk.sections["storage"]["path"])
    hidden = Path(tempfile.mkdtemp(prefix="maild-root-only-"))  # root's, 0700
    try:
        (hidden / "site").symlink_to(sysconfig.get_paths()["purelib"])
        # -S: no site-packages of the interpreter's own shadows the hidden ones
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(hidden / "site")]))
        mail = (DATA / "sample_request.eml").read_bytes()
        for args, stdin, code in ((("ingest", "-"), mail, 75), (("ticket", "list"), b"", 78)):
            p = subprocess.run(
                [python, "-S", "-m", "maild", "--config", str(desk.config), *args],
                input=stdin,
                capture_output=True,
                env=env,
                cwd="/",
                timeout=30,
            )
            err = p.stderr.decode()
            assert p.returncode == code and len(err.strip().splitlines()) == 1, (p, err)
            assert f"switched to nobody, the owner of {data}" in err, err
            assert f"cannot read maild's Python installation: {hidden}/site" in err, err
            assert f"(nobody may not enter {hidden})" in err and "/opt/maild" in err, err
            assert list(data.iterdir()) == []  # no store, no spooled mail
        # check-config, run as root, judges it as the owner would: it said OK
        p = subprocess.run(
            [python, "-S", "-m", "maild", "--config", str(desk.config), "check-config"],
            capture_output=True,
            env=env,
            cwd="/",
            timeout=30,
        )
        err = p.stderr.decode()
        assert p.returncode == 78 and "OK" not in p.stdout.decode(), (p, err)
        said = f"switches to nobody, the owner of {data}, and nobody cannot read maild's Python"
        assert f"{said} installation: {hidden}/site" in err, err  # (or a package's folder)
        assert f"(nobody may not enter {hidden}); install maild where" in err, err
    finally:
        shutil.rmtree(hidden)


def _archive(desk: Desk, where: Path) -> Path:
    """A backup of a storage with one ticket, in a folder only root may read."""
    desk.ingest((DATA / "sample_request.eml").read_bytes())
    r = desk.run("backup", str(where / "b.tar.gz"))
    assert r.code == 0, r.err
    return where / "b.tar.gz"


def test_root_restores_a_new_storage_for_the_folders_owner(owned, desk, tmp_path):
    """Root restoring into a folder not made yet (here two levels of them) gives every
    file and folder made to the owner of the nearest existing parent, and the service,
    as that user, goes on with the restored store."""
    owned_desk, python = owned
    archive = _archive(desk, tmp_path)
    target = Path(owned_desk.sections["storage"]["path"]) / "new" / "maild"
    r = desk.run("restore", str(archive), "--storage", str(target))
    assert r.code == 0, r.err
    assert (target / "spool").is_dir()
    assert strangers(target.parent.parent) == []  # nothing root's, the folders made too
    owned_desk.sections["storage"]["path"] = str(target)
    owned_desk.sections["support"]["reply_secret"] = REPLY_SECRET  # the archived desk's
    owned_desk.write_config()
    r = run(owned_desk, python, "ticket", "list", "--json", user=OWNER.pw_uid)
    assert r.code == 0 and len(r.json()) == 1, r
    r = run(owned_desk, python, "ingest", "-", stdin=make_mail(), user=OWNER.pw_uid)
    assert r.code == 0, r


def test_root_restore_into_roots_folder_is_warned_and_owner_names_the_user(desk, tmp_path):
    """A storage root owns fails the service on every mail: root restoring into a
    folder of root's gets it, as asked, with one line saying how to hand it over;
    --owner names the user instead."""
    archive = _archive(desk, tmp_path)
    target = tmp_path / "lib" / "maild.new"
    r = desk.run("restore", str(archive), "--storage", str(target))
    assert r.code == 0, r
    said = (
        f"maild: restore: warning: {target} belongs to root, and maild serve running as its "
        "own user cannot write it: "
    )
    try:  # the shipped unit's user, where this host has one
        unit_user = pwd.getpwnam("maild")
    except KeyError:  # none here: --owner maild would fail, "no such user"
        assert r.err == (
            f"{said}give it to the user the service runs as (this host has no user maild): "
            f"chown -R USER: {target}, or restore with --owner USER\n"
        ), r.err
    else:
        group = grp.getgrgid(unit_user.pw_gid).gr_name
        assert r.err == f"{said}chown -R maild:{group} {target} (or restore with --owner maild)\n"
    assert (target / "spool").is_dir()
    other = tmp_path / "lib2" / "maild.new"
    r = desk.run("restore", str(archive), "--storage", str(other), "--owner", "nobody")
    assert r.code == 0 and r.err == "", r.err
    assert strangers(tmp_path / "lib2") == [] and (tmp_path / "lib2").stat().st_uid == OWNER.pw_uid


def _in_own_user_namespace(args: list[str]) -> subprocess.CompletedProcess | None:
    """`args` as root of a user namespace of its own (`unshare -r`), where only uid 0
    maps: a chown to any other user fails there (EINVAL) as on a file system that
    takes no owners. None where the machine allows no user namespace."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-r", "true"]).returncode != 0:
        return None
    return subprocess.run([unshare, "-r", *args], capture_output=True, env=ENV, timeout=60)


def test_a_restore_whose_files_cannot_be_given_to_the_owner_leaves_nothing(desk, tmp_path):
    """The files were left behind, root's, when handing them over failed partway, and
    a second try was refused: "not an empty directory"."""
    archive = _archive(desk, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (tmp_path / "lib" / "maild", empty):
        p = _in_own_user_namespace(
            [sys.executable, "-m", "maild", "restore", str(archive), "--storage", str(target),
             "--owner", "nobody"]
        )  # fmt: skip
        if p is None:
            pytest.skip("no user namespaces here")
        err = p.stderr.decode()
        assert p.returncode == 1 and "nothing restored" in err and "Traceback" not in err, err
        assert f"cannot be given to uid {OWNER.pw_uid}" in err, err
    assert not (tmp_path / "lib").exists() and list(empty.iterdir()) == []
    r = desk.run("restore", str(archive), "--storage", str(empty), "--owner", "nobody")
    assert r.code == 0 and strangers(empty) == [], r.err  # the second try goes through


def test_root_s_first_command_makes_a_missing_store_for_the_service_user(sink):
    """Before the unit's first start /var/lib/maild does not exist: `sudo maild license
    add` made the store root's (the owner of /var/lib), root's check-config said OK,
    and then postfix's pipe as maild exited 75 for ever. A command that may make the
    store makes it for the service's user (MAILD_USER, default maild), mode 0750; with
    no such user, root's check-config warns and says how to make it."""
    python = _python_for(OWNER.pw_uid, OWNER.pw_gid)
    if python is None:
        pytest.skip("no interpreter that nobody can read")
    base = Path(tempfile.mkdtemp(prefix="maild-root-"))
    try:
        base.chmod(0o755)  # root's, as /var/lib
        desk = Desk(base, sink.port)
        desk.sections["storage"]["path"] = str(base / "lib" / "maild")
        desk.config_mode = 0o644
        desk.write_config()
        data = base / "lib" / "maild"
        env = dict(ENV, MAILD_USER="maild-no-such-user")
        r = _run_env(desk, python, env, "check-config")
        assert r.code == 0 and "does not exist" not in r.err, r  # not where the unit keeps it
        # where the unit keeps it (check-config makes nothing)
        unit = Path(f"/var/lib/maild-test-{os.getpid()}")
        desk.sections["storage"]["path"] = str(unit)
        desk.write_config()
        r = _run_env(desk, python, env, "check-config")
        assert r.code == 0 and f"storage.path {unit} does not exist and no user" in r.err, r
        assert f"install -d -o maild-no-such-user -g maild-no-such-user -m 0750 {unit}" in r.err
        assert not unit.exists()
        # the service's user is there: root's first command makes it its, no warning
        r = _run_env(desk, python, dict(ENV, MAILD_USER=OWNER.pw_name), "check-config")
        assert r.code == 0 and "does not exist" not in r.err, r
        assert not unit.exists()
        # under a folder of the service's user: root's command makes it as that user
        mine = Path(f"/var/lib/maild-test-{os.getpid()}-owned")
        mine.mkdir()
        try:
            os.chown(mine, OWNER.pw_uid, OWNER.pw_gid)
            desk.sections["storage"]["path"] = str(mine / "maild")
            desk.write_config()
            assert "does not exist" not in _run_env(desk, python, env, "check-config").err
        finally:
            shutil.rmtree(mine)
        desk.sections["storage"]["path"] = str(data)
        desk.write_config()
        env = dict(ENV, MAILD_USER=OWNER.pw_name)
        assert "does not exist" not in _run_env(desk, python, env, "check-config").err
        args = ("license", "add", "--key", "K-1", "--level", "vip", "--email", "a@b.c")
        r = _run_env(desk, python, env, *args)
        assert r.code == 0, r
        st = data.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (
            OWNER.pw_uid,
            OWNER.pw_gid,
            0o750,
        )
        assert strangers(data) == [] and (data / "registry.json").exists()
        # the service (postfix's pipe as it) writes there
        r = run(desk, python, "ingest", "-", stdin=make_mail(), user=OWNER.pw_uid)
        assert r.code == 0, r
    finally:
        shutil.rmtree(base)


def test_a_store_is_made_for_the_service_user_only_where_it_is_roots_to_make(tmp_path, monkeypatch):
    """privileges.make_for_service, in this process (root): a missing store under a
    folder of root's that the service's user may enter is made its, mode 0750; under a
    folder it may not enter (the store would be no use to it) or a folder of another
    user's (whom root's command then runs as: the folder's owner keeps the store it
    makes), it is left for the command to make as before."""
    monkeypatch.setenv("MAILD_USER", OWNER.pw_name)
    daemon = pwd.getpwnam("daemon")
    base = Path(tempfile.mkdtemp(prefix="maild-root-"))
    try:
        base.chmod(0o755)  # root's, as /var/lib
        (base / "alice").mkdir(mode=0o755)  # another user's, as a home
        os.chown(base / "alice", daemon.pw_uid, daemon.pw_gid)
        made = base / "lib" / "maild"
        umask = os.umask(0o077)  # root's, strict: the store is still 0750, as the unit's
        try:
            privileges.make_for_service(made)
        finally:
            os.umask(umask)
        st = made.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (
            OWNER.pw_uid,
            OWNER.pw_gid,
            0o750,
        )
        (base / "group").mkdir()  # root's, which the service's user enters by its group
        os.chown(base / "group", 0, OWNER.pw_gid)
        (base / "group").chmod(0o750)
        privileges.make_for_service(base / "group" / "maild")
        assert (base / "group" / "maild").stat().st_uid == OWNER.pw_uid
        for storage in (tmp_path / "lib" / "maild", base / "alice" / "maild"):
            privileges.make_for_service(storage)  # (pytest's tmp_path: root's alone)
            assert not storage.exists(), storage
    finally:
        shutil.rmtree(base)


def _run_env(desk: Desk, python: str, env: dict[str, str], *args: str) -> Result:
    p = subprocess.run(
        [python, "-m", "maild", "--config", str(desk.config), *args],
        capture_output=True,
        env=env,
        cwd="/",
        timeout=60,
    )
    return Result(p.returncode, p.stdout.decode(), p.stderr.decode())


def test_a_port_below_1024_the_owner_may_not_listen_on_is_one_line_with_the_fix(owned):
    """serve (root's, switched to the storage's owner) exited 71 with "permission
    denied" alone, which the unit restarted every 5 s for ever: the line names the
    capability, and the exit is 78 (RestartPreventExitStatus=78). check-config, run
    as the owner (the unit's ExecStartPre) without the capability, warns of it."""
    desk, python = owned
    if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 26:
        pytest.skip("every user may listen on port 26 here")
    desk.sections["smtp"] = {"listen": "127.0.0.1:26"}
    desk.write_config()
    r = run(desk, python, "serve")
    assert r.code == 78, r
    [line] = [x for x in r.err.splitlines() if "ERROR" in x]
    assert "cannot listen on 127.0.0.1:26: Permission denied; " in line, line
    assert "CAP_NET_BIND_SERVICE" in line and "AmbientCapabilities=" in line, line
    r = run(desk, python, "check-config", user=OWNER.pw_uid)
    assert r.code == 0, r
    [line] = [x for x in r.err.splitlines() if "smtp.listen" in x]
    assert "smtp.listen = 127.0.0.1:26: nobody may not listen there" in line, line
    assert "CAP_NET_BIND_SERVICE" in line and str(desk.config) in line, line
    r = run(desk, python, "check-config")  # root's judges as the storage's owner
    assert r.code == 0 and f"127.0.0.1:26: nobody, the owner of {desk.root / 'data'}, may" in r.err


def test_check_config_says_nothing_of_the_first_port_every_user_may_listen_on(owned):
    """net.ipv4.ip_unprivileged_port_start is the first port that takes no capability
    (1024 as shipped): a listener on it starts as the owner, and check-config, run as
    the owner, warns of none."""
    desk, python = owned
    start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    if not 0 < start < 65536:
        pytest.skip("every port is free to every user here")
    desk.sections["smtp"] = {"listen": f"127.0.0.1:{start}"}
    desk.write_config()
    r = run(desk, python, "check-config", user=OWNER.pw_uid)
    assert r.code == 0 and "smtp.listen" not in r.err, r


def test_check_config_run_with_the_units_capability_says_nothing_of_a_low_port(owned):
    """The unit's AmbientCapabilities=CAP_NET_BIND_SERVICE uncommented, as the hint
    above says: check-config (its ExecStartPre: the owner, with that capability alone)
    finds it in CapEff and says nothing of port 26; read at another bit, it went on
    warning the admin who did as it told them."""
    desk, python = owned
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv(1)")
    if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 26:
        pytest.skip("every user may listen on port 26 here")
    desk.sections["smtp"] = {"listen": "127.0.0.1:26"}
    desk.write_config()
    cap = "+net_bind_service"
    as_unit = ["setpriv", f"--reuid={OWNER.pw_uid}", f"--regid={OWNER.pw_gid}", "--clear-groups",
               f"--inh-caps={cap}", f"--ambient-caps={cap}"]  # fmt: skip
    argv = [python, "-m", "maild", "--config", str(desk.config), "check-config"]
    p = subprocess.run(as_unit + argv, capture_output=True, env=ENV, cwd="/", timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    assert "smtp.listen" not in p.stderr.decode()


def test_check_config_says_nothing_of_a_low_port_where_proc_sys_is_hidden(owned):
    """The unit's ProcSubset=pid hides /proc/sys: where the admin lowered
    net.ipv4.ip_unprivileged_port_start instead of granting the capability, serve
    listens on port 26, but its ExecStartPre check-config, reading no sysctl, took
    1024 and warned "nobody may not listen there"."""
    desk, python = owned
    if shutil.which("unshare") is None or shutil.which("setpriv") is None:
        pytest.skip("needs unshare(1) and setpriv(1)")
    desk.sections["smtp"] = {"listen": "127.0.0.1:26"}
    desk.write_config()
    uid, gid = OWNER.pw_uid, OWNER.pw_gid
    as_unit = (
        "mount -t tmpfs none /proc/sys && exec setpriv"
        f" --reuid={uid} --regid={gid} --clear-groups"
        f" {python} -m maild --config {desk.config} check-config"
    )
    p = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", as_unit],
        capture_output=True, env=ENV, cwd="/", timeout=60,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr.decode()
    assert "smtp.listen" not in p.stderr.decode()
