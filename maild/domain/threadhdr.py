"""The In-Reply-To and References of mail to a ticket's customers caused by a staff
member's mail (the answer relayed, «Обращение закрыто», «Работа начата»): the
customers' own mail and support's mail to them, never the staff side's.

The staff reply's own headers name the notice it answers and the staff member's
Message-ID, which no customer ever had: Outlook writes only the notice's id into
References, so the answer came to the customer threaded to nothing they hold (a
thread of its own in Thunderbird), naming the staff side's hosts.

Each copy (one per recipient) threads to what its own customer holds: the customers
of one ticket (a Cc participant, the customer of a ticket merged into it) do not hold
each other's mail, nor each other's copies of support's. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from maild.domain.maildigest import as_sent
from maild.domain.records import MessageRecord
from maild.domain.withdrawn import withdrawn_for

__all__ = ["Thread", "customer_thread", "per_copy", "sent_id"]

REFERENCES = 20  # the first id and the latest ones: enough to thread in any client

Thread = tuple[str | None, list[str]]  # (In-Reply-To, References)


def customer_thread(
    messages: list[MessageRecord], staff: Collection[str], current: str, rcpt: str | None = None
) -> tuple[str, list[str]] | None:
    """(In-Reply-To, References) for mail to customers about ``messages``: the last
    customer mail is what is answered; the References hold the customer's mail and
    support's mail to customers (a relayed answer under the id it went out as; not
    one a cap or a refused address held back), in
    the thread's order. ``current``: the Message-ID of the staff mail being
    processed, not part of it. None when no customer mail is in the thread.

    With ``rcpt``, of the copy to that one customer: only the mail they hold, their own
    and what was written to them (To/Cc), and support's mail to them under the id
    their copy went out as (``copies``). The customer of a ticket merged into this one,
    or a participant, never had the requester's mail nor the requester's copies. What
    they hold holds no customer mail: the last mail they were sent is answered; None
    when they hold nothing."""
    ids: list[str] = []
    last_in = last_out = None
    for m in messages:
        mid = as_sent(m.get("message_id") or "")  # as the customer sent it (maildigest)
        if m["direction"] == "in":
            if m["kind"] == "customer" and mid and mid != current and _holds_in(m, rcpt):
                ids.append(mid)
                last_in = mid
        elif not m.get("suppressed") and _holds_out(m, staff, rcpt):
            sent = sent_id(m, rcpt)
            if sent and mid != current:
                ids.append(sent)
                last_out = sent
    answered = last_in or (last_out if rcpt is not None else None)
    if answered is None:
        return None
    refs = list(dict.fromkeys(ids))
    return answered, refs[:1] + refs[1:][-(REFERENCES - 1) :]


def sent_id(m: MessageRecord, rcpt: str | None = None) -> str | None:
    """The Message-ID a mail maild sent went out as to ``rcpt`` (its copy, one per
    recipient: outgoing.copy_ids), or its first copy's: a relayed answer's own id is
    the staff member's, its ``sent_as`` ours."""
    first = m.get("sent_as") if m["kind"] == "staff" else m.get("message_id")
    return (m.get("copies") or {}).get(rcpt or "") or first


def _holds_in(m: MessageRecord, rcpt: str | None) -> bool:
    """Whether ``rcpt`` (None: any customer) has this customer mail: wrote or got it."""
    return rcpt is None or rcpt in (m["from"], *(m.get("to") or ()), *(m.get("cc") or ()))


def _holds_out(m: MessageRecord, staff: Collection[str], rcpt: str | None) -> bool:
    """Whether support's mail ``m`` went to ``rcpt`` (None: to any customer); a copy
    withdrawn from the outbox never went (domain.withdrawn)."""
    to = [a for a in m.get("to") or () if not withdrawn_for(m, a)]
    return rcpt in to if rcpt is not None else any(a not in staff for a in to)


def per_copy(
    messages: list[MessageRecord], staff: Collection[str], current: str, fallback: Thread
) -> Callable[[str], Thread]:
    """What each copy of one mail threads to, by its recipient: a customer's to the mail
    that customer holds (customer_thread with ``rcpt``; nothing when they hold none), a
    staff member's to ``fallback``; every copy to ``fallback`` when the thread has no
    customer mail at all."""
    if customer_thread(messages, staff, current) is None:
        return lambda _rcpt: fallback

    def of(rcpt: str) -> Thread:
        if rcpt in staff:
            return fallback
        return customer_thread(messages, staff, current, rcpt) or (None, [])

    return of
