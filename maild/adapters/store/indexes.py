"""The store's small index files, one per key, found by a hash of it:

index/msgid/<ab>/<hash>    Message-ID -> TID of mail received, the ticket it arrived in
                           (kept after #merge: snapshot.find_ticket follows merged_into)
index/address/<ab>/<hash>  per address: first ticket, latest new tickets, recent
                           automatic replies, recent
                           staff notices about its mail, unproven and proven apart (and
                           when staff were told of a flood);
                           of a staff member or the head, the reminders (escalations; notices
                           of refused mail) that went to them lately singly, and when the last
                           list (domain.pace); of support's own address, the desk-wide
                           cap's confirmations (deskcap.py); read whole or in part
                           (addressrec.py)
index/redact/<tid>         closed tickets waiting for credential redaction
index/erased               the addresses `maild forget` erased lately, by a keyed hash
                           (person_key), and when
                           (maild.erased: mail spooled before that is erased when stored)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from maild.adapters.durable import write_atomic
from maild.adapters.store.addressrec import NEW_TICKETS, idle, read_record
from maild.adapters.store.files import CorruptFile, FileCache, unreadable
from maild.adapters.store.lock import StoreLock
from maild.adapters.transaction import Transaction
from maild.domain import caps
from maild.domain.addresses import comparable_address
from maild.domain.pace import PACE_WINDOW, Pace
from maild.domain.robotrounds import OPENING_CHAIN
from maild.domain.tid import TID_RE

log = logging.getLogger("maild.store")
# how long an erasure's mark is kept: mail spooled before it waits in a worker's memory
# for the store lock for seconds, a day is far beyond that (the hash goes then)
ERASED_KEPT_NS = 86_400 * 10**9
_HASH = re.compile("[0-9a-f]{40}")  # an index file's name (not a temp file's)
# how many of an address's latest new tickets its record keeps (record_sender): the
# OPENING_CHAIN before a new one that robotrounds.opening_reason reads, and its own
KEPT = OPENING_CHAIN + 1


def key_hash(value: str) -> str:
    """The name of a key's index file."""
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()


def person_key(secret: bytes, address: str) -> str:
    """What the store keeps of an address `maild forget` erased (index/erased, the note
    of a forget cut short): a hash keyed with the store's reply secret, so that whoever
    holds the store or a backup without its key cannot confirm a guessed address."""
    # one key for every spelling of its domain (окна.рф, xn--80atjc.xn--p1ai)
    data = comparable_address(address).encode("utf-8", "surrogatepass")
    return hmac.new(secret, data, "sha256").hexdigest()


def index_path(root: str, kind: str, key: str) -> str:
    h = key_hash(key)
    return f"{root}/index/{kind}/{h[:2]}/{h}"


# the fields of the buckets of staff notices (caps.notice_buckets): (when notices went,
# when staff were told notices are held), of a sender's (or a From domain's, "@domain")
# mail proving nothing, of a sender's mail proving its From, and in support's own
# record of new tickets from all unproven senders together
NOTICE_FIELDS = {
    "unproven": ("staff_notices", "notices_held"),
    "proven": ("proven_notices", "proven_held"),
    "desk": ("desk_notices", "desk_notices_held"),
}
# in support's own address's record: the desk-wide confirmations (deskcap.py)
DESK_FIELD = "desk_confirmations"


def _times(address_record: dict[str, Any], key: str = "auto_replies") -> list[datetime]:
    """When automatic replies went to an address (or staff notices about its mail,
    `key` "staff_notices", "proven_notices"), from its record."""
    return [datetime.fromisoformat(t) for t in address_record.get(key, [])]


