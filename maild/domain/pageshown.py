"""Which messages of a ticket its site page shows a customer: what their mail gave them.

A link gives its holder nothing their mail does not (README, "Personal links"), so the
page of a ticket shows `viewer`:

- every customer mail and staff answer when `viewer` is the requester, who wrote or
  got them all (the page as it always was);
- to anyone else (a Cc participant, one added by `#cc`): the mail they wrote, the
  customer mail they were in To or Cc of (the first mail that named them, a reply-all),
  and the staff answers that went to them (the record's "to", "copies"): not a
  co-participant's mail that went to support alone, and nothing from before they were
  in the conversation;
- `#merge` is staff's decision that two conversations are one: every customer sees the
  thread as it stood at the latest merge whole (the messages it moved, the ticket's
  own), as before, but for the answer written with the `#merge` itself, which went to
  the merged ticket's people alone (`written_with_merge`); what came after it follows
  the rule above.

Never notes, commands, automatic notices, forged staff mail, nor an answer withdrawn
from the outbox before it reached `viewer` (withdrawn.withdrawn_for). Files and whole
texts of a message go with it: a message not shown gives none. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from maild.domain.addresses import comparable_address
from maild.domain.records import MessageRecord
from maild.domain.withdrawn import withdrawn_for

__all__ = ["merge_moment", "mailed", "shown_kind", "shown_to", "written_with_merge"]


def shown_kind(m: MessageRecord, viewer: str | None = None) -> bool:
    """Whether `m` is what a page shows at all: customer mail and staff answers, not
    notes, notices, confirmations, command-only or forged staff mail; nor, for
    `viewer`, an answer withdrawn from the outbox before it reached them."""
    if m.get("kind") not in ("customer", "staff") or m.get("forged_staff"):
        return False
    return not (viewer and withdrawn_for(m, viewer))


def written_with_merge(m: MessageRecord) -> bool:
    """The staff answer whose reply held the `#merge`: it went to the merged ticket's
    people alone, so it is shown to whom it went (`mailed`), as none of the thread
    before the merge is: the surviving ticket's customer never got it, nor does it end
    their deadline."""
    return m.get("kind") == "staff" and any(
        str(c).split(" ", 1)[0] == "#merge" for c in m.get("commands") or ()
    )


def _same(addresses: Iterable[Any], viewer: str) -> bool:
    return any(isinstance(a, str) and comparable_address(a) == viewer for a in addresses)


def mailed(m: MessageRecord, viewer: str, customers: Iterable[str] = ()) -> bool:
    """Whether `viewer` wrote `m` or got it by mail: its sender, in its To or Cc, or one
    of the customers a staff answer went to ("to", "copies"). A staff answer whose
    record names none of the ticket's `customers` is one stored before records named
    them (its To was the desk's): it went to every customer, as every answer did."""
    me = comparable_address(viewer)
    if m.get("kind") == "staff" and m.get("direction") == "out":
        named = [*(m.get("to") or ()), *(m.get("copies") or {})]
        if _same(named, me):
            return True
        return not any(_same(named, comparable_address(c)) for c in customers)
    return _same([m.get("from") or "", *(m.get("to") or ()), *(m.get("cc") or ())], me)


def merge_moment(messages: list[MessageRecord]) -> str | None:
    """When the latest `#merge` of the thread was, as far as its records say: the last
    moved message's time (the staff reply with the `#merge` is moved with its ticket's
    thread, last of it); None for a thread no merge joined."""
    moved = [m["received_at"] for m in messages if m.get("merged_from")]
    return max(moved, key=_instant) if moved else None


def _instant(when: str) -> datetime:
    return datetime.fromisoformat(when)


def shown_to(ticket: Any, messages: list[MessageRecord], viewer: str) -> list[bool]:
    """For each message of the thread, whether the ticket's page shows it to `viewer`
    (the rule above)."""
    requester = comparable_address(ticket.get("requester") or "") == comparable_address(viewer)
    customers = [ticket.get("requester") or "", *(ticket.get("participants") or ())]
    merged = merge_moment(messages)
    until = _instant(merged) if merged else None
    out = []
    for m in messages:
        if not shown_kind(m, viewer):
            out.append(False)
        elif written_with_merge(m):
            out.append(mailed(m, viewer, customers))
        elif requester or (until is not None and _instant(m["received_at"]) <= until):
            out.append(True)
        else:
            out.append(mailed(m, viewer, customers))
    return out
