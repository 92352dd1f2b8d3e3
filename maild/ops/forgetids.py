"""`maild forget` and the Message-IDs that hold the address.

Many mail clients make a Message-ID of the sender's address (`<1700000000.ivan@shop.ru>`).
The ticket keeps such an id with the placeholder in the address's place
(domain.forget: `<1700000000.forgotten@invalid>`), as the byte scrub leaves it in the
outbox's In-Reply-To and References; the Message-ID index files it so (reindex), and
the note of a forget cut short (forgetjournal) keeps it so. A reply to the old id no
longer threads by it (the subject's TID still does).
"""

from __future__ import annotations

import re

from maild.adapters.store.files import CorruptFile
from maild.app import App
from maild.domain.forget import PLACEHOLDER, Erasure
from maild.domain.forgetmention import Mention
from maild.domain.maildigest import as_sent
from maild.domain.records import OutboxEntry


def reindex(app: App, renamed: list[tuple[str, str]]) -> None:
    """The Message-ID index as the ticket now names its mail (the caller holds the
    store lock): an id that held the address is filed under the id kept instead
    (`maild fsck` finds each received id filed), and the entry of the id received goes
    (its name, a hash of the id, would confirm a guess)."""
    for old, new in renamed:
        app.quarantine.rename_released(old, new)  # a release's marker of it, the same
        try:
            tid = app.store.tid_for_msgid(old)
        except CorruptFile:  # (not a TID: nothing to carry over, it goes)
            app.store.unindex_msgid(old)
            continue
        if tid is not None:
            app.store.unindex_msgid(old)
            app.store.index_msgid(new, tid)


def kept_ids(tickets: list[Erasure], mention: Mention) -> set[tuple[str, str]]:
    """(TID, Message-ID as sent, as kept) of the person's messages erased in tickets
    they did not open: a notice answers the id its mail carried, and another mail may
    carry the same id in another ticket (reusedid.py); scrubbed as about_them scrubs
    the In-Reply-To it is compared with."""
    return {
        (e.tid, mention.sub(PLACEHOLDER, as_sent(i)))
        for e in tickets
        if not e.theirs
        for i in e.message_ids
    }


_IN_REPLY_TO = re.compile(rb"^In-Reply-To:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


def about_them(
    meta: OutboxEntry,
    data: bytes,
    mention: Mention,
    theirs: set[str],
    quoted: set[tuple[str, str]],
) -> bool:
    """Whether an outbox file is mail about the person: to them, about a ticket they
    opened, or the staff notice of a message of theirs in another's ticket (`quoted`:
    kept_ids; the notice answers one, and quotes it)."""
    if any(mention.fullmatch(a) for a in meta["to"]) or meta.get("tid") in theirs:
        return True
    if meta.get("kind") != "notice" or not quoted:
        return False
    mail = data.partition(b"\n")[2]
    head = mail.split(b"\r\n\r\n", 1)[0]
    replying = _IN_REPLY_TO.search(head)
    if replying is None:
        return False
    said = replying[1].decode("ascii", "replace")
    return (meta.get("tid"), mention.sub(PLACEHOLDER, said)) in quoted
