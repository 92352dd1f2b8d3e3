"""`python -m tests.clockshift --config FILE serve`: maild with its clock
MAILD_DAYS_AHEAD days ahead of the machine's, for a test of what days change (a
link expired, a request left unclicked) against the real daemon
(helpers.Daemon(days_ahead=...))."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from maild import app
from maild.adapters import spool
from maild.cli import run

AHEAD = timedelta(days=float(os.environ.get("MAILD_DAYS_AHEAD", "0")))
_made = app.App.__post_init__


def _ahead() -> datetime:
    return datetime.now(UTC) + AHEAD


def _with_clock_ahead(self: app.App) -> None:
    self.clock = _ahead  # every App of the process: the daemon's and its children's
    _made(self)


def _spool_name(when_ns: int | None = None, _made=spool.unique_name) -> str:  # noqa: ANN001
    """A spool key named by the clock ahead: what arrives was received then too
    (runner.received_at_of), as the mail it causes is stamped."""
    return _made(when_ns or int(_ahead().timestamp() * 1e9))


app.App.__post_init__ = _with_clock_ahead  # type: ignore[method-assign]
spool.unique_name = _spool_name  # type: ignore[assignment]
run()
