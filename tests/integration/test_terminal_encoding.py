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
