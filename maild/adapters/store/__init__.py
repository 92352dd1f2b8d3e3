"""The ticket store: TinyDB files laid out so that cost never grows with history.

    tickets/<ab>/<tid>.json   one TinyDB per ticket (tables "ticket", "messages")
    open/<xx>.json            TinyDB of summaries of tickets not closed, in 256 parts
                              by a hash of the TID (xx = 00..ff)
    archive/<YYYY>-W<ww>.json TinyDB of summaries of closed tickets, by creation ISO
                              week (archive/<YYYY>-<mm>.json: by month, older stores)
    index/msgid/<ab>/<hash>   Message-ID -> TID of mail received, one small file each
    index/address/<ab>/<hash> per address: first ticket, recent automatic replies
    index/redact/<tid>        closed tickets waiting for credential redaction
    index/erased              addresses `maild forget` erased lately (keyed hash), and when
    index/forgets/<key>.<tid> what a `maild forget` not finished yet erased, by ticket
                              (ops/forgetjournal)
    registry.json             TinyDB of licenses and groups
    lock                      the last locked section's note (lock.LockNote); the lock
                              itself, one writer across processes, is a flock of
                              the storage directory (it cannot be deleted)

Every write goes through files.DurableJSONStorage: temp file, fsync, rename; inside
a locked section all writes are one group commit: `with store.locked() as tx`, and
Store.files() gives that Transaction to the code that writes inside the section.
A batch of mail rewrites only the parts of open/ it touched.

    files.py       errors, durable TinyDB storage, FileCache (parsed summary files)
    summaries.py   rows of open/ and archive files
    indexes.py     the small per-key index files
    registry.py    licenses and groups
    lock.py        the lock and its note
    tickets.py     Store: ticket files, and the one entry point to all of the above
"""

from maild.adapters.store.files import CorruptFile, DurableJSONStorage, FileCache, StoreUnavailable
from maild.adapters.store.summaries import OPEN_PARTS, SUMMARY_FIELDS, open_part
from maild.adapters.store.tickets import Store

__all__ = [
    "OPEN_PARTS",
    "SUMMARY_FIELDS",
    "CorruptFile",
    "DurableJSONStorage",
    "FileCache",
    "Store",
    "StoreUnavailable",
    "open_part",
]
