"""Unit tests for maild.domain.quotes: quoted history cut from replies of real clients."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from maild.domain.commands import cheat_sheet, holds_notice
from maild.domain.heldnotice import UNSEPARATED
from maild.domain.quotes import QUOTE_PREFIX_RE, is_quoted, trim_reply
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.staffquote import TEXT_END_RE, TEXT_START_RE, for_customer, without_our_forward
from maild.domain.typedlines import RUN_CHARS, for_site, typed_lines
from tests.unit.test_decide import NOW, STAFF, _decide, _msg, _ticket

NEW = "Добрый день!\nПосле обновления всё заработало, спасибо.\n\nС уважением,\nИван Петров"
OLD = "Проверьте, пожалуйста, права на папку /upload."


@pytest.mark.parametrize(
    "attribution",
    [
        # Thunderbird, English and Russian UI
        "On 25.11.2026 10:00, Пётр Сидоров wrote:",
        "25.11.2026 10:00, Пётр Сидоров пишет:",
        # Gmail, English and Russian UI
        "On Mon, Nov 25, 2026 at 10:00 AM Support <support@example.com> wrote:",
        "пн, 25 нояб. 2026 г. в 10:00, Support <support@example.com>:",
        # Yandex Mail
        '25.11.2026, 10:00, "Служба поддержки" <support@example.com>:',
        # Mail.ru
        "Понедельник, 25 ноября 2026, 10:00 +03:00 от Служба поддержки <support@example.com>:",
        # Apple Mail, Russian UI
        "25 нояб. 2026 г., в 10:00, Support <support@example.com> написал(а):",
        # Thunderbird, old default without a date
        "Пётр Сидоров написал:",
    ],
)
def test_attribution_and_quote_are_cut(attribution: str) -> None:
    text = f"{NEW}\n\n{attribution}\n> {OLD}\n>\n> --\n> Поддержка\n"
    assert trim_reply(text) == NEW


@pytest.mark.parametrize(
    "attribution",
    [
        "Вы писали 25 ноября 2026 г., 10:00:",
        "Вы писали 25.11.2026 10:00:",
        "You wrote 25.11.2026, 10:00:",
    ],
)
@pytest.mark.parametrize("prefix", ["СП> ", " СП> ", "> "])
def test_the_bat_attribution_and_initials_quote_are_cut(attribution: str, prefix: str) -> None:
    """The Bat!'s template puts the verb first and no address: "Вы писали <date>:",
    a blank line, the quote with the author's initials. Kept, the attribution stood
    under the answer on the site, and under a staff answer the customer got."""
    text = f"{NEW}\n\n{attribution}\n\n{prefix}{OLD}\n{prefix.rstrip()}\n{prefix}-- \n"
    assert trim_reply(text) == NEW
    assert for_customer(text) == NEW


def test_the_bat_like_prose_without_a_quote_is_kept() -> None:
    text = "Вы писали 25 ноября 2026 г., что нужно обновиться:\nобновились, ошибка та же."
    assert trim_reply(text) == text


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Nov 25, 2026 at 10:00 AM Служба поддержки интернет-магазина <\n"
        "support@example.com> wrote:",
        "пн, 25 нояб. 2026 г. в 10:00, Служба поддержки интернет-магазина <\nsupport@example.com>:",
        "On Mon, Nov 25, 2026 at 10:00 AM Служба\nподдержки интернет-магазина\n"
        "<support@example.com> wrote:",
    ],
)
def test_gmail_attribution_wrapped_over_lines(attribution: str) -> None:
    assert trim_reply(f"{NEW}\n\n{attribution}\n\n> {OLD}\n") == NEW
    # short lines right above it are the answer's, a weekday's too
    assert for_customer(f"Вс,\nx\n{attribution}\n\n> {OLD}\n") == "Вс,\nx"


@pytest.mark.parametrize(
    "attribution",
    [
        '25.11.2026, 10:00, "Служба поддержки интернет-магазина" <\nsupport@example.com>:',
        "26 нояб. 2026 г., в 10:00, Служба поддержки интернет-магазина <\n"
        "support@example.com> написал(а):",
        "2026-11-25 10:00 GMT+03:00 Служба поддержки интернет-магазина <\nsupport@example.com>:",
    ],
)
def test_attribution_wrapped_after_its_date_is_cut(attribution: str) -> None:
    assert trim_reply(f"{NEW}\n{attribution}\n> {OLD}\n") == NEW
    assert for_customer(f"Вс,\nx\n{attribution}\n> {OLD}\n") == "Вс,\nx"


@pytest.mark.parametrize(
    "attribution",
    [
        "Служба поддержки <support@example.com> пишет:",
        "В чт, 26.11.2026 в 10:00, Служба поддержки <support@example.com> пишет:",
    ],
)
@pytest.mark.parametrize(
    "last", ["2. Перезапустите сервер.", "10 минут, и всё заработает.", "0.", "7.0.1"]
)
def test_a_numbered_line_right_above_the_attribution_is_the_answer(
    attribution: str, last: str
) -> None:
    """A line that opens with a number is no date: it does not begin a wrapped
    attribution, and the answer keeps it (it was cut, lost without a word)."""
    answer = f"Сделайте так:\n1. Очистите кэш.\n{last}"
    assert trim_reply(f"{answer}\n{attribution}\n> {OLD}\n") == answer


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Nov 25, 2026 at 10:00 AM Support <support@example.com> wrote:",
        '25.11.2026, 10:00, "Служба поддержки" <support@example.com>:',
        "On Mon, Nov 25, 2026 at 10:00 AM Support <\nsupport@example.com> wrote:",
    ],
)
def test_new_text_right_above_the_attribution_is_kept(attribution: str) -> None:
    assert trim_reply(f"Спасибо, всё работает.\n{attribution}\n> {OLD}") == (
        "Спасибо, всё работает."
    )


# What a staff reply quotes under an attribution: a notice of maild's.
NOTICE_QUOTED = (
    "> Новое обращение 1234-5678\n> Уровень: VIP поддержка (vip)\n>\n> -- \n> Поддержка\n"
)


@pytest.mark.parametrize(
    "attribution",
    [
        "В чт, 26.11.2026 в 10:00, Служба поддержки <support@example.com> пишет:",
        "6 дек. 2026 г. в 10:15, Служба поддержки <support@example.com>:",
        "Служба поддержки <support@example.com> написал(а):",
        "Support <support@example.com> wrote:",
    ],
)
@pytest.mark.parametrize(
    "answer", ["Вс,\nx", "Вс,", "вс, 5\nx", "пт, 5", "On Sun,\nx", "Mon,\nДа.", "Вс,\nДа,\nДа."]
)
def test_a_weekday_line_above_an_attribution_is_the_answer(answer: str, attribution: str) -> None:
    """«Вс,» (a weekday and a comma) opens a wrapped attribution only when its date
    follows it: the staff member's «Вс,» and «x» above an attribution were taken for
    one wrapped over three lines, and the customer got none of the answer."""
    text = f"{answer}\n{attribution}\n{NOTICE_QUOTED}"
    assert trim_reply(text) == answer
    assert for_customer(text) == answer


@pytest.mark.parametrize(
    "attribution",
    [
        "В чт, 26.11.2026 в 10:00, Служба поддержки <support@example.com> пишет:",
        "On Sun, Dec 6, 2026 at 10:15 AM Support <support@example.com> wrote:",
        "06.12.2026 10:15, Служба поддержки <support@example.com> написал(а):",
    ],
)
@pytest.mark.parametrize(
    "answer", ["01.12.2026 выйдет обновление.\nИван", "Вс, 6 дек. 2026 г. — обновление.\nИван"]
)
def test_lines_above_an_attribution_of_its_own_line_are_the_answer(
    answer: str, attribution: str
) -> None:
    """An answer that opens with a date, even a weekday's, is no attribution's first
    line when a whole attribution begins on a later line, the second or the third."""
    text = f"{answer}\n{attribution}\n{NOTICE_QUOTED}"
    assert trim_reply(text) == answer
    assert for_customer(text) == answer


LONG_NAME = "Служба поддержки интернет-магазина"
CLIENT_ATTRIBUTIONS = [
    # Gmail; Outlook for iOS and Android: English UI
    f"On Sun, Dec 6, 2026 at 10:15 AM {LONG_NAME} <support@example.com> wrote:",
    # Gmail, Outlook: Russian UI
    f"Вс, 6 дек. 2026 г. в 10:15, {LONG_NAME} <support@example.com>:",
    # Thunderbird, English and Russian UI
    f"On 06.12.2026 10:15, {LONG_NAME} wrote:",
    f"06.12.2026 10:15, {LONG_NAME} пишет:",
    f"On 12/6/26 10:15 AM, {LONG_NAME} wrote:",
    # Apple Mail, English and Russian UI
    f"On Dec 6, 2026, at 10:15, {LONG_NAME} <support@example.com> wrote:",
    f"6 дек. 2026 г., в 10:15, {LONG_NAME} <support@example.com> написал(а):",
    # Yandex Mail
    f'06.12.2026, 10:15, "{LONG_NAME}" <support@example.com>:',
    # Mail.ru
    f"Воскресенье, 6 декабря 2026, 10:15 +03:00 от {LONG_NAME} <support@example.com>:",
    # Proton Mail
    f"On Sunday, December 6th, 2026 at 10:15 AM, {LONG_NAME} <support@example.com> wrote:",
    # Thunderbird, English UI, with the date format of a system's other language
    f"On 2026/12/06 10:15, {LONG_NAME} <support@example.com> wrote:",
    f"On 6-Dec-2026 10:15, {LONG_NAME} <support@example.com> wrote:",
    f"On 2026. 12. 6. 10:15, {LONG_NAME} <support@example.com> wrote:",
    # English date formats of other clients and countries
    f"On Sun, 6 Dec, 2026 at 10:15, {LONG_NAME} <support@example.com> wrote:",
    f"On Sun, 6 Dec 2026 at 10:15, {LONG_NAME} <support@example.com> wrote:",
]


@pytest.mark.parametrize("attribution", CLIENT_ATTRIBUTIONS)
@pytest.mark.parametrize("answer", ["Да, всё так.", "Вс,\nx", "Спасибо!\nВс,"])
def test_a_client_attribution_wrapped_over_two_or_three_lines_is_cut(
    answer: str, attribution: str
) -> None:
    """A client wraps a long attribution where its width ends: at any width that
    makes two or three lines of it, it is cut with the quote, and the answer above it,
    short lines too, is kept."""
    wraps = {
        tuple(textwrap.wrap(attribution, width, break_long_words=False, break_on_hyphens=False))
        for width in range(10, len(attribution))
    }
    wraps = {lines for lines in wraps if 2 <= len(lines) <= 3}
    assert {len(lines) for lines in wraps} == {2, 3}
    for lines in sorted(wraps):
        text = "\n".join([answer, *lines, NOTICE_QUOTED])
        assert trim_reply(text) == answer, lines
        assert for_customer(text) == answer, lines


@pytest.mark.parametrize(
    "attribution",
    ["Support <support@example.com> wrote:", "Служба поддержки <support@example.com> пишет:"],
)
@pytest.mark.parametrize(
    "line", ["On Monday the fix ships.", "On page 5 you will find it.", "On Sunday, we rest."]
)
def test_an_answer_line_opening_with_on_and_no_date_is_kept(line: str, attribution: str) -> None:
    """A line of the answer that opens with "On" but no date is no attribution's
    wrapped first line, even right above one that carries no date either."""
    text = f"Спасибо.\n{line}\n{attribution}\n{NOTICE_QUOTED}"
    assert trim_reply(text) == f"Спасибо.\n{line}"
    assert for_customer(text) == f"Спасибо.\n{line}"


def test_outlook_separator_and_header_block_english() -> None:
    text = (
        f"{NEW}\n\n________________________________\n"
        "From: Support <support@example.com>\n"
        "Sent: Monday, November 25, 2026 10:00 AM\n"
        "To: Ivan Petrov <ivan@example.ru>\n"
        "Subject: RE: [TID#4821-7730] Ошибка оформления заказа\n\n"
        f"{OLD}\n"
    )
    assert trim_reply(text) == NEW


def test_outlook_russian_original_message() -> None:
    text = (
        f"{NEW}\n\n-----Исходное сообщение-----\n"
        "От: Служба поддержки [mailto:support@example.com]\n"
        "Отправлено: 25 ноября 2026 г. 10:00\n"
        "Кому: Иван Петров\n"
        "Тема: [TID#4821-7730] Ошибка оформления заказа\n\n"
        f"{OLD}\n"
    )
    assert trim_reply(text) == NEW


def test_outlook_english_original_message() -> None:
    text = f"{NEW}\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\n{OLD}"
    assert trim_reply(text) == NEW


def test_outlook_header_block_without_separator() -> None:
    text = (
        f"{NEW}\n\nОт: Служба поддержки <support@example.com>\n"
        "Дата: понедельник, 25 ноября 2026 г., 10:00\n"
        "Кому: ivan@example.ru\n"
        "Тема: Ошибка\n\n"
        f"{OLD}"
    )
    assert trim_reply(text) == NEW


def test_outlook_underscores_without_headers_are_kept() -> None:
    text = "Итог:\n____________________\nВсего: 3 заказа"
    assert trim_reply(text) == text


def test_trailing_quote_without_attribution() -> None:
    assert trim_reply(f"{NEW}\n\n> {OLD}\n> \n>> старое\n\n") == NEW


def test_interleaved_reply_keeps_the_quotes_it_answers() -> None:
    text = (
        "On Mon, 25 Nov 2026 at 10:00, Support <support@example.com> wrote:\n"
        "> Какая у вас версия модуля?\n"
        "5.2.1\n\n"
        "> Есть ли ошибки в журнале?\n"
        "Нет, журнал пуст.\n\n"
        "Иван\n\n"
        "> С уважением,\n> Поддержка\n"
    )
    expected = (
        "On Mon, 25 Nov 2026 at 10:00, Support <support@example.com> wrote:\n"
        "> Какая у вас версия модуля?\n"
        "5.2.1\n\n"
        "> Есть ли ошибки в журнале?\n"
        "Нет, журнал пуст.\n\n"
        "Иван"
    )
    assert trim_reply(text) == expected


def test_staff_signature_is_kept() -> None:
    text = (
        "Исправили, проверьте, пожалуйста.\n\n-- \nПётр Сидоров\nСлужба поддержки\n"
        "+7 495 000-00-00\n\n"
        "25.11.2026 10:00, Иван Петров пишет:\n> Не работает корзина\n"
    )
    assert trim_reply(text) == (
        "Исправили, проверьте, пожалуйста.\n\n-- \nПётр Сидоров\nСлужба поддержки\n+7 495 000-00-00"
    )


def test_everything_quoted_returns_the_original() -> None:
    text = "On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:\n> Не работает\n"
    assert trim_reply(text) == text
    assert trim_reply("> только цитата\n> ещё") == "> только цитата\n> ещё"


def test_without_fallback_nothing_new_is_empty() -> None:
    quote_only = "On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:\n> Не работает\n"
    assert trim_reply(quote_only, fallback=False) == ""
    assert trim_reply("\n\n", fallback=False) == ""
    assert trim_reply(f"{NEW}\n\n> {OLD}", fallback=False) == NEW


def test_only_unquoted_history_returns_the_original() -> None:
    text = "-----Original Message-----\nFrom: Ivan\nSent: Monday\n\nНе работает"
    assert trim_reply(text) == text


def test_prose_with_wrote_verb_is_not_an_attribution() -> None:
    text = "Вот что мне пишет:\nклиент не может оплатить заказ картой."
    assert trim_reply(text) == text


def test_bare_name_wrote_counts_when_a_quote_follows() -> None:
    assert trim_reply(f"{NEW}\n\nSupport wrote:\n> {OLD}") == NEW


def test_prose_with_date_and_address_is_not_an_attribution() -> None:
    text = "25.11.2026 в 10:00 письмо на admin@shop.ru вернулось с ошибкой:\n550 User unknown"
    assert trim_reply(text) == text


def test_one_from_line_is_prose() -> None:
    text = "From: раздел доставки\nдо корзины всё работает."
    assert trim_reply(text) == text


def test_forwarded_message_is_content() -> None:
    # A customer forwarding the error mail they got: that is the request itself.
    text = (
        "Пришло вот такое письмо:\n\n---------- Forwarded message ---------\n"
        "From: Mailer <mailer@shop.ru>\nDate: Mon, 25 Nov 2026\nSubject: Ошибка\n\nТекст ошибки"
    )
    assert trim_reply(text) == text


def test_history_inside_a_forward_is_content() -> None:
    text = (
        "-------- Пересылаемое сообщение --------\n"
        '25.11.2026, 10:00, "Бухгалтерия" <buh@example.ru>:\n'
        "Счёт не выставляется, ошибка 500"
    )
    assert trim_reply(text) == text


def test_inline_quote_in_the_middle_is_kept() -> None:
    text = "Вы писали:\n> перезапустите сервер\nПерезапустил, не помогло."
    assert trim_reply(text) == text


def test_crlf_input() -> None:
    text = "Спасибо!\r\n\r\nOn 25.11.2026 10:00, Support wrote:\r\n> Готово\r\n"
    assert trim_reply(text) == "Спасибо!"
    assert trim_reply("Да\r\nверно\r\n\r\n> вопрос\r\n") == "Да\r\nверно"


def test_quoted_attribution_does_not_cut_new_text() -> None:
    text = "> On Mon, 25 Nov 2026 at 10:00, A <a@b.ru> wrote:\n> старое\nНовый ответ"
    assert trim_reply(text) == text


def test_no_history_is_unchanged() -> None:
    assert trim_reply(NEW) == NEW
    assert trim_reply("") == ""


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_never_raises_and_keeps_a_prefix(text: str) -> None:
    result = trim_reply(text)
    assert text.startswith(result)
    if text.strip():
        assert result.strip()


reply_lines = st.one_of(
    st.sampled_from(
        [
            "",
            "> цитата",
            ">> глубже",
            "On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:",
            "25.11.2026 10:00, Иван пишет:",
            "-----Original Message-----",
            "________________________________",
            "From: Ivan",
            "Sent: Monday",
            "Тема: ошибка",
            "-- ",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(reply_lines, max_size=15))
def test_mail_shaped_text_never_loses_everything(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = trim_reply(text)
    assert text.startswith(result)
    if text.strip():
        assert result.strip()


# -- for_site: what the site shows of a customer's mail ---------------------------------

ANSWERED = ["Какая у вас версия модуля?", "", "--", "Анна, служба поддержки"]


@pytest.mark.parametrize(
    ("attribution", "prefix", "greeting"),
    [
        ("Вы писали 25 ноября 2026 г., 10:00:", "СП> ", "Здравствуйте, Служба."),  # The Bat!
        ("Вы писали 25 ноября 2026 г., 10:00:", " СП> ", "Здравствуйте, Служба."),
        ("25.11.2026 10:00, Служба поддержки пишет:", "> ", ""),  # Thunderbird
        ("25.11.2026 10:00, Служба поддержки написал(а):", "> ", ""),  # Roundcube
        ("On Mon, Nov 25, 2026 at 10:00 AM Support <\nsupport@example.com> wrote:", "> ", ""),
    ],
)
def test_a_quote_answered_below_is_not_shown_again(
    attribution: str, prefix: str, greeting: str
) -> None:
    """Thunderbird and The Bat! put the answer below the quote by default: the site
    showed the whole previous mail again under every such reply."""
    head = f"{greeting}\n\n" if greeting else ""
    quote_lines = "\n".join(quote(ANSWERED, prefix))
    text = f"{head}{attribution}\n\n{quote_lines}\n\n{NEW}\n"
    assert trim_reply(text) == text.rstrip()  # the reply's own text, for commands and staff
    assert for_site(text) == head + NEW


@pytest.mark.parametrize(
    "text",
    [
        # answered between the quoted lines: each quote shows what its answer is to
        "Вы писали 25 ноября 2026 г., 10:00:\n\nСП> Версия?\n\n5.2.1\n\nСП> Журнал?\n\nПуст.",
        # no attribution above the quote: "Вы писали:" would be left alone
        "Вы писали:\n> перезапустите сервер\nПерезапустил, не помогло.",
        "> перезапустите сервер\nПерезапустил, не помогло.",
        NEW,
    ],
)
def test_site_keeps_inline_answers_and_quotes_without_an_attribution(text: str) -> None:
    assert for_site(text) == trim_reply(text)


site_lines = st.one_of(
    reply_lines,
    st.sampled_from(["Вы писали 25.11.2026, 10:00:", "СП> цитата", " СП>> глубже", "СП>"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(site_lines, max_size=15))
# «From:» above a quote, with «Sent:» lines only after the quote: no Outlook header block
@example(["From: Ivan", "> цитата", "Sent: Monday", "Sent: Monday"])
# «A>»: a quoted line of one whose initial is A (supercite), not text of the customer
@example(["On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:", "A>", "_" * 32])
def test_site_drops_only_quotes_and_their_attribution(lines: list[str]) -> None:
    """Nothing the customer wrote is lost on the site: of trim_reply's text, for_site
    drops quoted lines and the attribution above them, nothing else, in order."""
    text = "\n".join(lines)
    kept = [s.strip() for s in trim_reply(text).splitlines() if s.strip()]
    shown = [s.strip() for s in for_site(text).splitlines() if s.strip()]
    it = iter(kept)
    assert all(s in it for s in shown)  # a subsequence of trim_reply's lines
    attributions = {  # and Outlook's separator, a quote header as well
        "-----Original Message-----",
        "On Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:",
        "25.11.2026 10:00, Иван пишет:",
        "Вы писали 25.11.2026, 10:00:",
    }
    lost = [s for s in kept if s not in shown and not is_quoted(s)]  # «>», «СП>», «A>»
    assert set(lost) <= attributions, lost


PREVIOUS = ["Иван, здравствуйте.", "Очистите кэш браузера и повторите оплату.", "", "--", "Анна"]


@st.composite
def customer_replies(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A customer's reply to PREVIOUS: (text, the lines they wrote), written above,
    below and inside the quote (where iOS Mail and webmail keep it quoted)."""
    prefix = draw(st.one_of(st.sampled_from(["> ", ">"]), INITIALS_PREFIX))
    written = STAFF_LINE.map(lambda s: f"Сделайте {s}")
    above, inside, below = (draw(st.lists(written, max_size=2)) for _ in range(3))
    at = draw(st.integers(0, len(PREVIOUS)))
    quoted = quote([*PREVIOUS[:at], *inside, *PREVIOUS[at:]], prefix)
    head = draw(st.sampled_from(["", ATTRIBUTION, "Вы писали 25.11.2026, 10:00:"]))
    lines = [*above, "", *([head] if head else []), *quoted, "", *below]
    return "\n".join(lines), [*above, *inside, *below]


