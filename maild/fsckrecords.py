"""`maild fsck`'s look at the store's records that are no ticket's and derived from
nothing: the outbox queue's and the block list. Nothing rebuilds them, so fsck only
names them (--repair leaves them: a backup restores them, or the admin mends or
deletes them)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from maild.adapters.outqueue import EXT, read_record
from maild.adapters.store import CorruptFile

if TYPE_CHECKING:  # fsck calls these with itself
    from maild.fsck import Fsck


# What a mail whose record is lost can no longer be, by the folder it is in.
_LOST = {
    "queue": "this mail cannot be sent",
    "refused": "its ticket is never told that the relay refused it",
    "sent": "it is missing from `outbox list --sent`",
}


def check_outbox(check: Fsck) -> None:
    """Every outbox mail's record can be read whole: the sender skips a queued file
    whose first line is no record (not JSON, or JSON without a field the sender
    needs), so its mail would never go and no one would know; likewise the mail
    refused for good that its ticket is to be told of, and the mail sent."""
    outbox = check.app.outbox
    for folder in (outbox.queue, outbox.refused, outbox.sent):
        for name in sorted(n for n in os.listdir(folder) if n.endswith(EXT)):
            try:
                with open(folder / name, "rb") as f:
                    ok = read_record(name, f.readline()) is not None  # as the sender reads
            except OSError as e:
                check.problem(folder / name, f"unreadable: {e.strerror}")
                continue
            if not ok:
                check.problem(
                    folder / name, f"no outbox record on its first line: {_LOST[folder.name]} "
                    "(not repairable: restore it from a backup, or delete it)"
                )  # fmt: skip


def check_blocklist(check: Fsck) -> None:
    """blocklist.json is a list of addresses and domains: `block list` and `block add`
    refuse another file (and #spam's mail waits), and mail is screened only by the
    entries it has."""
    try:
        check.app.quarantine.blocklist()
    except CorruptFile as e:
        check.problem(e.path, f"{e.why} (not repaired: correct it, or restore it from a backup)")
    except OSError as e:
        check.problem(check.app.quarantine.blocklist_path, f"unreadable: {e.strerror or e}")
