"""A Message-ID that a different mail carried first: the pipeline's look, under the
store lock, at the mail the store keeps under it (domain/maildigest.py says why).

Ingest is idempotent for the same mail delivered again, by its Message-ID and what its
sender wrote (content_digest): that is a duplicate, stored once. A different mail under
a Message-ID held already is new mail: it is filed under an id of its own
(maildigest.reused_id), its ticket opened or followed up as any other, its confirmation
and staff notice sent, and one WARNING names the Message-ID and the ticket (or
quarantine entry) of the mail that carried it first.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from maild.adapters.quarantine import entry_id
from maild.app import App
from maild.domain.logid import SYNTHETIC_DOMAIN
from maild.domain.maildigest import content_digest, reused_id
from maild.domain.message import ParsedMessage, legacy_synthetic_msgid
from maild.domain.records import MessageRecord

log = logging.getLogger("maild.pipeline")


def distinct(app: App, msg: ParsedMessage, raw: bytes) -> tuple[ParsedMessage, str | None]:
    """``msg`` with its digest, filed under an id of its own when the mail the store
    keeps under its Message-ID is a different one; and the ticket the Message-ID
    index names for the id it is filed under (a duplicate's, or one to resume after a
    crash), None for new mail. Call it holding the store lock."""
    digest = content_digest(raw)
    msg = replace(msg, digest=digest)
    if msg.message_id.endswith(SYNTHETIC_DOMAIN):  # no Message-ID: an older maild's id?
        legacy = legacy_synthetic_msgid(raw)
        tid = app.store.tid_for_msgid(legacy)
        if tid:
            return replace(msg, message_id=legacy), tid
    tid = app.store.tid_for_msgid(msg.message_id)
    first = _first_carrier(app, msg.message_id, tid)
    if first is None or first[1] in ("", digest):
        return msg, tid  # new, one to resume (crash recovery), the same mail again or as good
    own = reused_id(msg.message_id, digest)
    own_tid = app.store.tid_for_msgid(own)
    if own_tid is None:  # (delivered again: the duplicate's line says so)
        log.warning(
            "%s Message-ID reused: %s holds a different mail under it (another sender, "
            "subject, date or text); this one from %s is taken as new mail, filed as %s",
            msg.message_id,
            first[0],
            msg.from_addr or "(no sender)",
            own,
        )
    return replace(msg, message_id=own), own_tid


def _first_carrier(app: App, message_id: str, tid: str | None) -> tuple[str, str] | None:
    """Where the store keeps mail under ``message_id`` (`[TID#...]`, ``tid`` the index
    names, or a quarantine entry) and that mail's digest, or None: no mail, or the
    index names a ticket that does not keep it yet (a re-run after a crash resumes it
    there). The digest is "" when nothing tells it: an older maild's message whose
    spool copy is gone (erased by `maild forget`): taken for the same mail, as that
    maild took it, so erased mail delivered again does not come back."""
    loaded = app.store.load(tid) if tid else None
    if loaded is not None:
        kept = [m for m in loaded[1] if m["message_id"] == message_id]
        return (f"[TID#{tid}]", _digest_of(app, kept[0])) if kept else None
    qid = entry_id(message_id)  # spam, or the mail of a ticket staff marked #spam
    if app.quarantine.get(qid) is None:
        return None
    try:
        return f"quarantine entry {qid}", content_digest(app.quarantine.raw(qid))
    except OSError:
        return f"quarantine entry {qid}", ""


def _digest_of(app: App, m: MessageRecord) -> str:
    """The stored message's digest; a store older than it has the spool copy (rewritten
    only when credentials are redacted, 2 days after the ticket closed)."""
    if m.get("digest"):
        return m["digest"]
    key = m.get("spool_key")
    try:
        return content_digest(app.spool.read(key)) if key else ""
    except OSError:
        return ""
