"""Outlook's plain text of a link, `text<target>` (domain.linktext): one URL where the
text names the target, both where it says something else, never a URL lost."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.html import html_to_text
from maild.domain.linktext import LINK_RE, collapsed_links, same_url
from tests.examples import examples

URL = "https://docs.example.com/pay?order=10234"


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        (f"Инструкция: {URL}<{URL}>", f"Инструкция: {URL}"),
        (f"{URL}<{URL}>\n", f"{URL}\n"),
        ("Пишите: ivan@shop.ru<mailto:ivan@shop.ru>.", "Пишите: ivan@shop.ru."),
        ("Пишите: Ivan@Shop.ru<mailto:ivan@shop.ru>", "Пишите: Ivan@Shop.ru"),
        # Outlook links a typed «www.» to http://...: the target says where it leads
        ("www.example.com<http://www.example.com/>", "http://www.example.com/"),
        ("WWW.Example.com<http://www.example.com/>", "http://www.example.com/"),  # any case
        ("ivan@shop.ru<MAILTO:ivan@shop.ru>", "ivan@shop.ru"),
        ("(https://example.com<https://example.com>)", "(https://example.com)"),
        ("«https://example.com/a<https://example.com/a>»", "«https://example.com/a»"),
        ("(ivan@shop.ru<mailto:ivan@shop.ru>)", "(ivan@shop.ru)"),  # the bracket kept
        ("example.com<http://www.example.com/>", "http://www.example.com/"),  # «www.» or not
        ("a<https://a.ru> b<https://b.ru>", "a<https://a.ru> b<https://b.ru>"),
        # a real "text<link>": the text is not the address, both stay
        (f"Инструкция<{URL}>", f"Инструкция<{URL}>"),
        ("https://good.example<https://evil.example/login>", None),
        (f"https://docs.example.com/pay?order=1<{URL}>", None),  # another order
        ("ivan@shop.ru<mailto:petr@shop.ru>", None),
        ("ivan@shop.ru<mailto:ivan@shop.ru?subject=x>", None),
        ("см. <https://example.com>", None),  # no text before the target
        ("vector<vector> и List<String>", None),  # code, no link
        ("см.https://example.com<https://example.com>", None),  # not one word with it
        ("ни одной ссылки", None),
    ],
)
def test_outlooks_text_of_a_link_is_one_url_where_it_names_the_target(
    written: str, sent: str | None
) -> None:
    assert collapsed_links(written) == (written if sent is None else sent)


def test_html_and_plain_text_say_one_link_by_the_same_rule() -> None:
    """Outlook's two alternatives of one answer: its HTML (<a href>) and its plain text
    ("URL<URL>") read alike."""
    for text, href in [(URL, URL), ("www.example.com", "http://www.example.com/")]:
        assert same_url(text, href)
        html = f'<p>Инструкция: <a href="{href}">{text}</a></p>'
        assert html_to_text(html).strip() == collapsed_links(f"Инструкция: {text}<{href}>")
    assert not same_url("Инструкция", URL)


# Text made of the pieces Outlook's links are: words, URLs, addresses, brackets.
PIECES = [
    "https://x.ru",
    "https://x.ru/",
    "http://www.x.ru/a?b=1",
    "www.x.ru",
    "x.ru",
    "HTTPS://X.RU",
    "ivan@x.ru",
    "Ivan@X.ru",
    "mailto:ivan@x.ru",
    "ftp://f.x.ru/p",
    "<",
    ">",
    "(",
    ")",
    "«",
    " ",
    "\n",
    "Инструкция",
    ":",
]
outlook_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=20).map(
    "".join
)


def _target_kept(target: str, sent: str) -> bool:
    """The target, or the address of a mailto: link, stands in what is sent."""
    if target.lower().startswith("mailto:"):
        return target[7:].lower() in sent.lower()
    return target in sent


@settings(max_examples=examples(300), deadline=None)
@given(outlook_text)
@example("https://x.ru<https://x.ru><https://x.ru>")
@example("www.x.ru<http://www.x.ru/>")
@example("ivan@x.ru<mailto:ivan@x.ru>")
def test_collapsing_never_loses_a_url(text: str) -> None:
    sent = collapsed_links(text)
    for m in LINK_RE.finditer(text):
        assert _target_kept(m.group("target"), sent), (text, sent)
    # only characters go, none is added or moved: what is sent is a subsequence
    rest = iter(text)
    assert all(c in rest for c in sent), (text, sent)
    # a link written as text and another target is left as written
    for m in LINK_RE.finditer(text):
        link = m.group("text").lstrip("([{«\"'„“")
        target = m.group("target")
        if target.lower().startswith("mailto:"):
            if target[7:].lower() != link.lower():
                assert m.group(0) in sent
        elif not same_url(link, target):
            assert m.group(0) in sent


@settings(max_examples=examples(200), deadline=None)
@given(st.text())
def test_text_without_an_outlook_link_is_sent_as_written(text: str) -> None:
    if not re.search(r"\S<", text):
        assert collapsed_links(text) == text


# The rule as it read first (e6c3597): the same matches, found from every start of a
# run of text, which made a long run before "<" quadratic.
OLD_LINK_RE = re.compile(
    r"(?P<text>[^\s<>]+)<(?P<target>(?:[a-z][a-z0-9+.-]*://|mailto:)[^\s<>]+)>",
    re.IGNORECASE,
)


@settings(max_examples=examples(300), deadline=None)
@given(outlook_text)
@example("a<b<https://x.ru>")
@example("x>https://x.ru<https://x.ru>")
def test_links_are_found_as_the_first_rule_found_them(text: str) -> None:
    """Anchored at the start of its run of text, a link's text is the one the first
    rule found: the same matches, the same mail to the customer."""
    new = [(m.span(), m.groupdict()) for m in LINK_RE.finditer(text)]
    old = [(m.span(), m.groupdict()) for m in OLD_LINK_RE.finditer(text)]
    assert new == old, text


@pytest.mark.parametrize("tail", ["<конец ключа>", "<", "<https://x.ru", "<mailto:", "<ftp:/x>"])
def test_a_long_token_before_a_bracket_costs_linear_time(tail: str) -> None:
    """A staff answer with a pasted key or one-line log of 200,000 characters without a
    space, then «<»: the link rule looked for a link's text from each of its
    characters, 23 s of `maild ingest` for 60,000 (under the store lock in serve)."""
    token = "QUJD" * 50_000
    text = f"Ваш ключ:\n{token}{tail}\n\n{token}{tail}{token}<{token}>"
    started = time.process_time()
    assert collapsed_links(text) == text
    assert time.process_time() - started < 0.5
