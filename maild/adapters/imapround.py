"""What the IMAP poller tells `maild status` while a round delivers: that the server
answers, and how much of the round is left; and when a round fails, why (the log's
words, with their time: status names them while there is no contact since).

A round takes every waiting message in turn, so after a long outage one round over
tens of thousands of messages lasts hours. Contact noted only at its end
would make status report no contact with the server while mail flows fine. So during a
round `contact` is told at most every `every` seconds, counted from the round's start,
and `backlog` with it: a round shorter than that writes nothing more than before (its
end is noted as ever), and a long one one note a minute, not one per message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from maild.adapters.imapfailures import tell

CONTACT_EVERY = 60.0  # seconds; status calls 15 min without contact a failure

Backlog = dict[str, object]  # {"since", "left", "total", "pid"}
Failure = dict[str, object]  # {"at", "error", "pid"}


class RoundWatch:
    """Tells `contact` of contact with the server, `backlog` of a long round's
    progress (the backlog, or None once the round ends), and `failure` of a round
    that failed (the log's words for it)."""

    def __init__(
        self,
        contact: Callable[[], None] | None,
        backlog: Callable[[Backlog | None], None] | None,
        every: float = CONTACT_EVERY,
        failure: Callable[[Failure], None] | None = None,
    ) -> None:
        self.contact = contact
        self.backlog = backlog
        self.failure = failure
        self.every = every
        self._told: float | None = None  # monotonic time contact was last told
        self._since = ""
        self._total = 0
        self._noted = False  # a backlog was told this round

    def started(self, total: int) -> None:
        """A round begins with `total` messages to take (the server just answered)."""
        self._since, self._total = datetime.now(UTC).isoformat(), total
        if self._told is None:
            self.contacted()  # the first round since start: status knows of none yet
        self._told = time.monotonic()

    def delivered(self, left: int) -> None:
        """A message of the round is delivered; `left` are still to take."""
        if self._told is not None and time.monotonic() - self._told < self.every:
            return
        self.contacted()
        self._noted = True
        backlog = {"since": self._since, "left": left, "total": self._total, "pid": os.getpid()}
        tell(self.backlog, "the backlog", backlog)

    def ended(self) -> None:
        """The round ended, whatever way: its backlog, if told, is no longer current."""
        if self._noted:
            self._noted = False
            tell(self.backlog, "the backlog", None)

    def contacted(self) -> None:
        self._told = time.monotonic()
        tell(self.contact, "the contact")

    def failed(self, error: str) -> None:
        """A round failed on the network, TLS or the server: `error` says how."""
        failure = {"at": datetime.now(UTC).isoformat(), "error": error, "pid": os.getpid()}
        tell(self.failure, "the connection failure", failure)