class Indexes:
    """The index files of the store at `root`; in a locked section of `lock` each
    one is read from disk once (see StoreLock)."""

    def __init__(self, root: str, lock: StoreLock, cache: FileCache) -> None:
        self.root = root
        self.lock = lock
        self.cache = cache
        # broken address records logged already, with their content (see _address)
        self.reported: set[tuple[str, int]] = set()

    def path(self, kind: str, key: str) -> str:
        return index_path(self.root, kind, key)

    def _read(self, path: str) -> bytes | None:
        """An index file's bytes (None: there is none) as the locked section's
        transaction will commit them; in a locked section read from disk once.
        CorruptFile (unreadable) when maild may not read it."""
        files = self.lock.files()
        try:
            from_disk = files.pending(path) is None
        except FileNotFoundError:  # removed by the transaction
            return None
        seen = self.lock.seen
        held = from_disk and self.lock.held_here()
        if held and path in seen:
            return seen[path]
        try:
            data: bytes | None = files.read(path)  # the transaction's, else the disk's
        except FileNotFoundError:
            data = None
        except OSError as e:  # (its owner, mode; a directory in its place): the mail
            # that needs it waits, the rest goes on; `maild fsck` names it
            raise unreadable(path, e) from None
        if held:
            seen[path] = data
        return data

    def _write(self, path: str, data: bytes, *, last: bool = False) -> None:
        self.cache.ensure_dir(os.path.dirname(path))
        self.lock.files().put(path, data, last=last)

    def _remove(self, path: str) -> None:
        self.lock.files().remove(path)

    # -- Message-ID -> TID -------------------------------------------------------
    def tid_for_msgid(self, msgid: str) -> str | None:
        """The ticket of mail received with this Message-ID; CorruptFile when its
        index file holds anything but a TID (an empty or garbage entry read as
        "unknown" would make a redelivery a second ticket) or cannot be read."""
        path = self.path("msgid", msgid)
        data = self._read(path)
        if data is None:
            return None
        tid = data.decode("ascii", "replace").strip()
        if not TID_RE.fullmatch(tid):
            raise CorruptFile(path, "Message-ID index entry is not a TID")
        return tid

    def index_msgid(self, msgid: str, tid: str) -> None:
        path = self.path("msgid", msgid)
        if self._read(path) is None:
            # visible once the rest of the commit is: a reader that finds the entry
            # (the site: "stored", views.Site.stored) finds the mail in its ticket
            self._write(path, tid.encode(), last=True)

    def unindex_msgid(self, msgid: str) -> None:
        self._remove(self.path("msgid", msgid))

    # -- per address: first ticket, automatic replies ----------------------------
    def _address(self, address: str) -> dict[str, Any]:
        """The address's record, what of it is as maild writes it (addressrec): a
        broken one is read as empty, or without its broken fields, and rewritten so by
        the next record_*; said in one ERROR line per file and content a process."""
        path = self.path("address", address)
        raw = self._read(path)
        record, why = read_record(raw)
        if why and (path, hash(raw)) not in self.reported:
            self.reported.add((path, hash(raw)))
            log.error("%s: address index entry of %s is corrupt (%s); run `maild fsck`",
                      path, address, why)  # fmt: skip
        return record

    def _save_address(self, address: str, record: dict[str, Any]) -> None:
        self._write(self.path("address", address), json.dumps(record).encode())

    def sender_first_seen(self, address: str) -> str | None:
        """ISO date of the first ticket from this address, if recorded."""
        return self._address(address).get("first_seen") if address else None

    def record_sender(self, address: str, tid: str, created_at: str) -> None:
        """A new ticket `tid` of this address, opened at `created_at` (ISO): the date
        of its first ticket (the free-support term counts from it), and its latest
        new tickets (KEPT), which openedbefore.py reads instead of every open
        ticket's summary (robotrounds.opening_reason)."""
        if not address:
            return
        record = self._address(address)
        kept = [e for e in record.get(NEW_TICKETS, []) if e[0] != tid]
        # (one more: the mail's own, when recovery finds its ticket stored, is not read)
        latest = sorted([*kept, [tid, created_at]], key=lambda e: (e[1], e[0]))[-KEPT:]
        first = record.get("first_seen") or created_at[:10]
        self._save_address(address, {**record, "first_seen": first, NEW_TICKETS: latest})

    def new_tickets(self, address: str) -> list[str]:
        """The TIDs of the address's latest KEPT new tickets, newest first (a
        record written before maild kept them has none: the rule starts afresh)."""
        return [tid for tid, _at in reversed(self._address(address).get(NEW_TICKETS, []))]

    def auto_replies(self, address: str) -> list[datetime]:
        """When automatic replies went to this address lately, or were queued to it
        and may still go (one withdrawn before it went is taken out: uncount_auto_reply)."""
        return _times(self._address(address))

    def record_auto_reply(self, address: str, when: datetime) -> None:
        record = self._address(address)
        since = when - caps.WINDOW  # what no cap counts any more is dropped
        times = [*caps.lately(_times(record), since, when), when]
        self._save_address(address, {**record, "auto_replies": [t.isoformat() for t in times]})

    def uncount_auto_reply(self, address: str, queued_at: datetime) -> bool:
        """Take back the count of an automatic mail to this address queued at
        `queued_at` and withdrawn before it went (caps.uncounted); whether it was
        counted. A record without it is left as it is (none is made)."""
        record = self._address(address)
        times = caps.uncounted(_times(record), queued_at)
        if times is None:
            return False
        self._save_address(address, {**record, "auto_replies": [t.isoformat() for t in times]})
        return True

    def desk_confirmations(self, desk: str) -> list[datetime]:
        """When new tickets' confirmations to senders whose mail proves nothing went
        lately, all together (deskcap.py), from the record of support's own address."""
        return _times(self._address(desk), DESK_FIELD)

    def record_desk_confirmation(self, desk: str, when: datetime, keep: int) -> None:
        """`when` added to the times, of which the last `keep` (the cap) are kept: at
        hundreds of new tickets a minute an hour's times were written again each time."""
        record = self._address(desk)
        since = when - caps.NOTICE_WINDOW  # the cap counts an hour back
        times = [*caps.lately(_times(record, DESK_FIELD), since, when), when][-keep:]
        self._save_address(desk, {**record, DESK_FIELD: [t.isoformat() for t in times]})

    def staff_notices(
        self, address: str, bucket: str = "unproven"
    ) -> tuple[list[datetime], datetime | None]:
        """(when staff notices counted in `address`'s record went lately, when staff
        were last told notices are held: caps.notice_cap), from the record the caps on
        automatic mail to the sender read anyway; `bucket`: of unproven mail, of mail
        that proves its From, or desk-wide (NOTICE_FIELDS; a record written before a
        bucket was added reads as having none of it)."""
        record = self._address(address)
        sent, held = NOTICE_FIELDS[bucket]
        told = record.get(held)
        return _times(record, sent), datetime.fromisoformat(told) if told else None

    def record_staff_notice(
        self, address: str, when: datetime, held: bool = False, bucket: str = "unproven"
    ) -> None:
        """A staff notice counted in `address`'s record (`bucket`: which) went (`held`:
        no, staff were told notices are held)."""
        record = self._address(address)
        sent, told = NOTICE_FIELDS[bucket]
        if held:
            self._save_address(address, {**record, told: when.isoformat()})
            return
        since = when - caps.NOTICE_WINDOW  # what the cap no longer counts is dropped
        times = [*caps.lately(_times(record, sent), since, when), when]
        self._save_address(address, {**record, sent: [t.isoformat() for t in times]})

    def reminder_pace(self, address: str, kind: str) -> Pace:
        """What this person got lately of `kind` ("reminder", "escalation"): when single
        mails went, when the last list (pace.Pace)."""
        record = self._address(address)
        listed = record.get(f"{kind}_listed")
        singles = tuple(_times(record, f"{kind}_singles"))
        return Pace(singles, datetime.fromisoformat(listed) if listed else None)

    def record_reminder(self, address: str, kind: str, when: datetime, listed: bool) -> None:
        """A mail of `kind` went to this person: singly, or (`listed`) a list."""
        record = self._address(address)
        if listed:
            self._save_address(address, {**record, f"{kind}_listed": when.isoformat()})
            return
        since = when - PACE_WINDOW  # what the pace no longer counts is dropped
        times = [*caps.lately(_times(record, f"{kind}_singles"), since, when), when]
        self._save_address(address, {**record, f"{kind}_singles": [t.isoformat() for t in times]})

    def forget_address(self, address: str) -> None:
        """Drop the per-address records: the address's own (first ticket, staff
        notices) and its mailbox's, where the caps count automatic replies to it
        (caps.mailbox_of: one for all its spellings, which are one person's)."""
        for key in sorted({address, caps.mailbox_of(address)}):
            self._remove(self.path("address", key))

    def address_files(self) -> list[str]:
        """The paths of every address record (for the daily sweep of idle ones)."""
        base = f"{self.root}/index/address"
        try:
            subs = sorted(os.listdir(base))
        except FileNotFoundError:
            return []
        out: list[str] = []
        for sub in subs:
            with contextlib.suppress(NotADirectoryError, FileNotFoundError):
                names = os.listdir(f"{base}/{sub}")
                out.extend(f"{base}/{sub}/{n}" for n in sorted(names) if _HASH.fullmatch(n))
        return out

    def drop_if_idle(self, path: str, before: datetime) -> bool:
        """Remove the address record at `path` if it holds nothing but times before
        `before` (addressrec.idle); one maild cannot read as it wrote it is left to
        `maild fsck`. In a locked section."""
        raw = self._read(path)
        if raw is None:  # gone meanwhile (`maild forget`)
            return False
        record, why = read_record(raw)
        if why or not idle(record, before):
            return False
        self._remove(path)
        return True

    # -- addresses erased lately (maild.erased) ------------------------------------
    def mark_erased(self, h: str, clock: Callable[[], int]) -> None:
        """Note that an address was erased, by its hash `h` (person_key), and when
        (`clock`: now, in ns since the epoch); marks older than ERASED_KEPT_NS go. The
        time is read again once the section's commit is durable, the lock still held: a
        large erasure's commit takes a while, and mail spooled meanwhile is mail from
        before it."""
        path, now = f"{self.root}/index/erased", clock()
        kept = {k: t for k, t in self._erased().items() if t > now - ERASED_KEPT_NS}
        self._write(path, json.dumps({**kept, h: now}, sort_keys=True).encode())

        def committed() -> None:  # (failing, the mark made in the section stays)
            with contextlib.suppress(OSError):
                write_atomic(path, json.dumps({**kept, h: clock()}, sort_keys=True).encode())

        files = self.lock.files()
        if isinstance(files, Transaction):
            files.on_commit(("erased", h), committed, lambda: None)

    def erased_since(self, ns: int) -> set[str]:
        """The hashes (person_key) of the addresses erased after `ns`: usually none."""
        return {h for h, t in self._erased().items() if t > ns}

    def _erased(self) -> dict[str, int]:
        path = f"{self.root}/index/erased"
        data = self._read(path)  # (none on a desk that never erased anyone: no file)
        if data is None:
            return {}
        try:
            marks = json.loads(data)
            return {str(h): int(t) for h, t in marks.items()}
        except (ValueError, TypeError, AttributeError):
            log.error("%s: not maild's marks of erased addresses, taken as none", path)
            return {}

    # -- closed tickets waiting for redaction ------------------------------------
    def mark_for_redaction(self, tid: str, closed_at: str) -> None:
        """Queue a closed ticket for credential redaction (a small dir, not a scan)."""
        self._write(f"{self.root}/index/redact/{tid}", closed_at.encode())

    def unmark_redaction(self, tid: str) -> None:
        self._remove(f"{self.root}/index/redact/{tid}")

    def pending_redactions(self) -> list[tuple[str, str]]:
        folder = Path(self.root) / "index" / "redact"
        if not folder.exists():
            return []
        out = []
        for p in sorted(folder.iterdir()):
            when = p.read_bytes().decode("ascii", "replace").strip()
            try:
                datetime.fromisoformat(when)
            except ValueError:  # left in place: `maild fsck` names it
                log.error("%s: not a time, redaction of this ticket skipped", p)
                continue
            out.append((p.name, when))
        return out
