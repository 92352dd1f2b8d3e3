"""The desk-wide cap on new tickets' confirmations to senders whose mail proves
nothing (caps.confirmations_cap_reached), against the store: the times such
confirmations went are kept in the support address's own record (index/address/),
which no mail of maild's ever goes to.
"""

from __future__ import annotations

from datetime import datetime

from maild.app import App
from maild.domain.caps import confirmations_cap_reached


def reached(app: App, now: datetime) -> str | None:
    """The cap's words when one more such confirmation may not go now, else None."""
    s = app.config.support
    if s.max_confirmations_per_hour <= 0:  # no desk-wide cap: nothing to read
        return None
    return confirmations_cap_reached(
        s.max_confirmations_per_hour, app.store.desk_confirmations(s.address), now
    )


def count(app: App, now: datetime) -> None:
    """One such confirmation was queued now (in the locked section that checked it);
    the record keeps the last cap's worth of times, all the check needs."""
    s = app.config.support
    if s.max_confirmations_per_hour > 0:
        app.store.record_desk_confirmation(s.address, now, s.max_confirmations_per_hour)
