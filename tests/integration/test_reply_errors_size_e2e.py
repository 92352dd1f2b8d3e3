"""A staff reply full of bad command lines, or naming a saved answer of megabytes: the
mail that tells its writer what went wrong stays a few kilobytes (the first errors
listed, the rest counted, the commands listed once at its foot; a long name named by
its start), so the relay takes it. A reply of 200,000 unknown "#foo" lines made a
100 MB mail (each error repeated every command), over postfix's 10 MB: the staff
member never heard; an 8 MB answer name, an 11.5 MB one. Real CLI (`maild ingest`),
real relay."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail, relayed_reply
from tests.integration.test_answer_fallback import desk_with

CUSTOMER = "ivan@shop-example.ru"
SMALL = 20_000  # bytes: a few kilobytes of text, the cheat sheet, the headers


def open_ticket(desk, sink) -> str:
    tid = desk.ingest_tid(make_mail(body="Не работает оплата.\nЧто делать?\n"))
    desk.flush()
    sink.wait_for(2)
    return tid


def told(desk, sink, tid: str, body: str):
    """The one mail Anna's reply ``body`` made: to her, «Команды не выполнены»."""
    [error] = relayed_reply(desk, sink, tid, body)
    assert error.rcpt_tos == ["anna@example.com"]
    assert error.subject.startswith("Команды не выполнены") and f"[TID#{tid}]" in error.subject
    assert len(sink.to(CUSTOMER)) == 1  # the confirmation alone: the reply was held
    return error


def test_many_unknown_command_lines_are_told_as_the_first_few_and_a_count(desk, sink):
    tid = open_ticket(desk, sink)
    error = told(desk, sink, tid, "#foo\n" * 5000 + "Ответ.\n")
    text = " ".join(error.text.split())
    assert text.count("Неизвестная команда: #foo") == 10  # limits.MAX_LISTED_ERRORS
    assert "и ещё 4990 ошибок (здесь названы первые 10)" in text
    assert text.count("#close (#закрыть)") == 1  # the commands, listed once: at the foot
    assert len(error.raw) < SMALL, len(error.raw)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("#answer " + "a" * 300_000, "#answer: нет сохранённого ответа «" + "a" * 99 + "…»"),
        ("#answer " + "я" * 300_000, "#answer: нет сохранённого ответа «" + "я" * 99 + "…»"),
        ("#" + "b" * 300_000, "Неизвестная команда: #" + "b" * 99 + "…"),
    ],
)
def test_a_name_of_megabytes_is_told_by_its_start(desk, sink, line, named):
    tid = open_ticket(desk, sink)
    error = told(desk, sink, tid, f"{line}\nОтвет.\n")
    assert named in "".join(error.text.split("\n"))  # (the mail folds no word)
    assert len(error.raw) < SMALL, len(error.raw)


def test_an_unknown_answer_on_a_desk_of_many_names_whole_names_and_a_count(tmp_path, sink):
    """A desk with 150 saved answers: the error of `#answer` with an unknown name lists
    names whole (never one cut in two, as the 2,000 characters of an error cut it), the
    first of them, and counts the rest; the cheat sheet at the foot names them all."""
    names = [f"otvet_po_voprosu_nomer_{i:03d}" for i in range(150)]
    desk, _ = desk_with(tmp_path, sink, dict.fromkeys(names, "Ответ по {{ tid }}.\n"))
    tid = open_ticket(desk, sink)
    error = told(desk, sink, tid, "#answer nosuch\nОтвет.\n")
    text = " ".join(error.text.split())
    line = text.split("#answer: нет сохранённого ответа «nosuch»; есть: ")[1]
    line = line.split(" Исправьте ошибки")[0]
    listed, more = line.split(" и ещё ")
    shown = listed.rstrip(",").split(", ")
    every = sorted([*names, "bmp_screenshots", "not_supported", "request_info"])  # (shipped)
    assert shown == every[: len(shown)] and 10 <= len(shown) < 150, shown
    assert more.startswith(f"{153 - len(shown)} ответ") and "…" not in line, more
    cheat = text.split("Сохранённые ответы (#answer <имя>): ")[1]
    assert all(n in cheat for n in names)
