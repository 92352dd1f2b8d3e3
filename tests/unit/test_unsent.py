"""Unit tests for maild.domain.unsent.answer: a staff answer goes whole or not at all."""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from maild.domain.unsent import answer
from tests.unit.test_quotes import (
    CUSTOMER_TEXT,
    END,
    INITIALS_PREFIX,
    STAFF_LINE,
    notice,
    quote,
)

NOTICE = notice()
THREAD = [{"text": "\n".join(NOTICE)}, {"text": "\n".join(CUSTOMER_TEXT)}]


def words(line: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", line).split()).casefold()


# what the staff member types: a word no line of the notice holds
TYPED = STAFF_LINE.map(lambda s: f"Сделайте {s}")


@st.composite
def replies(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """(text, the lines typed above the quote, the lines typed inside it)."""
    prefix = draw(st.one_of(st.sampled_from(["> ", ">", ">> "]), INITIALS_PREFIX))
    quoted = quote(NOTICE, prefix)
    after_block = quoted.index(quote([END], prefix)[0]) + 1
    above = draw(st.lists(TYPED, max_size=3))
    inside = draw(st.lists(TYPED, max_size=2))
    at = draw(st.integers(after_block, len(quoted)))
    lines = [*above, "", *quoted[:at], *quote(inside, prefix), *quoted[at:]]
    return "\n".join(lines), above, inside


@settings(max_examples=200, deadline=None)
@given(replies())
def test_a_staff_answer_goes_whole_or_not_at_all(reply: tuple[str, list[str], list[str]]) -> None:
    """Of lines typed above the quote and inside it (as iOS Mail and webmail keep
    them, quoted), the customer gets all or none: never the part above alone, which
    left the answer itself dropped without a word (unsent tells the staff member
    when none goes)."""
    text, above, inside = reply
    body = answer(text, text, THREAD)
    # a line inside that repeats words above is not lost (lines compare by their
    # words: typedlines.Thread)
    said = f" {words(' '.join(above))} "
    if [s for s in inside if f" {words(s)} " not in said]:
        assert body == ""
    else:
        out = body.splitlines()
        assert all(s in out for s in above)


# a command after its program's prompt, as staff write instructions
PROMPT = st.tuples(st.sampled_from(["PS> ", "SQL> ", "ftp> "]), STAFF_LINE).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(TYPED, PROMPT), min_size=1, max_size=5),
    st.one_of(st.sampled_from(["> ", ">> "]), INITIALS_PREFIX),
    st.booleans(),
)
def test_prompt_lines_go_with_the_answer_and_no_line_of_the_notice(
    typed: list[str], prefix: str, attributed: bool
) -> None:
    """Lines opened by a program's prompt («PS> », «SQL> ») are the staff member's
    text, quoting initials as like as they look: the whole answer goes, and none of
    the notice quoted below it, however quoted."""
    assume("PS" not in prefix)  # initials the notice's quote shows make a quote
    head = ["Вы писали 25 ноября 2026 г., 10:00:", ""] if attributed else []
    text = "\n".join([*typed, "", *head, *quote(NOTICE, prefix)])
    out = [line.strip() for line in answer(text, text, THREAD).splitlines()]
    assert [s for s in out if s] == [s.strip() for s in typed]
