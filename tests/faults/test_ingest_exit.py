"""`maild ingest` (an MTA's pipe transport) exits 75 with one line for everything
that is not the message's fault, config errors included; other commands keep 78.
A new store is made only in a missing or empty directory."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import zygote
from tests.faults.fs import read_only
from tests.helpers import ROOT, Desk, make_mail


def maild(config: Path, *args: str, input: bytes = b"") -> tuple[int, str]:
    """`python -m maild` as the MTA's pipe starts it: a process of its own (forked from
    the zygote, tests/zygote.py)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = zygote.run("maild", ["--config", str(config), *args], env, input=input)
    return p.returncode, p.stderr.decode(errors="replace")


def in_process(config: Path, *args: str) -> tuple[int, str]:
    """The CLI in this process (no new interpreter: for the commands that are not
    run by an MTA)."""
    from maild.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["--config", str(config), *args])
    return code, err.getvalue()


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "content",
    [None, b"\xff\xfe\x00binary", b"[support\naddress = ", b"[support]\naddress = 5\n", "dir"],
    ids=["missing", "binary", "broken-toml", "bad-key", "unreadable"],
)
def test_config_errors_are_75_for_ingest_and_78_for_the_rest(tmp_path, content):
    config = tmp_path / "maild.toml"
    if content == "dir":
        config.mkdir()  # cannot be read as a file (chmod does not stop root)
    elif content is not None:
        config.write_bytes(content)
    code, err = maild(config, "ingest", "-", input=make_mail())
    assert code == 75 and one_line(err), err
    code, err = in_process(config, "ticket", "list")
    assert code == 78 and one_line(err), err


def test_a_new_store_only_in_a_missing_or_empty_directory(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    code, err = maild(desk.config, "ingest", "-", input=make_mail(msgid="<n1@c.example>"))
    assert code == 0 and f"created a new store at {tmp_path / 'data'}" in err
    code, err = maild(desk.config, "ingest", "-", input=make_mail(msgid="<n2@c.example>"))
    assert code == 0 and "created a new store" not in err

    other = tmp_path / "home"
    other.mkdir()
    (other / "notes.txt").write_text("not a store")
    desk.sections["storage"]["path"] = str(other)
    desk.write_config()
    code, err = maild(desk.config, "ingest", "-", input=make_mail())
    assert code == 75 and one_line(err) and "not a maild store" in err
    code, err = in_process(desk.config, "ticket", "list")
    assert code == 78 and one_line(err)
    assert sorted(os.listdir(other)) == ["notes.txt"]


@pytest.mark.parametrize("lost", ["deleted", "emptied"])
def test_a_store_with_tickets_that_lost_its_reply_secret_is_refused(desk, lost):
    del desk.sections["support"]["reply_secret"]  # the key is the one kept in the store
    desk.write_config()
    desk.ingest(make_mail())
    secret = desk.root / "data" / "reply_secret"
    if lost == "deleted":
        secret.unlink()
    else:
        secret.write_bytes(b"")
    code, err = maild(desk.config, "ingest", "-", input=make_mail(msgid="<x@c.example>"))
    assert code == 75 and one_line(err) and "reply_secret" in err
    code, err = in_process(desk.config, "ticket", "list")
    assert code == 78 and one_line(err)
    assert not secret.exists() or secret.read_bytes() == b""  # no new key was made


@pytest.mark.parametrize("name", ["missing.eml", "a-directory"])
def test_a_file_ingest_cannot_read_is_75_and_spools_nothing(desk, name):
    (desk.root / "a-directory").mkdir()
    desk.make_store()  # (makes the store, and says so once)
    code, err = maild(desk.config, "ingest", str(desk.root / name))
    assert code == 75 and one_line(err) and "nothing spooled" in err and name in err, err
    assert desk.tickets() == []


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n"], ids=["empty", "blank-lines"])
def test_an_empty_input_is_refused_not_made_a_ticket_from_no_one(desk, data):
    """An MTA never pipes an empty message; a shell redirect gone wrong does. It is
    no mail: 65 (the input's fault) with one line, nothing spooled, no ticket, no
    staff notice «from (no sender)»."""
    desk.make_store()
    code, err = maild(desk.config, "ingest", "-", input=data)
    assert code == 65 and one_line(err) and "standard input" in err and "empty" in err, err
    assert desk.tickets() == []
    assert [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()] == []


def test_a_message_over_the_listeners_limit_is_refused_as_the_listener_refuses_it(tmp_path, sink):
    """The listener answers a mail over smtp.max_message_size 552; a pipe took any size,
    read whole into memory first. Over it: 65 (the message's fault: the MTA returns it
    to its sender) with one line naming its Message-ID, nothing spooled; at it: taken."""
    desk = Desk(tmp_path, sink.port, smtp={"max_message_size": 4000})
    desk.make_store()
    mail = make_mail(body="Не работает оплата.\n" + "x" * 3000)
    assert len(mail) < 4000
    code, err = maild(desk.config, "ingest", "-", input=mail + b"y" * (4000 - len(mail)))
    assert code == 0, err
    big = make_mail(body="x" * 4000, msgid="<big-1@shop-example.ru>")
    code, err = maild(desk.config, "ingest", "-", input=big)
    assert code == 65 and one_line(err), err
    assert "<big-1@shop-example.ru> message too large to accept: over 4000 bytes" in err, err
    assert len(desk.tickets()) == 1


def _capped_ingest(desk: Desk, *args: str, stdin) -> subprocess.CompletedProcess:
    """`maild ingest` in a process of 1 GiB of address space at most."""
    import resource

    def capped() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "maild", "--config", str(desk.config), "ingest", *args],
        stdin=stdin, capture_output=True, timeout=120, preexec_fn=capped,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_a_small_mail_under_the_largest_limit_costs_its_own_size(tmp_path, sink):
    """With smtp.max_message_size at its largest (1 GiB), ingest read a mail of a few
    kilobytes by setting 1 GiB aside first: in a process of 1 GiB it failed (75)."""
    desk = Desk(tmp_path, sink.port, smtp={"max_message_size": 1 << 30})
    desk.make_store()
    (tmp_path / "m.eml").write_bytes(make_mail())
    for args in (["-"], [str(tmp_path / "m.eml")]):
        with open(tmp_path / "m.eml", "rb") as mail:
            p = _capped_ingest(desk, *args, stdin=mail)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert len(desk.tickets()) == 1  # (the second, the same mail: a duplicate)


