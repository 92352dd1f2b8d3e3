"""Saved answers (`[templates] path`/answers/NAME.txt) that are no answer to send: a
link to a missing file or a directory named like one (`maild answers list` crashed or
stopped at exit 78; a staff reply with `#answer NAME` stayed "processing deferred" in
the spool, taken for a disk fault, its writer never told), an answer that renders to
nothing (the reply was stored as commands alone, the customer got nothing, the staff
member was not told), and answers check-config called OK though `answers list` knew
they cannot be made. End to end: `maild ingest`, `maild outbox flush` to a real
aiosmtpd relay, `maild answers list`, `maild check-config`, `maild status`."""

from __future__ import annotations

import errno
import os

import jinja2
import pytest

from maild.overrides import answer_text
from tests.helpers import Desk
from tests.integration.test_answer_fallback import desk_with
from tests.integration.test_staff_e2e import open_ticket, staff_reply

CUSTOMER = "ivan@shop-example.ru"
ANNA = "anna@example.com"


def held_back(desk: Desk, sink, tid: str, body: str, msgid: str) -> str:
    """The staff reply `body` on `tid` is held back: the ticket stays as it was but for
    the reply kept as a note and the error, the customer gets nothing, the writer gets
    «Команды не выполнены»; returns that mail's text on one line."""
    before = desk.ticket(tid)
    start = len(sink.received)
    r = desk.ingest(staff_reply(tid, body, msgid=msgid))
    assert r.code == 0 and "deferred" not in r.out + r.err, (r.out, r.err)
    assert "spool: 0 pending" in desk.run("status").out or "pending" not in desk.run("status").out
    after = desk.ticket(tid)
    assert after["status"] == before["status"] != "closed"  # its #close did not run
    kept = after["messages"][len(before["messages"]) :]
    assert [m["kind"] for m in kept] == ["note", "notice"], kept
    assert desk.flush().code == 0
    new = sink.received[start:]
    assert [m.rcpt_tos for m in new] == [[ANNA]], [(m.rcpt_tos, m.subject) for m in new]
    [told] = new
    assert told.subject.startswith("Команды не выполнены") and f"[TID#{tid}]" in told.subject
    return " ".join(told.text.split())


def test_an_answer_that_is_no_file_is_named_and_holds_the_reply_back(tmp_path, sink):
    desk, tpl = desk_with(tmp_path, sink, {"good": "Ответ по обращению {{ tid }}.\n"})
    gone, folder = tpl / "answers" / "gone.txt", tpl / "answers" / "dir.txt"
    gone.symlink_to(tmp_path / "nonexistent.txt")
    folder.mkdir()

    listed = desk.run("answers", "list")
    assert listed.code == 1, listed
    assert "Traceback" not in listed.err and "permanent error" not in listed.err, listed.err
    assert "good" in listed.out and "Ответ по обращению 1234-5678." in listed.out
    rows = {a["name"]: a for a in desk.run("answers", "list", "--json").json()}
    assert rows["good"]["problem"] is None and rows["request_info"]["problem"] is None
    assert rows["gone"]["path"] == str(gone) and rows["dir"]["path"] == str(folder)
    assert rows["gone"]["problem"] == "cannot read it: a link to a missing file"
    assert rows["dir"]["problem"] == "cannot read it: it is a directory"

    tid, _ = open_ticket(desk, sink)
    for name, path, why in (
        ("gone", gone, "a link to a missing file"),
        ("dir", folder, "it is a directory"),
    ):
        text = held_back(desk, sink, tid, f"Текст\n#answer {name}\n#close\n", f"<{name}@x>")
        assert "Клиенту ничего не отправлено" in text
        said = f"#answer {name}: сохранённый ответ не удаётся составить: {path}: "
        assert f"{said}cannot read it: {why}." in text, text
    status = desk.run("status")
    assert "spool: 0 pending" in status.out or "pending" not in status.out, status.out
    assert f"! templates: {gone} fails (cannot read it: a link to a missing file" in status.out
    assert f"! templates: {folder} fails (cannot read it: it is a directory" in status.out

    # mended: the link points at a file, the directory is gone
    (tmp_path / "nonexistent.txt").write_text("Ответ {{ tid }} готов.\n", encoding="utf-8")
    folder.rmdir()
    assert desk.run("answers", "list").code == 0
    assert "templates:" not in desk.run("status").out


