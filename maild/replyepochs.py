"""The epochs of the reply addresses a message went to, from the store (domain.leak):
how many times the address of each ticket its To/Cc name leaked for a staff member,
which says which signature of it proves them now (verify.staff_verified). Read under
the store lock, before the quarantine's gate (a staff reply passes it) and the
Snapshot (Snapshot.staff_epochs: the decision renews a leaked address).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from maild.app import App
from maild.domain.leak import epoch
from maild.domain.message import ParsedMessage
from maild.domain.records import Ticket
from maild.domain.replyaddr import plus_tid
from maild.domain.tid import TID_RE

MAX_CHAIN = 10  # as merge.final_target follows #merge


def staff_epochs(app: App, msg: ParsedMessage) -> dict[str, int]:
    """TID -> the epoch of the sender's reply address there, for each ticket a reply
    address in To/Cc names, when the sender is a staff member; else nothing."""
    member = app.policy.listed(msg.from_addr)
    if member not in app.policy.staff:
        return {}
    return address_epochs(app, (*msg.to, *msg.cc), member)


def address_epochs(app: App, addresses: Iterable[str], person: str) -> dict[str, int]:
    """TID -> the epoch of ``person``'s reply address there, for each ticket a reply
    address among ``addresses`` names: the highest along the ticket's #merge chain (a
    leak counted where its mail landed, the ticket it was merged into, counts for
    the addresses of the tickets merged into that one too)."""
    return {tid: of(person) for tid, of in epochs_of(app, addresses).items()}


def epochs_of(app: App, addresses: Iterable[str]) -> dict[str, Callable[[str], int]]:
    """TID -> what gives a person's epoch there (address_epochs), for each ticket a
    reply address among ``addresses`` names: its tickets read once for everyone."""
    support = app.config.support.address
    found: dict[str, Callable[[str], int]] = {}
    for addr in addresses:
        tid = plus_tid(addr, support)
        if tid and tid not in found and TID_RE.fullmatch(tid):
            chain = _chain(app, tid)
            found[tid] = lambda person, chain=chain: max(
                (epoch(t, person) for t in chain), default=0
            )
    return found


def _chain(app: App, tid: str) -> list[Ticket]:
    """The ticket ``tid`` and those #merge sent it on to, as far as they are there."""
    seen: list[Ticket] = []
    at: str | None = tid
    while at and len(seen) < MAX_CHAIN and all(t["tid"] != at for t in seen):
        loaded = app.store.load(at)
        if loaded is None:
            break
        seen.append(loaded[0])
        at = loaded[0].get("merged_into")
    return seen