def test_an_endless_input_is_refused_in_bounded_memory(desk):
    """`maild ingest /dev/zero` read until the kernel killed it (24 GB here): now no
    further than one byte over the limit (the listener's default, 30 MB), under 1 GB
    of address space."""
    desk.make_store()
    for args in (["/dev/zero"], ["-"]):
        with open("/dev/zero", "rb") as zero:
            p = _capped_ingest(desk, *args, stdin=zero)
        err = p.stderr.decode(errors="replace")
        assert p.returncode == 65 and one_line(err), err
        assert "message too large to accept: over 31457280 bytes" in err, err
    assert desk.tickets() == []


def test_a_spool_that_cannot_be_written_says_it_is_permanent_and_names_the_folder(desk):
    """postfix's queue shows the pipe's one line: it said "try again later: [Errno 30]
    Read-only file system: '.../spool/tmp/1796...vm'", as if waiting helped (README:
    a permanent file-system error says so). Still 75: postfix keeps the mail."""
    desk.make_store()  # (makes the store)
    spool = desk.root / "data" / "spool"
    with read_only(spool):
        code, err = maild(desk.config, "ingest", "-", input=make_mail(msgid="<ro@shop.ru>"))
    assert code == 75 and one_line(err), err
    said = "maild: <ro@shop.ru> cannot spool the message: permanent error: Read-only file system: "
    assert said in err, err
    assert f"{spool}/tmp" in err and "try again later" not in err, err


def test_a_typo_in_the_pipe_command_line_keeps_the_mail_queued(desk):
    """postfix's master.cf runs `maild ... ingest --jsn -`: argparse's usage error
    (64) made postfix bounce every customer's mail ("5.3.0 command line usage
    error", status=bounced); ingest's usage errors are 75 now, other commands keep 64."""
    code, err = maild(desk.config, "ingest", "--jsn", "-", input=make_mail())
    assert code == 75 and "unrecognized arguments: --jsn" in err, err
    assert "the MTA keeps the mail" in err
    from maild.cli import main

    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["--confg", str(desk.config), "ingest", "-"]) == 75
        with pytest.raises(SystemExit) as e:
            main(["--config", str(desk.config), "ticket", "lst"])
    assert e.value.code == 64
    assert not (desk.root / "data").exists()  # nothing spooled: no store made either


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["Ingest", "-"], "unknown command 'Ingest'"),
        (["ingset"], "unknown command 'ingset'"),
        (["otubox", "flush"], "unknown command 'otubox'"),
        ([], "no command given"),
    ],
    ids=["Ingest", "ingset", "otubox", "none"],
)
def test_a_typo_of_the_command_itself_in_a_pipe_keeps_the_mail_queued(desk, argv, said):
    """master.cf's `maild ... Ingest -`: no command argparse knows, so 64, and postfix
    bounced the customer's mail (dsn=5.3.0) while README said a typo keeps it queued.
    With stdin not a terminal (a pipe: the MTA's) it is 75; typed at a terminal, or a
    command it knows mistyped after its name, it keeps 64. The line says what was
    wrong and why 75: cron's or systemd's `maild otubox flush` is no ingest (it said
    "ingest exits 75: the MTA keeps the mail")."""
    code, err = maild(desk.config, *argv, input=make_mail())
    line = (
        f"maild: {said}; exit 75 (temporary) in case an MTA's pipe runs this, so it keeps the mail"
    )
    assert code == 75 and err.splitlines()[-1] == line, err
    code, err = maild(desk.config, "ticket", "lst", input=make_mail())
    assert code == 64 and "keeps the mail" not in err, err
    primary, terminal = pty.openpty()
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        p = subprocess.run([sys.executable, "-m", "maild", "--config", str(desk.config), *argv],
                           stdin=terminal, capture_output=True, env=env, timeout=60)  # fmt: skip
    finally:
        os.close(terminal)
        os.close(primary)
    assert p.returncode == 64 and b"keeps the mail" not in p.stderr, p
    assert not (desk.root / "data").exists()  # nothing spooled: no store made either


