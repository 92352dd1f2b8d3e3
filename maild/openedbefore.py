"""A new ticket's sender's latest open tickets, as robotrounds.opening_reason reads
them (Snapshot.opened_before): a robot that answers each confirmation with a new mail
opens a ticket a round, each with its canned text (one, or a few in turn)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from maild.adapters.store import CorruptFile
from maild.app import App
from maild.domain import humans, robots
from maild.domain.caps import mailbox_of
from maild.domain.logid import logged_id
from maild.domain.message import ParsedMessage
from maild.domain.records import MessageRecord, Ticket
from maild.domain.robotrounds import (
    OPENING_CHAIN,
    OPENING_WINDOW,
    Opened,
    follows,
    opening_text,
)

log = logging.getLogger("maild.pipeline")


def opened_before(
    app: App, msg: ParsedMessage, tid: str | None, at: datetime, unasked: bool = False
) -> tuple[Opened, ...]:
    """The sender's latest new tickets but ``tid`` (this mail's own, when recovery
    finds it stored), newest first, as its address record keeps them
    (Store.new_tickets: no scan of the open tickets, thousands on a busy desk), while
    each follows the one after it (robotrounds.follows: the chain opening_reason
    reads, OPENING_CHAIN of them at most); one whose file cannot be read, gone or
    closed ends them. None read when ``unasked`` (staff's mail, automatic mail: no
    confirmation goes anyway), nor when no automatic mail went to the address within
    OPENING_WINDOW before ``at`` (the caps' count of it, read per mail anyway): most mail."""
    sender = msg.from_addr
    if not sender or unasked:
        return ()
    since = at - OPENING_WINDOW
    if not any(t >= since for t in app.store.auto_replies(mailbox_of(sender))):
        return ()  # no confirmation lately that this mail may answer
    found, newer = [], Opened(at, "", False, None, False)
    for old in [t for t in app.store.new_tickets(sender) if t != tid][:OPENING_CHAIN]:
        try:
            loaded = app.store.load(old)
        except CorruptFile as e:
            log.warning("%s: [TID#%s] not read: %s", logged_id(msg.message_id), old, e)
            break
        if loaded is None or loaded[0]["status"] == "closed":
            break
        opened = _opened(sender, *loaded, app.policy.staff)
        if not follows(newer, opened):
            break  # the chain ends: no older one is read
        found.append(newer := opened)
    return tuple(found)


def _opened(
    sender: str, ticket: Ticket, messages: list[MessageRecord], staff: Iterable[str]
) -> Opened:
    """One ticket as the rule reads it: its first customer mail's subject and words
    (robotrounds.opening_text), and files."""
    first = next(
        (m for m in messages if m.get("direction") == "in" and m.get("kind") == "customer"),
        None,
    )
    text = (first.get("text") or "") if first else ""
    subject = (first.get("subject") or "") if first else ""
    files = any(a.get("accepted") for a in first.get("attachments") or ()) if first else False
    return Opened(
        opened_at=datetime.fromisoformat(ticket["created_at"]),
        canned=opening_text(subject, text),
        files=files,
        confirmed_at=robots.answered([], sender, messages, staff),
        vouched=humans.vouched(ticket, sender),
    )
