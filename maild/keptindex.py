"""The Message-ID index entries of a ticket staff marked #spam: of mail the quarantine
kept with it (pipeline._hold indexes it there: delivered again, it goes back to the
quarantine; released after the ticket is back, it is processed in the ticket), and of
staff's mail of it the #spam took, which its mark names."""

from __future__ import annotations

import logging
from typing import Any

from maild.adapters.quarantine import entry_id
from maild.adapters.store.files import CorruptFile
from maild.app import App
from maild.domain.logid import logged_id

log = logging.getLogger("maild.quarantine")


def forget_dropped(app: App, entry: dict[str, Any]) -> None:
    """``entry`` is deleted (`maild spam delete`, spam.keep_days) and its ticket is no
    longer marked #spam (back, or gone): the index entry of its mail goes, unless the
    ticket holds that mail (released into it). Left, it named the ticket for good: once
    storage.keep_closed_days deleted it, `maild fsck` called it a problem, and the same
    mail delivered again was stored under that TID anew, as a re-run after a crash is
    (a staff member's late answer opened a ticket with them its customer)."""
    tid, message_id = entry.get("tid"), entry.get("message_id")
    if not tid or not message_id or app.quarantine.spammed(tid):
        return
    if app.store.tid_for_msgid(message_id) != tid:
        return
    try:
        loaded = app.store.load(tid)
    except CorruptFile:  # (fsck names it; its repair rebuilds the index)
        return
    if loaded is None or all(m["message_id"] != message_id for m in loaded[1]):
        app.store.unindex_msgid(message_id)


def ticket_back(app: App, tid: str) -> None:
    """Ticket ``tid`` marked #spam is back (its first mail released): its mark goes
    (kept, it made the ticket one again once deleted), and so do the index entries of
    staff's mail of it the mark names (the ticket holds none of it: once deleted, they
    named nothing), and an entry a maild before 2026-12-07 made of such mail delivered
    again (released after the ticket's mail, it marked the ticket #spam again)."""
    for message_id in app.quarantine.unmark_spammed(tid):
        if app.store.tid_for_msgid(message_id) == tid:
            app.store.unindex_msgid(message_id)
        again = app.quarantine.get(entry_id(message_id))
        if again is not None and again.get("message_id") == message_id:
            app.quarantine.delete(again["id"])
            if again.get("spool_key"):
                app.spool.discard(again["spool_key"])
            line = "%s quarantined again as %s, staff's mail of [TID#%s] the #spam took: deleted"
            log.info(line, logged_id(message_id), again["id"], tid)
