"""Mail withdrawn while it went. A withdrawal (block add, #spam, #uncc, `maild forget`,
OutQueue.withdraw) runs under the store's lock, beside a sender that holds only the
outbox's: a pass that had read the mail may be handing it to the relay at that very
moment. The relay took it, so it went: the sender finds its file in sent/ already
(OutQueue.move_to_sent: no extra file operation unless so), logs it as sent, and
after the pass this module takes the "withdrawn" off its outbox record and the mark
off its ticket's thread (withdrawals.unnote), in one locked section, so the ticket,
`block remove`'s «работа начата» (domain.spam.started_owed) and the site see mail that
went, never «не отправлено».

Lock order as ever: the outbox's lock (the caller's pass), then the store's. When the
store's cannot be had in LOCK_WAIT, the mails wait in memory for the next pass. The
outbox record and the thread are put right in one section (one group commit). A
crash before it commits leaves the record "withdrawn" with a line in the sent log
(the sign of such a mail; unblocked.withdrawn_blocked reads it as sent), and the
thread's mark in place: nothing puts that right later yet.
"""

from __future__ import annotations

import json
import logging
import os

from maild.adapters.outblock import Screen
from maild.adapters.outfile import EXT, read_record
from maild.adapters.outqueue import OutQueue
from maild.adapters.store.files import StoreUnavailable
from maild.domain.records import OutboxEntry
from maild.privileges import said

log = logging.getLogger("maild.outbox")

LOCK_WAIT = 3.0  # seconds a pass waits for the store's lock (a batch holds it)


def settle(queue: OutQueue, screen: Screen | None) -> None:
    """Of the mails the last pass sent and found in sent/ already (`queue.raced`),
    those withdrawn meanwhile: recorded as sent, their withdrawal undone, one WARNING
    each. Nothing to do (the usual case): no file touched."""
    if not queue.raced or screen is None:
        return
    raced, queue.raced = queue.raced, []
    went: list[tuple[OutboxEntry, str]] = []
    try:
        with screen.locked(LOCK_WAIT):
            went = [one for meta in raced if (one := _unwithdraw(queue, meta["id"]))]
            if went:
                screen.unnoted(went)
    except (StoreUnavailable, OSError) as e:
        queue.raced = raced + queue.raced  # the next pass tries again
        log.error("outbox: %d sent mail(s) found withdrawn meanwhile, not yet recorded as "
                  "sent on their tickets (the next pass tries): %s",
                  len(raced), said(e))  # fmt: skip
        return
    for meta, why in went:
        log.warning("%s [TID#%s] %s to %s was withdrawn (%s) while it was being sent; the "
                    "relay took it: recorded as sent", meta.get("message_id") or "<none>",
                    meta.get("tid") or "-", meta.get("kind") or "mail",
                    ", ".join(meta["to"]), why)  # fmt: skip


def _unwithdraw(queue: OutQueue, mail_id: str) -> tuple[OutboxEntry, str] | None:
    """In the locked section: the sent mail `mail_id`'s record without its "withdrawn"
    (its other fields, e.g. what `maild forget` erased, kept), and why it had been
    withdrawn; None when it is not marked withdrawn (moved by an earlier call: sent)."""
    files = queue.files()
    path = f"{os.fspath(queue.sent)}/{mail_id}{EXT}"
    try:
        head, _, raw = files.read(path).partition(b"\n")
    except FileNotFoundError:
        return None
    meta = read_record(mail_id + EXT, head)
    if meta is None or not meta.get("withdrawn"):
        return None
    kept = {k: v for k, v in meta.items() if k != "withdrawn"}
    line = json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode()
    files.put(path, line + b"\n" + raw)
    return meta, str(meta["withdrawn"])
