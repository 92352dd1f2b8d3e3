"""The caps on staff notices about outsiders' mail (caps.notice_buckets: per sender,
and for new tickets from unproven senders per From domain and desk-wide), against the
store, and the one notice telling staff a bucket holds notices (staff_flood.txt).

Each bucket's counts live in an address record (index/address/): a sender's in its
mailbox's, a domain's in that of "@domain" (no mailbox's key), the desk's in support's
own address's, which no mail of maild's ever goes to (as deskcap.py's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from maild.app import App
from maild.domain import caps
from maild.domain.decision import Outgoing, msg_key
from maild.domain.logid import log_time
from maild.domain.tid import shown_subject

log = logging.getLogger("maild.guard")


@dataclass(frozen=True)
class Held:
    """A staff notice a bucket held (`bucket`); `until`: set for the first one of a
    flood, when staff are told the bucket's notices are held till then; `why`: the
    ticket's note's words (caps.bucket_reason)."""

    bucket: caps.Bucket
    why: str
    until: datetime | None


def _where(app: App, bucket: caps.Bucket) -> tuple[str, str]:
    """(the address record a bucket is counted in, its fields: indexes.NOTICE_FIELDS)."""
    if bucket.kind == "desk":
        return app.config.support.address, "desk"
    return bucket.key, "proven" if bucket.proven else "unproven"


def check(
    app: App, sender: tuple[str, bool], new_ticket: bool, mail: tuple[str, str], now: datetime
) -> Held | None:
    """One more staff notice about the mail of `sender` (its address, whether the mail
    proves it; `new_ticket`: a new ticket's notice; `mail`: TID and the cause's
    Message-ID, for the log): None when it goes, counted now in every bucket (its
    caller queues it in the same locked section), else the bucket that held it."""
    address, proven = sender
    s = app.config.support
    buckets = caps.notice_buckets(
        address,
        proven,
        new_ticket,
        s.max_staff_notices_per_sender_per_hour,
        s.max_new_ticket_notices_per_domain_per_hour,
        s.max_new_ticket_notices_per_hour,
    )
    places = [_where(app, b) for b in buckets]
    counts = [app.store.staff_notices(key, fields) for key, fields in places]
    bucket, cap = caps.held_by(buckets, counts, now)
    if bucket is None:
        for key, fields in places:
            app.store.record_staff_notice(key, now, bucket=fields)
        return None
    why = caps.bucket_reason(bucket, address or "(не указан)")
    if cap.tell:  # outgoing.send queues the one notice saying so
        key, fields = _where(app, bucket)
        app.store.record_staff_notice(key, now, held=True, bucket=fields)
        tid, msgid = mail
        log.warning(
            "%s [TID#%s] staff told notices are held till %s: %s",
            *(msgid or "-", tid, log_time(cap.until, app.tz), why),
        )
    return Held(bucket, why, cap.until if cap.tell else None)


def held_notice(app: App, out: Outgoing, tid: str, to: list[str], held: Held) -> Outgoing:
    """The one notice telling staff (`to`, whom `out` was for) that notices counted in
    `held.bucket` are held till `held.until` (the first of a flood it stopped: `out`;
    about ticket `tid`, the one that hit the cap)."""
    bucket, until = held.bucket, held.until
    assert until is not None  # (the first notice of a flood: outgoing._telling)
    listed = caps.listed_id(out.about_sender)  # a list's posts, all its posters
    alone = bucket.kind == "sender"
    requester = out.about_sender if alone and not listed else None  # `ticket list --requester`
    context = {
        "tid": tid,
        "subject": shown_subject(out.context.get("subject")),
        "sender": out.about_sender or "(не указан)",
        "requester": requester,
        "list_id": listed if alone else None,
        # the sender's mail proves its From: a flood of its own, not maybe forged
        "proven": out.sender_proven,
        # many senders: of one From domain ("@domain", `ticket list --requester`), or all
        "flood_domain": bucket.key if bucket.kind == "domain" else None,
        "flood_domain_shown": caps.shown_domain(bucket.key[1:])
        if bucket.kind == "domain"
        else None,
        "flood_desk": bucket.kind == "desk",
        # `ticket list --since`: the day the notices the bucket counts began
        "flood_since": app.local(until - caps.NOTICE_WINDOW).date().isoformat(),
        "limit": bucket.limit,
        "until": app.fmt_time(until),
        "until_short": app.fmt_time(until, short=True),
    }
    key = msg_key(out.key, "held")  # once per stopped notice, as every mail's is
    return Outgoing(key, "notice", "staff_flood.txt", to, context, record=True)
