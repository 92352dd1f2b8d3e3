"""The sender's look at deadline mail before a pass sends: a reminder or an escalation
about one ticket (reminders.py; its record's "about_due": the deadline it is about)
whose deadline no longer waits for staff (domain.pending: answered, closed, put to
waiting, its level or deadline changed) is withdrawn, not sent: moved to sent/ marked
"withdrawn": "stale", marked so on its ticket's thread, one log line each. So a relay
that was down overnight leaves staff no pile of reminders about tickets answered since.

Mail without "about_due" (every other mail, lists of several tickets, deadline mail
queued before it was kept) goes as ever, and so does mail whose ticket cannot be read
now (a corrupt file: fsck names it). Tickets are read without the store's lock first,
one read per ticket a pass: a pass with nothing stale takes no lock. What looks stale
is read again under the lock, where it is withdrawn as outwithdraw.py withdraws (with
the threads' marks, all or nothing); when that cannot be done now it waits, unsent,
for the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from maild.adapters.outqueue import OutQueue
from maild.adapters.outwithdraw import Reason, Section, withdraw
from maild.adapters.store.files import StoreUnavailable
from maild.domain.records import OutboxEntry

log = logging.getLogger("maild.outbox")

WHY = "stale"  # the outbox record's and the thread's "withdrawn"
REASON = Reason(
    WHY,
    "reminder(s) about deadlines no longer pending",
    lambda meta: f"the deadline {meta.get('about_due')} it is about no longer waits for staff",
)

# whether the deadline a mail is about (its TID, its about_due) still waits for staff
# in the ticket as stored now (App: domain.pending.still_pending); raises
# StoreUnavailable (a corrupt file) or OSError when the ticket cannot be read
Pending = Callable[[str, str], bool]


def current(
    queue: OutQueue, due: list[OutboxEntry], pending: Pending, section: Section
) -> list[OutboxEntry]:
    """Of the mails a pass is about to send, those that may go; stale deadline mail is
    withdrawn in `section` (outwithdraw.py)."""
    stale = _stale(due, pending)
    if not stale:
        return due
    # read again in the section: one pending again there goes
    held = withdraw(queue, stale, REASON, section, lambda m: bool(_stale([m], pending)))
    return [m for m in due if m["id"] not in held]


def _stale(due: list[OutboxEntry], pending: Pending) -> list[OutboxEntry]:
    """The mails of `due` about a deadline that no longer waits (each ticket read once)."""
    found: list[OutboxEntry] = []
    known: dict[tuple[str, str], bool] = {}
    for meta in due:
        tid, about = meta.get("tid"), meta.get("about_due")
        if not tid or not isinstance(about, str):
            continue
        if (tid, about) not in known:
            try:
                known[tid, about] = pending(tid, about)
            except (StoreUnavailable, OSError) as e:  # unknown: it goes, as ever
                log.warning("[TID#%s] outbox: cannot tell whether its reminder is still "
                            "due, sent as it is: %s", tid, e)  # fmt: skip
                known[tid, about] = True
        if not known[tid, about]:
            found.append(meta)
    return found
