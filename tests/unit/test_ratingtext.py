"""The rules for a customer's answer to a closed ticket (domain.ratingtext): which first
lines are a rating, as people write one, and which mails only thank."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.ratingtext import SITE_RATING, only_thanks, rating_beside, rating_of

IVAN = frozenset({"иван", "петров"})  # the words of the sender's display name


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("5/5", 5),
        ("3/5", 3),
        ("5 из 5", 5),
        ("4 балла", 4),
        ("5!", 5),
        ("5+", 5),
        ("5 :)", 5),
        ("5 - спасибо!", 5),
        ("5 — всё отлично", 5),
        ("5, всё отлично", 5),
        ("5. Спасибо", 5),
        ("5 спасибо большое", 5),
        ("Оценка: 4", 4),
        ("\n  Оценка: 4\nспасибо", 4),
        ("Оценка 5, спасибо", 5),
        ("Оцениваю на 5", 5),
        ("Ставлю 5", 5),
        ("Моя оценка — пять", 5),
        ("Rating: 3", 3),
        ("Спасибо! 5", 5),
        ("Спасибо, Анна! 5", 5),
        ("Отлично, 5", 5),
        ("Всё работает, спасибо, ставлю 5 из 5 :)", 5),
        ("Спасибо, пять", 5),
        ("пять", 5),
        ("Пять!", 5),
        ("четыре", 4),
        ("Здравствуйте!\n5\nИван", 5),  # a greeting's line above it
        ("5 из 5 :)", 5),
        ("5\nСпасибо!", 5),
        ("5\nСпасибо, всё работает\n\nС уважением,\nИван Петров", 5),
        ("Отлично, проблему решили, 5", 5),
        ("Всё работает, 5", 5),  # «работает» praises as «отлично» does
        ("Пятёрка!", 5),  # the grades' words, each its own grade
        ("четвёрка", 4),
        ("Тройка", 3),
        ("двойка", 2),
        ("Единица", 1),
    ],
)
def test_a_rating_as_people_write_it(text: str, rating: int) -> None:
    assert rating_of(text, IVAN) == rating


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Спасибо, всё работает",
        "5 марта не работает",  # a date
        "5 заказов пропали",  # a count
        "Пять заказов пропали",
        "Три дня не работает",
        "5-го числа снова ошибка",
        "5.1 не ставится",  # a version
        "4.5",
        "5, 6 и 7 заказы не оплачены",
        "5 ошибок, почему?",  # a question
        "5?",
        "1. Не работает корзина",  # a list's item
        "1. Корзина\n2. Оплата",
        "1 - ничего не работает",  # trouble: staff should read it
        "5, но ошибка осталась",
        "Версия 5",
        "Спасибо, но осталось 2",
        "Не работает 5 заказов",
        "6",
        "0",
        "10",
        "15",
        "55",
        "5/10",
        "5 из 10",
        "-5",
        "Спасибо -5",
        "Спасибо! 15",
        "Оценка: 6",
        "один вопрос остался",
        "Текст\n5",  # not the first line
        "№ 5",  # an item's number: no thanks or praise before it makes it a grade
        "#5",
    ],
)
def test_no_rating_where_the_digit_is_something_else(text: str) -> None:
    assert rating_of(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "5 - спасибо, но пришлите, пожалуйста, счёт за декабрь",
        "1 - ужасно, верните деньги",
        "Пять, но счёт так и не пришёл",
        "2 - так и не заработало",
        "1 - опять всё упало",
        "3 - долго отвечали, сайт лежит",
        "5 баллов, пришлите акт сверки",
        "1 - долго, но решили",  # staff read a complaint, even a mild one
        "5, всё отлично. Но есть новый вопрос: как выгрузить отчёт",
        "5\nНо в следующий раз побыстрее",  # a line below tells something too
        "5\nНо у меня новый вопрос: как выгрузить отчёт в Excel",
        "Спасибо! 5\nИ пришлите счёт",
        "Оценка 5, спасибо, но",
        "5\nПомогите",  # a request alone on the last line is no signature
        "5 - спасибо\nПришлите",
    ],
)
def test_a_grade_with_a_request_or_a_complaint_is_no_rating(text: str) -> None:
    """The mail goes to staff: a rating taken for news only reopens the ticket, news
    taken for a rating would reach no one."""
    assert rating_of(text) is None


GRADES = st.sampled_from(["5", "1", "пять", "Оценка 5", "Оценка: 3", "5 из 5", "4 балла"])
SEPARATORS = st.sampled_from([" ", " - ", " — ", ", ", ". ", "! ", ": ", "\n", " :)\n"])
KIND_WORDS = st.lists(st.sampled_from(["спасибо", "всё", "отлично", "большое", "за", "помощь"]))
REQUESTS = st.sampled_from(
    ["пришлите счёт", "верните деньги", "но", "позвоните", "сделайте отчёт", "опять упало"]
    + ["так и не заработало", "жду акт", "нужна доработка", "долго", "срочно", "однако"]
)


@settings(max_examples=300, deadline=None)
@given(GRADES, SEPARATORS, KIND_WORDS, REQUESTS, st.sampled_from(["", "!", ".", " :)"]))
def test_a_grade_followed_by_a_request_never_rates(
    grade: str, sep: str, kind: list[str], request: str, end: str
) -> None:
    text = f"{grade}{sep}{' '.join(kind)} {request}{end}"
    assert rating_of(text) is None, text
    assert rating_of(f"Спасибо! {grade}\n{request}") is None


@settings(max_examples=300, deadline=None)
@given(GRADES, SEPARATORS, st.sampled_from(["спасибо", "всё отлично", "спасибо большое"]))
def test_a_grade_with_thanks_or_praise_rates(grade: str, sep: str, thanks: str) -> None:
    assert rating_of(f"{grade}{sep}{thanks}!") is not None
    assert rating_of(f"{thanks.capitalize()}! {grade}") is not None


NUMBERS = st.integers().filter(lambda n: not 1 <= n <= 5)
FORMS = st.sampled_from(
    ["{}", "{}!", "{}/5", "{} из 5", "{} - спасибо!", "Спасибо! {}", "Оценка: {}", "Отлично, {}"]
)


@settings(max_examples=300, deadline=None)
@given(NUMBERS, FORMS)
def test_numbers_outside_one_to_five_never_rate(n: int, form: str) -> None:
    assert rating_of(form.format(n)) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_none_or_one_to_five_and_never_raises(text: str) -> None:
    assert rating_of(text) in (None, 1, 2, 3, 4, 5)
    assert only_thanks(text) in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_a_question_is_never_thanks(text: str) -> None:
    assert not only_thanks(f"Спасибо! {text}?")


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо, всё работает!",
        "Спасибо большое!",
        "Благодарю за помощь.",
        "Огромное спасибо за оперативность!",
        "Спасибо, Анна, всё заработало.",
        "Спасибо, вопрос решён\n\nС уважением,\nИван Петров\nООО «Ромашка»\n+7 495 000-00-00",
        "Спасибо!\n-- \nИван\n+7 999 000-00-00",
        "Спасибо!\nОтправлено с iPhone",
        "Спасибо, теперь всё работает\nИван",
        "Thanks, it works now!",
        "Спасибо, проблему решили!",  # the problem told over, as RESOLVED words it
        "Спасибо, ошибку исправили.",
        "Благодарю, проблему устранили",
    ],
)
def test_only_thanks(text: str) -> None:
    assert only_thanks(text, IVAN)


@pytest.mark.parametrize(
    "text",
    [
        "Всё работает",  # no thank-you: news for staff as before
        "Спасибо, но не работает",
        "Спасибо, а как настроить рассылку",
        "Спасибо?",
        "Спасибо, проблема осталась",
        "Спасибо, ещё вопрос",
        "Спасибо, вопрос",
        "Спасибо. Настройте ещё рассылку",
        "Спасибо, 3 заказа пропали",
        "Спасибо, ошибка 2 исправлена",  # a figure is news: and the first one?
        "Спасибо, вопрос 1 решён",
        "Спасибо!\nПомогите",  # a request is no name to sign with
        "Спасибо, Пришлите",
        "Спасибо, Отправьте",
        "Спасибо!\nТеперь нужно перенести сайт на другой хостинг.",
        "Спасибо! " + "Всё работает. " * 20,  # long: staff should read it
    ],
)
def test_not_only_thanks(text: str) -> None:
    assert not only_thanks(text)


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо, всё работает!\n\nС уважением, Иван\n\nP.S. Выставьте, пожалуйста, счёт",
        "Спасибо, всё работает!\n--\nИван\nPS: сайт снова лежит с утра, срочно посмотрите",
        "Спасибо\nВсего доброго\nП.С. пришлите счёт",
        "Спасибо!\n--\nИван\nА когда будет акт?",
    ],
)
def test_a_postscript_or_a_question_under_the_signature_is_no_thanks(text: str) -> None:
    """What is written under the closing is the mail's too when it is a postscript or
    a question: the ticket reopens and staff read it."""
    assert not only_thanks(text)
    assert rating_of("5\n" + text.partition("\n")[2]) is None


def test_a_signature_of_a_name_a_company_and_a_phone_is_no_text() -> None:
    signed = "\n\nС уважением, Иван\nООО «Ромашка»\n+7 495 123-45-67"
    assert only_thanks("Спасибо, всё работает!" + signed)
    assert rating_of("5" + signed) == 5


def test_a_long_first_line_costs_linear_time() -> None:
    """«, » 20,000 times on the first line took 98 s of CPU under the store lock (the
    pattern of a grade after thanks is quadratic on runs of marks); a mail of more
    than a few short lines is read no further."""
    import time

    for line in (", " * 20000 + "x", "Спасибо" + " " * 40000 + "5", "—" * 40000):
        began = time.process_time()
        assert rating_of(line) is None and not only_thanks(line)
        assert time.process_time() - began < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо, всё работает!\n\nС уважением, Иван Петров\nООО «Ромашка»\n"
        "Выставьте, пожалуйста, счёт на продление.",
        "Спасибо!\n-- \nИван\nПришлите акт сверки за ноябрь",
        "Спасибо!\n-- \nИван\nПерезвоните.",  # one capitalised word, yet a request
        "Спасибо!\n-- \nИван\nВыставьте Счёт.",  # «-ьте» asks as «-ите» does
        "Спасибо!\nС уважением, Иван\nТел. +7 999 123-45-67\nНе забудьте про счёт!",
        "Спасибо за помощь!\nВсего доброго!\nЕщё нужен доступ для нового сотрудника.",
        "Спасибо большое!\nRegards,\nIvan\nPlease send the invoice.",
        "Спасибо.\nОпять",
        "Спасибо!\nСрочно",
        "Благодарю.\nСнова",
        "Спасибо!\nВсё Ещё Висит",
    ],
)
def test_a_request_under_the_signature_or_a_word_on_the_last_line_is_no_thanks(text: str):
    """Under a closing only a name, a company, a phone, an address or a site sign;
    a last line alone signs only when it is the sender's name."""
    assert not only_thanks(text, IVAN)
    assert rating_of("5\n" + text.partition("\n")[2], IVAN) is None


