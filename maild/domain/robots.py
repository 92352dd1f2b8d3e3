"""Other help desks' robots that do not say they are robots (no Auto-Submitted, no
Precedence): recognised by what they do, so two desks never acknowledge each other.

A sender is a robot on a ticket when, replying to our automatic mail, it
- carries another ticket system's tag in the subject ("[#117904]", "[Ticket#…]",
  "[RT #12]", "Case 00123", "Request #55"), or
- answers faster than a person writes, again: a second reply to our automatic mail
  within FAST_MINUTES of the mail it answers.
Pure: the ticket's thread records are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

__all__ = ["FOREIGN_TAG_RE", "auto_ids", "robot_reason"]

FAST_MINUTES = 5

# Our own tag is "[TID#…]": "TID" before the "#" keeps it out of every branch here.
FOREIGN_TAG_RE = re.compile(
    r"\[\s*(?:#|ticket\s*#|rt\s*#|case\s*#?|request\s*#?|req\s*#?|incident\s*#?)\s*:?\s*"
    r"[a-z0-9-]*\d[^\]]*\]"
    r"|\b(?:case|request)\s*(?:#|no\.?|№)?\s*:?\s*\d{3,}"
    r"|\bticket\s+(?:received|created|#\s*\d+)",
    re.IGNORECASE,
)


def auto_ids(messages: Iterable[dict[str, Any]], staff: Iterable[str]) -> dict[str, datetime]:
    """Message-ID -> time of our automatic mail to customers in this thread."""
    staff = set(staff)
    out = {}
    for m in messages:
        if m.get("direction") != "out" or m.get("kind") not in ("confirmation", "notice"):
            continue
        if set(m.get("to") or ()) - staff:
            out[m["message_id"]] = datetime.fromisoformat(m["received_at"])
    return out


def robot_reason(
    *,
    sender: str,
    subject: str,
    refs: Iterable[str],
    received_at: datetime,
    messages: list[dict[str, Any]],
    staff: Iterable[str],
) -> str | None:
    """Why this message shows its sender to be a robot, or None."""
    ours = auto_ids(messages, staff)
    answered = [ours[r] for r in refs if r in ours]
    if not answered:
        return None  # a reply to a person, or no reply at all: people write those
    tag = FOREIGN_TAG_RE.search(subject or "")
    if tag:
        return f"ответ робота другой системы заявок (в теме «{tag.group(0).strip()}»)"
    if received_at - max(answered) > timedelta(minutes=FAST_MINUTES):
        return None
    earlier_fast = [
        m
        for m in messages
        if m.get("direction") == "in" and m.get("from") == sender and m.get("fast_reply_to_auto")
    ]
    if earlier_fast:
        return (
            f"ответ робота: {len(earlier_fast) + 1}-й ответ на автоматическое письмо "
            f"быстрее {FAST_MINUTES} минут"
        )
    return None


def fast_reply(
    refs: Iterable[str], received_at: datetime, messages: list[dict[str, Any]], staff: Iterable[str]
) -> bool:
    """Whether this message answers our automatic mail within FAST_MINUTES."""
    ours = auto_ids(messages, staff)
    answered = [ours[r] for r in refs if r in ours]
    return bool(answered) and received_at - max(answered) <= timedelta(minutes=FAST_MINUTES)