@settings(max_examples=200, deadline=None)
@given(customer_replies())
@example(  # a line inside the quote like one above but for case: it was cut as "shown"
    (
        "Сделайте Д\n\n> Сделайте д\n"
        + "".join(f"> {s}\n".replace("> \n", ">\n") for s in PREVIOUS),
        ["Сделайте Д", "Сделайте д"],
    )
)
def test_the_site_never_hides_what_the_customer_wrote(reply: tuple[str, list[str]]) -> None:
    """Given the thread's texts, whatever the site cuts is a mail the thread holds:
    every line the customer wrote, above, below or inside the quote, is shown."""
    text, written = reply
    shown = for_site(text, ["\n".join(PREVIOUS)])
    assert all(s in shown for s in written), shown


def test_a_line_typed_inside_a_quote_the_site_shows_lets_the_history_below_go() -> None:
    """A line typed inside the quote the customer answers between (iOS Mail keeps it
    quoted) is in what the site shows, quote marks and all: the thread's history under
    Outlook's «От:/Отправлено:» block is cut all the same. Looked for as written, with
    its «> », it was taken for lost and the mail showed whole, the history under it."""
    previous = "\n".join(PREVIOUS)
    head = "\n".join(OUTLOOK_HEAD)
    typed = "> Вот тут я ещё дописал строку"
    answer = f"> {PREVIOUS[0]}\n{typed}\n> {PREVIOUS[1]}\nСделал, не помогло."
    assert for_site(f"{answer}\n\n{head}\n\n{previous}\n", [previous]) == answer


