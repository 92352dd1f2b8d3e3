"""Unit tests for maild.domain.html: HTML-only mail rendered as readable plain text."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.html import META_SCAN_BYTES, html_to_text, meta_charset


def test_paragraphs_become_blank_line_separated() -> None:
    html = "<p>Здравствуйте!</p><p>Не работает оформление заказа.</p>"
    assert html_to_text(html) == "Здравствуйте!\n\nНе работает оформление заказа."


def test_br_and_div_are_line_breaks() -> None:
    html = "<div>Строка один<br>Строка два<br/><br />Строка четыре</div><div>Дальше</div>"
    assert html_to_text(html) == "Строка один\nСтрока два\n\nСтрока четыре\nДальше"


def test_an_end_br_is_a_line_break() -> None:
    """«</br>», which some editors write, breaks the line as browsers do."""
    assert html_to_text("Строка</br>строка") == "Строка\nстрока"


def test_a_self_closed_br_is_one_line_break() -> None:
    """<br/> (XHTML, as some editors write it) breaks the line once, as <br> does: no
    blank line between the lines the sender typed one under the other."""
    assert html_to_text("Строка<br/>строка<br />и ещё") == "Строка\nстрока\nи ещё"


def test_gmail_empty_div_is_one_blank_line() -> None:
    html = "<div>Добрый день.</div><div><br></div><div><br></div><div>С уважением, Иван</div>"
    assert html_to_text(html) == "Добрый день.\n\nС уважением, Иван"


def test_a_webmails_nbsp_div_is_one_blank_line() -> None:
    """Mail.ru and Yandex write an empty line typed as <div>&nbsp;</div>: a blank line
    between the paragraphs, not lines run together."""
    html = "<div>Добрый день.</div><div>&nbsp;</div><div>Сайт не открывается.</div>"
    assert html_to_text(html) == "Добрый день.\n\nСайт не открывается."


def test_a_quote_ending_in_an_empty_line_leaves_no_bare_quote_mark_at_the_end() -> None:
    """A webmail's quote often ends in <p>&nbsp;</p>: the mail ends at the quote's
    last words, not at a line of a lone «>»."""
    html = "<p>Спасибо.</p><blockquote><p>Заказ отправлен.</p><p>&nbsp;</p></blockquote>"
    assert html_to_text(html) == "Спасибо.\n> Заказ отправлен."


def test_at_most_one_blank_line() -> None:
    html = "<p>a</p>\n\n<p></p><p> </p><br><br><br><h1></h1><p>b</p>"
    assert html_to_text(html) == "a\n\nb"


def test_headings_are_paragraphs() -> None:
    assert html_to_text("<h1>Ошибка</h1>Текст<h2>Шаги</h2>") == "Ошибка\n\nТекст\n\nШаги"


def test_inline_tags_do_not_break_words() -> None:
    html = "<p>Не <b>работает</b> <i>оформ</i><span>ление</span> заказа</p>"
    assert html_to_text(html) == "Не работает оформление заказа"


def test_whitespace_collapses() -> None:
    html = "<p>  много\n\n   пробелов\t и\r\nпереносов  </p>"
    assert html_to_text(html) == "много пробелов и переносов"


# --- links -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="https://example.ru/help">справка</a>', "справка (https://example.ru/help)"),
        ('<a href="https://example.ru/">https://example.ru/</a>', "https://example.ru/"),
        ('<a href="https://www.example.ru/">www.example.ru</a>', "https://www.example.ru/"),
        ('<a href="mailto:support@example.ru">support@example.ru</a>', "support@example.ru"),
        ('<a href="mailto:support@example.ru">mailto:support@example.ru</a>', "support@example.ru"),
        ('<a href="mailto:sales@example.ru?subject=Hi">отдел продаж</a>',
         "отдел продаж (sales@example.ru)"),
        ('<a href="mailto:Ivan%20<ivan@example.ru>">Иван</a>', "Иван (Ivan <ivan@example.ru>)"),
        # an address the text names already, in any case, is not said twice
        ('<a href="mailto:support@example.ru">Пишите: Support@Example.ru</a>',
         "Пишите: Support@Example.ru"),
        ('<a href="#top">наверх</a>', "наверх"),
        ('<a href="javascript:void(0)">кнопка</a>', "кнопка"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">открыть</a>', "открыть"),
        ('<a>без ссылки</a>', "без ссылки"),
        ('<a href="https://example.ru/x"></a>', "https://example.ru/x"),
        ('<a href="https://example.ru"><img src="logo.png" alt="Логотип"></a>',
         "Логотип (https://example.ru)"),
        ('<a href="https://e.ru/a">много\n   слов</a>', "много слов (https://e.ru/a)"),
        ('<a href="https://e.ru/?a=1&amp;b=2">ссылка</a>', "ссылка (https://e.ru/?a=1&b=2)"),
        # a button's words in blocks of their own inside the link stay words apart
        ('<a href="https://e.ru/pay"><div>Оплатить</div><p>заказ</p></a>',
         "Оплатить заказ (https://e.ru/pay)"),
    ],
)  # fmt: skip
def test_links(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_link_inside_sentence_keeps_spacing() -> None:
    html = 'См. <a href="https://e.ru/doc">документацию</a>, раздел 7.'
    assert html_to_text(html) == "См. документацию (https://e.ru/doc), раздел 7."


def test_a_space_inside_a_link_keeps_the_words_apart() -> None:
    """The space a sender typed just inside the link («Нажмите<a> здесь</a>») parts
    the words as one outside it does."""
    html = 'Нажмите<a href="https://e.ru/"> здесь</a>, чтобы оплатить'
    assert html_to_text(html) == "Нажмите здесь (https://e.ru/), чтобы оплатить"


def test_a_picture_outside_a_link_does_not_name_the_next_link() -> None:
    """Only a picture inside a link stands for its text: a logo's alt before an empty
    link is not that link's words."""
    html = '<img src="logo.png" alt="Логотип"><p>Отписаться: <a href="https://e.ru/u"></a></p>'
    assert html_to_text(html) == "Отписаться: https://e.ru/u"


