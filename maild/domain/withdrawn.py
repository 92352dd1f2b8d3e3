"""Mail withdrawn from the outbox before it went (block add, the sender's looks at the
block list, stale reminders and staff who left, #spam, #uncc, `maild forget`), marked
on its record in the ticket's thread, so staff, the site and the rules that ask what
reached a customer never take it for mail that went.

One mail goes one copy per recipient (outgoing.copy_key), and each copy may be withdrawn
alone: a record keeps each withdrawn copy's reason by its recipient
(`"withdrawn_copies"`), and `"withdrawn"` (the reason) once no copy of it is left to go.
Pure: the runner finds the withdrawn copies (maild/withdrawals.py) and saves the thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from maild.domain.records import MessageRecord

__all__ = [
    "Withdrawal",
    "answer_reached",
    "mark_withdrawn",
    "unmark_withdrawn",
    "withdrawn_for",
    "withdrawn_ids",
]


@dataclass(frozen=True)
class Withdrawal:
    """One copy taken out of the outbox: its Message-ID, the Message-ID of its mail's
    first copy and its place among the copies (outgoing.copy_key: 0 for the first),
    whom it was for, and why (the outbox record's "withdrawn")."""

    message_id: str
    first_id: str
    copy: int
    recipient: str
    why: str


def withdrawn_for(m: Mapping[str, Any], address: str) -> str | None:
    """Why the copy of mail `m` to `address` was withdrawn (never sent), or None: it
    went, or goes still (or `m` is no mail maild queued)."""
    if m.get("withdrawn"):
        return str(m["withdrawn"])
    copies = m.get("withdrawn_copies")
    return copies.get(address.lower()) if isinstance(copies, dict) else None


def answer_reached(m: Mapping[str, Any]) -> bool:
    """Whether `m` is a staff answer that reached the customer: a staff member's reply
    relayed (kind "staff", going out) of which a copy went, not one withdrawn whole
    before it went (`maild forget`, #spam, #uncc, the block list). The one rule of it:
    a #wait after it (closedcmd), the status mail's last staff action (statusmail) and
    what a reply on a stale view misses (staleview) all ask it."""
    return m.get("kind") == "staff" and m.get("direction") == "out" and not m.get("withdrawn")


def withdrawn_ids(m: Mapping[str, Any]) -> set[str]:
    """The Message-IDs of the copies of `m` withdrawn, as far as its record names them:
    each one's in `copies`, and the first copy's (the mail's own) for its first
    recipient; all of them once none of it went."""
    copies = m.get("copies") or {}
    own = m.get("sent_as") or m.get("message_id") or ""
    if m.get("withdrawn"):
        return {own, *copies.values()} - {""}
    to = [a.lower() for a in m.get("to") or ()]
    found = set()
    for a in m.get("withdrawn_copies") or ():
        found.add(copies.get(a) or (own if m.get("direction") == "out" and to[:1] == [a] else ""))
    return found - {""}


def _ids(m: MessageRecord) -> set[str]:
    """The Message-IDs the copies of `m` went (or were to go) out as: its own, a relayed
    answer's (sent_as), each recorded copy's (copies); of a note that its ticket's
    reminder went in a list, the list's (list_message_id)."""
    found = {m.get("message_id") or "", m.get("sent_as") or "", m.get("list_message_id") or ""}
    found.update((m.get("copies") or {}).values())
    return found - {""}


def _is_of(m: MessageRecord, w: Withdrawal) -> bool:
    """Whether `w` is a copy of the mail recorded as `m`: by its own Message-ID, else
    (a copy whose id the record does not keep: one customer and staff on the mail, or
    a customer `maild forget` took out of `copies`) as the n-th of `m`'s recipients."""
    ids = _ids(m)
    if w.message_id in ids:
        return True
    if w.copy <= 0 or w.first_id not in ids or m.get("direction") != "out":
        return False
    to = m.get("to") or []
    return w.copy < len(to) and to[w.copy].lower() == w.recipient.lower()


def _recipients(m: MessageRecord, w: Withdrawal) -> set[str]:
    """Everyone the mail recorded as `m` went to: the record's To for mail maild wrote;
    of a staff member's answer (whose To is the desk) its customers' copies, or the one
    customer of `w` when it went to one."""
    if m.get("direction") == "out":
        return {a.lower() for a in m.get("to") or ()}
    return {a.lower() for a in m.get("copies") or ()} or {w.recipient.lower()}


def _marked(m: MessageRecord, w: Withdrawal) -> MessageRecord:
    copies = dict(m.get("withdrawn_copies") or {})
    copies[w.recipient.lower()] = w.why
    out: MessageRecord = {**m, "withdrawn_copies": copies}
    if _recipients(m, w) <= copies.keys():  # none of it went: the reason of the last
        out["withdrawn"] = m.get("withdrawn") or w.why
    return out


def mark_withdrawn(
    messages: list[MessageRecord], withdrawals: list[Withdrawal]
) -> list[MessageRecord] | None:
    """The thread with each record that `withdrawals` took copies of marked (a copy
    marked before keeps its reason), or None when none of them is its mail."""
    changed = False
    out = list(messages)
    for w in withdrawals:
        for n, m in enumerate(out):
            if _is_of(m, w) and (m.get("withdrawn_copies") or {}).get(w.recipient.lower()) is None:
                out[n] = _marked(m, w)
                changed = True
    return out if changed else None


def unmark_withdrawn(
    messages: list[MessageRecord], withdrawals: list[Withdrawal]
) -> list[MessageRecord] | None:
    """The thread with the marks of `withdrawals` taken off again: copies that were
    withdrawn while the sender was handing them to the relay, which took them (they
    went). The record keeps the other copies' marks, and no "withdrawn" (one copy at
    least went). None when none is marked (so taking them off twice changes nothing)."""
    changed = False
    out = list(messages)
    for w in withdrawals:
        for n, m in enumerate(out):
            copies = dict(m.get("withdrawn_copies") or {})
            if not _is_of(m, w) or (copies.pop(w.recipient.lower(), None) is None
                                    and not m.get("withdrawn")):  # fmt: skip
                continue
            rest: MessageRecord = {**m}
            rest.pop("withdrawn", None)
            rest.pop("withdrawn_copies", None)
            out[n] = {**rest, "withdrawn_copies": copies} if copies else rest
            changed = True
    return out if changed else None
