"""domain.greeting: a display name greets the customer only when it is a person's name."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.greeting import addressable

NO_NAME = [
    "ivan@shop-example.ru",
    "info",
    "Support Team",
    "Петров, Иван",
    "Иван Петров | ИП Петров | +7 900 000-00-00",
    "Ivanov",
    "Jürgen",
    "ООО Ромашка",
    "Отдел продаж",
    "noreply",
    "Иван 🙂",
    "user123",
    # a login with its dot, a service's name
    "ivan.petrov",
    "Ivan.Petrov",
    "i.petrov",
    "Google Calendar",
    "Бот уведомлений",
    "Уведомления",
    "Сбербанк Онлайн",
    "",
    "   ",
    None,
]
NAMES = [
    "Иван Петров",
    "Иван",
    "John Smith",
    "Анна-Мария О'Нил",
    "И. Петров",
    "Петров И.И.",
    "Мария",
]


@pytest.mark.parametrize("display", NO_NAME)
def test_what_is_no_persons_name_gives_a_plain_greeting(display):
    assert addressable(display) is None


@pytest.mark.parametrize("display", NAMES)
def test_a_persons_name_greets_them(display):
    assert addressable(display) == display


def test_a_name_in_decomposed_letters_greets_them_composed():
    """«Й» and «ё» as a letter and a combining mark (NFD, as some clients send them)."""
    assert addressable(unicodedata.normalize("NFD", "Йосиф Лёвин")) == "Йосиф Лёвин"


def test_quotes_and_runs_of_spaces_around_a_name_go():
    assert addressable('  "Иван   Петров" ') == "Иван Петров"


def test_guillemets_and_single_quotes_around_a_name_go():
    """A display name quoted «Иван Петров» (as a Russian client or an address book
    writes it) or 'Иван Петров' greets Иван Петров, not a plain «Здравствуйте!»."""
    assert addressable("«Иван Петров»") == "Иван Петров"
    assert addressable("'Иван Петров'") == "Иван Петров"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.from_regex(r"[А-Яа-яA-Za-z @|,.0-9+-]{0,40}", fullmatch=True))
@example(display="A\x85¹")  # a superscript: a digit to str.isdigit, not to \d
def test_a_greeting_never_holds_an_address_a_digit_or_a_bar(display):
    name = addressable(display)
    assert name is None or not any(c in name for c in "@|") and not any(c.isdigit() for c in name)
    assert name is None or name == name.strip() and "\n" not in name
