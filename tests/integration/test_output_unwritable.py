"""Output the CLI cannot write: a closed stdout (`>&-`) ended a listing with a
traceback, a full one (/dev/full) was blamed on the store ("storage unavailable"),
and `maild ingest` said "ingest failed, try again later" of mail it had stored; a
closed stdin gave an AttributeError. Each is one line naming stdout or stdin (the
real `maild`, in a process of its own: only there can its stdout be closed)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT, make_mail


def _maild(desk, *args: str, redirect: str, input: bytes | None = None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "maild", "--config", str(desk.config), *args]
    p = subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", *cmd],
        input=input,
        stderr=subprocess.PIPE,
        timeout=60,
        env=env,
    )
    return p.returncode, p.stderr.decode()


def test_a_listing_whose_stdout_is_closed_or_full_says_so(desk):
    desk.ingest(make_mail())
    for args in (("ticket", "list"), ("license", "list", "--json"), ("block", "list")):
        code, err = _maild(desk, *args, redirect=">&-")
        assert (code, err) == (1, "maild: cannot write the output (stdout): it is closed\n")
    code, err = _maild(desk, "ticket", "list", redirect=">/dev/full")
    assert (code, err) == (1, "maild: cannot write the output (stdout): No space left on device\n")


def test_ingest_stores_the_mail_whatever_its_stdout_and_says_so(desk):
    code, err = _maild(
        desk, "ingest", "--json", "-", redirect=">&-", input=make_mail(msgid="<c1@x.ru>")
    )
    assert code == 0, err  # stored: the MTA neither retries nor bounces it
    [ticket] = desk.tickets()
    line = err.splitlines()[-1]
    assert line == (
        f"maild: ingest: the mail is stored (new [TID#{ticket['tid']}]), but cannot write "
        "the output (stdout): it is closed"
    )


def test_ingest_of_a_closed_stdin_is_a_temporary_failure_naming_it(desk):
    desk.ingest(make_mail())  # (the store made)
    code, err = _maild(desk, "ingest", redirect="<&-")
    assert (code, err) == (
        75,
        "maild: cannot read the message (stdin), nothing spooled: it is closed\n",
    )
    assert len(desk.tickets()) == 1


def test_ingest_stores_the_mail_even_when_stderr_cannot_say_so_either(desk):
    """stdout and stderr both full: the mail is stored, and exit 0 says so to the MTA
    (it exited 1, which an MTA may take as a failure and bounce the stored mail)."""
    code, _err = _maild(
        desk, "ingest", "-", redirect=">/dev/full 2>/dev/full", input=make_mail(msgid="<c2@x.ru>")
    )
    assert code == 0
    assert [t["subject"] for t in desk.tickets()] == ["Не работает оформление заказа"]


def test_a_listing_whose_reader_has_gone_ends_quietly(desk):
    """`maild ticket list | head`: the reader gone is no error of maild's. A broken
    pipe stays one (not "cannot write the output"): exit 0 and nothing on stderr; of
    `maild check-config --json | head` too (its report is written past the store's
    commands, its pipe found broken only when the output is flushed at the end)."""
    desk.ingest(make_mail())
    for args in (("ticket", "list"), ("check-config", "--json")):
        r, w = os.pipe()
        os.close(r)  # the reader (head) has ended before maild writes
        try:
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            cmd = [sys.executable, "-m", "maild", "--config", str(desk.config), *args]
            p = subprocess.run(cmd, stdout=w, stderr=subprocess.PIPE, timeout=60, env=env)
        finally:
            os.close(w)
        assert (p.returncode, p.stderr.decode()) == (0, ""), args
