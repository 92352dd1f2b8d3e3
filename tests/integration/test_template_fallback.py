"""An admin's template override that fails when a mail is made from it (a variable
maild does not give, a typo) no longer stops the desk: the mail is made from the
shipped template, the log says once per process which file failed and why, and
`maild status` and `maild check-config` name the file until it is mended."""

from __future__ import annotations

import logging
import smtplib
import time
from pathlib import Path

from tests.helpers import Daemon, Desk, free_port, make_mail

SHIPPED = Path(__file__).resolve().parents[2] / "maild" / "templates"
OURS = "Мы отвечаем в рабочие часы, спасибо за терпение."  # the admin's own line
SHIPPED_LINE = "Ваше обращение принято службой поддержки и зарегистрировано"


def write_override(tpl: Path, extra: str = "") -> Path:
    """The shipped confirmation with the admin's line (and `extra`) after the greeting."""
    text = (SHIPPED / "confirmation.txt").read_text()
    path = tpl / "confirmation.txt"
    path.write_text(text.replace("!\n", f"!\n\n{OURS}\n{extra}", 1))
    return path


def wait_until(pred, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    return pred()


def test_an_override_naming_what_maild_does_not_give_gives_way_to_the_shipped_one(
    tmp_path, sink, caplog
):
    """Before, `{{ no_such_var }}` in confirmation.txt paused processing as a config
    error: no ticket was made of any mail until the admin noticed, and neither
    check-config nor status said why."""
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    broken = write_override(tpl, "{{ no_such_var }}\n")
    line = broken.read_text().splitlines().index("{{ no_such_var }}") + 1
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    with caplog.at_level(logging.INFO):
        r = desk.run("ingest", "-", input=make_mail(msgid="<first@client.example>"))
    assert r.code == 0 and "deferred" not in r.out, r
    [ticket] = desk.tickets()
    assert ticket["requester"] == "ivan@shop-example.ru"
    assert desk.flush().code == 0
    [confirmation] = sink.to("ivan@shop-example.ru")
    assert f"[TID#{ticket['tid']}]" in confirmation.subject
    assert SHIPPED_LINE in confirmation.text and OURS not in confirmation.text
    errors = [x.getMessage() for x in caplog.records if x.levelno >= logging.ERROR]
    assert errors == [
        f"template override {broken}: line {line}: 'no_such_var' is undefined; mail from "
        f"confirmation.txt is made from the shipped template ({SHIPPED / 'confirmation.txt'}) "
        "until the file is mended and maild restarted (maild check-config and maild status "
        "name it meanwhile)"
    ]

    # two more mails in one process (the daemon): one ERROR, both confirmed
    desk.sections["smtp"] = {"listen": f"127.0.0.1:{free_port()}"}
    desk.write_config()
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            for n in (2, 3):
                mail = make_mail(msgid=f"<m{n}@client.example>", subject=f"Вопрос {n}")
                s.sendmail("ivan@shop-example.ru", ["support@example.com"], mail)
        assert wait_until(lambda: len(sink.to("ivan@shop-example.ru")) == 3)
    finally:
        assert daemon.stop() == 0
    assert len(desk.tickets()) == 3
    for confirmation in sink.to("ivan@shop-example.ru"):
        assert SHIPPED_LINE in confirmation.text and OURS not in confirmation.text
    logged = [x for x in daemon.logtext().splitlines() if "ERROR" in x]
    assert len(logged) == 1 and f"{broken}: line {line}: 'no_such_var'" in logged[0], logged

    # status and check-config name the file while it is as it was
    said = f"{broken} fails (line {line}: 'no_such_var' is undefined; since "
    status = desk.run("status")
    assert any(x.startswith(f"! templates: {said}") for x in status.out.splitlines()), status
    report = desk.run("status", "--json").json()
    assert [x for x in report["reasons"] if said in x], report["reasons"]
    r = desk.run("check-config")
    assert r.code == 0 and f"templates.path: {said}" in r.err, r.err

    # mended: a new process uses the override again, and nothing names it any more
    write_override(tpl)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        desk.ingest(make_mail(msgid="<mended@client.example>", subject="Ещё вопрос"))
    assert not [x for x in caplog.records if x.levelno >= logging.ERROR]
    assert desk.flush().code == 0
    *_, last = sink.to("ivan@shop-example.ru")
    assert "Ещё вопрос" in last.subject and OURS in last.text, last.text
    assert said not in desk.run("status").out
    assert "templates.path" not in desk.run("check-config").err
