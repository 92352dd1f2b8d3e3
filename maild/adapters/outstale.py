"""The sender's look at deadline mail before a pass sends: a reminder or an escalation
about one ticket (reminders.py; its record's "about_due": the deadline it is about),
or a list of them naming several tickets (its record's "about_dues": each ticket's
deadlines), whose deadlines no longer wait for staff (domain.pending: answered,
closed, put to waiting, its level or deadline changed) is withdrawn, not sent: moved
to sent/ marked "withdrawn": "stale", marked so on its tickets' threads (a list: its
note in each), one log line each. So a relay that was down overnight leaves staff no
pile of reminders about tickets answered since. A list goes whole while one of its
deadlines still waits (domain.pending.stale).

Mail without either (every other mail, deadline mail queued before they were kept)
goes as ever, and so does mail one of whose tickets cannot be read now (a corrupt
file: fsck names it). Tickets are read without the store's lock first, once per
deadline a pass: a pass with nothing stale takes no lock. What looks stale is read
again under the lock, where it is withdrawn as outwithdraw.py withdraws (with the
threads' marks, all or nothing); when that cannot be done now it waits, unsent, for
the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from maild.adapters.outqueue import OutQueue
from maild.adapters.outwithdraw import Reason, Section, withdraw
from maild.adapters.store.files import StoreUnavailable
from maild.domain.logid import log_time
from maild.domain.pending import about, stale
from maild.domain.records import OutboxEntry
from maild.privileges import said

log = logging.getLogger("maild.outbox")

WHY = "stale"  # the outbox record's and the thread's "withdrawn"
NAMED = 5  # the TIDs a list's log line names (the rest counted)


def _detail(meta: OutboxEntry) -> str:
    """The parenthesis of a stale mail's log line: the deadline(s) it was about."""
    if "about_dues" not in meta:
        return f"the deadline {meta.get('about_due')} it is about no longer waits for staff"
    tids = list(dict.fromkeys(tid for tid, _due in about(meta)))
    named = ", ".join(f"[TID#{tid}]" for tid in tids[:NAMED])
    more = f" and {len(tids) - NAMED} more" if len(tids) > NAMED else ""
    return f"none of the deadlines of the tickets it lists ({named}{more}) waits for staff"


REASON = Reason(WHY, "reminder(s) about deadlines no longer pending", _detail)

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
    """The mails of `due` none of whose deadlines waits any more (each asked once)."""
    known: dict[tuple[str, str], bool] = {}

    def waits(tid: str, about_due: str) -> bool:
        if (tid, about_due) not in known:
            known[tid, about_due] = _waits(pending, tid, about_due)
        return known[tid, about_due]

    return [meta for meta in due if stale(about(meta), waits)]


def _waits(pending: Pending, tid: str, about_due: str) -> bool:
    """Whether ticket `tid` still waits on `about_due`; when it cannot be read, as if
    it did: its mail goes as it is."""
    try:
        return pending(tid, about_due)
    except (StoreUnavailable, OSError) as e:
        log.warning("[TID#%s] outbox: cannot tell whether its deadline %s still waits for "
                    "staff, its reminder sent as it is: %s",
                    tid, log_time(about_due), said(e))  # fmt: skip
        return True
