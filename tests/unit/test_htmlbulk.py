"""HTML too big to follow tag by tag (domain.htmlbulk): read in bulk, as text a person
reads, at a cost linear in it and small per tag; staff are told it was read so. 20 MB
of "<p>" took 25 s of CPU (5-12 µs a tag), 30 MB 44 s."""

from __future__ import annotations

import time

from maild.domain.html import html_to_text
from maild.domain.htmlbulk import MAX_PIECES, SIMPLIFIED, bulk_text, too_big
from maild.domain.message import parse

PARAGRAPH = "<p>Абзац&nbsp;{n}: <b>жирный</b> &amp; <i>курсив</i>, &lt;тег&gt; как текст</p>\n"


def big_html() -> str:
    """A mail past MAX_PIECES tags: a head with a style, comments, paragraphs, a list,
    a table, line breaks; then a signature."""
    head = "<!DOCTYPE html><html><head><title>Т</title><style>p {color: red}</style></head>"
    body = "".join(PARAGRAPH.format(n=n) for n in range(MAX_PIECES // 6))
    rest = (
        "<!-- [if mso]><xml>скрыто</xml><![endif] -->"
        "<ul><li>первый</li><li>второй</ul>"
        "<table><tr><td>ячейка 1</td><td>ячейка 2</td></tr></table>"
        "<div>С уважением,<br>Иван</div><script>alert(1)</script></body></html>"
    )
    return head + "<body>" + body + rest


def test_a_big_html_reads_as_text() -> None:
    html = big_html()
    assert too_big(html)
    text = html_to_text(html)
    lines = text.split("\n")
    assert lines[:3] == [
        "Абзац 0: жирный & курсив, <тег> как текст",
        "",
        "Абзац 1: жирный & курсив, <тег> как текст",
    ]
    assert lines[-7:] == [
        "- первый",
        "- второй",
        "",
        "ячейка 1 ячейка 2",
        "",
        "С уважением,",
        "Иван",
    ]
    for hidden in ("color", "скрыто", "alert", "Т\n", "DOCTYPE", "<b>", "&amp;"):
        assert hidden not in text, hidden


def test_an_unclosed_head_hides_nothing_of_the_body() -> None:
    """A <head> that is never closed ends where <body> starts: the text under it is
    read, not skipped with the head to the end of the mail."""
    assert bulk_text("<html><head><meta charset=utf-8><body><p>Текст</p>") == "Текст"
    assert bulk_text("<head><title>Счёт</title><BODY class=x>Оплатили.") == "Оплатили."


def test_control_characters_of_the_mail_break_no_lines() -> None:
    """The reader marks block edges with \\x01 and \\x02; the same characters in the
    mail are taken out first, so they make no line breaks or paragraphs of their own."""
    assert bulk_text("<p>a\x01b\x02c</p>") == "abc"


def test_a_normal_html_is_rendered_as_before() -> None:
    """Under MAX_PIECES the tag-by-tag rendering stands: links keep their targets,
    quotes their marks."""
    html = '<p>См. <a href="https://example.ru/">справку</a></p><blockquote>цитата</blockquote>'
    assert html_to_text(html) == "См. справку (https://example.ru/)\n> цитата"


def test_a_picture_folded_in_many_lines_is_one_tag_and_a_pres_lines_count() -> None:
    """A line break is a space in HTML, but a line in a <pre>: each costs the renderer."""
    picture = '<img src="data:image/png;base64,' + ("QUFB" * 19 + "\n") * MAX_PIECES
    html = f"<p>Снимок:</p>{picture}\n" + '"><p><a href="https://x.ru/">ссылка</a></p>'
    assert not too_big(html)
    assert html_to_text(html) == "Снимок:\n\nссылка (https://x.ru/)"  # as it ever was
    assert too_big("<pre>" + "строка\n" * MAX_PIECES)


def cpu(html: str) -> float:
    started = time.process_time()
    html_to_text(html)
    return time.process_time() - started


def test_a_big_html_costs_linear_time_and_little_per_tag() -> None:
    """Four times the tags cost about four times as much, where a cost growing with
    their square would cost sixteen (a ratio, robust on a busy machine: doubling gave
    3.2 once, under load), and a tag costs a fraction of a microsecond: 2,000,000 of
    them, 6 MB, took 6-20 s. Both sizes are over MAX_PIECES: read in bulk alike."""
    for unit in ("<p>", "<b>x"):
        n = 1_000_000 // len(unit)
        assert n > MAX_PIECES
        small = min(cpu(unit * n) for _ in range(2))
        large = min(cpu(unit * 4 * n) for _ in range(2))
        assert large / max(small, 0.01) < 8, (unit, small, large)
        assert large < 2.5, (unit, large)  # (about 0.4 s on a quiet machine)


def html_mail(*parts: tuple[str, str]) -> bytes:
    """A mail of ``parts`` ((content type, text)): one part alone, or an alternative."""
    head = "From: ivan@shop-example.ru\r\nTo: support@example.com\r\nSubject: Вопрос\r\n"
    head += "Message-ID: <big@shop-example.ru>\r\nMIME-Version: 1.0\r\n"
    if len(parts) == 1:
        [(ctype, text)] = parts
        return (head + f"Content-Type: {ctype}; charset=utf-8\r\n\r\n{text}").encode()
    body = "".join(
        f"--b\r\nContent-Type: {ctype}; charset=utf-8\r\n\r\n{text}\r\n" for ctype, text in parts
    )
    return (
        head + 'Content-Type: multipart/alternative; boundary="b"\r\n\r\n' + body + "--b--\r\n"
    ).encode()


def test_staff_are_told_the_text_was_read_in_bulk() -> None:
    html = big_html()
    parsed = parse(html_mail(("text/html", html)))
    assert parsed.text.startswith("Абзац 0: жирный & курсив")
    assert parsed.parse_problem == SIMPLIFIED
    # beside its plain text, the HTML is not what staff read: no word of it
    parsed = parse(html_mail(("text/plain", "Текст письма."), ("text/html", html)))
    assert parsed.text == "Текст письма." and parsed.parse_problem is None
    assert parse(html_mail(("text/html", "<p>Текст</p>"))).parse_problem is None


def test_max_pieces_tags_are_still_rendered_tag_by_tag() -> None:
    """Staff are told a mail was read simply for «больше 200 000 тегов»: one of exactly
    MAX_PIECES tags is rendered whole, one more tag is read in bulk."""
    assert not too_big("<b>" * MAX_PIECES)
    assert too_big("<b>" * (MAX_PIECES + 1))
    assert not too_big("<pre>" + "\n" * (MAX_PIECES - 1))  # a <pre>'s lines count as tags
    assert too_big("<pre>" + "\n" * MAX_PIECES)


def test_breaks_in_a_row_read_in_bulk_as_tag_by_tag() -> None:
    """Read in bulk, line breaks in a row leave at most one blank line, and a <br> just
    before a block's end is that end, as in the tag-by-tag rendering: no holes in the
    text staff read."""
    for html, text in [
        ("a<br><br><br>b", "a\n\nb"),
        ("<div>a<br></div><div>b</div>", "a\nb"),
        ("<p>a</p><br><br><p>b</p>", "a\n\nb"),
    ]:
        assert bulk_text(html) == html_to_text(html) == text, html
