"""The bidi controls a text loses (domain/bidi.py), on any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from maild.domain import bidi
from maild.domain.bidi import BIDI_CONTROLS, without_bidi_controls, without_controls

_CLASS = re.compile(f"[{BIDI_CONTROLS}]")
_NEAR = st.characters(min_codepoint=0x2000, max_codepoint=0x2070)


@given(st.text(st.one_of(_NEAR, st.characters())))
def test_any_text_loses_each_control_and_nothing_else(text: str) -> None:
    """What the class names goes, wherever it stands, whether the text holds one or
    none (a text without any comes back as it is, found so without the pattern)."""
    assert without_bidi_controls(text) == "".join(c for c in text if not _CLASS.fullmatch(c))


def test_each_control_goes_and_the_marks_stay() -> None:
    controls = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    for c in controls:
        assert without_bidi_controls(f"счёт{c}gpj.exe") == "счётgpj.exe"
    marks = "\u200e\u200f\u061c"
    assert without_bidi_controls(f"a{marks}b") == f"a{marks}b"


@given(st.text(st.one_of(st.characters(max_codepoint=0x20), st.characters())))
@example("Готово.\x0c#close\x0bИван\x1ca\x1db\x1ec")  # each control that breaks a line
def test_a_mail_text_loses_the_c0_controls_but_tab_and_line_break(text: str) -> None:
    """NUL, ESC and the rest show as nothing anywhere and each was kept as six bytes
    ("\\u0000") in the ticket's JSON; tab and line break are text, and the controls
    str.splitlines breaks at (vertical tab, form feed, separators) line breaks."""
    breaks = text.translate(str.maketrans(dict.fromkeys("\x0b\x0c\x1c\x1d\x1e", "\n")))
    kept = "".join(c for c in breaks if c in "\t\n" or ord(c) >= 0x20)
    assert without_controls(text) == kept


@pytest.mark.parametrize("piece", [1, 2, 3, 7])
def test_a_long_text_is_cleaned_a_piece_at_a_time_as_it_would_be_whole(
    monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """A long text is cleaned a piece of bidi._PIECE characters at a time (20 MB of
    random bytes held 180 MB more, cleaned whole): controls on either side of a
    piece's end, two in a row across it, a pair of surrogates split by it."""
    monkeypatch.setattr(bidi, "_PIECE", piece, raising=False)
    text = "a\x00\x0b\x01b\x0c\x0c\ud83d\ude00\x1c\tя\x7f\x00\n\x1e"
    assert without_controls(text) == "a\nb\n\n\ud83d\ude00\n\tя\x7f\n\n"


def test_a_name_and_a_subject_lose_the_invisible_characters_hiding_in_a_word() -> None:
    """«Ан[ZWJ]на[SHY] По[ZWSP]ддержка» showed in staff's mail as «Анна Поддержка» and
    «[TID#12[ZWJ]34-56[SHY]78]» as a ticket's number, neither of which they were."""
    from maild.domain.message import parse
    from tests.helpers import make_mail

    raw = make_mail(
        sender="Ан\u200dна\u00ad По\u200bддержка\u2060\ufeff <zw@shop.ru>",
        subject="Re: [TID#12\u200d34-56\u00ad78] вопрос\u200c\u180e",
    )
    got = parse(raw)
    assert (got.from_name, got.subject) == ("Анна Поддержка", "Re: [TID#1234-5678] вопрос")


def test_the_joiners_an_emoji_or_a_script_needs_stay() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # «می‌خواهم»
    text = f"{family} {persian} a\u200db 1\u200c2 \u0430\u200d\u0431"
    assert bidi.one_line_shown(text) == f"{family} {persian} ab 12 \u0430\u0431"


def test_a_letter_keeps_a_few_combining_marks_not_hundreds() -> None:
    """A subject of «a» and 500 accents stacked over the notice's lines in staff's
    mail, the morning queue and the page; a letter keeps four."""
    from maild.domain.message import parse
    from tests.helpers import make_mail

    raw = make_mail(
        sender="И\u0306\u0301" + "\u0300" * 50 + " <c@shop.ru>", subject="a" + "\u0301" * 500
    )
    got = parse(raw)
    assert (got.subject, got.from_name) == ("a" + "\u0301" * 4, "И\u0306\u0301\u0300\u0300")
    vietnamese = "Tiếng Việt, שָׁלוֹם, हिन्दी, #\ufe0f\u20e3"
    assert bidi.one_line_shown(vietnamese) == vietnamese
