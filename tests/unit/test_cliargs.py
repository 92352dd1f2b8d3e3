"""The command line's argument types (maild/cliargs.py): what each takes, and that
what it cannot take is argparse's one-line usage error (exit 64), not a traceback."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from itertools import islice

import pytest

from maild.cliargs import day, moment, positive


@pytest.mark.parametrize("given", ["2026-13-01", "2026-02-30", "01.12.2026", ""])
def test_a_day_that_is_none_is_a_usage_error(given):
    """`ticket list --since 2026-02-30` is refused in one line naming what was typed."""
    with pytest.raises(argparse.ArgumentTypeError, match="not a date YYYY-MM-DD"):
        day(given)
    assert day("2026-02-28") == date(2026, 2, 28)


def test_the_first_and_last_years_the_message_names_are_taken():
    """«a time from 1971 to 9998»: both ends are times `--now` takes."""
    assert moment("1971-01-01T00:00:00+00:00").year == 1971
    assert moment("9998-12-31T23:59:00+00:00").year == 9998
    for given in ("1970-12-31T23:59:00+00:00", "9999-01-01T00:00:00+00:00"):
        with pytest.raises(argparse.ArgumentTypeError, match="a time from 1971 to 9998"):
            moment(given)


def test_a_count_past_what_a_list_may_be_cut_to_lists_it_all():
    """A 19-digit count over sys.maxsize (islice's limit, which `ticket list --limit`
    cuts with) is read as the largest it takes, not a traceback."""
    for digits in ("9" * 19, "9" * 40):
        assert positive(digits) == sys.maxsize
        assert list(islice(range(3), positive(digits))) == [0, 1, 2]
    assert positive("9" * 18) == int("9" * 18)
