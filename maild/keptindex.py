"""The Message-ID index entry of mail the quarantine kept with a ticket staff marked
#spam (pipeline._hold indexes it there: delivered again, it goes back to the
quarantine; released after the ticket is back, it is processed in the ticket)."""

from __future__ import annotations

from typing import Any

from maild.adapters.store.files import CorruptFile
from maild.app import App


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
