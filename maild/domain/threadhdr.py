"""The In-Reply-To and References of mail to a ticket's customers caused by a staff
member's mail (the answer relayed, «Обращение закрыто», «Работа начата»): the
customers' own mail and support's mail to them, never the staff side's.

The staff reply's own headers name the notice it answers and the staff member's
Message-ID, which no customer ever had: Outlook writes only the notice's id into
References, so the answer came to the customer threaded to nothing they hold (a
thread of its own in Thunderbird), naming the staff side's hosts. Pure.
"""

from __future__ import annotations

from collections.abc import Collection

from maild.domain.records import MessageRecord

__all__ = ["customer_thread"]

REFERENCES = 20  # the first id and the latest ones: enough to thread in any client


def customer_thread(
    messages: list[MessageRecord], staff: Collection[str], current: str
) -> tuple[str, list[str]] | None:
    """(In-Reply-To, References) for mail to customers about ``messages``: the last
    customer mail is what is answered; the References hold the customer's mail and
    support's mail to customers (a relayed answer under the id it went out as; not
    one a cap or a refused address held back), in
    the thread's order. ``current``: the Message-ID of the staff mail being
    processed, not part of it. None when no customer mail is in the thread."""
    ids: list[str] = []
    last_in = None
    for m in messages:
        mid = m.get("message_id") or ""
        if m["direction"] == "in":
            if m["kind"] == "customer" and mid and mid != current:
                ids.append(mid)
                last_in = mid
        elif not m.get("suppressed") and any(a not in staff for a in m.get("to") or ()):
            sent = m.get("sent_as") if m["kind"] == "staff" else mid
            if sent and mid != current:
                ids.append(sent)
    if last_in is None:
        return None
    refs = list(dict.fromkeys(ids))
    return last_in, refs[:1] + refs[1:][-(REFERENCES - 1) :]
