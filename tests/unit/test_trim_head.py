"""Unit tests for quotes.trim_head and statusmail.asks_status: whether a mail is a status
question is told from the head of its text, the same as from the whole text trimmed."""

from __future__ import annotations

import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.message import ParsedMessage
from maild.domain.quotes import HEAD_CHARS, trim_head, trim_reply
from maild.domain.status_query import QUESTION_LINES, is_status_question
from maild.domain.statusmail import asks_status
from tests.helpers import PNG
from tests.unit.test_decide import _msg

# Lines that make a reply's own text, its quote, and what trim_reply tells apart; some
# long, so that texts run past the head trim_head reads first (HEAD_CHARS).
LINES = [
    "",
    "   ",
    "Статус?",
    "Здравствуйте!",
    "Спасибо",
    "Иван Петров",
    "-- ",
    "x",
    "строка текста",
    "> цитата",
    ">",
    "ИП> ответ",
    "Иван пишет:",
    "On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@shop.ru> wrote:",
    '25.11.2026, 10:00, "Иван" <ivan@ya.ru>:',
    "Вы писали 3 декабря 2026 г., 10:00:",
    "пн, 25 нояб. 2026 г. в 10:00,",
    "Ivan <ivan@shop.ru>:",
    "-----Original Message-----",
    "__________",
    "От: Иван <ivan@shop.ru>",
    "Отправлено: 5 декабря 2026 г. 12:00",
    "Кому: support@example.com",
    "Тема: вопрос",
    "Date: Mon, 25 Nov 2026 10:00",
    "---------- Forwarded message ---------",
    "a" * (HEAD_CHARS // 3),
    "> " + "q" * (HEAD_CHARS // 2),
]
ENDINGS = ["\n", "\r\n", "\r"]

# runs of a line, so that many texts are longer than the head read first
texts = st.lists(
    st.tuples(st.sampled_from(LINES), st.sampled_from(ENDINGS), st.sampled_from([1, 1, 2, 300])),
    max_size=30,
).map(lambda runs: "".join((line + end) * n for line, end, n in runs))


def _head(text: str, wanted: int) -> list[str]:
    """``text``'s lines up to its ``wanted``-th non-blank one, each stripped."""
    out: list[str] = []
    for line in text.splitlines():
        if sum(1 for s in out if s) == wanted:
            break
        out.append(line.strip())
    while out and not out[-1]:
        out.pop()
    return out


@settings(max_examples=600, deadline=None)
@given(texts, st.integers(min_value=1, max_value=QUESTION_LINES + 1))
@example("Статус?\n\nIvan <ivan@shop.ru> wrote:\n" + "> q\n" * 3000, QUESTION_LINES)
@example("Статус?\n\nIvan <ivan@shop.ru> wrote:\n" + "> q\n" * 3000 + "ответ\n", QUESTION_LINES)
def test_trim_head_is_the_head_of_trim_reply(text: str, wanted: int) -> None:
    trimmed = trim_reply(text)
    assert _head(trim_head(text, wanted), wanted) == _head(trimmed, wanted)
    question = is_status_question(trim_head(text, QUESTION_LINES))
    assert question == is_status_question(trimmed)


def _mail(text: str) -> ParsedMessage:
    return ParsedMessage(
        message_id="<1@shop.ru>",
        from_addr="ivan@shop.ru",
        from_name="Иван",
        to=("support@example.com",),
        cc=(),
        reply_to=None,
        subject="Re: [TID#1234-5678] вопрос",
        in_reply_to=(),
        references=(),
        text=text,
        attachments=(),
    )


def test_a_status_question_above_a_long_quote_still_is_one() -> None:
    quote = "On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@shop.ru> wrote:\n" + "> q\n" * 5000
    assert asks_status(_mail("Статус?\n\n" + quote))
    assert not asks_status(_mail("Статус?\n\n" + quote + "А это мой ответ ниже цитаты\n"))


def test_a_text_of_a_million_short_lines_is_not_trimmed_whole() -> None:
    """The status question is told from the text's head: the rest is never trimmed.
    Trimmed whole, a million lines of "x" took 7 s of CPU, under the store's lock."""
    text = "Ответ\n" + "x\n" * 1_000_000
    started = time.process_time()
    assert not asks_status(_mail(text))
    assert not asks_status(_mail("Статус?\n" + text))
    assert time.process_time() - started < 0.5


def test_a_status_question_with_a_file_is_news_for_staff() -> None:
    """«Статус?» with a screenshot: the file is news for staff, not a question the
    ticket's state answers: no automatic status mail takes the place of staff's look."""
    assert asks_status(_msg(body="Статус?"))
    assert not asks_status(_msg(body="Статус?", attachments=[("экран.png", "image/png", PNG)]))
