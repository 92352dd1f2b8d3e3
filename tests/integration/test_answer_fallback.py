"""A saved answer (`[templates] path`/answers/NAME.txt) that fails when a reply is made
with `#answer NAME`: the staff reply crashed processing and was stored "as raw text",
a new ticket with no requester whose customer message was the staff mail (its signed
reply address and all), announced to every staff member; the real ticket got nothing
and the writer was not told. Now an admin's answer that overrides a shipped one gives
way to the shipped one (as other overrides do), and one only the admin has holds the
reply back with «Команды не выполнены» naming the file and the error. End to end:
`maild ingest`, `maild outbox flush` to a real aiosmtpd relay, `maild answers list`,
`maild check-config`, `maild status`."""

from __future__ import annotations

import logging
from pathlib import Path

from tests.helpers import Desk
from tests.integration.test_staff_e2e import open_ticket, staff_reply

SHIPPED = Path(__file__).resolve().parents[2] / "maild" / "templates" / "answers"
CUSTOMER = "ivan@shop-example.ru"
ANNA = "anna@example.com"


def desk_with(tmp_path: Path, sink, answers: dict[str, str]) -> tuple[Desk, Path]:
    tpl = tmp_path / "tpl"
    (tpl / "answers").mkdir(parents=True)
    for name, text in answers.items():
        (tpl / "answers" / f"{name}.txt").write_text(text, encoding="utf-8")
    return Desk(tmp_path, sink.port, templates={"path": str(tpl)}), tpl


def errors_logged(caplog) -> list[str]:
    return [x.getMessage() for x in caplog.records if x.levelno >= logging.ERROR]


def test_a_failing_answer_of_the_admins_own_holds_the_reply_back_and_tells_its_writer(
    tmp_path, sink, caplog
):
    desk, tpl = desk_with(tmp_path, sink, {"bad": "Здравствуйте!\n{{ nosuch }}\n"})
    bad = tpl / "answers" / "bad.txt"
    tid, _ = open_ticket(desk, sink)
    before = desk.ticket(tid)
    start = len(sink.received)
    with caplog.at_level(logging.INFO):
        r = desk.ingest(staff_reply(tid, "Добрый день!\n#answer bad\n#close\n"))
    assert "new" not in r.out and f"[TID#{tid}]" in r.out, r.out
    assert [t["tid"] for t in desk.tickets()] == [tid]  # no ticket of the staff mail
    after = desk.ticket(tid)
    assert after["status"] == before["status"] != "closed"  # its #close did not run
    kept = after["messages"][len(before["messages"]) :]  # the reply as a note, the error
    assert [m["kind"] for m in kept] == ["note", "notice"], kept
    assert desk.flush().code == 0
    new = sink.received[start:]
    assert [m.rcpt_tos for m in new] == [[ANNA]], [(m.rcpt_tos, m.subject) for m in new]
    [told] = new
    assert told.subject.startswith("Команды не выполнены") and f"[TID#{tid}]" in told.subject
    text = " ".join(told.text.split())
    assert "Клиенту ничего не отправлено" in text
    assert f"#answer bad: сохранённый ответ не удаётся составить: {bad}, строка 2: " in text
    assert "'nosuch' is undefined" in text
    [logged] = errors_logged(caplog)
    assert f"template override {bad}: line 2: 'nosuch' is undefined" in logged, logged

    # the admin is told too: status, check-config and answers list name the file
    said = f"{bad} fails (line 2: 'nosuch' is undefined; since "
    status = desk.run("status")
    assert f"! templates: {said}" in status.out, status.out
    assert "#answer bad are held back" in status.out
    r = desk.run("check-config")
    assert r.code == 0 and "answers/bad.txt uses nosuch, which maild does not give" in r.err
    listed = desk.run("answers", "list")
    assert listed.code == 1 and "! cannot be made: line 2: 'nosuch' is undefined" in listed.out
    rows = {a["name"]: a for a in desk.run("answers", "list", "--json").json()}
    assert rows["bad"]["problem"] == "line 2: 'nosuch' is undefined"
    assert rows["request_info"]["problem"] is None

    # mended: the answer goes, the reply's #close runs
    bad.write_text("{{ name }}, ответ по обращению {{ tid }}.\n", encoding="utf-8")
    start = len(sink.received)
    desk.ingest(staff_reply(tid, "Добрый день!\n#answer bad\n#close\n", msgid="<again@x>"))
    assert desk.ticket(tid)["status"] == "closed"
    assert desk.flush().code == 0
    [answer] = [m for m in sink.received[start:] if CUSTOMER in m.rcpt_tos]
    assert f"Иван Петров, ответ по обращению {tid}." in answer.text
    assert desk.run("answers", "list").code == 0
    assert "templates:" not in desk.run("status").out


