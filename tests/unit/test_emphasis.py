"""A command line a client's plain text wraps in its marks of bold, italic or
underline (Gmail: «*#close*»; Thunderbird: «*…*», «/…/», «_…_»): the command, run and
kept from the customer (domain/emphasis.py, commands.parse_reply); any other line is
as typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain.commands import SIGNS, Command, in_quote, parse_reply
from maild.domain.emphasis import MARKS, unmarked

ANSWER = "Иван, ответ.\n"


@pytest.mark.parametrize(
    "typed",
    ["*#close*", "/#close/", "_#close_", "*/#close/*", "*/_#close_/*", "* #close *", "*#Close.*"],
)
def test_a_command_in_marks_of_emphasis_runs(typed: str) -> None:
    for text in (f"{ANSWER}{typed}\n", f"{typed}\n{ANSWER}"):
        parsed = parse_reply(text)
        assert (parsed.commands, parsed.errors, parsed.body) == ((Command("close"),), (), ANSWER)


def test_a_bold_command_keeps_its_argument() -> None:
    parsed = parse_reply(f"{ANSWER}*#level vip*\n*#note проверил логи*\n")
    assert parsed.commands == (Command("level", "vip"), Command("note", "проверил логи"))
    assert parsed.body == ANSWER


def test_a_bold_command_mistyped_is_told() -> None:
    [error] = parse_reply(f"{ANSWER}*#clsoe*\n").errors
    assert "#clsoe" in error and "close" in error


@pytest.mark.parametrize(
    "typed",
    [
        *("*Важно*", "*#123*", "*#хештег*", "/#/settings/", "_#_", "*#close", "*#close*x", "**"),
        *('"#close"', "-#close-", "=#close="),  # a pair, but of no mark of emphasis
    ],
)
def test_other_lines_in_marks_are_text(typed: str) -> None:
    parsed = parse_reply(f"{ANSWER}{typed}\n")
    assert (parsed.commands, parsed.errors, parsed.body) == ((), (), f"{ANSWER}{typed}\n")


def test_a_bold_command_in_the_quote_is_told_as_not_run() -> None:
    text = "Ответ.\n\nАнна пишет:\n> *#close*\n"
    assert in_quote(text, []) == ["#close"]


@given(st.text(max_size=40))
def test_a_line_not_wrapped_in_one_mark_is_as_typed(line: str) -> None:
    if not (len(line) >= 3 and line[0] in MARKS and line[-1] == line[0]):
        assert unmarked(line, SIGNS) is line


@given(st.sampled_from(MARKS), st.text(alphabet="#abc* /_", max_size=20))
def test_what_is_unmarked_starts_with_a_sign(mark: str, inside: str) -> None:
    line = f"{mark}{inside}{mark}"
    got = unmarked(line, SIGNS)
    assert got == line or (got[:1] in SIGNS and got in line)
