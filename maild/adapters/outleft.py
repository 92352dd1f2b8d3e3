"""The sender's look at support's members before a pass sends: mail queued to someone
as staff or as the head (its record's "role": domain.leftstaff) whose recipient the
config no longer names so (taken off support.staff, another head named, and maild
restarted) is withdrawn, not sent: moved to sent/ marked "withdrawn": "left", marked
so on its ticket's thread, one log line each. So a relay that was down while a member
left leaves them no new-ticket notice, internal note or morning queue queued before.

A customer's mail has no role and goes as ever. The config does not change within a
process: what the pass finds is withdrawn under the store's lock as outblock.py
withdraws (one group commit with the thread's mark); when the lock cannot be had it
waits, unsent, for the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from maild.adapters.outqueue import OutQueue
from maild.adapters.store.files import StoreUnavailable
from maild.domain.leftstaff import WHY, Members, still_ours
from maild.domain.records import OutboxEntry

log = logging.getLogger("maild.outbox")


def current(
    queue: OutQueue,
    due: list[OutboxEntry],
    members: Members,
    locked: Callable[[], AbstractContextManager[Any]],
    noted: Callable[[list[OutboxEntry], str], object],
) -> list[OutboxEntry]:
    """Of the mails a pass is about to send, those that may go; mail to a member who
    left is withdrawn (`locked`: the store's section; `noted`: marks the threads in it)."""
    left = [m for m in due if not _ours(members, m)]
    if not left:
        return due
    done: list[OutboxEntry] = []
    try:
        with locked():
            done = [meta for meta in left if queue.withdraw(meta["id"], {"withdrawn": WHY})]
            noted(done, WHY)  # (one not withdrawn was sent or withdrawn meanwhile)
    except (StoreUnavailable, OSError) as e:
        log.error("outbox: %d mail(s) to people no longer on support's staff not sent, "
                  "withdrawn by a later pass: %s", len(left), e)  # fmt: skip
        done = []
    for meta in done:
        log.info("%s [TID#%s] %s to %s withdrawn, not sent: left (queued to them as %s, "
                 "no longer so in support.staff/support.head)",
                 meta.get("message_id") or "<none>", meta.get("tid") or "-",
                 meta.get("kind") or "mail", ", ".join(meta["to"]),
                 meta.get("role") or "head")  # fmt: skip
    held = {m["id"] for m in left}
    return [m for m in due if m["id"] not in held]


def _ours(members: Members, meta: OutboxEntry) -> bool:
    return still_ours(members, meta.get("role"), meta.get("kind") or "", meta["to"])
