"""The spool copies a `#merge` shares between tickets, as `maild forget` leaves them.

A merge copies the merged ticket's records into the ticket that goes on, each naming
the same spool copy. Forget erases a ticket of the person whole (domain.forget
erase_person) and removes the spool copies of its records; a record the other ticket
keeps as another's mail (a staff reply there, its requester another) still names its
copy, which then stays, the address scrubbed from it as from any kept copy: removed,
`maild fsck` found it missing for good («not repairable: restore it from a backup»)."""

from __future__ import annotations

import re
from collections.abc import Collection

from maild.app import App
from maild.domain.forget import Erasure, erase_person
from maild.domain.records import MessageRecord, Ticket

MAX_CHAIN = 10  # merges followed from a ticket (as domain.merge.final_target)


def erase_sharing(
    app: App,
    loaded: tuple[Ticket, list[MessageRecord]],
    address: str,
    named: re.Pattern[str] | None,
    id_heads: Collection[str],
) -> tuple[Ticket, list[MessageRecord], Erasure]:
    """erase_person of `loaded`, the spool copies a ticket merged with it keeps moved
    from those to remove to those kept (scrubbed)."""
    ticket, messages, erasure = erase_person(*loaded, address, named, id_heads)
    if not erasure.spool_keys:
        return ticket, messages, erasure
    kept: set[str] = set()
    for tid in merged_with(app, loaded[0]):
        other = app.store.load(tid)
        if other is not None:
            kept.update(erase_person(*other, address, named, id_heads)[2].kept_keys)
    shared = [k for k in erasure.spool_keys if k in kept]
    erasure.spool_keys = [k for k in erasure.spool_keys if k not in kept]
    erasure.kept_keys += shared
    return ticket, messages, erasure


def merged_with(app: App, ticket: Ticket) -> set[str]:
    """The tickets a merge joined to `ticket`: those merged into it, the ones it went
    into (a chain of them), and those merged into that."""
    tids = set(ticket.get("merged_from") or ())
    into = ticket.get("merged_into")
    for _ in range(MAX_CHAIN):
        if not into or into in tids:
            break
        tids.add(into)
        loaded = app.store.load(into)
        if loaded is None:
            break
        tids.update(loaded[0].get("merged_from") or ())
        into = loaded[0].get("merged_into")
    tids.discard(ticket["tid"])
    return tids
