"""An override of nested loops over small literals (within every cap of the sandbox,
and calling nothing it sees) ran for minutes: `maild ingest` past the MTA's pipe
timeout, and in `maild serve` the worker, holding the store's lock, stalled all mail
until SIGTERM's grace ran out and it was killed. Now its render stops after
sandbox.MAX_SECONDS and it fails as any override does: the shipped template makes
the mail, the log names the file once per process, `maild status` names it, and
`maild check-config` names a saved answer that takes as long. End to end through
`maild ingest` and `maild serve` as processes of their own, and a real relay."""

from __future__ import annotations

import os
import signal
import smtplib
import time
from pathlib import Path

from tests.helpers import Daemon, Desk, free_port, make_mail

SHIPPED = Path(__file__).resolve().parents[2] / "maild" / "templates"
SHIPPED_LINE = "Ваше обращение принято службой поддержки и зарегистрировано"
OURS = "Мы отвечаем в рабочие часы."
# 10^12 empty turns, hours (10^7 take a second), each cheap and within the caps
LOOPS = (
    "{% for a in [0] * 10000 %}{% for b in [0] * 10000 %}"
    "{% for c in [0] * 10000 %}{% endfor %}{% endfor %}{% endfor %}"
)
# The render's limit here (sandbox.MAX_SECONDS, 2 s in production): these tests are
# about the render being stopped and what the log, status and check-config say then,
# not about how long it may run. Its text is made from the limit.
MAX_SECONDS = 0.25
PACE = {"maild.sandbox.MAX_SECONDS": MAX_SECONDS}
TOO_LONG = f"the template took longer than {MAX_SECONDS:g} seconds to make (loops within loops?)"


def slow_override(tpl: Path) -> tuple[Path, int]:
    """confirmation.txt with the admin's line and the loops after the greeting; the
    loops' line."""
    tpl.mkdir(exist_ok=True)
    text = (SHIPPED / "confirmation.txt").read_text()
    path = tpl / "confirmation.txt"
    path.write_text(text.replace("!\n", f"!\n\n{OURS}\n{LOOPS}\n", 1))
    return path, path.read_text().splitlines().index(LOOPS) + 1


def test_ingest_with_an_override_that_loops_for_minutes_confirms_in_seconds(tmp_path, sink):
    slow, line = slow_override(tmp_path / "tpl")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tmp_path / "tpl")})
    desk.in_process = False  # its own process, as the MTA's pipe starts it
    desk.pace = PACE
    started = time.monotonic()
    r = desk.run("ingest", "-", input=make_mail(msgid="<slow@client.example>"), timeout=45)
    assert time.monotonic() - started < 30  # before: killed at the timeout
    assert r.code == 0 and "deferred" not in r.out, r
    [ticket] = desk.tickets()
    assert desk.flush().code == 0
    [confirmation] = sink.to("ivan@shop-example.ru")
    assert f"[TID#{ticket['tid']}]" in confirmation.subject
    assert SHIPPED_LINE in confirmation.text and OURS not in confirmation.text
    errors = [x for x in r.err.splitlines() if "ERROR" in x]
    assert len(errors) == 1, r.err
    assert f"template override {slow}: line {line}: {TOO_LONG}" in errors[0]
    assert "made from the shipped template" in errors[0]
    status = desk.run("status")
    assert f"templates: {slow} fails (line {line}: {TOO_LONG}" in status.out, status.out


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _kill_child(pid: int) -> None:
    """SIGKILL to `pid` if it is still a child of maild serve (named maild-...)."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().startswith("maild-"):
            os.kill(pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


def test_serve_with_an_override_that_loops_for_minutes_keeps_mail_flowing(tmp_path, sink):
    slow, line = slow_override(tmp_path / "tpl")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tmp_path / "tpl")})
    desk.sections["smtp"] = {"listen": f"127.0.0.1:{free_port()}"}
    desk.write_config()
    daemon = Daemon(desk, pace=PACE).start()
    assert daemon.proc is not None
    children = _children(daemon.proc.pid)  # the worker and the sender
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            for n in (1, 2, 3):
                mail = make_mail(msgid=f"<m{n}@client.example>", subject=f"Вопрос {n}")
                s.sendmail("ivan@shop-example.ru", ["support@example.com"], mail)
        # before: none in minutes, the worker looping with the store's lock held
        assert sink.wait_for(6, timeout=25), sink.received  # a confirmation, a notice each
        started = time.monotonic()
        assert daemon.stop() == 0
        assert time.monotonic() - started < 10  # no worker to wait for, then kill
    finally:
        if daemon.proc.poll() is None:
            daemon.kill()
        for pid in children:  # a worker the daemon, killed, left looping
            _kill_child(pid)
    confirmations = sink.to("ivan@shop-example.ru")
    assert len(confirmations) == 3
    assert all(SHIPPED_LINE in c.text and OURS not in c.text for c in confirmations)
    errors = [x for x in daemon.logtext().splitlines() if "ERROR" in x]
    assert len(errors) == 1, daemon.logtext()  # once for the process, not for each mail
    assert f"template override {slow}: line {line}: {TOO_LONG}" in errors[0]
    assert f"templates: {slow} fails (line {line}: {TOO_LONG}" in desk.run("status").out


def test_check_config_names_a_saved_answer_that_takes_too_long(tmp_path, sink):
    tpl = tmp_path / "tpl"
    (tpl / "answers").mkdir(parents=True)
    answer = tpl / "answers" / "slow.txt"
    answer.write_text(f"Здравствуйте!\n{LOOPS}\n")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    desk.in_process = False
    desk.pace = PACE
    started = time.monotonic()
    r = desk.run("check-config", timeout=45)
    assert time.monotonic() - started < 30
    assert r.code == 0, r
    assert f"{answer} cannot be made: line 2: {TOO_LONG}" in r.err, r.err
