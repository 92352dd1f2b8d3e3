"""A wall-clock limit on a piece of work: SIGALRM from a one-shot ITIMER_REAL, whose
handler raises inside the work. It is what stops an admin's template override that
loops for minutes (sandbox.rendered): loops over literal lists call nothing the
sandbox could count.

Python runs signal handlers in the main thread only, so the limit holds there alone:
the processing worker of `maild serve` (a forked child: the thread that forked it is
its main thread), the daemon's event loop (its alerts; the SIGALRM byte on the loop's
wake-up fd is a signal it has no handler for, and ignores), `maild ingest` and the
other commands. Elsewhere (a thread of the daemon: the site's mail, the scheduler's
jobs) the work runs without it. An alarm already set in the process (not maild's: a
test runner's timeout) is left to its owner, and the work runs without a limit of its
own then too.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def limited(seconds: float, work: Callable[[], T], expired: Callable[[], BaseException]) -> T:
    """`work()`, stopped by the exception `expired()` makes, raised inside it, once it
    has run `seconds` of wall-clock time. The previous SIGALRM handler is back when
    this returns, and the timer off: an alarm that comes after the work changes
    nothing."""
    if not _can(seconds):
        return work()
    previous = signal.getsignal(signal.SIGALRM)
    if previous is None:  # a handler not set from Python: it could not be put back
        return work()
    live = [True]

    def expire(_signum: int, _frame: object) -> None:
        if live[0]:  # (not once the work is over: then the alarm is only late)
            live[0] = False
            raise expired()

    signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return work()
    finally:
        live[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _can(seconds: float) -> bool:
    """Whether this thread may set the alarm now: the main thread (signal.signal
    refuses any other), on a system with setitimer, no alarm of another's running."""
    return (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
