"""When the outbox tries a mail again: exponential back-off after each failed try.

Pure: the instants are passed in. A try is planned on the wall clock, and a clock
stepped back (NTP) must not hold it back by the size of the step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["RETRY_BASE", "RETRY_MAX", "next_try", "try_due"]

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)


def next_try(attempts: int, now: datetime) -> datetime:
    """The next try after ``attempts`` failed ones (1, 2, ...): 30 s, 1 min, 2 min,
    ... up to an hour after ``now``."""
    return now + min(RETRY_BASE * 2 ** min(attempts - 1, 32), RETRY_MAX)


def try_due(planned: str | None, last: str | None, now: datetime) -> bool:
    """Whether a mail whose next try is ``planned`` after a failed try at ``last`` (ISO
    8601; None: never tried) is due at ``now``. Compared as instants, not as text: a
    try planned under another `support.timezone` has another offset. A ``now`` before
    the last try means the clock was stepped back since (NTP): the back-off can no
    longer be measured, and waiting for the clock to read ``planned`` again would add
    the step to it, so the mail is due now."""
    if not planned:
        return True
    if datetime.fromisoformat(planned) <= now:
        return True
    return last is not None and now < datetime.fromisoformat(last)