def test_unclosed_link_is_flushed() -> None:
    html = '<p>Ссылка: <a href="https://e.ru/1">первая <a href="https://e.ru/2">вторая'
    assert html_to_text(html) == "Ссылка: первая (https://e.ru/1) вторая (https://e.ru/2)"


# --- dropped content ---------------------------------------------------------------


def test_script_style_head_and_comments_are_dropped() -> None:
    html = (
        "<html><head><title>Письмо</title><meta charset=utf-8>"
        "<style>p { color: red } </style></head><body>"
        "<script>var x = '<p>не показывать</p>';</script>"
        "<!-- скрытый комментарий --><!--[if mso]><p>только Outlook</p><![endif]-->"
        "<p>Текст письма</p><noscript>без JS</noscript></body></html>"
    )
    assert html_to_text(html) == "Текст письма\n\nбез JS"


def test_unclosed_head_ends_at_body() -> None:
    assert html_to_text("<head><title>Тема<meta charset=utf-8><body>Тело письма") == "Тело письма"


def test_a_meta_charset_far_into_the_body_is_not_the_mails_label() -> None:
    """A <meta> tag counts where a browser looks for it, near the start: one deep in
    the body (a forwarded page's, an HTML sample pasted in) does not label the mail."""
    head = "<html><body><p>Пересылаю страницу:</p>".encode("cp1251")
    far = head + b"<p>x</p>" * (META_SCAN_BYTES // 8) + b"<meta charset=koi8-r>"
    assert meta_charset(far) is None
    assert meta_charset(head + b"<meta charset=koi8-r>") == "koi8-r"


def test_unclosed_script_drops_the_rest() -> None:
    assert html_to_text("<p>видно</p><script>document.write('<p>x</p>')") == "видно"


def test_outlook_markup_is_ignored() -> None:
    html = (
        '<?xml version="1.0"?><!DOCTYPE html><html xmlns:o="urn:schemas-microsoft-com">'
        "<body><![if !supportLists]><o:p>Пункт</o:p><![endif]><p class=MsoNormal>"
        "Текст<o:p></o:p></p></body></html>"
    )
    assert html_to_text(html) == "Пункт\nТекст"  # MsoNormal: Outlook's line, no margin


def test_outlook_lines_are_lines_and_its_nbsp_lines_blank() -> None:
    html = (
        "<div class=WordSection1><p class=MsoNormal>Здравствуйте!<o:p></o:p></p>"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Строка 1</p>"
        "<p class=MsoNormal>Строка 2</p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoListParagraph>пункт</p><p>Абзац</p></div>"
    )
    assert html_to_text(html) == "Здравствуйте!\n\nСтрока 1\nСтрока 2\n\nпункт\n\nАбзац"


# --- entities ------------------------------------------------------------------------


def test_outlook_lines_are_lines_and_its_empty_paragraph_a_blank_line() -> None:
    """Outlook's stylesheet gives MsoNormal paragraphs no margins: each is a line as
    typed, one holding only "&nbsp;" the blank line typed; other paragraphs stay
    paragraphs."""
    html = (
        "<p class=MsoNormal>Сделайте так:<o:p></o:p></p>"
        '<p class="MsoNormal">1. Очистите кэш.<o:p></o:p></p>'
        "<p class=MsoNormal>2. Повторите оплату.<o:p></o:p></p>"
        "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>С уважением,<o:p></o:p></p>"
        '<p class=MsoNormal><img src="cid:image001.png"><o:p></o:p></p>'
        "<p class=MsoPlainText>Иван пишет<o:p></o:p></p><p>Абзац</p><p class=x>Ещё</p>"
    )
    assert html_to_text(html) == (
        "Сделайте так:\n1. Очистите кэш.\n2. Повторите оплату.\n\nС уважением,"
        "\n\nИван пишет\n\nАбзац\n\nЕщё"
    )


def test_entities_are_unescaped() -> None:
    html = "<p>A &amp; B &lt;tag&gt; &quot;q&quot; &#1055;&#x440;&#1080; &laquo;ок&raquo;</p>"
    assert html_to_text(html) == 'A & B <tag> "q" При «ок»'


def test_nbsp_and_invisible_padding() -> None:
    html = "<p>Цена:&nbsp;100&nbsp;&nbsp;руб.</p><p>&zwnj;&nbsp;&#8203;&shy;</p><p>конец</p>"
    assert html_to_text(html) == "Цена: 100 руб.\n\nконец"


# --- lists, tables, quotes, pre ------------------------------------------------------


def test_lists() -> None:
    html = "<p>Шаги:</p><ul><li>открыть сайт</li><li>добавить товар</li></ul><p>Итог</p>"
    assert html_to_text(html) == "Шаги:\n\n- открыть сайт\n- добавить товар\n\nИтог"


def test_nested_and_unclosed_list_items() -> None:
    html = "<ol><li>один<li>два<ul><li>вложенный</ul><li>три</ol>"
    # an ordered list's steps keep their numbers («на шаге 2» still points somewhere)
    assert html_to_text(html) == "1. один\n2. два\n  - вложенный\n3. три"


def test_an_ordered_list_counts_from_its_start() -> None:
    html = '<ol start="3"><li>три</li><li>четыре</li></ol><ol start="99999999999999"><li>x</ol>'
    assert html_to_text(html) == "3. три\n4. четыре\n1. x"


def test_an_ordered_list_started_at_a_figure_int_refuses_counts_from_one() -> None:
    """«²» is a digit to isdigit(), not to int(): the renderer failed and the whole mail
    was read in bulk, every list's numbers lost (a browser reads the start in ASCII
    figures alone, «٣» too being none)."""
    for start in ("²", "٣"):
        html = f'<p>Шаги:</p><ol start="{start}"><li>один</li><li>два</li></ol>'
        assert html_to_text(html) == "Шаги:\n\n1. один\n2. два", start


def test_outlooks_list_paragraphs_are_lines() -> None:
    item = (
        "<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'><![if !supportLists]>"
        "<span style='mso-list:Ignore'>1.<span>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span>"
        "<![endif]>{}<o:p></o:p></p>"
    )
    html = "<p class=MsoNormal>Шаги:</p>" + item.format("Очистите кэш") + item.format("Войдите")
    html += "<p class=MsoNormal>Итог</p>"
    assert html_to_text(html) == "Шаги:\n1. Очистите кэш\n1. Войдите\nИтог"


def test_table_rows_are_lines() -> None:
    html = "<table><tr><th>Заказ</th><td>123</td></tr><tr><td>Статус</td><td>ошибка</td></tr>"
    assert html_to_text(html) == "Заказ 123\nСтатус ошибка"


def test_blockquote_lines_are_prefixed() -> None:
    html = (
        "<div>Спасибо, помогло.</div><div>Иван написал:</div>"
        "<blockquote><p>Очистите кеш.</p><p>Потом<br>перезапустите.</p>"
        "<blockquote>Ещё глубже</blockquote></blockquote><p>Ответ</p>"
    )
    assert html_to_text(html) == (
        "Спасибо, помогло.\nИван написал:\n"
        "> Очистите кеш.\n>\n> Потом\n> перезапустите.\n> > Ещё глубже\n\nОтвет"
    )


def test_a_stray_end_of_a_quote_leaves_the_next_quote_quoted() -> None:
    """A </blockquote> that closes nothing (an editor's leftover) is no quote level
    below none: the quote after it still reads «> », not as the sender's own words."""
    html = "</blockquote><p>Ответ</p><blockquote>Вопрос</blockquote>"
    assert html_to_text(html) == "Ответ\n> Вопрос"


def test_nesting_past_ten_levels_is_drawn_ten_deep() -> None:
    # unclosed lists and quotes, as a broken or hostile mail nests them: each line's
    # prefix stays bounded, deeper levels sit at the tenth
    items = ["  " * min(level, 9) + "- x" for level in range(12)]
    assert html_to_text("<ul><li>x" * 12) == "\n".join(items)
    quotes = ["> " * min(level, 10) + "x" for level in range(1, 13)]
    assert html_to_text("<blockquote>x" * 12) == "\n".join(quotes)


def test_pre_keeps_layout() -> None:
    html = "<p>Лог:</p><pre>Fatal error:\n    in /var/www/index.php\n\nline 7</pre><p>Всё</p>"
    assert html_to_text(html) == (
        "Лог:\n\nFatal error:\n    in /var/www/index.php\n\nline 7\n\nВсё"
    )


def test_a_link_in_pre_is_one_line_with_its_target() -> None:
    """A link inside <pre> is a link: its words and target, not its lines cut apart."""
    html = '<pre>Лог: <a href="https://e.ru/l">ссылка\nдальше</a>\nконец</pre>'
    assert html_to_text(html) == "Лог: ссылка дальше (https://e.ru/l)\nконец"


def test_pre_tabs_are_four_spaces() -> None:
    """A log pasted with tabs keeps its indent as four spaces: the text is the same
    width in a notice, a quote and on the site, whatever a reader's tab stops."""
    html = '<pre>Traceback:\n\tFile "app.py", line 7\n\t\tpay()</pre>'
    assert html_to_text(html) == 'Traceback:\n    File "app.py", line 7\n        pay()'


# --- broken HTML ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<div><p>незакрытый <b>жирный <i>курсив<div>x", "незакрытый жирный курсив\nx"),
        ("<p>a</b></i></div></p>b", "a\n\nb"),
        ("<table><tr><td>ячейка<tr><td>вторая", "ячейка\nвторая"),
        ("<p class=x>атрибут без кавычек</p><p>дальше", "атрибут без кавычек\n\nдальше"),
        ("просто текст без тегов", "просто текст без тегов"),
        ("", ""),
        ("<br><br><br>", ""),
    ],
)
def test_broken_html(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_broken_attribute_quote_keeps_the_words() -> None:
    # The parser cannot tell where the tag ends; losing no words matters more.
    assert "дальше" in html_to_text("<p class='x>сломанный атрибут</p><p>дальше</p>")


def test_nested_junk_does_not_raise() -> None:
    html = "<div>" * 500 + "<<<>>>&&&;</ a><![CDATA[x]]><p" + "</span>" * 500
    assert isinstance(html_to_text(html), str)


@pytest.mark.parametrize(
    "unit", ["<ul><li>x", "<ol><li>x", "<blockquote>x", "<ul><li><blockquote>x"]
)
def test_unclosed_lists_and_quotes_give_text_linear_in_the_mail(unit: str) -> None:
    """Each unclosed level indented the lines under it one step more: the text grew
    with the square of the mail (45 KB of it made 25 MB of ticket)."""
    short, long = (len(html_to_text(unit * n)) for n in (500, 2000))
    assert long <= 4.5 * short, (short, long)
    assert long <= 30 * len(unit * 2000)


@pytest.mark.parametrize("end", ["</svg>", "</xml>", "</template>", "</title>"])
def test_unclosed_heads_then_other_skipped_end_tags_cost_linear_time(end: str) -> None:
    """Every end tag of a skipped element looked for its name through all the unclosed
    <head> before it: 200 KB of them cost seconds of CPU, a megabyte a minute."""
    html = "<head>" * 16_000 + end * 16_000 + "<body>Текст"
    started = time.process_time()
    assert html_to_text(html) == "Текст"
    assert time.process_time() - started < 0.5  # (linear: well under 0.1 s)


def test_skipped_elements_close_as_a_stack() -> None:
    # an end tag closes the elements opened inside its own; one of a name not open
    # changes nothing; <body> ends all of them
    html = "<svg>a<title>b</svg>c<head>d</title>e</head>f<xml>g<template>h<body>i"
    assert html_to_text(html) == "cf\ni"


# --- never raises ----------------------------------------------------------------------

TAGS = st.sampled_from(
    ["<p>", "</p>", "<br>", "<br/>", "<div>", "</div>", "<li>", "<ul>", "</ul>", "<a href='x'>",
     "</a>", "<blockquote>", "</blockquote>", "<pre>", "</pre>", "<script>", "</script>",
     "<style>", "<head>", "<body>", "<!--", "-->", "<![if mso]>", "<![CDATA[", "]]>", "&nbsp;",
     "&#x110000;", "&#0;", "&amp", "<", ">", "</", "<img alt='y'>", "<td>", "<tr>", "\n"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_html_to_text_never_raises_on_text(text: str) -> None:
    assert isinstance(html_to_text(text), str)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.one_of(TAGS, st.text(max_size=8)), max_size=40))
def test_html_to_text_never_raises_on_tag_soup(parts: list[str]) -> None:
    result = html_to_text("".join(parts))
    assert isinstance(result, str)
    assert "\n\n\n" not in result
