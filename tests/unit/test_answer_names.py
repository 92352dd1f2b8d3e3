"""The errors of `#answer` name the desk's saved answers whole and bounded
(domain/answers.known), whichever error it is."""

from __future__ import annotations

import itertools
from dataclasses import replace

from maild.domain.answers import filled
from maild.domain.commands import parse_reply
from maild.domain.limits import MAX_ERROR_CHARS, MAX_LISTED_NAMES, MAX_NAMED
from tests.unit.test_decide import POLICY, _ticket


def test_names_that_differ_only_in_capitals_are_listed_whole_and_bounded() -> None:
    """A desk whose answer files differ only in capitals (thanks.txt, Thanks.txt, ...):
    the error names the first of them and counts the rest, as the unknown name's does."""
    cases = itertools.product(*((ch, ch.upper()) for ch in "thanks"))
    variants = [v for v in map("".join, cases) if v != "thanks"]  # as typed (lower case): none
    policy = replace(POLICY, answer_names=tuple(variants))
    _body, [error] = filled(policy, parse_reply("#answer THANKS\nСпасибо."), _ticket()[0])
    assert "различаются только заглавными буквами" in error
    named = error.split("буквами: ", 1)[1]
    assert f"и ещё {len(variants) - MAX_LISTED_NAMES} ответа" in named
    assert all(v in variants for v in named.split(" и ещё")[0].split(", "))


def test_one_name_past_those_listed_is_counted_too() -> None:
    """A desk of one saved answer more than the error lists: the error says one more
    is named at the mail's foot, as it does of two or more; else its reader takes the
    list for all the desk has."""
    names = tuple(f"a{i}" for i in range(MAX_LISTED_NAMES + 1))
    policy = replace(POLICY, answer_names=names)
    _body, [error] = filled(policy, parse_reply("#answer nope\nСпасибо."), _ticket()[0])
    assert error.endswith("и ещё 1 ответ (все названы в конце письма)")


def test_a_long_name_is_cut_so_the_error_still_names_the_answers() -> None:
    """`#answer` with a name of thousands of characters: the error repeats its first
    limits.MAX_NAMED and lists the desk's answers within limits.MAX_ERROR_CHARS, at which
    the refusal cuts each error; the name repeated whole, the list was cut off."""
    policy = replace(POLICY, answer_names=("thanks", "request_info"))
    _body, [error] = filled(policy, parse_reply(f"#answer {'q' * 5000}\nТекст."), _ticket()[0])
    assert len(error) <= MAX_ERROR_CHARS and "есть: thanks, request_info" in error
    assert f"«{'q' * (MAX_NAMED - 1)}…»" in error  # the name cut, to MAX_NAMED with "…"
