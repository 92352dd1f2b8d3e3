"""The audit's overrides through `maild ingest` as an MTA pipe runs it (a process of
its own) and a real relay: a loop over a huge repeat in confirmation.txt made ingest
spin for ever (the MTA's pipe timed out and retried, spinning again), and Python's
internals reached from staff_new.txt went into the staff notice. Both are refused by
the sandbox now: the shipped templates make that mail, and the log names each file."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Desk, make_mail

SHIPPED = Path(__file__).resolve().parents[2] / "maild" / "templates"
GREETING = "{% endif %}!\n"
LOOP = '{% for i in "x"*1000000 %}{% for j in "x"*1000000 %}{% endfor %}{% endfor %}'
PYTHON = '{{ "".__class__.__mro__[1].__subclasses__()|length }} classes'


def test_an_override_that_would_never_end_or_reach_python_gives_way(tmp_path, sink):
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    confirmation, notice = tpl / "confirmation.txt", tpl / "staff_new.txt"
    source = (SHIPPED / "confirmation.txt").read_text()
    confirmation.write_text(source.replace(GREETING, f"{GREETING}{LOOP}\n", 1))
    notice.write_text(f"{(SHIPPED / 'staff_new.txt').read_text()}\n{PYTHON}\n")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    desk.in_process = False  # its own process, as the MTA starts it; before: killed here
    r = desk.run("ingest", "-", input=make_mail(msgid="<loop@client.example>"), timeout=60)
    assert r.code == 0 and "deferred" not in r.out, r
    [ticket] = desk.tickets()
    assert desk.flush().code == 0
    [confirmation_sent] = sink.to("ivan@shop-example.ru")
    assert f"[TID#{ticket['tid']}]" in confirmation_sent.subject
    assert "Ваше обращение принято" in confirmation_sent.text
    [staff] = sink.to("anna@example.com")
    assert "classes" not in staff.text and f"[TID#{ticket['tid']}]" in staff.subject
    errors = [x for x in r.err.splitlines() if "ERROR" in x]
    assert len(errors) == 2, r.err
    assert any(f"{confirmation}: line 4: a repeat longer than 10000" in x for x in errors)
    assert any(f"{notice}: line " in x and "'__class__' of 'str' object" in x for x in errors)
    status = desk.run("status").out  # named until the files are mended
    assert f"templates: {confirmation} fails" in status and f"templates: {notice} fails" in status
