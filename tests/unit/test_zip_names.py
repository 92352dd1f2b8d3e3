"""ZIP members' paths, as a refusal names them, are written as their archiver wrote
them, spaces of every kind included: a no-break space (U+00A0), a thin (U+2009) or
narrow no-break (U+202F) one was deleted («../Скриншотошибки.bmp»), since
str.isprintable() refuses every space but U+0020."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from maild.domain.attachments import AttachmentPolicy, decide, inspect_zip
from tests.unit.test_attachments import (
    bmp_bytes,
    png_bytes,
    with_raw_names,
    zip_bytes,
    zip_with_link,
)

POLICY = AttachmentPolicy()
NAME = "Скриншот\u00a0ошибки.bmp"
# the spaces of Unicode's Zs besides U+0020: no-break, ogham, en/em/thin/hair...,
# narrow no-break, medium mathematical, ideographic
SPACES = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
# what one can type in a name: the characters str.isprintable() takes, and spaces
typed = st.one_of(
    st.sampled_from(SPACES),
    st.characters(blacklist_categories=("C", "Zl", "Zp"), blacklist_characters="/\\"),
)


def unsafe(name: str) -> str | None:
    """The refusal of an archive holding `name` one folder up, next to a screenshot."""
    return inspect_zip(zip_bytes({"screen.png": png_bytes(), f"../{name}": bmp_bytes()}), POLICY)


def test_the_spaces_are_all_of_unicodes_but_the_plain_one():
    assert all(unicodedata.category(c) == "Zs" for c in SPACES)
    assert len(SPACES) + 1 == sum(unicodedata.category(chr(c)) == "Zs" for c in range(0x110000))


def test_a_members_no_break_space_is_kept_where_it_is_named():
    assert f"небезопасным путём («../{NAME}»)" in unsafe(NAME)
    link = inspect_zip(zip_with_link("Снимки\u2009экрана", "/etc"), POLICY)
    assert "ссылка с небезопасным путём («Снимки\u2009экрана → /etc»)" in link
    assert decide("shots.zip", "application/zip", zip_bytes({NAME: bmp_bytes()}), POLICY).accepted


@pytest.mark.parametrize("encoding", ["cp866", "utf-8"])  # Russian Windows' archivers; macOS
def test_a_no_break_space_in_a_name_written_without_the_utf8_flag_is_kept(encoding):
    raw = f"../{NAME}".encode(encoding)  # cp866 writes U+00A0 as 0xFF
    placeholder = "x" * len(raw)
    data = with_raw_names(zip_bytes({placeholder: bmp_bytes()}), {placeholder: raw})
    assert f"«../{NAME}»" in inspect_zip(data, POLICY)


@given(st.text(typed, min_size=1, max_size=90))
@example(NAME)
@example("".join(SPACES))
def test_any_printable_member_path_is_named_as_written(name: str):
    assert f"небезопасным путём («../{name}»)" in unsafe(name)


def test_a_member_path_is_named_without_its_controls_and_bidi_overrides():
    # an RLO turned «exe.TXT» around in the customer's confirmation, a line break
    # split the sentence: the path is named on one line, as its letters run
    assert "«../Счёт exe.TXT»" in unsafe("Счёт \u202eexe.TXT\n")
