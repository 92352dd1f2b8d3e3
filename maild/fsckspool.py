"""`maild fsck`'s look at the spool: every processed message (spool/cur) is in a
ticket or the quarantine, every spool copy a ticket names is there, and the mail not
processed yet is counted: waiting in spool/new, being processed by a running maild,
or held by one that died (serve takes it back)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from maild.adapters.quarantine import entry_id
from maild.adapters.spool import pid_alive
from maild.adapters.store import CorruptFile
from maild.domain.maildigest import content_digest, reused_id
from maild.domain.message import legacy_synthetic_msgid, message_id_of, synthetic_msgid

if TYPE_CHECKING:  # fsck calls these with itself
    from maild.fsck import Fsck


def check_spool(check: Fsck) -> None:
    """Count the unprocessed mail; name processed mail that is in no ticket (--repair
    puts it back into spool/new)."""
    app = check.app
    spool = app.spool
    check.pending = len(os.listdir(spool.root / "new"))
    check.held = len(spool.unprocessed()) - check.pending  # after a kill -9 too
    check.working = working(spool.root / "claimed")
    cur = spool.root / "cur"
    for name in sorted(os.listdir(cur)):
        path = cur / name
        if not check.wanted(path):
            continue
        try:
            raw = path.read_bytes()
        except OSError as e:
            check.problem(path, f"unreadable: {e.strerror}")
            continue
        ids = {message_id_of(raw), synthetic_msgid(raw), legacy_synthetic_msgid(raw)}
        if _kept(check, ids):
            continue  # in a ticket, or kept in the quarantine (never a ticket)
        ids.add(own_id(raw))  # a different mail under a Message-ID held first (reusedid)
        if _kept(check, ids):
            continue
        tids = {_indexed(check, i) for i in ids} - {None}
        # mail of a ticket staff marked #spam (it may be back since: `spam release` of
        # its message brings it back with that message only): staff's replies stay out
        if any(t is not None and app.quarantine.spammed(t) for t in tids):
            continue
        corrupt = [check.corrupt[t] for t in tids if t in check.corrupt]
        if not corrupt:
            what = f"{message_id_of(raw)} is in no ticket"
            check.problem(path, what, "re-queued to spool/new")
        if check.repair and (not corrupt or corrupt[0]):  # (a corrupt ticket's: its fix)
            app.store.files().move(path, spool.root / "new" / name.split(":", 1)[0])


def _kept(check: Fsck, ids: set[str]) -> bool:
    return bool(ids & check.all_ids) or any(check.app.quarantine.get(entry_id(i)) for i in ids)


def own_id(raw: bytes) -> str:
    """The id the pipeline files ``raw`` under when a different mail held its
    Message-ID first (maildigest.reused_id)."""
    return reused_id(message_id_of(raw), content_digest(raw))


def check_spool_copies(check: Fsck) -> None:
    """Every message a ticket keeps a spool copy of has it (in cur/, or back in
    new/ or bad/): the raw text is what fsck, `maild forget` and a re-run rely on."""
    spool = check.app.spool
    for tid, mid, key in check.copies:
        if check.wanted(check.ticket_path(tid)) and spool.path(key) is None:
            check.problem(
                check.ticket_path(tid),
                f"the spool copy of {mid} (spool/cur/{key}:2,S) is missing "
                "(not repairable: restore it from a backup)",
            )


def _indexed(check: Fsck, msgid: str) -> str | None:
    """The ticket the Message-ID index names (a garbage entry: none; it is reported
    as such)."""
    try:
        return check.app.store.tid_for_msgid(msgid)
    except CorruptFile:
        return None


def working(claimed: Path) -> dict[int, int]:
    """Live pid -> how many messages it holds claimed (spool/claimed/<pid>/): mail
    being processed now, not mail that waits for serve to take it back."""
    out = {}
    for name in sorted(os.listdir(claimed)):
        try:
            n = sum(not k.startswith(".") for k in os.listdir(claimed / name))
        except (FileNotFoundError, NotADirectoryError):  # given up meanwhile
            continue
        if n and name.isdigit() and pid_alive(int(name)):
            out[int(name)] = n
    return out
