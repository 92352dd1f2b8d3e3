"""`maild fsck`'s look at the attachment files the tickets name (stored once by
content: attachments/<sha[:2]>/<sha>, adapters/store/attachfiles.py): each is there
and, unless `--quick`, its bytes hash to its name. A file gone or changed is what
the support site would hand out (its link answers «not found», or gives other
bytes), and what redaction of the ticket reads. --repair puts back only what it
can prove: the bytes of a part of a spool copy of a message naming the file that
hash to its name (a changed file's bytes first go to lost+found/); else the line
says to restore it from a backup. Each file is read once, however many tickets name
it: at 100k tickets bench/FINDINGS.md 61 gives what the hashing costs."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from maild.adapters.store.attachfiles import attachment_path
from maild.adapters.store.rebuild import keep_copy
from maild.domain.records import MessageRecord
from maild.unreadables import chown_fix

if TYPE_CHECKING:  # fsck calls check_attachments with itself
    from maild.fsck import Fsck

# who names an attachment file: the TID, the message's id, the file's name in it, and
# the message's spool key (None: no raw copy)
Named = tuple[str, str, str, str | None]
MISSING, CHANGED = "is missing", "is changed"
NOT_FOUND = "the support site's link to it answers «not found»"


def kept_files(m: MessageRecord) -> list[tuple[str, str]]:
    """The SHA-256 and name of each file the message's record keeps (accepted)."""
    found = m.get("attachments") or []
    return [
        (sha256, str(a.get("filename") or "file"))
        for a in found
        if isinstance(a, dict) and a.get("accepted") and isinstance(sha256 := a.get("sha256"), str)
    ]


def check_attachments(check: Fsck) -> None:
    """Name each attachment file a ticket names that is gone, unreadable or (unless
    check.quick) not of its content; with --repair restore what a spool copy holds."""
    for sha, named in sorted(check.files.items()):
        path = attachment_path(check.root, sha)
        if not check.wanted(path):
            continue
        fault = _fault(path, sha, check.quick)
        if fault is None:
            continue
        tid, mid, name, _key = named[0]
        whose = f"the file {name!r} of {mid or 'a message'} in {tid}"
        if len(named) > 1:
            whose += f" (and of {len(named) - 1} more message(s))"
        what, site = fault
        if what != MISSING and not what.startswith(CHANGED):  # (what is there may be whole)
            mend = "move it away" if path.is_dir() else chown_fix(check.root, path)
            check.problem(path, f"{whose} {what}: {site} (not repaired: {mend})")
            continue
        data = _from_spool(check, sha, named)
        if data is None:
            why = f"{whose} {what}: {site} (not repairable: restore it from a backup)"
            check.problem(path, why)
            continue
        check.problem(path, f"{whose} {what}: {site}", "restored from its message's spool copy")
        if check.repair:
            if path.exists():
                keep_copy(check.app.store, path)
            path.parent.mkdir(parents=True, exist_ok=True)
            check.app.store.files().put(path, data)


def _fault(path: os.PathLike[str], sha: str, quick: bool) -> tuple[str, str] | None:
    """What is wrong with the file of content ``sha`` and what the site does so."""
    try:
        with open(path, "rb") as f:
            if quick:
                return None
            got = hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return MISSING, NOT_FOUND
    except OSError as e:
        return f"cannot be read ({e.strerror})", NOT_FOUND
    if got == sha:
        return None
    return f"{CHANGED} (its bytes hash to {got[:12]}…)", "the support site hands out these bytes"


def _from_spool(check: Fsck, sha: str, named: list[Named]) -> bytes | None:
    """The bytes of content ``sha`` from a part of a spool copy of a message naming
    it (a copy redaction rewrote, or a file made of a part, holds none)."""
    spool = check.app.spool
    for key in dict.fromkeys(k for *_, k in named if k):
        path = spool.path(key)
        try:
            raw = path.read_bytes() if path is not None else None
        except OSError:
            continue
        for part in check.app.parse(raw).attachments if raw is not None else ():
            if hashlib.sha256(part.data).hexdigest() == sha:
                return part.data
    return None