def test_a_complaint_under_the_signature_is_no_rating() -> None:
    assert rating_of("5\nС уважением, Анна\nНо в следующий раз отвечайте побыстрее") is None
    assert rating_of("Отлично, 5\n--\nИван\nНо счёт верните", IVAN) is None


def test_a_last_line_signs_when_it_is_the_senders_name() -> None:
    assert only_thanks("Спасибо!\nИван", IVAN) and rating_of("5\nИван Петров", IVAN) == 5
    assert not only_thanks("Спасибо!\nИван")  # no display name: read as text
    signed = "Спасибо, всё работает!\n--\nИван Петров\nООО «Ромашка»\nтел. +7 495 123-45-67"
    assert only_thanks(signed + "\nivan@shop.ru\nwww.shop.ru")


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("Оценка: 4. Но вот ещё вопрос: как сменить валюту?", 4),
        ("Ставлю 5, но пришлите, пожалуйста, счёт за декабрь", 5),
        ("Оценка - 3 балла; отвечали долго", 3),
        ("Оценка: 4.\nИ ещё вопрос: где выгрузка заказов?", 4),
        ("5\nНо у меня новый вопрос: как выгрузить отчёт в Excel", 5),
        ("5\nНо в следующий раз побыстрее", 5),
        ("Спасибо! 5\nИ пришлите счёт", 5),
        ("Здравствуйте!\nОценка: 2.\nКорзина опять пустая.\n\nИван", 2),
        ("Моя оценка — пять. А вот с оплатой беда", 5),
    ],
)
def test_a_rating_that_opens_a_mail_saying_more(text: str, rating: int) -> None:
    """The customer answered the rating request and wrote on: the rating is theirs
    (customer.py records it), the rest is news that reopens the ticket."""
    assert rating_of(text, IVAN) is None
    assert rating_beside(text, IVAN) == rating