def test_a_disk_fault_reading_an_answer_still_pauses(tmp_path, monkeypatch):
    """The answer file's own faults hold the reply back; an I/O error of the store is
    raised as it is, for processing to pause (runner.ENV_FAULTS)."""
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "x.txt").write_text("text\n", encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(tmp_path)]))

    def broken(*_a, **_k):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(jinja2.FileSystemLoader, "get_source", broken)
    with pytest.raises(OSError) as e:
        answer_text(env, None, [tmp_path], "x", {})
    assert e.value.errno == errno.EIO


def test_an_empty_answer_holds_the_reply_back_and_is_listed(tmp_path, sink):
    answers = {"empty": "", "blank": "{% if name %}{{ name }}{% endif %}\n  \n"}
    desk, tpl = desk_with(tmp_path, sink, answers)
    listed = {a["name"]: a for a in desk.run("answers", "list", "--json").json()}
    assert listed["empty"]["problem"] == "the saved answer is empty (nothing but blank space)"
    assert listed["blank"]["problem"] == listed["empty"]["problem"]
    assert desk.run("answers", "list").code == 1

    tid, _ = open_ticket(desk, sink, sender="ivan@shop-example.ru")  # no name given
    for name in ("empty", "blank"):
        path = tpl / "answers" / f"{name}.txt"
        text = held_back(desk, sink, tid, f"#answer {name}\n#close\n", f"<{name}@x>")
        said = f"#answer {name}: сохранённый ответ не удаётся составить: {path}: "
        assert f"{said}the saved answer is empty" in text, text
    r = desk.run("check-config")
    assert r.code == 0
    assert f"{tpl / 'answers' / 'empty.txt'} cannot be made: the saved answer is empty" in r.err


def test_check_config_warns_of_the_answers_answers_list_cannot_make(tmp_path, sink):
    answers = {
        "attr": "{{ name.foo.bar }}\n",
        "zerodiv": "Текст\n{{ 1/0 }}\n",
        "incmissing": '{% include "answers/missing.txt" %}\n',
        "selfinc": '{% include "answers/selfinc.txt" %}\n',
        "good": "Ответ по обращению {{ tid }}.\n",
    }
    desk, tpl = desk_with(tmp_path, sink, answers)
    listed = {a["name"]: a["problem"] for a in desk.run("answers", "list", "--json").json()}
    r = desk.run("check-config")
    assert r.code == 0, r  # warnings: the desk works, the service starts
    for name in ("attr", "zerodiv", "incmissing", "selfinc"):
        assert listed[name], listed
        line = f"{tpl / 'answers' / name}.txt cannot be made: {listed[name]}: "
        assert line in r.err, r.err
        assert f"a staff reply with #answer {name} would be held back" in r.err
    assert "zerodiv.txt cannot be made: line 2: ZeroDivisionError" in r.err
    assert "'answers/missing.txt' not found" in r.err
    assert "good.txt" not in r.err
    # a shipped answer overridden badly: the shipped one would go instead
    (tpl / "answers" / "request_info.txt").write_text("{{ 1/0 }}\n", encoding="utf-8")
    r = desk.run("check-config")
    assert "request_info.txt cannot be made: line 1: ZeroDivisionError" in r.err
    assert "#answer request_info would insert the shipped answer instead" in r.err
    assert os.path.exists(tpl)


def test_a_templates_path_without_answers_lists_the_shipped_ones_and_exits_0(tmp_path, sink):
    """An admin's templates.path that overrides templates but saves no answers (no
    answers/ folder) has nothing left out: `answers list` lists the shipped answers,
    says nothing of a folder it cannot list, and exits 0."""
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    listed = desk.run("answers", "list")
    assert listed.code == 0 and "cannot list" not in listed.err, listed
    assert "request_info" in listed.out
