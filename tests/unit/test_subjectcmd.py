"""Unit tests for maild.domain.subjectcmd: a command typed in a staff reply's subject
is told, never run."""

from __future__ import annotations

import pytest

from maild.domain.commands import Command
from maild.domain.subjectcmd import subject_errors


def told(subject: str, commands=(), theirs=()) -> str:
    errors = subject_errors(subject, commands, theirs)
    return " ".join(" ".join(errors).split())


@pytest.mark.parametrize(
    ("subject", "named"),
    [
        ("Re: Новое обращение [TID#1234-5678] #close", "#close в теме письма не выполнена"),
        ("Re: #close.", "#close в теме"),
        ("Re: #сlose", "#сlose (#close) в теме"),  # a Russian «с»
        ("Re: #сдщыу", "#сдщыу (#close) в теме"),  # the Russian layout left on
        ("Re: #pfrhsnm", "#pfrhsnm (#close) в теме"),  # «#закрыть», Latin layout
        ("Re: ＃ｃｌｏｓｅ", "＃ｃｌｏｓｅ (#close) в теме"),
        ("Re: #level vip", "#level vip в теме"),
        ("Re: #думуд мшз", "#думуд мшз (#level vip) в теме"),
        ("Re: #spam ljvty", "#spam ljvty (#spam домен) в теме"),
        ("Re: #close вопрос решён", "#close в теме"),
        ("Re: #level vip #close", "#level vip, #close в теме письма не выполнены"),
    ],
)
def test_a_command_of_the_subject_is_named_as_typed(subject: str, named: str) -> None:
    error = told(subject)
    assert error.startswith(named), error
    assert "отдельной строкой в тексте письма" in error


@pytest.mark.parametrize(
    "subject",
    ["Re: заказ #123", "Re: #новинки #notes", "Re: # close", "Re: Что? нет", "Re: [TID#1234-5678]"],
)
def test_a_hashtag_or_a_number_is_text(subject: str) -> None:
    assert subject_errors(subject, (), ()) == []


def test_given_in_the_text_too_or_the_customers_own_word_says_nothing() -> None:
    assert subject_errors("Re: #close", [Command("close")], ()) == []
    assert subject_errors("Re: #level vip", [Command("level", "vip")], ()) == []
    assert told("Re: #level vip", [Command("level", "partner")]).startswith("#level vip")
    assert subject_errors("Re: Ошибка в модуле #take", (), ["Ошибка в модуле #take"]) == []


def test_a_long_subject_is_read_only_so_far() -> None:
    subject = "Re: " + "#новинки " * 10_000 + "#close"
    assert subject_errors(subject, (), ()) == []
