"""Mail queued to support's own side and whether it may still go: a staff notice, a
copy, a reminder, the morning queue, an alert or a report carries internal text meant
for whoever is staff (or the head) when it goes. The outbox record keeps whom each copy
was queued to as ("role": STAFF or HEAD, role_of); when the relay takes it later,
after the admin took its recipient off `support.staff` (or named another head), it is
withdrawn instead (adapters/outleft.py): a member removed gets no more staff mail,
mail already queued to them included.

Mail to a staff member goes while they are on support.staff; mail to the head while
they are the head or on staff (still support's own). A customer's mail has no role and
is never withdrawn so. Whether an address is one of them: ownside (in any spelling).
Pure: the addresses come from the config of the process asking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from maild.domain.ownside import People, own_side, staff_side

__all__ = ["HEAD", "STAFF", "WHY", "Members", "still_ours"]

STAFF, HEAD = "staff", "head"  # an outbox record's "role"
WHY = "left"  # the outbox record's and the thread's "withdrawn" when it may not go

# mail only ever queued to staff and the head (alerts, reports): its recipient was one
# of them even on a record queued before "role" was kept
SUPPORT_KINDS = ("alert", "report")
# mail only ever queued to customers (a confirmation, a staff member's answer relayed):
# never staff mail, whoever its recipient is
CUSTOMER_KINDS = ("confirmation", "staff")


@dataclass(frozen=True)
class Members:
    """Support's own people as the config names them, support.staff and support.head
    apart (ownside.People: an address in any spelling is theirs): mail queued to the
    head may go to him while he is either."""

    staff: People
    head: People  # the head alone, or no one

    @classmethod
    def of(cls, staff: Iterable[str], head: str | None) -> Members:
        return cls(staff_side(staff), own_side((), head))

    def role_of(self, recipients: Iterable[str], kind: str) -> str | None:
        """Whom mail of `kind` to `recipients` is queued to as: HEAD when the head is
        among them, STAFF when all are staff (or the head), None when any is no one of
        support's, or it is a customer's kind of mail."""
        if kind in CUSTOMER_KINDS:
            return None
        found = {HEAD if a in self.head else STAFF if a in self.staff else None
                 for a in recipients}  # fmt: skip
        if not found or None in found:
            return None
        return HEAD if HEAD in found else STAFF


def still_ours(members: Members, role: str | None, kind: str, recipients: Iterable[str]) -> bool:
    """Whether mail queued to `recipients` as `role` may go to them now: True for
    mail of no role (a customer's; one queued before roles were kept, unless of a kind
    only support gets), else while every recipient is still on staff, or, for mail to
    the head, staff or the head."""
    if role is None and kind in SUPPORT_KINDS:
        role = HEAD
    if role not in (STAFF, HEAD):
        return True
    return all(a in members.staff or (role == HEAD and a in members.head) for a in recipients)
