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

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from maild.adapters import outleft, outstale
from maild.adapters.outqueue import OutQueue
from maild.adapters.store.files import StoreUnavailable
from maild.domain.leftstaff import Members
from maild.domain.records import OutboxEntry
from maild.domain.spam import BlockList, withheld

log = logging.getLogger("maild.outbox")

# how long a pass waits for the store's lock (a batch holds it) before it leaves its
# blocked mail to the next pass, unsent
LOCK_WAIT = 5.0


@dataclass(frozen=True)
class Screen:
    """What the sender asks before a pass (App sets it): the block list now, and the
    store's lock, under which the withdrawals are made as `block add`'s are (one
    group commit, never beside `maild forget` or #spam withdrawing the same mail), and
    `noted`, which marks the mails withdrawn there on their tickets' threads in the
    same section (withdrawals.note); `unnoted` takes such marks off again, for mail
    withdrawn (by anyone) while it was going (outrace.py: each with why); `pending`:
    whether a reminder's deadline still waits for staff (outstale.py); `members`:
    staff and the head now, whom mail queued to them as such still goes to (outleft.py)."""

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
            due = outleft.current(
                queue, due, self.members, lambda: self.locked(LOCK_WAIT), self.noted
            )
        if self.pending is None or not due:
            return due
        return outstale.current(
            queue, due, self.pending, lambda: self.locked(LOCK_WAIT), self.noted
        )

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
        section; when it cannot be had, they wait unsent for the next pass."""
        done = []
        try:
            with self.locked(LOCK_WAIT):
                for meta, entry in blocked:
                    if queue.withdraw(meta["id"], {"withdrawn": "blocked"}):
                        done.append((meta, entry))  # (else sent or withdrawn meanwhile)
                self.noted([meta for meta, _entry in done], "blocked")
        except (StoreUnavailable, OSError) as e:
            log.error("outbox: %d blocked mail(s) not sent, withdrawn by a later pass: %s",
                      len(blocked), e)  # fmt: skip
            return
        for meta, entry in done:
            log.info("%s [TID#%s] %s to %s withdrawn, not sent: blocked (%s)",
                     meta.get("message_id") or "<none>", meta.get("tid") or "-",
                     meta.get("kind") or "mail", ", ".join(meta["to"]), entry)  # fmt: skip
