"""`maild fsck`'s look at the store's records that are no ticket's: the outbox
queue's and the block list, derived from nothing: nothing rebuilds them, so fsck only
names them (--repair leaves them: a backup restores them, or the admin mends or
deletes them); and the per-address records, bookkeeping of the caps and paces
(adapters/store/addressrec.py), which --repair rewrites."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from maild.adapters.durable import names_in
from maild.adapters.outfile import EXT, mail_wrong, read_record
from maild.adapters.store import CorruptFile, addressrec
from maild.adapters.store.indexes import key_hash
from maild.adapters.store.rebuild import keep_copy
from maild.domain.caps import mailbox_of

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
    refused for good that its ticket is to be told of, and the mail sent. And its mail
    is the length its record gives (outfile.mail_wrong): a queued one cut short is
    not sent either."""
    outbox = check.app.outbox
    for folder in (outbox.queue, outbox.refused, outbox.sent):
        for name in sorted(n for n in names_in(folder) if n.endswith(EXT)):
            try:
                with open(folder / name, "rb") as f:
                    meta = read_record(name, f.readline())  # as the sender reads
                    size = os.fstat(f.fileno()).st_size - f.tell()
            except (PermissionError, IsADirectoryError) as e:  # the sender passes it by
                check.unreadable(CorruptFile(folder / name, f"unreadable: {e.strerror}", True))
                continue  # (named with the chown or chmod that mends it, not repaired)
            except OSError as e:
                check.problem(folder / name, f"unreadable: {e.strerror}")
                continue
            wrong = mail_wrong(meta, size) if meta is not None else None
            if meta is None or wrong:
                lost = _LOST[folder.name] if meta is None or folder == outbox.queue else ""
                check.problem(
                    folder / name, f"{wrong or 'no outbox record on its first line'}: "
                    f"{lost}{'; ' if lost else ''}(not repairable: restore it from a backup, "
                    "or delete it)"
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


def check_address_records(check: Fsck) -> None:
    """Every per-address record is as maild writes it: a broken one (or a field of it)
    is read as empty (left out) until the next write of the record; --repair rewrites
    it now with what is whole of it, the first ticket's date from the tickets. Named
    with whose it is, when it is staff's, the head's or a requester's. A requester's
    first ticket must be in the record (lost, or written again without it: by a cap's
    count): free support counts from it, and would start again with the next ticket;
    --repair makes the record (or adds the date) from the tickets."""
    owners = _owners(check)
    listed = set()
    for path in check.index_files("address"):
        listed.add(path.name)
        try:
            record, why = addressrec.read_record(path.read_bytes())
        except OSError as e:
            check.problem(path, f"unreadable: {e.strerror or e}")
            continue
        whose = f" of {owners[path.name]}" if path.name in owners else ""
        if why is None:
            _check_first_seen(check, path, record, whose)
            continue
        what = f"corrupt address index entry{whose} ({why}; `maild fsck --repair` rewrites it)"
        check.problem(path, what, "rewritten")
        if check.repair:
            keep_copy(check.app.store, path)
            _write_record(check, path, record)
    for key in sorted(set(check.first_seen) - listed):
        path = check.root / "index" / "address" / key[:2] / key
        _check_first_seen(check, path, None, f" of {owners[key]}" if key in owners else "")


def _check_first_seen(check: Fsck, path: Path, record: dict | None, whose: str) -> None:
    """A whole record (None: none) has the date of the first ticket, where the
    tickets show one of its address. (One dating it later than a ticket is no
    problem: mail `spam release` brings back is stored with the day it came.)"""
    day = check.first_seen.get(path.name)
    if day is None or (record is not None and "first_seen" in record):
        return
    if record is None:
        what = f"no address index entry{whose}"
    else:
        what = f"address index entry{whose} without the date of the first ticket"
    what += f" (the tickets: {day}; free support would count from the next ticket)"
    check.problem(path, what, "rebuilt from the tickets" if record is None else "rewritten")
    if check.repair:
        _write_record(check, path, record or {})


def _write_record(check: Fsck, path: Path, record: dict) -> None:
    """The record with the first ticket's date from the tickets, if it has none."""
    day = check.first_seen.get(path.name)
    if day and "first_seen" not in record:
        record = {**record, "first_seen": day}
    path.parent.mkdir(parents=True, exist_ok=True)
    check.app.store.files().put(path, json.dumps(record).encode())


def _owners(check: Fsck) -> dict[str, str]:
    """Whose record each name of index/address/ is: staff, the head, the requesters
    (a caps record is a mailbox's, without its +tag: caps.mailbox_of)."""
    support = check.app.config.support
    people = list(support.internal)
    people += [t["requester"] for t in check.tickets.values() if t.get("requester")]
    return {key_hash(a): a for p in people for a in (p, mailbox_of(p))}


def read_index(check: Fsck, path: Path) -> str | None:
    """An index entry's value (FileNotFoundError: there is none); None, a problem,
    when maild may not read it (its owner, mode; a directory in its place): left as it
    is, the rest is rebuilt around it."""
    try:
        return path.read_bytes().decode("ascii", "replace").strip()
    except FileNotFoundError:
        raise
    except OSError as e:
        check.unreadable(CorruptFile(path, f"unreadable: {e.strerror or e}", True))
        return None
