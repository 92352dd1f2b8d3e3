"""`maild fsck`'s look at the spool: every processed message (spool/cur) is in a
ticket or the quarantine, every spool copy a ticket names is there, and the mail not
processed yet is counted: waiting in spool/new, being processed by a running maild,
or held by one that died (serve takes it back)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from maild.adapters.claimers import claimer_alive
from maild.adapters.durable import names_in
from maild.adapters.quarantine import entry_id
from maild.adapters.spool import mail_in
from maild.adapters.store import CorruptFile
from maild.adapters.store.files import stamp
from maild.adapters.store.rebuild import keep_copy
from maild.domain.limits import NAME_MAX, figures
from maild.domain.logid import SYNTHETIC_DOMAIN
from maild.domain.maildigest import content_digest, former_digest, reused_id
from maild.domain.message import legacy_synthetic_msgid, message_id_of, synthetic_msgid
from maild.domain.wholemail import cut_short
from maild.unreadables import unreadable_mail

if TYPE_CHECKING:  # fsck calls these with itself
    from maild.fsck import Fsck


def check_spool(check: Fsck) -> None:
    """Count the unprocessed mail; name processed mail that is in no ticket (--repair
    puts it back into spool/new)."""
    app = check.app
    spool = app.spool
    count_waiting(check)
    check_waiting(check)
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
        ids = unkept_ids(check, raw)
        if ids is None:  # in a ticket, or kept in the quarantine (never a ticket)
            if (whose := keyed(check).get(key := name.split(":", 1)[0])) is not None:
                tid, mid = whose  # (a copy the quarantine keeps is no ticket's)
                came = partial(_came, check, tid, key)  # (asked of a cut copy only)
                cut_copy(check, path, raw, f"the spool copy of {mid} in {tid}", came=came)
            elif (kept := second_copy(check, raw)) is not None:
                spare(check, path, kept)
            continue
        if damaged_copy(check, path, raw):
            continue  # (never re-queued: serve would open a ticket of its garbage)
        tids = {t for i in ids if (t := _indexed(check, i)) is not None}
        # mail of a ticket staff marked #spam (it may be back since: `spam release` of
        # its message brings it back with that message only): staff's replies stay out
        if spammed := sorted(t for t in tids if app.quarantine.spammed(t)):
            spam_leftover(check, path, raw, spammed[0])
            continue
        named = f" (the Message-ID index names {min(tids)})" if tids else ""
        if cut_copy(check, path, raw, f"{message_id_of(raw)}, in no ticket{named},", name):
            continue  # (never re-queued: serve would store a ticket of what is left)
        corrupt = [check.corrupt[t] for t in tids if t in check.corrupt]
        if not corrupt:
            what, fix = f"{message_id_of(raw)} is in no ticket", "re-queued to spool/new"
            lost = sorted(t for t in tids if check.gone(t))  # its file gone: the index
            if lost:  # entry stays (Waiting.names), serve stores the mail again there
                what += f" (the Message-ID index names {lost[0]}, whose ticket file is gone)"
                fix += f": `maild serve` stores it again in {lost[0]}"
            check.problem(path, what, fix)
        # (a corrupt ticket's: its fix; the file is set aside after: set_aside_tickets)
        if check.repair and (not corrupt or corrupt[0]):
            app.store.files().move(path, spool.root / "new" / name.split(":", 1)[0])


def spam_leftover(check: Fsck, path: Path, raw: bytes, tid: str) -> None:
    """``path`` is mail of ticket ``tid``, marked #spam, that no entry keeps: staff's
    mail of it (an answer, a note, the #spam reply), which a maild before 2026-12-07
    left in spool/cur when the ticket went; never re-queued, needed by nothing, it
    stayed for good, past retention and the quarantine's expiry. --repair removes it."""
    what = f"{message_id_of(raw)} is in no ticket and no quarantine entry, of {tid} marked #spam"
    spare(check, path, f"{what} (staff's mail of it, left when it went)")


def spare(check: Fsck, path: Path, what: str) -> None:
    """``path`` in spool/cur is ``what``, a copy no record needs: named; --repair
    removes it."""
    check.problem(path, what, "removed")
    if check.repair:
        check.app.store.files().remove(path)


def second_copy(check: Fsck, raw: bytes) -> str | None:
    """What ``raw`` (in spool/cur, not the copy a ticket keeps) is when it is the same
    mail as one a ticket keeps a copy of (its Message-ID, and what its sender wrote:
    maildigest.content_digest): a mail delivered twice, whose second copy a maild
    before 2026-12-07 kept, as it kept the copy a quarantined mail arrived as once it
    was released, and one delivered again while there. Once retention deleted the
    ticket with its copy, this one was mail in no ticket, and --repair re-queued it:
    the ticket opened again, its confirmation sent again. None when it is not (a
    reused Message-ID's other mail)."""
    spool = check.app.spool
    for mid in all_ids(raw):
        for tid, key in by_message_id(check).get(mid, ()):
            path = spool.path(key)
            try:
                same = path is not None and content_digest(path.read_bytes()) == content_digest(raw)
            except OSError:
                continue
            if same:
                return (
                    f"{message_id_of(raw)} is a second copy of the mail {tid} keeps as "
                    f"spool/cur/{key}:2,S (not needed: delivered twice, or released from "
                    "the quarantine)"
                )
    return None


def by_message_id(check: Fsck) -> dict[str, list[tuple[str, str]]]:
    """Message-ID -> the tickets and spool keys of the messages that keep a copy under
    it (built once, when first asked)."""
    if check.by_mid is None:
        check.by_mid = {}
        for tid, mid, key in check.copies:
            check.by_mid.setdefault(mid, []).append((tid, key))
    return check.by_mid


def damaged_copy(check: Fsck, path: Path, raw: bytes) -> bool:
    """Whether ``path`` (in spool/cur, in no ticket by any id of its own) is under the
    name a ticket's message keeps its raw copy by: that copy is damaged (overwritten,
    garbage), named with the message that lost it; not repairable."""
    key = path.name.split(":", 1)[0]
    if key not in keyed(check):
        return False
    tid, mid = keyed(check)[key]
    check.problem(
        path,
        f"the spool copy of {mid} in {tid} is damaged ({message_id_of(raw)} in its place; "
        "not repairable: restore it from a backup)",
    )
    return True


def cut_copy(
    check: Fsck,
    path: Path,
    raw: bytes,
    whose: str,
    unstored: str = "",
    came: Callable[[], str | None] | None = None,
) -> bool:
    """Whether ``raw`` (the file at ``path`` in spool/cur, ``whose`` copy) is cut short
    (wholemail.cut_short): named; not repairable. Serve would store a ticket of what
    is left of it: the customer's text a MIME fragment, the attachments gone. A copy in
    no ticket (``unstored``: its name in spool/cur) may be as its sender sent it (a
    multipart never closed): then moving it back is how it becomes a ticket. A stored
    copy whose digest is the one its record took of the mail as it came (``came``:
    maildigest.content_digest) is as its sender sent it (a multipart never closed,
    random bytes with no header block): no damage, not named."""
    why = cut_short(raw)
    if why is not None and came is not None and came() == content_digest(raw):
        return False
    if why is not None:
        fix = "not repairable: restore it from a backup"
        if unstored:
            key = unstored.split(":", 1)[0]
            fix += (
                "; if the backup's copy ends the same, its sender sent it so: "
                f"`mv` it to spool/new/{key} as the storage's owner, and serve stores it"
            )
        check.problem(path, f"{whose} is cut short ({why}; {fix})")
    return why is not None


def _came(check: Fsck, tid: str, key: str) -> str | None:
    """The digest the record in ``tid`` of the message kept by spool key ``key`` took
    of the mail as it came (maildigest.content_digest); None without one."""
    try:
        loaded = check.app.store.load(tid)
    except CorruptFile:
        return None
    records = loaded[1] if loaded is not None else []
    return next((m.get("digest") for m in records if m.get("spool_key") == key), None)


def keyed(check: Fsck) -> dict[str, tuple[str, str]]:
    """Spool key -> the ticket and Message-ID of the message that keeps its copy by it
    (built once, when first asked)."""
    if check.keyed is None:
        check.keyed = {k: (tid, mid) for tid, mid, k in reversed(check.copies)}
    return check.keyed


def count_waiting(check: Fsck) -> None:
    """Count the mail not processed yet (again after --repair re-queued some)."""
    spool = check.app.spool
    check.pending = len(mail_in(spool.root / "new"))
    check.held = len(spool.unprocessed()) - check.pending  # after a kill -9 too
    check.working = working(spool.root / "claimed")


def check_waiting(check: Fsck) -> None:
    """Mail in spool/new that maild may not read (root copied it in: mode 0600,
    root's; a directory in its place): it waits, alone, until it is mended; the
    environment's fault, not the mail's, so it is not repaired."""
    for path, why in unreadable_mail(check.app.spool.root / "new"):
        if check.wanted(path):
            check.unreadable(CorruptFile(path, f"unreadable: {why}", True))


def set_aside_tickets(check: Fsck) -> None:
    """--repair: the corrupt ticket files out of tickets/ (a copy in lost+found/), in a
    locked section after the one that re-queued their mail. A section commits its
    removals before its moves (adapters/transaction.py: the spool's moves come last),
    so in one section a kill between the two left a file gone and its mail in
    spool/cur, as if it were in no ticket: the next repair dropped the index entries
    and serve opened new tickets for it. In this order a repair killed anywhere is
    safe to run again, or to follow with serve:
    - in the first section, or in its commit's moves: the files are all there, corrupt,
      so the next repair finds them again and re-queues what is left in spool/cur; the
      mail already back in spool/new waits (serve: its ticket's file is broken);
    - after it, in the second one: some files gone, all their mail in spool/new (or
      spool/claimed/, taken by serve), whose index entries the next repair keeps
      (Waiting.queued): serve stores it again under the same TID; a second copy in
      lost+found/ at most.
    A repair of an older maild (one section) killed between the two left the mail in
    spool/cur: the next repair keeps those index entries too (Waiting.processed) and
    re-queues the mail.
    Only a file still the one found broken is set aside: between the sections another
    repair may have set it aside and serve stored the re-queued mail again in a whole
    file of that name, which stays."""
    if not check.aside:
        return
    store = check.app.store
    with store.locked(timeout=120):
        for path, found in check.aside.items():
            # the file found broken, unchanged (else gone, or serve stored it again)
            if found is not None and stamp(os.fspath(path)) == found:
                keep_copy(store, path)
                store.files().remove(path)


class Waiting:
    """Message-ID index entries that name a ticket that does not exist (yet) and are
    kept: those of mail waiting to be stored again in that TID, a set-aside or lost
    ticket file's."""

    def __init__(self, check: Fsck) -> None:
        self.check = check

    def names(self, path: Path) -> bool:
        """Whether the entry at ``path`` (naming a ticket that is not there) is of
        mail that waits: in spool/new or spool/claimed/, or in spool/cur in no ticket
        nor the quarantine, which the repair re-queues (check_spool). Serve stores it
        again under the TID the entry names, and tells no one again what they were
        told (effects.py: mail queued under ids of its cause is looked up): its file
        set aside, or lost (deleted by hand, lost on disk, the repair of an older
        maild killed after it set the file aside). Removed, the entry would leave
        serve nothing to go by: the mail would open a new ticket, its confirmation
        and staff notice sent again, and a reply with the old TID a third one."""
        return path in self.queued or path in self.processed

    @cached_property
    def queued(self) -> set[Path]:
        spool = self.check.app.spool.root
        claimed = (spool / "claimed" / n for n in names_in(spool / "claimed"))
        claimed = (p for p in claimed if p.is_dir())
        return self._paths([spool / "new", *claimed])

    @cached_property
    def processed(self) -> set[Path]:
        return self._paths([self.check.app.spool.root / "cur"], unkept=True)

    def _paths(self, folders: list[Path], unkept: bool = False) -> set[Path]:
        """The index entries of the mail in ``folders`` (``unkept``: only of mail
        in no ticket nor the quarantine, as check_spool tells it)."""
        paths: set[Path] = set()
        for folder in folders:
            for entry in folder.iterdir():
                if entry.name.startswith("."):
                    continue
                try:
                    raw = entry.read_bytes()
                except OSError:
                    continue  # (taken meanwhile; unreadable mail is not the index's problem)
                ids = unkept_ids(self.check, raw) if unkept else all_ids(raw)
                for mid in ids or ():
                    paths.add(self.check.index_path("msgid", mid))
        return paths


def all_ids(raw: bytes) -> set[str]:
    """Every id the pipeline may have filed ``raw`` under."""
    return {message_id_of(raw), synthetic_msgid(raw), *older_ids(raw), *own_ids(raw)}


def unkept_ids(check: Fsck, raw: bytes) -> set[str] | None:
    """The ids of ``raw`` (all_ids), or None when it is in a ticket or kept in the
    quarantine by one of them. Its own ids (a different mail under a Message-ID held
    first: reusedid) are made, and looked up, only when the others found nothing."""
    ids = {message_id_of(raw), synthetic_msgid(raw), *older_ids(raw)}
    if _kept(check, ids):
        return None
    own = set(own_ids(raw)) - ids
    return None if _kept(check, own) else ids | own


def _kept(check: Fsck, ids: set[str]) -> bool:
    return bool(ids & check.all_ids) or any(check.app.quarantine.get(entry_id(i)) for i in ids)


def older_ids(raw: bytes) -> list[str]:
    """The ids older mailds filed mail without a Message-ID under: of every byte
    (legacy_synthetic_msgid), and of the digest made before the header block ended
    where the parser ends it (maildigest.former_digest), where that differs. Only fsck
    looks mail up by the latter: the pipeline would take a different mail (a script's
    next alert, one line apart) for the one filed so."""
    former = former_digest(raw)
    return [legacy_synthetic_msgid(raw), *([f"<{former}{SYNTHETIC_DOMAIN}"] if former else [])]


def own_ids(raw: bytes) -> list[str]:
    """The ids the pipeline files ``raw`` under when a different mail held its
    Message-ID first (maildigest.reused_id): of its digest, and of the one an older
    maild made (maildigest.former_digest), where it differs."""
    mid = message_id_of(raw)
    digests = (content_digest(raw), former_digest(raw))
    return [reused_id(mid, d) for d in digests if d]


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
    being processed now, not mail that waits for serve to take it back (its claimer
    died, though its pid may be another process's now: claimers.claimer_alive)."""
    out = {}
    for name in sorted(names_in(claimed)):
        try:
            n = len(mail_in(claimed / name))
        except (FileNotFoundError, NotADirectoryError):  # given up meanwhile
            continue
        pid = figures(name, NAME_MAX)  # (none for «²»: no claim)
        if n and pid is not None and claimer_alive(os.fspath(claimed / name), pid):
            out[pid] = n
    return out
