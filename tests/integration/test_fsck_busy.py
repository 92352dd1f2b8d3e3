"""Plain `maild fsck` beside a busy `maild serve`: what serve writes while fsck
reads is no problem of the store. fsck reported the mail stored meanwhile as in no
ticket, its new ticket's summary row as of no such ticket, and a write's live temp
file as a stray, exit 1. Through the real CLI, the writes made by a real `maild
ingest` at those moments (tests/fsckduring.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT, make_mail, staff_reply


def _fsck_during(desk, tid: str, mail) -> str:
    """Plain fsck by tests/fsckduring.py, `mail` stored meanwhile: exit 0, its output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_DURING_MAIL=str(mail))
    env["MAILD_DURING_TID"] = tid
    cmd = [sys.executable, "-m", "tests.fsckduring", "--config", str(desk.config), "fsck"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_fsck_reports_nothing_of_what_a_running_writer_does_meanwhile(desk, tmp_path):
    tid = desk.ingest_tid(make_mail(sender="a@shop.example", msgid="<before@c.example>"))
    mail = tmp_path / "during.eml"
    mail.write_bytes(make_mail(sender="b@shop.example", msgid="<during@c.example>"))
    out = _fsck_during(desk, tid, mail)
    assert out.splitlines()[-1] == "2 ticket(s), 0 problem(s)", out
    assert len(desk.tickets()) == 2  # the mail was stored meanwhile indeed


def test_the_recheck_reads_again_a_ticket_written_meanwhile(desk, tmp_path):
    """A ticket written after fsck read it (staff's reply stored: its summary row and
    the reply's spool copy are new) is read again by the re-check under the lock, not
    judged as first read: the row and the copy are then what the ticket says, and
    nothing is reported (exit 0)."""
    tid = desk.ingest_tid(make_mail(sender="a@shop.example", msgid="<before@c.example>"))
    mail = tmp_path / "reply.eml"
    mail.write_bytes(staff_reply(tid, "Исправили, проверьте.", msgid="<reply@c.example>"))
    out = _fsck_during(desk, tid, mail)
    assert out.splitlines()[-1] == "1 ticket(s), 0 problem(s)", out
    assert desk.ticket(tid)["first_reaction_at"]  # the reply was stored meanwhile indeed


def test_fsck_still_reports_a_real_problem_found_while_serving(desk):
    """The re-check under the lock keeps what is really wrong."""
    tid = desk.ingest_tid(make_mail(sender="a@shop.example"))
    stray = desk.root / "data" / "tickets" / tid[:2] / "notes.txt"
    stray.write_text("x")
    r = desk.run("fsck")
    assert (
        r.code == 1 and r.out.splitlines()[0] == f"tickets/{tid[:2]}/notes.txt: not a ticket file"
    )


def test_fsck_says_mail_claimed_by_a_running_maild_is_being_processed(desk):
    """--repair said "1 in spool/claimed/ (serve takes them back)" of the batch the
    live worker held: serve takes back only what a process that died held."""
    desk.ingest(make_mail(sender="a@shop.example"))
    spool = desk.root / "data" / "spool"
    live = spool / "claimed" / str(os.getpid())  # (this process: alive)
    live.mkdir(parents=True)
    (live / "1700000000.P1Q1.host").write_bytes(make_mail(msgid="<held@c.example>"))
    dead = spool / "claimed" / "999999"
    dead.mkdir()
    (dead / "1700000000.P2Q1.host").write_bytes(make_mail(msgid="<left@c.example>"))
    for args in (("fsck",), ("fsck", "--repair")):
        r = desk.run(*args)
        assert r.out.splitlines()[-1].endswith(
            f"; 1 in spool/claimed/ being processed by a running maild (pid {os.getpid()})"
            "; 1 in spool/claimed/ (serve takes them back)"
        ), r.out