QUESTIONS = [
    "Подскажите, пожалуйста:",
    "1. Вы обновляли модуль оплаты? Если да, то до какой версии?",
    "2. Ошибка появляется у всех покупателей или нет?",
]


OUTLOOK_HEAD = [
    "От: Служба поддержки <support@example.com>",
    "Отправлено: 4 декабря 2026 г. 12:31",
    "Кому: ivan@shop-example.ru",
    "Тема: RE: Оплата [TID#1234-5678]",
]


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text).split()).casefold()


@st.composite
def short_answers(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A customer's Outlook reply to QUESTIONS (the original unquoted under «От:»)
    with a short line typed under one of them that is a run of the thread's words but
    no line of it («Да», «нет», «модуль оплаты»): (text, what they typed)."""
    words = draw(st.sampled_from(QUESTIONS[1:])).split()
    i = draw(st.integers(0, len(words) - 1))
    typed = " ".join(words[i : draw(st.integers(i + 1, min(len(words), i + 3)))])
    typed = draw(st.sampled_from([typed, typed.strip("?,.:").capitalize()]))
    at = draw(st.integers(1, len(QUESTIONS)))
    # the words that follow the line above in the thread's text read as a piece of a
    # line the client re-wrapped (Thread.quotes): no answer types them
    assume(
        f" {_words(QUESTIONS[at - 1])} {_words(typed)} " not in f" {_words(' '.join(QUESTIONS))} "
    )
    lines = ["Ответы ниже.", "", *OUTLOOK_HEAD, "", *QUESTIONS[:at], typed, *QUESTIONS[at:]]
    return "\n".join(lines), ["Ответы ниже.", typed]


@settings(max_examples=200, deadline=None)
@given(short_answers())
@example(  # the audit's: «Да» and «Нет» under the questions, «да» and «нет» in them
    (
        "\n".join(
            ["Ответы ниже.", "", *OUTLOOK_HEAD, "", *QUESTIONS[:2], "Да", QUESTIONS[2], "Нет"]
        ),
        ["Ответы ниже.", "Да", "Нет"],
    )
)
def test_a_short_answer_inside_an_unquoted_quote_is_shown(reply: tuple[str, list[str]]) -> None:
    """«Да» or «Нет» typed under a question inside Outlook's quote are words of nearly
    any thread: found as a run of them, the line was cut, the answer lost. A short line
    is quoted only as a whole line of the thread or going on from the line above it."""
    text, written = reply
    shown = for_site(text, ["\n".join(QUESTIONS)]).splitlines()
    assert all(s in shown for s in written), shown


def test_a_mail_of_a_quote_alone_shows_the_quote() -> None:
    """A reply sent with nothing typed below its quote is shown as it came: the cut
    of the quote answered below it would leave the site an empty mail."""
    text = f"{ATTRIBUTION}\n> Вы оплатили заказ?\n> Сайт открывается?"
    assert for_site(text) == text


def test_an_answer_typed_in_the_quote_and_again_below_shows_the_quote() -> None:
    """«Да» typed inside the quote (iOS Mail keeps it quoted) and «Да» again below: each
    line typed must stand in what shows as often as it was typed, so the quote stays;
    cut, the site would show one «Да» and lose what the other answered."""
    text = "\n".join([ATTRIBUTION, "> Вы оплатили заказ?", "> Да", "> Сайт открывается?", "", "Да"])
    assert for_site(text, ["Вы оплатили заказ?\nСайт открывается?"]) == text


@pytest.mark.parametrize("width", [50, 60, 72, 76])
def test_a_quote_a_client_rewrapped_is_still_cut(width: int) -> None:
    """A client re-wraps each long quoted line at its width: each piece is a run of the
    thread's words, the long head known as such, the short tail by going on from the
    piece above it."""
    answer = [
        "Иван, здравствуйте.",
        "",
        "Очистите кэш браузера и повторите оплату: если ошибка останется, пришлите нам"
        " снимок экрана и время платежа.",
        "",
        "Анна",
    ]
    pieces = [p for s in answer for p in (textwrap.wrap(s, width) or [""])]
    assert len(pieces) > len(answer) and any(0 < len(p) < RUN_CHARS for p in pieces[3:])
    text = "\n".join([ATTRIBUTION, *(f"> {s}" for s in pieces), "", "Спасибо, помогло."])
    assert for_site(text, ["\n".join(answer)]) == "Спасибо, помогло."


# -- for_customer: what of a staff reply reaches the customer --------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "maild" / "templates"
ATTRIBUTION = "В чт, 26.11.2026 в 10:00, Служба поддержки <support@example.com> пишет:"
# A staff notice as maild renders it (templates/staff_new.txt): support's own lines
# around the customer's text.
HEAD = [
    "Новое обращение 1234-5678",
    "От: ivan@shop-example.ru (Иван Петров)",
    "",
    "Уровень: VIP поддержка (vip)",
    "Определение уровня: лицензия LIC-2026-0042 (ООО Магазин), до 2027-06-30",
    "Реакция не позднее: 26.11.2026 12:00 (МСК)",
    "",
    "Бесплатная поддержка этого адреса истекла (первое обращение 01.03.2026).",
    "",
]
START, END = "----- текст обращения -----", "----- конец текста -----"
FOOT = [
    "",
    "Ответьте на это письмо, сохранив [TID#1234-5678] в теме: ответ уйдёт клиенту",
    "от адреса support@example.com.",
    "",
    "Команды (по одной в строке, в любом месте ответа над цитатой; клиент их не увидит;",
    *[f"  {usage:<22} {help}" for usage, help in cheat_sheet()],
]
CUSTOMER_TEXT = ["Не работает оплата на сайте.", "> Ваш платёж отклонён", "Что делать?"]


def notice(customer: list[str] = CUSTOMER_TEXT) -> list[str]:
    return [*HEAD, START, *customer, END, *FOOT]


def quote(lines: list[str], prefix: str = "> ") -> list[str]:
    return [(prefix + line).rstrip() if line else prefix.rstrip() for line in lines]


def test_notice_templates_set_the_customer_text_between_the_markers() -> None:
    """The rule relies on these lines: every staff mail that shows a customer's text
    sets it between them, and nothing of support's own inside."""
    for name in ("staff_new.txt", "staff_followup.txt", "staff_charset.txt"):
        lines = [s.strip() for s in (TEMPLATES / name).read_text().splitlines()]
        start = next(i for i, s in enumerate(lines) if TEXT_START_RE.fullmatch(s))
        end = next(i for i, s in enumerate(lines) if TEXT_END_RE.fullmatch(s))
        assert lines[start + 1 : end] == ["{{ text | theirs }}"], name


def test_answer_typed_inside_the_quoted_notice_keeps_only_the_customer_text() -> None:
    """Thunderbird/Outlook inline answering: the staff member types between the
    quoted lines of the notice; the notice's own lines never reach the customer, nor
    does its attribution ("Служба поддержки пишет:"), which over what is left, the
    customer's own words, would say support wrote them."""
    quoted = quote(notice())
    cut = quoted.index("> " + END) + 1
    text = "\n".join([ATTRIBUTION, *quoted[:cut], "", "Очистите кэш браузера.", "", *quoted[cut:]])
    assert for_customer(text) == "\n".join([*quote(CUSTOMER_TEXT), "", "Очистите кэш браузера."])


def test_top_posted_answer_with_a_signature_under_the_quote() -> None:
    text = "\n".join(["Добрый день! Исправили.", "", *quote(notice()), "", "--", "Анна"])
    assert for_customer(text) == "Добрый день! Исправили.\n\n" + "\n".join(
        [*quote(CUSTOMER_TEXT), "", "--", "Анна"]
    )


def test_quote_of_a_notice_without_customer_text_goes_whole() -> None:
    """A staff reminder (templates/reminder_staff.txt) quoted and answered inline."""
    reminder = ["По обращению 1234-5678 нет реакции сотрудника", "Клиент: ivan@shop-example.ru"]
    text = "\n".join([ATTRIBUTION, *quote(reminder[:1]), "Ответил.", *quote(reminder[1:])])
    assert for_customer(text) == "Ответил."


def test_a_block_without_its_end_line_is_dropped() -> None:
    """The staff member deleted the end line while trimming the quote: nothing shows
    where the customer's text stops, so none of the quote goes."""
    lines = [line for line in quote(notice()) if line != "> " + END]
    text = "\n".join(["Ответ.", *lines[:-3], "Ещё ответ.", *lines[-3:]])
    assert for_customer(text) == "Ответ.\nЕщё ответ."


@pytest.mark.parametrize(("prefix", "nested"), [("СП> ", "СП>> "), (" СП> ", " СП> > ")])
def test_the_bat_initials_quote_of_the_notice_never_reaches_the_customer(
    prefix: str, nested: str
) -> None:
    """The Bat! quotes with the author's initials ("СП> ", " СП> "; a quoted line gets
    one ">" more): those are quoted lines like "> " ones. They were taken for the staff
    member's own text, and the whole notice (license, level, commands) went out. The
    customer's words that stay are quoted with ">" alone: under support's initials they
    read as support's words."""
    lines = [nested + s[2:] if s.startswith("> ") else s for s in quote(notice(), prefix)]
    text = "\n".join(["Здравствуйте, Служба.", "", *lines, "", "Очистите кэш.", "", "-- ", " Анна"])
    customer = ["> Не работает оплата на сайте.", ">> Ваш платёж отклонён", "> Что делать?"]
    assert for_customer(text) == "\n".join(
        ["Здравствуйте, Служба.", "", *customer, "", "Очистите кэш.", "", "-- ", " Анна"]
    )


def test_the_customer_words_quoted_with_support_initials_reach_them_with_a_plain_mark() -> None:
    """Answered below the quote (The Bat!'s «Вы писали ...:» and «СП> » lines): the
    customer's own words go back quoted «> », never under support's initials; a blank
    quoted line stays a bare «>», a prompt the thread does not hold stays as typed."""
    lines = quote(notice(["Не работает оплата.", "", "Что делать?"]), "СП> ")
    text = "\n".join(["Вы писали 3 декабря 2026 г., 10:00:", "", *lines, "", "Проверьте шлюз."])
    assert for_customer(text) == "> Не работает оплата.\n>\n> Что делать?\n\nПроверьте шлюз."
    prompt = "Выполните:\nSQL> select 1;"
    assert for_customer(prompt, [""]) == prompt


@pytest.mark.parametrize(
    "line", ["a>b", "x>5 лучше, чем x<5", "IP-адрес > 10.0.0.1", "->  шаг", "Итого>= 5", "abcd> e"]
)
def test_a_letter_before_a_greater_than_sign_is_no_quote(line: str) -> None:
    """Only one to three letters right before ">" and then a space, ">" or the line's
    end are initials: staff's own text with a ">" in it still goes."""
    assert for_customer(f"Ответ:\n{line}") == f"Ответ:\n{line}"


def test_deeper_quote_and_customer_quotes_inside_it() -> None:
    """The notice quoted twice (a forward of it answered): the customer's lines stay at
    their depth, the outer mail's and the notice's own go."""
    inner = quote(quote(notice()), ">")
    text = "\n".join(["Ответ.", "> Анна пишет:", *inner, "> ок", "Подпись"])
    assert for_customer(text) == "\n".join(["Ответ.", *quote(CUSTOMER_TEXT, ">> "), "Подпись"])


def test_an_attribution_goes_with_its_quote_past_blank_lines() -> None:
    """An attribution ("Служба поддержки пишет:") over what is left of a quote, the
    customer's own words, would say support wrote them: it goes when any of its quote
    went, blank lines between them or not."""
    quoted = quote(notice())
    cut = quoted.index("> " + END) + 1
    for blanks in (0, 1, 2):
        text = "\n".join([ATTRIBUTION, *[""] * blanks, *quoted[:cut], "", "Ответ.", *quoted[cut:]])
        assert for_customer(text) == "\n".join([*quote(CUSTOMER_TEXT), "", "Ответ."]), blanks


def test_an_attribution_in_the_customer_text_stays_with_its_quote() -> None:
    """The customer's text quotes a mail of its own under its «... пишет:» line: that
    line is the customer's too and goes back with the quote under it, though the
    notice's end line right under that quote is dropped: only an unquoted attribution,
    the staff member's client's, goes with a quote that lost lines."""
    block = ["Добрый день.", "3 дек. 2026 г., в 10:00, Иван <i@x.ru> пишет:", "> старое письмо"]
    quoted = quote(notice(block))
    cut = quoted.index("> " + END) + 1
    text = "\n".join([*quoted[:cut], "", "Ответ на это.", *quoted[cut:]])
    assert for_customer(text) == "\n".join([*quote(block), "", "Ответ на это."])


def test_one_blank_line_stands_where_a_quote_was_dropped() -> None:
    reminder = quote(["По обращению 1234-5678 нет реакции сотрудника", "", "Клиент: ivan@x.ru"])
    text = "\n".join(["Ответ.", "", *reminder, "", "", "Ещё ответ.", "", "", "Подпись"])
    # typed blank lines stay as typed; those around the dropped quote make one
    assert for_customer(text) == "Ответ.\n\nЕщё ответ.\n\n\nПодпись"
    assert for_customer("\n".join([*reminder, "", "Ответ."])) == "Ответ."
    # the quote right under a line: the blank lines typed under the quote make one too
    assert for_customer("\n".join(["Ответ.", *reminder, "", "", "Ещё."])) == "Ответ.\n\nЕщё."


def test_a_customer_text_block_ends_at_its_own_depth() -> None:
    """An end line quoted deeper than its start line (a quote inside the customer's
    text) does not close the block; a second start line at the block's depth means the
    first never ended: only what follows it is the customer's."""

    def answered(block: list[str]) -> str:  # typed above and below the quote
        return for_customer("\n".join(["Ответ.", *quote(block), "Анна"]))

    assert answered([START, "Текст клиента.", "> " + END, "Уровень: VIP"]) == "Ответ.\nАнна"
    restarted = [START, "Уровень: VIP", START, "Текст клиента.", END]
    assert answered(restarted) == "Ответ.\n> Текст клиента.\nАнна"
    nested = [START, "Текст клиента.", "> " + START, "> Его цитата.", END]
    assert answered(nested) == "\n".join(
        ["Ответ.", "> Текст клиента.", "> > " + START, "> > Его цитата.", "Анна"]
    )


def test_letters_before_a_quote_sign_are_initials_only_over_lines_of_the_thread() -> None:
    """The Bat!'s «СП> » opens lines of the mail it quotes, a program's «SQL> » opens
    lines the staff member typed: told apart by the thread's texts."""
    thread = ["Новое обращение 1234-5678", "Уровень: VIP поддержка (vip)"]
    text = "\n".join(
        ["Выполните:", "SQL> select count(*) from orders;", "", "СП> Новое обращение 1234-5678",
         "СП> Уровень: VIP поддержка (vip)", "СП> Реакция не позднее: 26.11.2026"]
    )  # fmt: skip
    assert for_customer(text, thread) == "Выполните:\nSQL> select count(*) from orders;"
    # initials over no line of the thread: a prompt as well, typed text
    assert for_customer("Выполните:\nСП> dir", thread) == "Выполните:\nСП> dir"


STAFF_LINE = (
    st.text(alphabet="абвгдежзиклмнопрстуфхцчшщыэюя АБВГДЕ0123456789,.!?", min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)
CUSTOMER_LINE = st.text(alphabet="абвгдежзиклмнопрстуфхцчшщыэюя 0123456789,.!?>-", max_size=40).map(
    str.rstrip
)


# The Bat!'s quote prefix: the author's initials (any letters, one to three) before the
# ">", with or without a space in front; a line quoted before gets one ">" more. It
# always writes a space (or a ">") after the initials: "ИП>текст" is no quote (see below).
INITIALS_PREFIX = st.builds(
    "{}{}>{}".format,
    st.sampled_from(["", " ", "  "]),
    st.text(alphabet="АБВГДЕЖИКЛМНОПРСТЯабвгдея" + "ABCDIPSXabcdips", min_size=1, max_size=3),
    st.sampled_from([" ", "> ", ">> "]),
)


@st.composite
def inline_replies(draw: st.DrawFn) -> tuple[str, list[str], list[str], bool]:
    """A staff reply around and inside a quoted notice: (text, staff lines in order,
    the quoted customer lines that may stay, whether they all must stay)."""
    customer = draw(st.lists(CUSTOMER_LINE, min_size=1, max_size=5))
    prefix = draw(st.one_of(st.sampled_from(["> ", ">", "> > ", ">> "]), INITIALS_PREFIX))
    quoted = quote(notice(customer), prefix)
    # staff trim the quote: any lines may go, the marker lines too
    gone = draw(st.sets(st.integers(0, len(quoted) - 1), max_size=4))
    kept = [line for i, line in enumerate(quoted) if i not in gone]
    # the answer: pieces typed at any places of what is left
    pieces = draw(
        st.lists(
            st.tuples(st.integers(0, len(kept)), st.lists(STAFF_LINE, min_size=1, max_size=3)),
            min_size=1,
            max_size=4,
        )
    )
    text_lines: list[str] = []
    for at in range(len(kept) + 1):
        text_lines += [s for where, piece in pieces if where == at for s in piece]
        text_lines += kept[at : at + 1]
    if draw(st.booleans()):
        text_lines.insert(next(i for i, s in enumerate(text_lines) if s in kept), ATTRIBUTION)
    staff = [s for _, piece in sorted(pieces, key=lambda p: p[0]) for s in piece]
    staff_after_block = any(at >= len(kept) - len(FOOT) for at, _ in pieces)
    intact = not gone and staff_after_block
    intact = intact and not any(
        TEXT_START_RE.fullmatch(c) or TEXT_END_RE.fullmatch(c.strip()) for c in customer
    )
    return "\n".join(text_lines), staff, quote(customer, prefix), intact


def _plain_quote(line: str) -> str:
    """``line`` quoted with ">" alone, as for_customer sends a customer's quoted line."""
    m = QUOTE_PREFIX_RE.match(line)
    if m is None or not any(c.isalpha() for c in m.group(1)):
        return line
    rest = line[m.end() :]
    return ">" * m.group(1).count(">") + (" " + rest if rest.strip() else rest)


@settings(max_examples=300, deadline=None)
@given(inline_replies())
# «Вс,» and «x» over the attribution were read as one attribution wrapped over three lines
@example(("\n".join(["Вс,", "x", ATTRIBUTION, *quote(notice())]), ["Вс,", "x"], [], False))
def test_no_line_of_the_notice_itself_ever_reaches_the_customer(
    reply: tuple[str, list[str], list[str], bool],
) -> None:
    text, staff, customer, intact = reply
    # compared stripped: the result is stripped, so is a " СП> " first line; a
    # customer's line quoted with initials goes quoted with ">" alone
    out = [line.strip() for line in for_customer(text).splitlines()]
    customer = [_plain_quote(c).strip() for c in customer]
    allowed = {*staff, *customer, ATTRIBUTION, ""}
    assert set(out) <= allowed, set(out) - allowed
    # the staff member's own lines all go, in their order
    it = iter(out)
    assert all(s in it for s in staff)
    if intact:  # the customer's quoted text answered around stays whole
        it = iter(out)
        assert all(c in it for c in customer)


def test_typed_lines_are_what_no_mail_of_the_thread_holds() -> None:
    """What a staff member typed among a quoted mail: not the quote (as "> " lines,
    re-flowed, or re-wrapped by the client), not the client's quote header."""
    notice = "Новое обращение 1234-5678\nУровень: Бесплатная поддержка (free)\n" + "\n".join(
        f"  {usage:<22} {help}" for usage, help in cheat_sheet()
    )
    outlook = (
        "От: Служба поддержки <support@example.com>\nОтправлено: 25 ноября 2026 г. 10:15\n"
        "Кому: anna@example.com\nТема: Новое обращение [TID#1234-5678]\n\n"
        + "\n\n".join(" ".join(s.split()) for s in notice.splitlines())
        + "\n\nИван, очистите кэш.\nДа.\n"
    )
    assert typed_lines(outlook, [notice]) == ["Иван, очистите кэш.", "Да."]
    quoted = "On 25.11.2026 10:15, Support <support@example.com> wrote:\n> " + notice.replace(
        " (free)", "\n> (free)"
    ).replace("\n", "\n> ")
    assert typed_lines(quoted, [notice]) == []
    # a bare "... wrote:" is an attribution by the quote under it, at any depth
    bare = "Anna wrote:\n> Уровень: Бесплатная поддержка (free)\n"
    assert typed_lines(bare, [notice]) == typed_lines("> " + bare, [notice]) == []
    assert typed_lines(quoted + "\n> Ответ внутри цитаты.", [notice], limit=1) == [
        "Ответ внутри цитаты."
    ]
    assert typed_lines("\n".join(f"строка {i}" for i in range(50)), [], limit=3) == [
        "строка 0",
        "строка 1",
        "строка 2",
    ]


def test_a_notice_quoted_in_koi8_r_holds_nothing_typed() -> None:
    """KOI8-R has no «», —: a client writing it quotes the notice with "?" there (or
    its best fit, '"', "-"), and those lines are still the notice's, not typed."""
    text = "\n".join(notice())
    assert "«" in text and "—" in text
    for lossy in (text.encode("koi8-r", "replace").decode("koi8-r"), text.replace("«", '"')):
        reply = "Иван, очистите кэш.\n\n" + "\n".join(quote(lossy.splitlines(), "СП> "))
        assert typed_lines(reply, [text]) == ["Иван, очистите кэш."]
    # a line of no words is compared as written
    assert typed_lines("Что делать?!\n:-)\n--", [text, "Что делать?\n:)\n--"]) == [":-)"]


def test_a_koi8_r_quote_a_client_rewrapped_holds_nothing_typed_strictly() -> None:
    """A client writing KOI8-R quotes «» and — as "?" and re-wraps the line: its short
    tail («кнопка сброса кэша.») is no run of the mail as written, but goes on from the
    line above it by the mail's words, so the strict rule (the site, the notice of
    lines typed in a staff reply's quote) takes it for quoted too."""
    sent = "Проверьте раздел «Настройки» — там внизу страницы есть кнопка сброса кэша."
    lossy = sent.encode("koi8-r", "replace").decode("koi8-r")
    head, tail = lossy.split(" кнопка")
    reply = f"Иван, очистил.\n\n> {head}\n> кнопка{tail}"
    assert typed_lines(reply, [sent], strict=True) == ["Иван, очистил."]


def test_a_line_quoted_with_underscores_for_underlining_holds_nothing_typed() -> None:
    """A client turning a mail's HTML into text writes an underlined word as «_Важно:_»
    (Thunderbird's plain text): the line is still the mail's by its words, "_" no
    letter of them; taken for typed, it showed the customer's mail whole on the site."""
    sent = "Важно: проверьте настройки оплаты.\nС уважением, поддержка"
    reply = "Иван, очистил кэш.\n\n> _Важно:_ проверьте настройки оплаты.\n> С уважением, поддержка"
    assert typed_lines(reply, [sent]) == ["Иван, очистил кэш."]
    answered_below = "Служба поддержки пишет:\n" + reply.split("\n\n")[1] + "\n\nИван, очистил кэш."
    assert for_site(answered_below, [sent]) == "Иван, очистил кэш."


@pytest.mark.parametrize(
    "attribution",
    [
        "четверг, 26 ноября 2026 г., 10:00:24 GMT+3, Служба поддержки <support@example.com>"
        " написал(-а):",
        # its plain part wraps the attribution before the address
        "четверг, 26 ноября 2026 г., 10:00:24 GMT+3, Служба поддержки\n"
        "<support@example.com> написал(-а):",
    ],
)
def test_yahoo_attribution_over_an_unquoted_notice(attribution: str) -> None:
    """Yahoo Mail (Russian UI) ends its attribution with «написал(-а):» and sets the
    original under it unquoted (a div, no blockquote, no "> "). Not taken for an
    attribution, the whole notice was the staff member's text."""
    answer = "Иван, здравствуйте.\nОчистите кэш браузера."
    text = "\n".join([answer, "", "", attribution, "", "", *notice()])
    assert trim_reply(text) == answer
    assert for_customer(text) == answer


def test_header_block_that_opens_with_its_date() -> None:
    """Outlook.com (Hotmail) sets "Date:", "Subject:", then "From:" and "To:" above the
    unquoted original; with "From:" third, its siblings above it were not counted and
    the whole notice was taken for the staff member's text."""
    answer = "Иван, здравствуйте.\nОчистите кэш браузера.\nАнна"
    head = [
        "Date: Thu, 26 Nov 2026 10:00:00 +0300",
        "Subject: Новое обращение",
        "From: support@example.com",
        "To: anna@example.com",
    ]
    text = "\n".join([answer, "", *head, "", *notice()])
    assert trim_reply(text) == answer
    assert for_customer(text) == answer


def test_a_notice_set_unquoted_under_an_unknown_header_is_found() -> None:
    """commands.holds_notice: what would go to the customer holds the notice's own
    lines (its cheat sheet, its markers); quoted, or cut under a known header, not."""
    unknown = ["Von: Служба поддержки <support@example.com>", "Gesendet: Donnerstag"]
    assert holds_notice("\n".join(["Исправлено.", "", *unknown, "", *notice()]))
    assert not holds_notice("\n".join(["Исправлено.", "", ATTRIBUTION, *quote(notice())]))
    assert not holds_notice("\n".join(["Исправлено.", "", "-----Original Message-----", *notice()]))
    assert not holds_notice("Исправлено: #take теперь работает.")


def test_an_answer_over_the_notice_unquoted_is_stopped_and_its_writer_told_why() -> None:
    """A staff reply whose client set the notice under it unquoted (holds_notice): none
    of it reaches the customer, and she is told that its text cannot be told from the
    notice (UNSEPARATED), not of a dozen bad commands she never typed (the cheat
    sheet's lines read as commands)."""
    ticket, messages = _ticket()
    snap = Snapshot("1111-2222", (ticket, messages), identify(STAFF[0], [], [], NOW.date()), True)
    body = "\n".join(["Исправлено.", "", *notice()])
    d = _decide(snap, _msg(sender=f"Анна <{STAFF[0]}>", subject="Re: [TID#1111-2222]", body=body))
    assert [(o.template, o.to) for o in d.outgoing] == [("staff_error.txt", [STAFF[0]])]
    assert d.incoming["command_errors"] == [UNSEPARATED]


def test_a_text_of_header_like_lines_costs_linear_time() -> None:
    """Any customer's follow-up to a closed ticket goes through trim_reply (a rating?),
    any staff reply through for_customer: a run of header-like lines is looked at a
    handful of lines ahead, not to its end (6,000 "Date:" lines took 26 s so)."""
    text = "Date: 25.11.2026\n" * 6000
    started = time.process_time()
    trim_reply(text)
    for_customer(text)
    assert time.process_time() - started < 5


def test_a_text_of_attributions_each_over_a_quote_costs_linear_time() -> None:
    """Each attribution looked at the rest of the text for the quote under it (a copy
    of it, line by line): 4,000 "Иван пишет:" lines each over a "> x" line took 3 s in
    trim_reply (any customer's follow-up to a closed ticket) and 5 s in for_customer
    (any staff reply), four times as many sixteen times that."""
    text = "Иван пишет:\n> x\n" * 6000
    started = time.process_time()
    trim_reply(text)
    for_customer(text)
    assert time.process_time() - started < 2


FWD = "-------- Пересланное сообщение --------"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # Outlook's original attached (message/rfc822), as the text shows it
        (f"Иван, обновите.\n#close\n\n{FWD}\nОт: Служба поддержки <support@s.ru>\n"
         "Дата: Thu, 3 Dec 2026\nТема: Новое обращение\n\nНовое обращение 1234-5678\n",
         "Иван, обновите.\n#close"),
        # Thunderbird forwarding inline: the subject first, a tab after each label
        (f"Ответ выше.\n\n{FWD}\nТема: \tНовое\nДата: \t03.12.2026\n"
         "От: \tСлужба <support+1234-5678.abc@s.ru>\n\nУровень: VIP\n", "Ответ выше."),
        # a customer's or a developer's mail forwarded to the customer: content
        (f"Иван, вот ответ разработчика.\n\n{FWD}\nОт: Пётр <dev@s.ru>\n\nИсправлено.\n", None),
        # ... sent to support: the mail is still not support's own
        (f"Иван, вот ответ.\n\n{FWD}\nОт: Пётр <dev@s.ru>\nКому: Служба <support@s.ru>\n\nДа.\n",
         None),
        ("Иван, от: support@s.ru пришло письмо.\n", None),
        # the From line within the forward's head (the mark and four lines), or past it
        (f"Ответ.\n{FWD}\nТема: 1\nДата: 2\nКому: 3\nОт: Служба <support@s.ru>\n", "Ответ."),
        (f"Ответ.\n{FWD}\nТема: 1\nДата: 2\nКому: 3\nКопия: 4\nОт: Служба <support@s.ru>\n",
         "Ответ."),
        (f"Ответ.\n{FWD}\nТема: 1\nДата: 2\nКому: 3\nКопия: 4\nВажность: 5\n"
         "От: Служба <support@s.ru>\n", None),
    ],
)  # fmt: skip
def test_a_forward_of_supports_own_mail_is_the_mail_answered(text: str, kept: str | None):
    assert without_our_forward(text, "support@s.ru") == (text if kept is None else kept)


