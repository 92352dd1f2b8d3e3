"""The sender's look at the block list before a pass sends: automatic mail whose
every recipient is blocked now is withdrawn, not sent, as `maild block add` withdraws
it (guard.withdraw_blocked): the list may have been edited by hand, or the mail
queued before the entry was added, by a process that had not seen it yet.

The rule is domain.spam.withheld, the one queueing follows: a staff member's answer
still goes (a person wrote it), and so does mail to staff and the head. The list is
Quarantine.sending_blocks: one stat a pass, parsed again only when the file changed;
a list that cannot be read or is broken withdraws nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from maild.adapters import outleft, outstale
from maild.adapters.outqueue import OutQueue
from maild.adapters.outwithdraw import Reason, Section, withdraw
from maild.domain.leftstaff import Members
from maild.domain.records import OutboxEntry
from maild.domain.spam import BlockList, withheld

# how long a pass waits for the store's lock (a batch holds it) before it leaves its
# blocked mail to the next pass, unsent
LOCK_WAIT = 5.0


@dataclass(frozen=True)
class Screen:
    """What the sender asks before a pass (App sets it): the block list now, and the
    store's lock, under which the withdrawals are made as `block add`'s are (one
    group commit, never beside `maild forget` or #spam withdrawing the same mail), and
    `noted`, which marks the mails withdrawn there on their tickets' threads in the
    same section (withdrawals.note; it raises for a thread it cannot read, and the
    section then withdraws none: outwithdraw.py); `unnoted` takes such marks off
    again, for mail withdrawn (by anyone) while it was going (outrace.py: each with
    why); `pending`: whether a reminder's deadline still waits for staff (outstale.py);
    `members`: staff and the head now, whom mail queued to them as such still goes to
    (outleft.py)."""

    blocks: Callable[[], BlockList | None]
    locked: Callable[[float], AbstractContextManager[Any]]
    noted: Callable[[list[OutboxEntry], str], object]
    unnoted: Callable[[list[tuple[OutboxEntry, str]]], object]
    pending: outstale.Pending | None = None
    members: Members | None = None

    def sendable(
        self, queue: OutQueue, due: list[OutboxEntry], own: Iterable[str]
    ) -> list[OutboxEntry]:
        """Of the mails a pass is about to send, those that may go: not automatic mail
        to the blocked (`unblocked`), nor staff's mail to someone no longer staff
        (outleft.current), nor a reminder about a deadline no longer pending
        (outstale.current); each of those withdrawn."""
        due = self.unblocked(queue, due, own)
        if self.members is not None and due:
            due = outleft.current(queue, due, self.members, self._section())
        if self.pending is None or not due:
            return due
        return outstale.current(queue, due, self.pending, self._section())

    def unblocked(
        self, queue: OutQueue, due: list[OutboxEntry], own: Iterable[str]
    ) -> list[OutboxEntry]:
        """Of the mails a pass is about to send, those that may go; the others
        (automatic, every recipient blocked now) are withdrawn: moved to sent/ marked
        "withdrawn": "blocked", one log line each. `own`: staff and the head."""
        blocks = self.blocks()
        if blocks is None or not (blocks.addresses or blocks.domains):
            return due
        ours = list(own)
        out, blocked = [], []
        for meta in due:
            found = withheld(blocks, meta["to"], meta.get("kind") or "", ours)
            if meta["to"] and len(found) == len(meta["to"]):
                blocked.append((meta, ", ".join(sorted(set(found.values())))))
            else:
                out.append(meta)
        if blocked:
            self._withdraw(queue, blocked)
        return out

    def _withdraw(self, queue: OutQueue, blocked: list[tuple[OutboxEntry, str]]) -> None:
        """Withdraw `blocked` (each with the entries that block it) in one locked
        section (outwithdraw.py); when that cannot be done now, they wait unsent for
        the next pass."""
        entries = {meta["id"]: entry for meta, entry in blocked}
        reason = Reason("blocked", "blocked mail(s)", lambda meta: entries[meta["id"]])
        mails = [meta for meta, _entry in blocked]
        withdraw(queue, mails, reason, self._section())

    def _section(self) -> Section:
        """Where a pass withdraws: the store's lock, waited for LOCK_WAIT at most."""
        return Section(lambda: self.locked(LOCK_WAIT), self.noted)
