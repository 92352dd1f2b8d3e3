"""Mail spooled before `maild forget` erased a person, stored after it.

A worker (and `maild ingest`) claims a message and reads it before it takes the store
lock; a forget that held the lock meanwhile did not see the copy in its memory. So
forget marks, under the lock, whom it erased and when (Store.mark_erased: a hash of the
address keyed with the store's reply secret, indexes.person_key, kept a day), and the
pipeline, under the lock, looks at each message spooled before such a mark (its key
names when: usually there is none, one set lookup): mail from the erased address is not
stored and its spool copy goes, as forget deletes their mail waiting in spool/new, and
nothing is sent; other mail is processed as forget left its spool copy (the address
scrubbed: read again from disk). Mail spooled after the mark is a new contact, stored as
any.
"""

from __future__ import annotations

import logging
import os

from maild.adapters.durable import spooled_ns
from maild.adapters.store.indexes import person_key
from maild.app import App
from maild.domain.logid import mail_for_log

log = logging.getLogger("maild.pipeline")


def as_left(app: App, key: str, raw: bytes, sender: str) -> bytes | None:
    """The message to store (the caller holds the store lock): `raw`, or its spool
    copy as forget left it; None when forget erased it (its sender, or its copy gone),
    its spool copy then removed with this section's commit."""
    when = spooled_ns(key)
    marks = app.store.erased_since(when) if when is not None else set()
    if not marks:
        return raw
    if person_key(app.reply_secret, sender) not in marks:
        try:
            return app.spool.read(key)  # forget scrubbed the address from it
        except FileNotFoundError:
            pass  # forget deleted it: theirs
    files = app.spool.files()
    where = app.spool.path(key)  # (our claimed/ copy)
    if where is not None:
        files.remove(where)
    app.spool.discard(key)
    attempts = os.path.join(app.spool.root, "attempts", key)
    if files.exists(attempts):
        files.remove(attempts)
    log.info(
        "%s spool %s: not stored, its sender's data were erased (`maild forget`) while it "
        "waited to be processed",
        mail_for_log(raw),
        key,
    )
    return None