@pytest.mark.parametrize(
    "text",
    [
        "5",  # a rating and nothing more: rating_of's
        "Оценка: 4.",
        "5 - спасибо!",
        "5 марта не работает корзина",  # a date, a count, a version, an item
        "5 заказов пропали, но вот ещё вопрос",
        "1. Не работает корзина\n2. Не работает оплата",
        "1.\nНе работает корзина\n2.\nНе работает оплата",  # a list, an item a line
        "2\n3\n4",  # figures, one a line: a list, a column, no rating
        "1\n2. Не работает оплата",
        "Здравствуйте!\n3.\nКорзина опять пустая.\n4.\nОплата не проходит.\n\nИван",
        "Оценка: 4.5, но вопрос",
        "Оценка: 4,5 и вопрос",
        "Ставлю 5 копий на сервер, не работает",
        "Оценка 5 марта прошла, а сайт лежит",
        "Оценка: 10. Но вот вопрос",
        "Спасибо, но каталог снова пустой.",
        "4 из 5, но вот вопрос",  # no keyword, no line of its own: not told from a count
        "",
    ],
)
def test_no_rating_beside_news_where_the_figure_is_something_else(text: str) -> None:
    assert rating_beside(text, IVAN) is None


KEYWORDS = st.sampled_from(["Оценка: ", "Оценка ", "Оценка - ", "Ставлю ", "Моя оценка — "])
MARKS = st.sampled_from([". ", ", ", "! ", "; ", " - ", " — ", ".\n", "\n"])


