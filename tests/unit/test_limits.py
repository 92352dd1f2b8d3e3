"""domain.limits: address lists cut at the cap by top-level commas only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.addresses import getaddresses
from maild.domain.limits import (
    MAX_CONTAINERS,
    MAX_DELIMITER_LINES,
    cut,
    first_addresses,
    head_of,
    too_many_parts,
    too_nested,
)


def test_commas_inside_quotes_comments_and_angles_do_not_count():
    value = '"Петров, Иван" <a@x.ru>, (c, d) b@x.ru, <"q,r"@x.ru>, "esc \\", ," <c@x.ru>, d@x.ru'
    head, rest = first_addresses(value, 4)
    assert [a for _, a in getaddresses([head])] == ["a@x.ru", "b@x.ru", '"q,r"@x.ru', "c@x.ru"]
    assert rest == "d@x.ru"


def test_short_lists_are_whole_and_a_zero_cap_keeps_all_as_text():
    assert first_addresses("a@x.ru, b@x.ru", 100) == ("a@x.ru, b@x.ru", "")
    assert first_addresses("a@x.ru", 0) == ("", "a@x.ru")


def test_caps_on_text_and_nesting():
    assert cut("абв", 5) == "абв" and cut("абвгдеж", 5) == "абвг…"
    assert head_of("x " * 20, 10) == "x x x x x"
    assert not too_nested(b"boundary=x\r\n" * MAX_CONTAINERS)
    assert too_nested(b"Boundary = x\r\n" * (MAX_CONTAINERS + 1))
    assert not too_many_parts(b"--b\r\nx\r\n" * MAX_DELIMITER_LINES + b"-- \r\nsignature")
    assert too_many_parts(b"\n--b\nx" * MAX_DELIMITER_LINES + b"\n-- \nsignature")


def test_caps_keep_what_fits_exactly():
    assert cut("абвгд", 5) == "абвгд"  # five of five: nothing cut
    assert head_of("x" * 10, 10) == "x" * 10
    # a cut falls on the last space only in the second half: no half-empty field
    assert head_of("x" * 5 + " " + "y" * 10, 10) == "x" * 5 + " yyyy"
    assert head_of("x" * 6 + " " + "y" * 10, 10) == "x" * 6
    assert first_addresses("a@x.ru, b@x.ru", 1) == ("a@x.ru", "b@x.ru")


def test_commas_of_comments_and_source_routes_are_not_list_commas():
    # a comment of several commas; an old source route inside angle brackets
    value = "(Иванов, отдел продаж, Москва) a@x.ru, <@relay1.ru,@relay2.ru:b@x.ru>, c@x.ru"
    head, rest = first_addresses(value, 2)
    assert head == "(Иванов, отдел продаж, Москва) a@x.ru, <@relay1.ru,@relay2.ru:b@x.ru>"
    assert rest == "c@x.ru"


_PIECES = [
    b"boundary=",
    b"BOUNDARY =",
    b"boundary",
    b"message/rfc822",
    b"Message/Global",
    b"message/",
    b"text/plain",
    b"\r\n",
    b"x",
    b" ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=400))
def test_too_nested_counts_what_the_parser_would_nest(pieces: list[bytes]) -> None:
    """The quick count never hides a message that has more containers than allowed."""
    raw = b"".join(pieces)
    containers = len(re.findall(rb"(?i)boundary\s*=|message/(?:rfc822|global)", raw))
    assert too_nested(raw) == (containers > MAX_CONTAINERS)


def test_a_mail_is_read_with_the_configured_recipient_limit_outside_the_domain():
    """message.parse reads To and Cc to limits.MAX_RECIPIENTS unless told the desk's
    limits.max_recipients: every reading of a mail outside the domain is App.parse's,
    which tells it (the quarantine's, `maild spam release`'s, the site's read 100
    whatever the config said)."""
    root = Path(__file__).resolve().parents[2] / "maild"
    readers = []
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "domain" or path == root / "app.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "maild.domain.message"
                and any(a.name == "parse" for a in node.names)
            ):
                readers.append(str(path.relative_to(root)))
    assert readers == []