def test_a_quoted_line_whose_access_data_the_ticket_blanked_out_is_no_line_typed():
    """Two days after the close the ticket keeps «Пароль: [данные доступа удалены]»;
    a staff member answering the old notice quotes «Пароль: S3cr3t!» from it."""
    kept = [
        "Не работает админка.\nЛогин: [данные доступа удалены]\nПароль: [данные доступа удалены]"
    ]
    reply = "Иван, обновите.\n\n> Не работает админка.\n> Логин: admin\n> Пароль: S3cr3t!\n"
    assert typed_lines(reply, kept) == ["Иван, обновите."]
    # a ticket never blanked out: such a line is typed, as any other
    assert typed_lines("> Пароль: S3cr3t!\n", ["Не работает админка."]) == ["Пароль: S3cr3t!"]


def test_a_quoted_line_the_ticket_blanked_out_is_no_line_typed_strictly_either():
    """The strict reading (what the site shows of a reply) knows the blanked-out line
    too: the quoted «Логин: admin», «Пароль: S3cr3t!» are not taken for typed lines."""
    kept = [
        "Не работает админка.\nЛогин: [данные доступа удалены]\nПароль: [данные доступа удалены]"
    ]
    reply = "Иван, обновите.\n\n> Не работает админка.\n> Логин: admin\n> Пароль: S3cr3t!\n"
    assert typed_lines(reply, kept, strict=True) == ["Иван, обновите."]


