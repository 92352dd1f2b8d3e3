"""Unit tests for maild.domain.subjectcmd: a command typed in a staff reply's subject
is told, never run."""

from __future__ import annotations

import pytest

from maild.domain.commands import Command
from maild.domain.subjectcmd import of_reply


def not_run(subject: str, commands=(), theirs=()) -> list[str]:
    """of_reply's commands of ``subject`` not run, ``theirs`` the customers' subjects:
    the ticket's and those of their mails."""
    return _of_reply(subject, commands, theirs)[1]


def holding(subject: str, commands=(), theirs=()) -> list[str]:
    """of_reply's error that holds the reply."""
    return _of_reply(subject, commands, theirs)[0]


def _of_reply(subject: str, commands, theirs) -> tuple[list[str], list[str]]:
    ticket, *mails = [*theirs, ""]  # the ticket's subject, then its customers' mails'
    messages = [{"kind": "customer", "subject": s} for s in mails]
    messages.append({"kind": "staff", "subject": "#note #close #take"})  # not theirs
    return of_reply(subject, commands, {"tid": "1234-5678", "subject": ticket}, messages)


def test_the_customers_mails_subjects_are_theirs_too() -> None:
    theirs = ["Ошибка", "Re: Ошибка в модуле #take"]
    assert not_run("Re: Ошибка в модуле #take", (), theirs) == []
    assert holding("Re: Ошибка #note", (), ["Ошибка", "Re: Ошибка #note"]) == []


def told(subject: str, commands=(), theirs=()) -> str:
    errors = not_run(subject, commands, theirs)
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
        ("Re: #critical ytn", "#critical ytn (#critical нет) в теме"),
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
    assert not_run(subject, (), ()) == []


def test_given_in_the_text_too_or_the_customers_own_word_says_nothing() -> None:
    assert not_run("Re: #close", [Command("close")], ()) == []
    assert not_run("Re: #level vip", [Command("level", "vip")], ()) == []
    # a note's text is any words: «#note» in the subject is the note the text gives
    assert not_run("Re: #note", [Command("note", "Клиент грубит")], ()) == []
    assert told("Re: #level vip", [Command("level", "partner")]).startswith("#level vip")
    assert not_run("Re: Ошибка в модуле #take", (), ["Ошибка в модуле #take"]) == []


def test_a_long_subject_is_read_only_so_far() -> None:
    subject = "Re: " + "#новинки " * 10_000 + "#close"
    assert not_run(subject, (), ()) == []


def held(subject: str, commands=(), theirs=()) -> str:
    return " ".join(" ".join(holding(subject, commands, theirs)).split())


@pytest.mark.parametrize(
    ("subject", "named"),
    [
        ("Re: Новое обращение [TID#1234-5678] #note", "#note в теме письма не выполнена,"),
        ("#note Re: Новое обращение [TID#1234-5678]", "#note в теме"),  # no «Re:» as its text
        ("Re: Новое обращение #заметка", "#заметка (#note) в теме"),
        ("Re: Новое обращение #pfvtnrf", "#pfvtnrf (#note) в теме"),  # the Latin layout
        ("Re: #nоte", "#nоte (#note) в теме"),  # a Russian «о»
        ("Re: #spam", "#spam в теме"),
        ("Re: #спам домен", "#спам домен (#spam домен) в теме"),
        ("Re: #spam ljvty", "#spam ljvty (#spam домен) в теме"),
        ("Re: #note #spam", "#note, #spam в теме письма не выполнены,"),
    ],
)
def test_a_command_that_keeps_the_text_from_the_customer_holds_the_reply(
    subject: str, named: str
) -> None:
    """«#note» in the subject: the text is a note, not the answer it went out as."""
    error = held(subject)
    assert error.startswith(named), error
    assert "письмо не отправлено клиенту" in error
    assert "отдельной строкой в тексте письма" in error and "уберите" in error
    assert not_run(subject, (), ()) == []  # told once, as what holds it


def test_beside_one_that_holds_the_others_are_named_as_not_run() -> None:
    subject = "Re: #close #note"
    assert held(subject).startswith("#note в теме письма не выполнена, и письмо")
    assert told(subject).startswith("#close в теме письма не выполнена: maild")


@pytest.mark.parametrize(
    "commands",
    [[Command("note")], [Command("note", "клиент грубит")], [Command("spam")]],
    ids=["note", "note-inline", "spam"],
)
def test_a_text_that_goes_nowhere_holds_nothing(commands) -> None:
    """The text gives #note or #spam: nothing of it goes to the customer either way; a
    holding command of the subject it does not give is one not run, as any."""
    assert holding("Re: #note #spam", commands, ()) == []
    assert told("Re: #note #spam", commands).startswith("#")


@pytest.mark.parametrize(
    "subject",
    [
        "Re: #close",
        "Re: #notes о настройке",  # a hashtag
        "Re: Ошибка #note в модуле",  # the customer's own word (theirs below)
        "Re: заказ #123",
    ],
)
def test_other_words_hold_nothing(subject: str) -> None:
    assert holding(subject, (), ["Ошибка #note в модуле"]) == []
