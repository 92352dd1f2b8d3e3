"""One message of the polled mailbox, as maild takes it: whole, or, over
imap.max_message_size, its header and a note (domain/oversize.py). BODY.PEEK: the
server never marks it seen for us."""

from __future__ import annotations

import logging

from imapclient import IMAPClient

from maild.config import ImapConfig
from maild.domain.oversize import stand_in

log = logging.getLogger("maild.imap")


def fetch_message(client: IMAPClient, uid: int, cfg: ImapConfig) -> bytes | None:
    """The message `uid` as maild takes it; None when it is gone (expunged by someone
    else since the SEARCH)."""
    limit = cfg.max_message_size
    size = client.fetch([uid], [b"RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE")
    if size is not None and size > limit:
        data = client.fetch([uid], [b"BODY.PEEK[HEADER]"]).get(uid)
        if data is None or b"BODY[HEADER]" not in data:
            return None
        log.warning(
            "imap: UID %d is %d bytes, over imap.max_message_size (%d): taken as its "
            "header and a note, the mail stays in %s",
            uid, size, limit, cfg.processed_folder,
        )  # fmt: skip
        return stand_in(data[b"BODY[HEADER]"], size, limit, cfg.processed_folder)
    data = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid)
    return None if data is None or b"BODY[]" not in data else data[b"BODY[]"]