def test_a_shipped_answer_overridden_badly_gives_way_to_the_shipped_one(tmp_path, sink, caplog):
    desk, tpl = desk_with(tmp_path, sink, {"request_info": "Наш текст {{ nosuch }}\n"})
    ours = tpl / "answers" / "request_info.txt"
    tid, _ = open_ticket(desk, sink)
    start = len(sink.received)
    with caplog.at_level(logging.INFO):
        desk.ingest(staff_reply(tid, "Добрый день!\n#answer request_info\nАнна\n"))
    assert [t["tid"] for t in desk.tickets()] == [tid]
    assert desk.flush().code == 0
    [answer] = [m for m in sink.received[start:] if CUSTOMER in m.rcpt_tos]
    assert f"[TID#{tid}]" in answer.subject
    assert f"Иван Петров, чтобы мы могли быстрее решить вопрос по обращению {tid}" in answer.text
    assert "Наш текст" not in answer.text
    assert not [m for m in sink.received[start:] if ANNA in m.rcpt_tos]
    [logged] = errors_logged(caplog)
    assert logged.startswith(f"template override {ours}: line 1: 'nosuch' is undefined; ")
    assert f"#answer request_info inserts the shipped answer ({SHIPPED / 'request_info.txt'})" in (
        logged
    )
    status = desk.run("status")
    assert f"! templates: {ours} fails (line 1: 'nosuch' is undefined; since " in status.out
    # `answers list` says the same of it: the shipped answer is what a reply gets
    listed = desk.run("answers", "list")
    assert listed.code == 1, listed
    assert (
        f"#answer request_info inserts the shipped answer ({SHIPPED / 'request_info.txt'})"
        in listed.out
    ), listed.out


def test_answers_list_names_an_answer_that_cannot_be_compiled(tmp_path, sink):
    answers = {"syntax": "Здравствуйте {% if %}\n", "filter": "{{ tid | nofilter }}\n"}
    desk, tpl = desk_with(tmp_path, sink, answers)
    listed = desk.run("answers", "list")
    assert listed.code == 1, listed
    assert "! cannot be made: line 1: Expected an expression" in listed.out
    assert "! cannot be made: line 1: No filter named 'nofilter'." in listed.out
    r = desk.run("check-config")
    assert r.code == 78
    assert f"{tpl / 'answers' / 'syntax.txt'}: line 1: Expected an expression" in r.err
    assert f"{tpl / 'answers' / 'filter.txt'}: line 1: No filter named 'nofilter'." in r.err


def test_an_answer_of_the_admins_own_states_the_file_rule_from_its_tables(tmp_path, sink):
    """A saved answer gets `file_rules` as mail templates do (domain/filerules.py): an
    admin's answer that tells how to send files need not copy the rule by hand. It was
    not given to answers: a reply with one was held back, check-config warned."""
    text = "{{ name }}, файлы присылайте так: {{ file_rules.usual }}.\n"
    desk, tpl = desk_with(tmp_path, sink, {"files": text})
    tid, _ = open_ticket(desk, sink)
    start = len(sink.received)
    desk.ingest(staff_reply(tid, "Добрый день!\n#answer files\n"))
    assert desk.flush().code == 0
    [answer] = [m for m in sink.received[start:] if CUSTOMER in m.rcpt_tos]
    said = " ".join(answer.text.split())
    assert "Иван Петров, файлы присылайте так: скриншоты в форматах JPG, GIF или PNG, " in said
    assert "скриншоты BMP — в архиве ZIP или RAR." in said
    r = desk.run("check-config")
    assert r.code == 0 and "answers/files.txt uses" not in r.err, r.err
    assert desk.run("answers", "list").code == 0


def test_answers_list_shows_an_answer_by_its_first_line_of_text(tmp_path, sink):
    """An answer whose file starts with blank lines (left at its top by hand)
    is listed by its first line of text, not by that blank: `answers list` is where
    staff pick an answer by what it says, a made one or one that cannot be made."""
    answers = {"spaced": "\n\nОтвет по обращению {{ tid }}.\nГотово.\n", "broken": "\n{% if %}\n"}
    desk, _tpl = desk_with(tmp_path, sink, answers)
    rows = {a["name"]: a for a in desk.run("answers", "list", "--json").json()}
    assert rows["spaced"]["first_line"] == "Ответ по обращению 1234-5678.", rows["spaced"]
    assert rows["broken"]["first_line"] == "{% if %}", rows["broken"]
    assert "Ответ по обращению 1234-5678." in desk.run("answers", "list").out
