"""The CLI on a terminal that is not UTF-8: no traceback, JSON whole.

An admin's locale may be KOI8-R or CP1251 (older Russian servers) or ASCII (the C
locale with PYTHONUTF8=0); a customer's subject may hold a character it has no code
for. `ticket show` ended with a UnicodeEncodeError traceback there. Text shows "?" for
such characters; JSON escapes them, so a script reads the subject as it was written.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT, Desk, Sink

SUBJECT = "Оплата не проходит №5 \U0001f61e"


@pytest.fixture
def desk(tmp_path, monkeypatch):
    sink = Sink().start()
    desk = Desk(tmp_path, sink.port)
    mail = (
        "From: ivan@client.example\r\nTo: support@example.com\r\n"
        f"Subject: =?utf-8?b?{base64.b64encode(SUBJECT.encode()).decode()}?=\r\n"
        "Message-ID: <enc1@client.example>\r\n\r\nНе работает.\r\n"
    ).encode()
    assert desk.run("ingest", input=mail).code == 0
    desk.in_process = False  # a new interpreter, with the terminal's encoding set below
    yield desk
    sink.stop()


def test_an_ascii_terminal_gets_question_marks_and_whole_json(desk, monkeypatch):
    monkeypatch.setenv("LC_ALL", "POSIX")
    monkeypatch.setenv("PYTHONUTF8", "0")  # else Python takes UTF-8 for the C locale
    listed = desk.run("ticket", "list", "--json")
    assert listed.code == 0 and listed.out.isascii()
    (ticket,) = listed.json()
    assert ticket["subject"] == SUBJECT
    shown = desk.run("ticket", "show", ticket["tid"])
    assert shown.code == 0 and "Traceback" not in shown.err, shown.err
    assert "Оплата" not in shown.out and "level: free (" in shown.out
    for args in (("ticket", "list"), ("ticket", "show", ticket["tid"], "--json")):
        r = desk.run(*args)
        assert r.code == 0 and "Traceback" not in r.err, (args, r.err)
    status = desk.run("status")  # 2: the scheduler has not run (no maild serve here)
    assert status.code == 2 and "tickets: 1 open" in status.out and not status.err
    assert desk.run("ticket", "show", ticket["tid"], "--json").json()["subject"] == SUBJECT


def test_a_koi8_terminal_reads_russian_and_a_question_mark_for_the_rest(desk):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="koi8-r")
    run = subprocess.run(
        [sys.executable, "-m", "maild", "--config", str(desk.config), "ticket", "list"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    assert "Оплата не проходит ?5 ?" in run.stdout.decode("koi8-r")  # KOI8-R has no «№»


def _on_a_terminal(*argv: str) -> bytes:
    """What a command prints to a terminal (a pseudo-terminal: stdout and stderr)."""
    import pty

    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "maild", *argv], stdout=follower, stderr=follower, env=env
        )
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the command ended and closed the terminal
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=60) == 0, out
        return out
    finally:
        os.close(leader)


def test_escape_sequences_in_a_customers_mail_never_reach_the_admins_terminal(tmp_path):
    """A customer's text can hold what a terminal acts on: colours, a window title,
    the clipboard (OSC 52, "\\x1b]52;c;..."). The C0 controls (ESC, BEL) a mail's
    text loses when it is read (domain/bidi.without_controls); a C1 control (CSI,
    "\\x9b") shows as "?" on a terminal, and in a pipe stays as the customer wrote it."""
    sink = Sink().start()
    try:
        desk = Desk(tmp_path, sink.port)
        text = "Здравствуйте \x1b]52;c;Y3VybCBldmlsfHNo\x07 и \x1b[2J\x9b31m конец"
        mail = (
            "From: ivan@client.example\r\nTo: support@example.com\r\nSubject: esc\r\n"
            "Message-ID: <esc1@client.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(text.encode()).decode()}"
        ).encode()
        assert desk.run("ingest", input=mail).code == 0
        (ticket,) = desk.run("ticket", "list", "--json").json()
        shown = _on_a_terminal("--config", str(desk.config), "ticket", "show", ticket["tid"])
        assert b"\x1b" not in shown and b"\x07" not in shown and "\x9b".encode() not in shown
        assert "Здравствуйте ]52;c;Y3VybCBldmlsfHNo и [2J?31m конец" in shown.decode()
        desk.in_process = False
        piped = desk.run("ticket", "show", ticket["tid"], "--json").json()
        kept = text.replace("\x1b", "").replace("\x07", "")
        assert piped["messages"][0]["text"].strip() == kept
    finally:
        sink.stop()