@settings(max_examples=300, deadline=None)
@given(KEYWORDS, st.integers(1, 5), MARKS, REQUESTS, st.sampled_from(["", "?", "."]))
def test_a_keyword_grade_a_mark_and_more_rate_and_say_more(
    keyword: str, n: int, mark: str, request: str, end: str
) -> None:
    text = f"{keyword}{n}{mark}{request}{end}"
    if rating_of(text) is None:  # a request, not kind words: never a rating alone
        assert rating_beside(text) == n, text


@settings(max_examples=300, deadline=None)
@given(GRADES, st.sampled_from(["", " - спасибо!", ", всё отлично"]), REQUESTS)
def test_a_rating_line_over_news_rates(grade: str, kind: str, request: str) -> None:
    first = f"{grade}{kind}"
    assert rating_beside(f"{first}\n{request.capitalize()}.") == rating_of(first) is not None


ITEM_MARKS = st.sampled_from(["", ".", ")", " .", " )"])


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5), st.sampled_from(["", " "]), REQUESTS, st.integers(1, 99), ITEM_MARKS)
def test_a_figure_that_opens_a_list_rates_nothing_beside_news(
    n: int, space: str, request: str, m: int, mark: str
) -> None:
    """«1.» alone on its line, the next item following, is a list's first item; a bare
    figure over another is one of a column or a list: news, not a rating beside it."""
    item = f"{n}{space}.\n{request.capitalize()}."
    assert rating_beside(f"{item}\n{n + 1}{space}.\n{request}") is None
    assert rating_beside(f"{item}\n{n + 1}) {request}") is None
    assert rating_beside(f"{n}\n{m}{mark}\n{request}") is None
    if mark:  # an item marked: «2. Оплата», «2) Оплата» (a bare «2 заказа» is a count)
        assert rating_beside(f"{n}\n{m}{mark} {request}") is None