# Outlook's quote header lines, in Russian and English UI: those it adds when the mail
# quoted had them set (importance, files, categories), and the copies.
OUTLOOK_EXTRA = [
    ("Важность: Высокая", "ru"),
    ("Вложения: Снимок экрана.png", "ru"),
    ("Категории: Красная категория", "ru"),
    ("Скрытая копия: boris@example.com", "ru"),
    ("Importance: High", "en"),
    ("Attachments: screenshot.png", "en"),
    ("Categories: Red Category", "en"),
    ("Bcc: boris@example.com", "en"),
]


def _outlook_header(lang: str, extra: str) -> list[str]:
    if lang == "ru":
        head = ["От: Служба поддержки <support@example.com>"]
        head += ["Отправлено: пятница, 4 декабря 2026 г. 12:01", "Кому: anna@example.com"]
        head += ["Копия: boris@example.com", "Тема: Новое обращение [TID#1234-5678]"]
    else:
        head = ["From: Support <support@example.com>", "Sent: Friday, December 4, 2026 12:01"]
        head += ["To: anna@example.com", "Cc: boris@example.com"]
        head += ["Subject: Новое обращение [TID#1234-5678]"]
    # Outlook writes them under the subject (files and copies above it: either place)
    return [*head[:-1], extra, head[-1]] if "копия" in extra.lower() else [*head, extra]


