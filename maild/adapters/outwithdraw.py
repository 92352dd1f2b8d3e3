"""The sender's withdrawals, for each reason alike (outblock.py: blocked, outleft.py:
left, outstale.py: stale): the mails a pass must not send are withdrawn in one locked
section of the store, each moved to sent/ marked "withdrawn": WHY and marked so on its
ticket's thread (withdrawals.note), one log line each.

All or nothing a pass: the section is one transaction (StoreLock._section) whose
writes, the outbox's moves and the threads' marks, are discarded when its body
raises. So when the lock cannot be had, a file cannot be written, or a thread cannot
be read to be marked (unreadable or corrupt: the sender's `noted` raises then), none
is withdrawn and none is sent: they wait, queued, for a later pass (one ERROR line).
A mail is never withdrawn without its mark, nor sent because a withdrawal failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from maild.adapters.outqueue import OutQueue
from maild.adapters.store.files import StoreUnavailable
from maild.domain.records import OutboxEntry
from maild.privileges import said

log = logging.getLogger("maild.outbox")


@dataclass(frozen=True)
class Section:
    """Where the sender withdraws: `locked`, the store's locked section (its lock
    waited for a few seconds at most); `noted`, which marks the mails withdrawn in it
    on their tickets' threads, and raises for a thread it cannot read."""

    locked: Callable[[], AbstractContextManager[Any]]
    noted: Callable[[list[OutboxEntry], str], object]


@dataclass(frozen=True)
class Reason:
    """Why mails are withdrawn: `why`, the record's and the thread's "withdrawn";
    `what`, how the ERROR line of a pass that withdrew none calls them; `detail`, the
    parenthesis of one mail's log line."""

    why: str
    what: str
    detail: Callable[[OutboxEntry], str]


def withdraw(
    queue: OutQueue, mails: list[OutboxEntry], reason: Reason, section: Section,
    recheck: Callable[[OutboxEntry], bool] | None = None,
) -> set[str]:  # fmt: skip
    """Withdraw `mails` in one locked `section`, or none of them. `recheck`: whether
    a mail is still to be withdrawn, asked again in the section; one it says no to
    goes. The ids of the mails this pass must not send: withdrawn, sent or withdrawn
    meanwhile, or left queued for a later pass."""
    done: list[OutboxEntry] = []
    going: set[str] = set()
    try:
        with section.locked():
            for meta in mails:
                if recheck is not None and not recheck(meta):
                    going.add(meta["id"])
                elif queue.withdraw(meta["id"], {"withdrawn": reason.why}):
                    done.append(meta)  # (else sent or withdrawn meanwhile)
            section.noted(done, reason.why)
    except (StoreUnavailable, OSError) as e:  # the section's writes discarded: none withdrawn
        log.error("outbox: %d %s not sent, withdrawn by a later pass: %s",
                  len(mails), reason.what, said(e))  # fmt: skip
        return {m["id"] for m in mails}
    for meta in done:
        log.info("%s [TID#%s] %s to %s withdrawn, not sent: %s (%s)",
                 meta.get("message_id") or "<none>", meta.get("tid") or "-",
                 meta.get("kind") or "mail", ", ".join(meta["to"]), reason.why,
                 reason.detail(meta))  # fmt: skip
    return {m["id"] for m in mails} - going
