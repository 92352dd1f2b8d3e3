"""A plain `maild fsck`'s last line says what `--repair` would do of the problems it
listed (fsckcmd._repair_hint): the lines of those it fixes say nothing of it."""

from __future__ import annotations

from maild.fsckcmd import _repair_hint


def test_the_hint_speaks_of_one_problem_several_and_some_of_them_each_in_its_words():
    """One problem is «it», not «all of them» (a reader looks for the others); all of
    several are «all of them»; some of several are counted, and the rest said to
    say what to do."""
    assert _repair_hint(1, 1) == "`maild fsck --repair` fixes it"
    assert _repair_hint(3, 3) == "`maild fsck --repair` fixes all of them"
    assert _repair_hint(2, 2) == "`maild fsck --repair` fixes all of them"  # two are not «it»
    assert _repair_hint(1, 2) == (
        "`maild fsck --repair` fixes 1 of these 2 problems; the others say what to do"
    )
    assert _repair_hint(2, 3) == (
        "`maild fsck --repair` fixes 2 of these 3 problems; the others say what to do"
    )