@pytest.mark.parametrize(
    "nested",
    [
        "On Mon, 25 Nov 2026 at 10:00, Ivan Petrov\n<ivan@shop.ru> wrote:",
        "On Mon, Nov 25, 2026 at 10:00 AM Иван Петров <\nivan@shop.ru> wrote:",
        "пн, 25 нояб. 2026 г. в 10:00, Иван Петров <\nivan@shop.ru>:",
    ],
)
def test_an_attribution_wrapped_inside_the_quote_is_no_line_typed(nested: str) -> None:
    """Support's answer quoted the customer's first mail under Gmail's attribution,
    wrapped over two lines; the customer's reply quotes it all one level deeper. The
    wrapped attribution is a quote header at that depth too (its lines read without
    their «> »), not a line typed: the site shows the reply's new text alone."""
    first, answer = "Не работает оплата картой.\nИван", "Иван, очистите кэш.\nАнна"
    inner = "\n".join(f"> {line}" for line in nested.splitlines())
    reply = (
        "Не помогло.\n\nOn Tue, 26 Nov 2026 at 11:00, Support <support@example.com> wrote:\n"
        f"> Иван, очистите кэш.\n> Анна\n>\n{inner}\n>> Не работает оплата картой.\n>> Иван\n"
    )
    assert typed_lines(reply, [first, answer], strict=True) == ["Не помогло."]
    assert for_site(reply, [first, answer]) == "Не помогло."


