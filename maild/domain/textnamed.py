"""A new mail whose subject names no ticket, while its text names one of its sender's
own by tag («По обращению [TID#4821-7730]: ошибка осталась», subject «Ошибка 500
снова»). The regulation adds mail to a ticket by the TID in the subject (clause 5),
and a customer may name an old ticket in a new problem: the mail stays a new ticket.
It names the one its text names (the ticket's ``names_own``; ``refers_to`` stays a
ticket its sender may not write into): staff's notice names it, and the confirmation
tells the customer how to write into it. Only a ticket its sender may write into
(ticket.may_append): of someone else's ticket nothing is said, as a stranger's
subject tag confirms nothing (``tid_named``: told).

Pure: maild/snapshot.py loads the tickets named_tids names, after #merge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from maild.domain.records import Ticket
from maild.domain.sender import Identification
from maild.domain.snapshot import Snapshot
from maild.domain.ticket import may_append
from maild.domain.tid import TAG_RE, find_tid, tid_of

__all__ = ["MAX_NAMED", "named_tids", "own_named", "refers", "told"]

# the tickets a text's tags are looked up for: its first few (a forwarded thread may
# carry many tags, each a ticket file to read)
MAX_NAMED = 3
# how far into the text tags are looked for: a customer names their ticket near the top,
# and a pasted log of megabytes is not searched whole for every new ticket
SCAN_CHARS = 10_000


def named_tids(subject: str, text: str) -> list[str]:
    """The TIDs a mail's text names by tag (tid.TAG_RE), its first MAX_NAMED, each once,
    in order, of its first SCAN_CHARS; none when its subject names one: that one is what
    the mail is about."""
    if find_tid(subject):
        return []
    named: list[str] = []
    for m in TAG_RE.finditer(text, 0, SCAN_CHARS):
        tid = tid_of(m)
        if tid not in named:
            named.append(tid)
            if len(named) == MAX_NAMED:
                break
    return named


def own_named(
    named: Iterable[Ticket], sender: str, ident: Identification, staff: Iterable[str]
) -> str | None:
    """The first of the ``named`` tickets ``sender`` may write into (a customer of it,
    a colleague under its requester's license or group), or None."""
    staff = tuple(staff)
    return next((t["tid"] for t in named if may_append(t, sender, ident, staff)), None)


def refers(
    snap: Snapshot, sender: str, ident: Identification, staff: Iterable[str]
) -> dict[str, Any]:
    """A new ticket's ``refers_to`` (ticket.new_ticket): the ticket its subject named,
    which ``sender`` may not write into (snapshot.find_ticket); else its ``names_own``:
    the sender's own ticket its text names, if any (a customer's: staff's own new mail
    names tickets as staff, not as a customer of them)."""
    if snap.refers_to:
        return {"refers_to": snap.refers_to}
    staff = tuple(staff)
    if sender in staff:
        return {}
    return {"names_own": own_named(snap.named_in_text, sender, ident, staff)}


def told(snap: Snapshot, subject: str) -> dict[str, str | None]:
    """What a new ticket's confirmation and staff notice say of the ticket the mail
    named: ``tid_gone``, the sender's ticket our mail they answer was about, deleted or
    erased since (Snapshot.gone: its signature proves it was theirs to answer); else
    ``tid_named``, the ticket its subject named (or refers_to), in the same words
    whether or not that ticket exists (a reply that told them apart would let anyone
    try TIDs)."""
    if snap.gone and not snap.refers_to:
        return {"tid_gone": snap.gone, "tid_named": None}
    return {"tid_gone": None, "tid_named": snap.refers_to or find_tid(subject)}
