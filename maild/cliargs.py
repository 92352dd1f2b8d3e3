"""The types of the command line's arguments: a date, a time, a count. Each refuses
what it cannot take with argparse's one line (exit 64), never a traceback later."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

# The years `--now` may pretend: the jobs count days back and ahead of it, and a time
# in year 1 or 9999 ran past what a date holds (OverflowError in the reports' job)
FIRST_YEAR, LAST_YEAR = 1971, 9998


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None


def moment(value: str) -> datetime:
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if d.tzinfo is None:
        # The example is built from what was read, not from the text typed: a bare
        # date with "+03:00" glued on reads as 03:00 with no offset (any character may
        # separate date and time), so the same error would come back.
        example = d.isoformat(timespec="minutes")
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {example}+03:00")
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"a time from {FIRST_YEAR} to {LAST_YEAR}, not {value!r}")
    return d


def positive(value: str) -> int:
    """A count of 1 or more, in ASCII digits (int() refuses "²", which isdigit takes);
    one past any list's length lists it all."""
    if not (value.isascii() and value.isdigit()) or not (digits := value.lstrip("0")):
        raise argparse.ArgumentTypeError(f"not a positive number: {value!r}")
    return int(digits) if len(digits) < 19 else sys.maxsize