@pytest.mark.parametrize(("extra", "lang"), OUTLOOK_EXTRA)
def test_every_line_of_outlooks_quote_header_is_a_header_line(extra: str, lang: str) -> None:
    """«Важность: Высокая» under Outlook's «От:/Отправлено:/Кому:/Тема:» (the notice
    answered had its importance set) was taken as a line the staff member typed inside
    the quote: the answer above it was not sent, the customer got a bare «Обращение
    закрыто». Every line of the header, in either language, is the header's."""
    notice = "Новое обращение 1234-5678\nУровень: Бесплатная поддержка (free)\n"
    answer = "Иван, очистите кэш.\n\n#close\n\nАнна\n"
    reply = answer + "\n" + "\n".join(_outlook_header(lang, extra)) + "\n\n" + notice
    assert typed_lines(reply, [notice]) == ["Иван, очистите кэш.", "#close", "Анна"]
    assert trim_reply(reply) == answer.strip()
    assert for_customer(reply, [notice]) == answer.strip()
    # the header of a customer's follow-up quoting support's answer is cut the same way
    assert for_site(reply, [notice]) == answer.strip()


def test_left_in_quote_names_a_short_line_typed_inside_outlooks_quote():
    """Below Outlook's «От:/Отправлено:» block the quote is history: a line typed
    there that is no line of the thread («Да» under a question, only a run of its
    words) is named; the answer above it, the header and the quoted lines are not."""
    from maild.domain.inquote import left_in_quote

    notice = "Вопрос клиента:\nМожно ли оплатить картой? Если да, то какой?\nУровень: free"
    reply = (
        "Добрый день. Ответы ниже.\n\nОт: Служба поддержки <support@example.com>\n"
        "Отправлено: пятница, 4 декабря 2026 г. 12:31\nКому: anna@example.com\n"
        "Тема: [TID#1234-5678]\n\nВопрос клиента:\nМожно ли оплатить картой? Если да, "
        "то какой?\nДа\nУровень: free\n"
    )
    assert left_in_quote(reply, [notice, "Добрый день. Ответы ниже."]) == ["Да"]
    assert left_in_quote(reply.replace("\nДа\n", "\n"), [notice]) == []


