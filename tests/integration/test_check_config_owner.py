"""`sudo maild check-config` judges the files the config names as the service's user
(the storage's owner) would: root reads anything, so it said OK to a TLS key, a
template or a signing key only root could read, and the service then stopped at start
or paused processing on the first mail. One line per file, naming key and file, exit 78.

Runs only as root (CI runs as root). The storage belongs to `nobody`; everything
lies under a folder everyone may enter (pytest's tmp_path is root's alone)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import REPLY_SECRET, Desk, free_port
from tests.integration.test_root_safety import OWNER, _python_for, run

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

SHIPPED = Path(__file__).resolve().parents[2] / "maild" / "templates"


@pytest.fixture
def base():
    folder = Path(tempfile.mkdtemp(prefix="maild-owner-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _owned_desk(base: Path, port: int, **sections) -> tuple[Desk, pwd.struct_passwd]:
    """A Desk whose storage exists and belongs to nobody, its config readable by it."""
    nobody = pwd.getpwnam("nobody")
    desk = Desk(base, port, **sections)
    storage = Path(desk.sections["storage"]["path"])
    storage.mkdir(mode=0o750)
    os.chown(storage, nobody.pw_uid, nobody.pw_gid)
    os.chown(desk.config, 0, nobody.pw_gid)  # root:nogroup 0640, as README's install
    return desk, nobody


def _problems(desk: Desk) -> tuple[int, list[str]]:
    """Root's check-config, by an interpreter nobody can read (one it may not read, a
    pyenv under /root, is a problem line of its own: test_root_safety)."""
    python = _python_for(OWNER.pw_uid, OWNER.pw_gid)
    if python is None:
        pytest.skip("no interpreter that nobody can read")
    r = run(desk, python, "check-config")
    prefix = f"maild: config error: {desk.config}: "
    return r.code, [x.removeprefix(prefix) for x in r.err.splitlines() if "config error" in x]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_a_tls_key_only_root_reads_is_a_problem(base, sink):
    tls = base / "tls"
    tls.mkdir(mode=0o755)
    cert, key = tls / "cert.pem", tls / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        + ["-nodes", "-days", "2", "-subj", "/CN=localhost"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    key.chmod(0o600)  # root's alone, as openssl leaves it
    smtp = {"listen": f"127.0.0.1:{free_port()}", "tls_cert": str(cert), "tls_key": str(key)}
    desk, nobody = _owned_desk(base, sink.port, smtp=smtp)
    storage = desk.sections["storage"]["path"]
    code, problems = _problems(desk)
    assert code == 78 and problems == [
        f"smtp.tls_key: nobody, the owner of {storage}, cannot read {key} (root, mode 0600): "
        f"maild serve stops at start; chgrp nogroup {key} && chmod g+r {key}"
    ], problems
    os.chown(key, 0, nobody.pw_gid)
    key.chmod(0o640)
    assert _problems(desk) == (0, [])
    tls.chmod(0o700)  # a folder it may not enter: both files, each on its line
    code, problems = _problems(desk)
    assert code == 78 and len(problems) == 2, problems
    for name, path in (("smtp.tls_cert", cert), ("smtp.tls_key", key)):
        assert (
            f"{name}: nobody, the owner of {storage}, cannot read {path} (it may not enter "
            f"{tls}: root, mode 0700): maild serve stops at start; chmod o+x {tls}"
        ) in problems
    tls.chmod(0o755)
    who = f"nobody, the owner of {storage}"
    os.chown(key, nobody.pw_uid, nobody.pw_gid)
    key.chmod(0o200)  # its own key, its owner's bits bar it: a chgrp would not help
    said = f"{key} (nobody, mode 0200): maild serve stops at start; chmod u+r {key}"
    assert _problems(desk) == (78, [f"smtp.tls_key: {who}, cannot read {said}"])
    key.chmod(0o600)
    # a link into a folder it may not enter (certbot's live/ -> archive/, 0700): the
    # folders of where the link leads bar it too
    archive = base / "archive"
    archive.mkdir(mode=0o700)
    key.rename(archive / "key1.pem")
    key.symlink_to(archive / "key1.pem")
    said = f"(it may not enter {archive}: root, mode 0700): maild serve stops at start"
    assert _problems(desk) == (78, [f"smtp.tls_key: {who}, cannot read {key} {said}; "
                                    f"chmod o+x {archive}"])  # fmt: skip


def test_each_template_file_or_folder_only_root_reads_is_a_problem(base, sink):
    tpl = base / "tpl"
    (tpl / "answers").mkdir(parents=True)
    tpl.chmod(0o755)
    shutil.copy(SHIPPED / "confirmation.txt", tpl / "confirmation.txt")
    (tpl / "confirmation.txt").chmod(0o600)  # saved by root's editor with root's umask
    (tpl / "answers" / "hello.txt").write_text("Здравствуйте!\n")
    (tpl / "answers").chmod(0o700)
    desk, _ = _owned_desk(base, sink.port, templates={"path": str(tpl)})
    storage = desk.sections["storage"]["path"]
    then = "processing pauses on the first mail that needs it"
    code, problems = _problems(desk)
    assert code == 78 and problems == [
        f"templates.path: nobody, the owner of {storage}, cannot list {tpl / 'answers'} "
        f"(root, mode 0700): {then}; chmod o+rx {tpl / 'answers'}",
        f"templates.path: nobody, the owner of {storage}, cannot read "
        f"{tpl / 'confirmation.txt'} (root, mode 0600): {then}; "
        f"chmod o+r {tpl / 'confirmation.txt'}",
    ], problems
    (tpl / "answers").chmod(0o755)
    (tpl / "confirmation.txt").chmod(0o644)
    assert _problems(desk) == (0, [])
    # root reads them all: a template that does not compile is named beside the folder
    # its user may not list, not left for the next run once that is mended
    (tpl / "answers").chmod(0o700)
    (tpl / "thanks.txt").write_text("Subject: Спасибо\n\n{% if tid %}\n")
    code, problems = _problems(desk)
    assert code == 78 and len(problems) == 2, problems
    assert problems[1].startswith(f"templates.path: {tpl / 'thanks.txt'}: line 3: "), problems


def test_a_token_program_only_root_may_run_is_a_problem(base, sink):
    program = base / "token.sh"
    program.write_text("#!/bin/sh\necho token\n")
    program.chmod(0o700)
    outbound = {"username": "support@example.com", "oauth2_token_command": str(program)}
    desk, _ = _owned_desk(base, sink.port, outbound=outbound)
    storage = desk.sections["storage"]["path"]
    code, problems = _problems(desk)
    assert code == 78 and problems == [
        f"outbound.oauth2_token_command: nobody, the owner of {storage}, cannot run {program} "
        f"(root, mode 0700): every login fails; chmod o+rx {program}"
    ], problems
    program.chmod(0o755)
    assert _problems(desk) == (0, [])


def test_a_signing_key_of_the_store_its_owner_may_not_read_is_a_problem(base, sink):
    """A reply_secret (and web_secret) of the right owner but mode 000: the service
    stops at start; the fix is the mode, not the owner."""
    desk, nobody = _owned_desk(base, sink.port)
    desk.sections["support"].pop("reply_secret")  # the store keeps its own
    desk.sections["web"] = {"base_url": "https://support.example.com"}
    desk.write_config()
    os.chown(desk.config, 0, nobody.pw_gid)
    storage = Path(desk.sections["storage"]["path"])
    for name in ("reply_secret", "web_secret"):
        (storage / name).write_text("5" * 16 + "0123456789abcdef")
        os.chown(storage / name, nobody.pw_uid, nobody.pw_gid)
        (storage / name).chmod(0)
    code, problems = _problems(desk)
    assert code == 78 and problems == [
        f"storage.path: nobody, the owner of {storage}, cannot read {storage / name} "
        f"(nobody, mode 0000): maild serve and every command stop at start; "
        f"chmod 600 {storage / name}"
        for name in ("reply_secret", "web_secret")
    ], problems
    for name in ("reply_secret", "web_secret"):
        (storage / name).chmod(0o600)
    assert _problems(desk) == (0, [])
    os.chown(storage / "web_secret", 0, 0)  # root's: the chown is the fix, said once
    code, problems = _problems(desk)
    assert code == 78 and len(problems) == 1, problems
    assert "do not belong to its owner nobody" in problems[0], problems
    os.chown(storage / "web_secret", nobody.pw_uid, nobody.pw_gid)
    # the keys the config sets: the store's are not read, whatever their mode
    desk.sections["support"]["reply_secret"] = REPLY_SECRET
    desk.write_config()
    os.chown(desk.config, 0, nobody.pw_gid)
    (storage / "reply_secret").chmod(0)
    assert _problems(desk) == (0, [])


def test_the_service_user_s_own_check_config_names_a_template_folder_it_cannot_list(base, sink):
    """The unit's ExecStartPre runs check-config as the service's user: a templates.path
    it may not list gave a traceback (exit 1), a closed answers/ an OK while `answers
    list` left the admin's answers out. Now the line root's check-config gives, exit 78;
    `answers list` says it cannot list answers/, and every other command refuses a
    templates.path it cannot list (serve started and deferred every mail)."""
    python = _python_for(OWNER.pw_uid, OWNER.pw_gid)
    if python is None:
        pytest.skip("no interpreter that nobody can read")
    tpl = base / "tpl"
    tpl.mkdir(mode=0o700)  # root's alone, made under umask 077
    desk, nobody = _owned_desk(base, sink.port, templates={"path": str(tpl)})
    storage = desk.sections["storage"]["path"]
    then = "processing pauses on the first mail that needs it"
    for folder in (tpl, tpl / "answers"):
        if folder != tpl:
            tpl.chmod(0o755)
            folder.mkdir(mode=0o700)
            (folder / "hello.txt").write_text("Здравствуйте!\n")
        expected = [
            f"templates.path: nobody, the owner of {storage}, cannot list {folder} "
            f"(root, mode 0700): {then}; chmod o+rx {folder}"
        ]
        assert _problems(desk) == (78, expected)  # as root
        r = run(desk, python, "check-config", user=nobody.pw_uid)
        prefix = f"maild: config error: {desk.config}: "
        mine = [x.removeprefix(prefix) for x in r.err.splitlines() if "config error" in x]
        assert (r.code, mine) == (78, expected) and "Traceback" not in r.err, r
    r = run(desk, python, "answers", "list", user=nobody.pw_uid)
    assert r.code == 1 and f"cannot list {tpl / 'answers'}" in r.err, r
    (tpl / "answers").chmod(0o744)  # its names readable, not its files: still unlisted
    r = run(desk, python, "answers", "list", user=nobody.pw_uid)
    assert r.code == 1 and f"cannot list {tpl / 'answers'}" in r.err, r
    (tpl / "answers").chmod(0o700)
    r = run(desk, python, "block", "remove", "nobody.invalid", user=nobody.pw_uid)
    assert r.code == 0, r  # (the store: a listing makes none)
    tpl.chmod(0o700)
    r = run(desk, python, "ticket", "list", user=nobody.pw_uid)
    assert r.code == 78 and f"cannot list {tpl} " in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_the_service_user_s_check_config_on_a_store_it_may_not_list_is_no_traceback(base, sink):
    """A storage left root's, mode 0711: the service's user (the unit's ExecStartPre)
    may not list it; check-config says so in lines, exit 78, never a traceback."""
    python = _python_for(OWNER.pw_uid, OWNER.pw_gid)
    if python is None:
        pytest.skip("no interpreter that nobody can read")
    desk, nobody = _owned_desk(base, sink.port)
    storage = Path(desk.sections["storage"]["path"])
    os.chown(storage, 0, 0)
    storage.chmod(0o711)  # nobody may pass through it, not list it
    r = run(desk, python, "check-config", user=nobody.pw_uid)
    assert r.code == 78 and "Traceback" not in r.err, r
    assert f"cannot read {storage}: Permission denied" in r.err, r.err
