from __future__ import annotations

import re

import pytest

from maild.domain.tid import (
    clean_subject,
    find_tid,
    message_ids,
    new_tid,
    normalize_msgid,
    parse_tid,
    tag,
)


def test_new_tid_is_short_readable_and_avoids_existing():
    seen = {new_tid() for _ in range(200)}
    assert all(re.fullmatch(r"\d{4}-\d{4}", t) for t in seen)
    assert len(seen) > 190
    assert not any(t.startswith("0000") for t in seen)  # new_tid skips the 0000 block
    # both halves range over 0000-9999 (200 draws all below 8000: 0.8**200, never)
    assert max(int(t[:4]) for t in seen) >= 8000 and max(int(t[5:]) for t in seen) >= 8000
    taken = set()
    calls = []

    def exists(t: str) -> bool:
        calls.append(t)
        return len(calls) < 3  # the first two candidates are taken

    t = new_tid(exists)
    assert t == calls[-1] and len(calls) == 3 and t not in taken


@pytest.mark.parametrize(
    "subject",
    [
        "[TID#4821-7730]",
        "Re: Ошибка [TID#4821-7730]",
        "RE: FW: Ответ: Fwd: что-то [tid#4821-7730]",
        "[list-prefix] Re: [Tid#4821-7730] вопрос",
        "AW: [ TID # 4821-7730 ]",
        "[TID#48217730] без дефиса",
        "Вопрос по TID#4821-7730: оплата",  # typed by hand, without the brackets
        "tid # 4821-7730",
    ],
)
def test_find_tid_anywhere_any_case(subject):
    assert find_tid(subject) == "4821-7730"


@pytest.mark.parametrize(
    "subject",
    [
        None,
        "",
        "TID 4821-7730",
        "[TID#482-7730]",
        "#4821-7730",
        "[TID#abcd-efgh]",
        "TID#4821-77301",  # more digits: no TID
        "xTID#4821-7730",
    ],
)
def test_no_tid(subject):
    assert find_tid(subject) is None


def test_clean_subject_and_tagging():
    assert clean_subject("Re: Ответ: Fwd: Ошибка 500 [TID#4821-7730]") == "Ошибка 500"
    assert clean_subject("RE[2]: AW: тема") == "тема"
    assert clean_subject("Вопрос по TID#4821-7730") == "Вопрос по"
    assert clean_subject(None) == ""
    assert tag("1-2") == "[TID#1-2]"


def test_message_ids():
    assert message_ids("<a@b> <c@d>\r\n <e@f>") == ["<a@b>", "<c@d>", "<e@f>"]
    assert normalize_msgid("  <x@y>  ") == "<x@y>"
    assert normalize_msgid("x@y") == "<x@y>"
    assert normalize_msgid("") is None


@pytest.mark.parametrize(
    ("arg", "tid"),
    [
        ("4821-7730", "4821-7730"),
        ("48217730", "4821-7730"),
        ("[TID#4821-7730]", "4821-7730"),
        ("tid # 4821-7730", "4821-7730"),
        (" [ TID#48217730 ] ", "4821-7730"),
        ("4821-77301", None),
        ("482-7730", None),
        ("TID 4821-7730", None),
        ("4821-7730 и 1234-5678", None),
        ("", None),
    ],
)
def test_a_tid_given_as_an_argument(arg, tid):
    assert parse_tid(arg) == tid