@pytest.mark.parametrize(
    "marked",
    [
        ["--- текст обращения ---", "Не работает оплата.", "--- конец текста ---"],
        ["----- письмо руководителя -----", "Ответьте сегодня.", "----- конец письма -----"],
        ["--- текст обращения ---", "Не работает оплата."],  # its text cut short
        ["Не работает оплата.", "--- конец текста ---"],  # or its text's head deleted
    ],
)
def test_a_notice_cut_above_its_cheat_sheet_is_found_by_its_text_markers(marked) -> None:
    """commands.holds_notice: a notice set unquoted under an unknown header whose foot
    (the cheat sheet) the staff member deleted still shows its own text markers, the
    customer's or another's: the reply's text cannot be told from it, and nothing of it
    may reach the customer (the head's note least of all)."""
    unknown = ["Von: Служба поддержки <support@example.com>", "Gesendet: Donnerstag", ""]
    assert holds_notice("\n".join(["Исправлено.", "", *unknown, *marked]))


def test_a_shallower_line_inside_a_deeper_customer_block_is_support_s() -> None:
    """A colleague's reply quoted the notice (its customer text one level deeper) and
    typed a line inside that text: the line, at the colleague's depth, is support's
    own; only lines at the block's depth or deeper are the customer's."""
    text = "\n".join(
        ["Ответ.", ">> " + START, ">> Текст клиента.", "> Коллеге: не обещай сроков.",
         ">> Ещё клиента.", ">> " + END, "Анна"]
    )  # fmt: skip
    assert for_customer(text) == "Ответ.\n>> Текст клиента.\n>> Ещё клиента.\nАнна"
