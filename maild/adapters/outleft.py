"""The sender's look at support's members before a pass sends: mail queued to someone
as staff or as the head (its record's "role": domain.leftstaff) whose recipient the
config no longer names so (taken off support.staff, another head named, and maild
restarted) is withdrawn, not sent: moved to sent/ marked "withdrawn": "left", marked
so on its ticket's thread, one log line each. So a relay that was down while a member
left leaves them no new-ticket notice, internal note or morning queue queued before.

A customer's mail has no role and goes as ever. The config does not change within a
process: what the pass finds is withdrawn as outwithdraw.py withdraws (under the
store's lock, with the threads' marks, all or nothing); when that cannot be done now it
waits, unsent, for the next pass.
"""

from __future__ import annotations

from maild.adapters.outqueue import OutQueue
from maild.adapters.outwithdraw import Reason, Section, withdraw
from maild.domain.leftstaff import WHY, Members, still_ours
from maild.domain.records import OutboxEntry

REASON = Reason(
    WHY,
    "mail(s) to people no longer on support's staff",
    lambda meta: (
        f"queued to them as {meta.get('role') or 'head'}, "
        "no longer so in support.staff/support.head"
    ),
)


def current(
    queue: OutQueue, due: list[OutboxEntry], members: Members, section: Section
) -> list[OutboxEntry]:
    """Of the mails a pass is about to send, those that may go; mail to a member who
    left is withdrawn in `section` (outwithdraw.py)."""
    left = [m for m in due if not _ours(members, m)]
    if not left:
        return due
    held = withdraw(queue, left, REASON, section)
    return [m for m in due if m["id"] not in held]


def _ours(members: Members, meta: OutboxEntry) -> bool:
    return still_ours(members, meta.get("role"), meta.get("kind") or "", meta["to"])