@pytest.mark.parametrize("folder", ["open", "spool/new"])
def test_a_file_where_a_folder_of_the_storage_belongs_is_permanent(desk, folder):
    """ "File exists" (maild makes its folders as it goes): every command said "storage
    unavailable, try again later", exit 75, `serve` too, which systemd then restarted
    forever. Waiting never fixes it: 78, naming the path, as «Not a directory» is."""
    desk.make_store()  # (makes the store)
    path = desk.root / "data" / folder
    shutil.rmtree(path)
    path.write_text("x")
    code, err = maild(desk.config, "fsck")
    assert code == 78 and one_line(err) and "permanent error" in err and str(path) in err, err


def test_a_spool_that_cannot_claim_keeps_the_mail_once_and_says_so(desk):
    """spool/claimed/ not writable: the mail was stored in spool/new, then ingest said
    «cannot spool the message» and exited 75, so the MTA delivered it again and each
    try left one more copy. It is stored, processing deferred: exit 0, once."""
    desk.make_store()  # (makes the store)
    spool = desk.root / "data" / "spool"
    (spool / "claimed").mkdir(exist_ok=True)
    with read_only(spool / "claimed"):
        code, err = maild(desk.config, "ingest", "-", input=make_mail(msgid="<cl@shop.ru>"))
        assert code == 0 and "cannot spool" not in err, err
        assert len(list((spool / "new").iterdir())) == 1
    # and says so: the mail, its spool key, why processing waits
    assert "<cl@shop.ru> spool " in err and "stored, processing deferred" in err, err
    assert "Read-only file system" in err and f"{spool}/claimed" in err, err


def test_a_stored_mail_that_cannot_be_put_back_to_wait_is_stored_and_says_so(desk):
    """The spool goes read-only after the mail is stored and claimed: processing fails
    (deferred), and so does the rename claimed/ -> new/ that puts it back to wait.
    ingest said «cannot spool the message: permanent error», exit 75, so the MTA
    delivered it again: it is stored, left claimed for serve's recover(): exit 0."""
    desk.make_store()  # (makes the store)
    data = desk.root / "data"
    done: list[tuple[int, str]] = []
    lock = os.open(data, os.O_RDONLY | os.O_DIRECTORY)  # the store lock (Store.locked)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ingest = threading.Thread(
            target=lambda: done.append(
                maild(desk.config, "ingest", "-", input=make_mail(msgid="<rel@shop.ru>"))
            )
        )
        ingest.start()
        deadline = time.monotonic() + 20
        while not [p for p in data.glob("spool/claimed/*/*") if not p.name.startswith(".")]:
            assert time.monotonic() < deadline and ingest.is_alive(), done
            time.sleep(0.01)
        with read_only(data):
            fcntl.flock(lock, fcntl.LOCK_UN)  # it goes on: the store and spool refuse
            ingest.join(30)
    finally:
        os.close(lock)
    (code, err), claimed = done[0], list(data.glob("spool/claimed/*/*"))
    assert code == 0 and "cannot spool" not in err, err
    assert "<rel@shop.ru> spool " in err and "left in spool/claimed" in err, err
    assert "maild serve takes it up" in err and "Read-only file system" in err, err
    assert [p.name for p in claimed if not p.name.startswith(".")] != [], claimed
    assert list((data / "spool" / "new").iterdir()) == []


def test_an_unforeseen_error_of_ingest_is_75_in_one_line(desk, monkeypatch):
    """An error maild did not foresee (no store or config error) is no fault of the
    message: 75, so the MTA keeps the mail and retries; any other code bounces it."""
    desk.make_store()

    def broken(*_args: object) -> None:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr("maild.ingestcmd.ingest", broken)
    r = desk.run("ingest", input=make_mail())
    assert (r.code, r.err) == (
        75,
        "maild: ingest failed, try again later: RuntimeError: unforeseen\n",
    )
