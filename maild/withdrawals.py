"""Mail withdrawn from the outbox, marked on its ticket's thread (domain.withdrawn): in
the locked section that withdrew it, so the outbox and the ticket never disagree on
whether it went. Called by every withdrawal: block add, #spam and #uncc
(guard._withdraw), the sender's look at the block list (adapters/outblock.py, through
App), at stale reminders (outstale.py) and at staff who left (outleft.py), `maild
forget` (ops/forget.py). A copy withdrawn while the sender was already
handing it to the relay went: its mark is taken off again (unnote).

An automatic copy withdrawn gives back its count against its recipient's caps (it
reached nobody; caps.uncounted), and one that went after all is counted again.

A thread that cannot be read (unreadable, corrupt) is skipped and logged, the mail
withdrawn all the same, except for the sender (`strict`): its mail may as well wait,
unsent, and its section then withdraws none (adapters/outwithdraw.py) until the file is
restored or `maild fsck --repair` has run: never withdrawn without its mark.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from maild.adapters.store import CorruptFile
from maild.domain.caps import counted_copy, mailbox_of
from maild.domain.pending import about
from maild.domain.records import MessageRecord, OutboxEntry, Ticket, aware_time
from maild.domain.withdrawn import Withdrawal, mark_withdrawn, unmark_withdrawn

if TYPE_CHECKING:  # (app wires this module into the outbox's sender)
    from maild.app import App

log = logging.getLogger("maild.outbox")

MAX_MERGES = 20  # a chain of #merge longer than this is no thread of maild's

Held = dict[str, list[MessageRecord]]  # TID -> its thread, saved by the caller afterwards


def withdrawal(app: App, meta: OutboxEntry, why: str, recipient: str | None = None) -> Withdrawal:
    """The withdrawal of the queued copy `meta` (`recipient`: whom its record names,
    when not its To: `maild forget` has put the placeholder there). Its outbox id is
    its mail's key, then "-n" for the n-th copy (outgoing.copy_key), whose first copy's
    Message-ID is the one its record keeps."""
    key, dash, n = meta["id"].rpartition("-")
    copy = int(n) if dash and n.isdigit() else 0
    tid = meta.get("tid")
    first = app.message_id(key, tid) if copy and tid else meta["message_id"]
    to = recipient or (meta["to"][0] if meta["to"] else "")
    return Withdrawal(meta["message_id"], first, copy, to, why)


def note(
    app: App,
    withdrawn: list[tuple[OutboxEntry, Withdrawal]],
    held: Held | None = None,
    *,
    strict: bool = False,
) -> int:
    """Mark each withdrawn copy on its ticket's thread, and on the thread of the ticket
    that one was merged into (#merge copies the records there); `held`: threads the
    caller saves itself after this, marked in place (#uncc: the reply's ticket);
    `strict`: a thread that cannot be read raises its CorruptFile (the sender's). In
    the caller's locked section. How many threads changed."""
    _recount(app, withdrawn, went=False)
    n = 0
    for tid, ws in _by_tid(withdrawn).items():
        for one in _with_targets(app, tid, held or {}, strict):
            n += _mark(app, one, ws, held or {}, strict)
    return n


def _by_tid(pairs: list[tuple[OutboxEntry, Withdrawal]]) -> dict[str, list[Withdrawal]]:
    """The withdrawals of `pairs` by the TID of their mail, a list's by each of its
    tickets' (pending.about: each has its note of it); mail of no ticket left out."""
    by_tid: dict[str, list[Withdrawal]] = {}
    for meta, w in pairs:
        listed: list[str | None] = (
            [tid for tid, _due in about(meta)] if "about_dues" in meta else []
        )
        for tid in dict.fromkeys(listed or [meta.get("tid")]):
            if tid:
                by_tid.setdefault(str(tid), []).append(w)
    return by_tid


def unnote(app: App, went: list[tuple[OutboxEntry, Withdrawal]]) -> int:
    """Take the marks of `note` off again for copies that went after all: withdrawn
    while the sender was handing them to the relay, which took them
    (adapters/outrace.py). In the caller's locked section; taking them off twice
    changes nothing. How many threads changed."""
    _recount(app, went, went=True)
    n = 0
    for tid, ws in _by_tid(went).items():
        for one in _with_targets(app, tid, {}):
            loaded = _load(app, one)
            unmarked = unmark_withdrawn(loaded[1], ws) if loaded is not None else None
            if loaded is not None and unmarked is not None:
                app.store.save(loaded[0], unmarked)
                n += 1
    return n


def _recount(app: App, pairs: list[tuple[OutboxEntry, Withdrawal]], went: bool) -> None:
    """The caps' counts of the automatic copies of `pairs` (caps.counted_copy), per
    recipient's mailbox as they were counted when queued: given back for copies
    withdrawn, counted again for copies that went after all (`went`; each copy comes
    here so once: OutQueue.withdraw, outrace._unwithdraw). A copy `maild forget`
    erased names its placeholder: its person's record is gone."""
    for meta, _w in pairs:
        when = aware_time(meta["queued_at"])
        counted = counted_copy(meta.get("counted"), meta["kind"], meta.get("role"))
        if when is None or meta.get("erased") or not counted:
            continue
        for rcpt in meta["to"]:
            if went:
                app.store.record_auto_reply(mailbox_of(rcpt), when)
            else:
                app.store.uncount_auto_reply(mailbox_of(rcpt), when)


def _load(app: App, tid: str, strict: bool = False) -> tuple[Ticket, list[MessageRecord]] | None:
    """The ticket, or None: gone, or its file corrupt (fsck names it; the mail is
    withdrawn all the same: the outbox says so); `strict`: a corrupt one raises."""
    try:
        return app.store.load(tid)
    except CorruptFile as e:
        if strict:
            raise
        log.error("[TID#%s] withdrawn mail not marked in its thread: %s", tid, e)
        return None


def _with_targets(app: App, tid: str, held: Held, strict: bool = False) -> list[str]:
    """`tid` and each ticket it was merged into, in turn."""
    out = [tid]
    while len(out) <= MAX_MERGES and out[-1] not in held:
        loaded = _load(app, out[-1], strict)
        target = loaded[0].get("merged_into") if loaded is not None else None
        if not target or target in out:
            break
        out.append(target)
    return out


def _mark(app: App, tid: str, ws: list[Withdrawal], held: Held, strict: bool) -> int:
    if tid in held:
        marked = mark_withdrawn(held[tid], ws)
        if marked is not None:
            held[tid][:] = marked
        return marked is not None
    loaded = _load(app, tid, strict)
    if loaded is None:  # deleted (#spam, keep_closed_days): nothing shows it
        return 0
    ticket, messages = loaded
    marked = mark_withdrawn(messages, ws)
    if marked is None:
        return 0
    app.store.save(ticket, marked)
    return 1