def test_a_figure_of_thousands_of_digits_over_news_is_no_list_and_no_rating() -> None:
    """«99...9.» of 5,000 digits over a line of news was read as a list's figure, more
    than int() reads: the mail failed in the pipeline (kept as raw text, from no one)."""
    assert rating_beside(f"{'9' * 5000}.\nЕщё вопрос.\n{'9' * 5000}.") is None
    assert rating_beside(f"{'9' * 10}.\n{'9' * 9}0.\nЕщё вопрос.") is None


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5), st.sampled_from(["", " "]), REQUESTS)
def test_a_grade_with_a_full_stop_over_news_rates(n: int, space: str, request: str) -> None:
    """«5.» alone on its line over a question is the grade the rating request asked for,
    with a full stop: no item follows it, so it opens no list."""
    assert rating_beside(f"{n}{space}.\n{request.capitalize()}.") == n


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_mail_is_a_rating_alone_a_rating_beside_news_or_neither(text: str) -> None:
    """Never both: a mere rating reply stays a rating only, never reopening."""
    beside = rating_beside(text)
    assert beside in (None, 1, 2, 3, 4, 5)
    assert beside is None or rating_of(text) is None


@settings(max_examples=300, deadline=None)
@given(NUMBERS, st.sampled_from(["Оценка: {}. Но вопрос", "{}\nНо вопрос", "Ставлю {}, но"]))
def test_numbers_outside_one_to_five_never_rate_beside_news(n: int, form: str) -> None:
    assert rating_beside(form.format(n)) is None


def test_a_long_first_line_costs_linear_time_beside_news_too() -> None:
    import time

    for line in ("Оценка" + " " * 40000 + "x", "Оценка: 5." + " " * 40000, ", " * 20000 + "x"):
        began = time.process_time()
        rating_beside(line + "\nещё")
        assert time.process_time() - began < 0.5


def test_a_post_on_the_site_rates_only_by_its_rating_form():
    """A text typed in the site's reply form («5» answering staff's question on a page
    left open while they closed the ticket) is no rating; the rating form's is."""
    assert rating_of(SITE_RATING.format(4), site=True) == 4
    # («Отлично 5», «Ставлю: 5»: as long as the form's «Оценка: » before the grade)
    for typed in ("5", "Спасибо! 5", "Оценка 5", "пять", "Оценка: 6", "Отлично 5", "Ставлю: 5"):
        assert rating_of(typed, site=True) is None, typed
    assert rating_beside("Оценка: 4. Но вот ещё вопрос: где счёт?", site=True) is None


def test_thanks_are_short_a_fifth_line_is_for_staff() -> None:
    """A grade with thanks on up to four lines is a rating; a fifth line makes the
    mail something staff should read, however kind its words."""
    four = "5\nСпасибо!\nВсё работает.\nОтлично."
    assert rating_of(four) == 5
    assert rating_of(four + "\nБлагодарю.") is None
    thanks = four.removeprefix("5\n") + "\nБлагодарю."
    assert only_thanks(thanks) and not only_thanks(thanks + "\nСпасибо.")  # thanks alone too
