"""Unit tests for maild.domain.status_query: which mails only ask for the state."""

from __future__ import annotations

import pytest

from maild.domain.status_query import is_status_question


@pytest.mark.parametrize(
    "text",
    [
        "статус",
        "Статус?",
        "?",
        "???",
        "Где ответ?",
        "Здравствуйте!\nКакой статус?\nСпасибо",
        "Добрый день, есть новости?\n\nИван Петров",
        "Status?\n-- \nJohn Smith\nACME Ltd, +7 495 000-00-00",
        "Когда будет ответ???",
        "Добрый день!\nСтатус?\nСпасибо\nИ. П. Петров",  # greeting line apart: three left
        "Статус?\nЗаранее спасибо,\nАнна",
        "Статус?\nАнна Петрова-Водкина",  # a double surname
        "Есть новости?\nАнна-Мария",
    ],
)
def test_status_questions(text: str) -> None:
    assert is_status_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Статус?\nСайт снова упал, ошибка 500",
        "Спасибо, всё работает",
        "Какой статус у заказа 123 в админке?",
        "5",
        "Ок",
        # all punctuation, no «?»: a «yes» to «подтвердите удаление», a smiley
        "+",
        ")",
        "!!!",
        "+\nИван",
        "Статус?\nСпасибо\nС уважением\nИван",  # four lines: more than a question
        "Добрый день!\nСтатус?\nСпасибо\nС уважением\nИван",  # and with a greeting line
        "Статус?\nИван Петрович Сидоров Младший",  # four words: a sentence, not a name
        "Статус?\nиван",  # a name starts with a capital
        "Статус?\nИван П2",  # a name has no digits
        "Статус?\nИван -",  # a dash is no part of a name
        "Статус?\nИван Петров-",
        "Статус?\nИван Петров--Водкин",
    ],
)
def test_other_mail_is_not(text: str) -> None:
    assert not is_status_question(text)
