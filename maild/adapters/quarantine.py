"""The quarantine of mail judged spam, and the block list of senders.

    quarantine/<id>.eml     the raw message as it arrived
    quarantine/<id>.json    id, message_id, from, subject, received_at, reason, text
    quarantine/released/<h> Message-IDs staff released: not quarantined again;
                            {"message_id", "arrived_at"}: when it first arrived
                            (older markers hold the Message-ID alone)
    quarantine/released/ticket-<tid>  tickets staff marked #spam: {"tid", "by", "at",
                            "blocked"} (who marked it, when, the block-list entry it
                            added; older marks hold the TID alone)
    blocklist.json          ["spammer@x.ru", "evil.example", ...]: a file that is not
                            such a list is named (CorruptFile) and never written over;
                            mail is screened by the entries it has meanwhile,
                            the outbox's sender withdraws nothing by it

The id is derived from the Message-ID, so a message quarantined twice (a re-run
after a crash, the MTA delivering it again) is one entry. Writes are durable
(temp file, fsync, rename); inside a locked section they go to its transaction
(`files`: the store's Store.files).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from maild.adapters.durable import Direct, Files, make_folders, names_in
from maild.adapters.store.files import CorruptFile
from maild.domain.recordcheck import quarantine_entry
from maild.domain.records import aware_time
from maild.domain.spam import BlockList, entry_key

log = logging.getLogger("maild.quarantine")

PUBLIC = ("id", "message_id", "from", "subject", "received_at", "reason")


def entry_id(message_id: str) -> str:
    return hashlib.sha1(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Quarantine:
    def __init__(self, storage: Path, files: Callable[[], Files] = Direct) -> None:
        self.files = files  # where a write goes now: a locked section's, or the disk
        self.root = storage / "quarantine"
        make_folders(self.root / "released")
        self.blocklist_path = storage / "blocklist.json"
        # the block list as last read, and the file it was read from (inode, size,
        # mtime): another process (`maild block`, staff's #spam) replaces the file,
        # and every replace is a new inode, so a stat tells whether it changed
        self._blocks: tuple[tuple[int, ...] | None, BlockList] = (None, BlockList(()))
        # the sender's (sending_blocks): stamped with the ctime too, so a chmod that
        # makes an unreadable file readable is seen; None: the file is no block list
        self._sending: tuple[tuple[int, ...] | None, BlockList | None] = (None, BlockList(()))

    # -- entries ---------------------------------------------------------------
    def add(self, raw: bytes, meta: dict[str, Any]) -> str:
        """Keep one message (``meta``: message_id, from, subject, received_at,
        reason, text); returns its id."""
        qid = entry_id(meta["message_id"])
        files = self.files()
        if not files.exists(self.root / f"{qid}.json"):
            files.put(self.root / f"{qid}.eml", raw)
            record = {"id": qid, **meta}
            arrived = self._first_arrival(meta["message_id"])
            if arrived and arrived < (meta.get("received_at") or arrived):
                # released and quarantined again (#spam once more): released, it
                # arrived anew; its place among the ticket's mail is its first arrival
                record["arrived_at"] = arrived
            files.put(self.root / f"{qid}.json", json.dumps(record, ensure_ascii=False).encode())
        return qid

    def get(self, qid: str) -> dict[str, Any] | None:
        if not _valid(qid):
            return None
        try:
            return quarantine_entry(json.loads(self.files().read(self.root / f"{qid}.json")))
        except (FileNotFoundError, ValueError):
            return None

    def raw(self, qid: str) -> bytes:
        return self.files().read(self.root / f"{qid}.eml")

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first."""
        rows = []
        for name in names_in(self.root):
            if name.endswith(".json"):
                row = self.get(name[:-5])
                if row is not None:
                    rows.append(row)
        rows.sort(key=lambda r: (r.get("received_at") or "", r["id"]))
        return rows

    def delete(self, qid: str) -> bool:
        if self.get(qid) is None:
            return False
        files = self.files()
        files.remove(self.root / f"{qid}.json")
        if files.exists(self.root / f"{qid}.eml"):
            files.remove(self.root / f"{qid}.eml")
        return True

    def expired(self, now: datetime, keep_days: int) -> list[str]:
        """Ids of entries quarantined (received, or set aside by #spam: "quarantined_at")
        more than ``keep_days`` ago."""
        cutoff = now - timedelta(days=keep_days)
        out = []
        for r in self.entries():
            since = r.get("quarantined_at") or r.get("received_at")
            if since and datetime.fromisoformat(since) < cutoff:
                out.append(r["id"])
        return out

    # -- released Message-IDs: the spam check lets them through once released ----
    def mark_released(self, message_id: str) -> None:
        """Before the release takes its entry: the marker keeps when the message first
        arrived (the release brings it in as mail that arrives now)."""
        entry = self.get(entry_id(message_id)) or {}
        arrived = entry.get("arrived_at") or entry.get("received_at")
        record = {"message_id": message_id, "arrived_at": arrived}
        self.files().put(
            self.root / "released" / entry_id(message_id),
            json.dumps(record, ensure_ascii=False).encode(),
        )

    def rename_released(self, old: str, new: str) -> None:
        """`maild forget`: a released message's id held the address; its marker is
        kept under the id its ticket keeps instead (the old one's name, a hash of it,
        would confirm a guess, and its record named the address)."""
        path = self.root / "released" / entry_id(old)
        if not self.files().exists(path):
            return
        record = {"message_id": new, "arrived_at": self._first_arrival(old)}
        self.files().put(self.root / "released" / entry_id(new), json.dumps(record).encode())
        self.files().remove(path)

    def _first_arrival(self, message_id: str) -> str | None:
        """When a released message first arrived (mark_released), or None."""
        try:
            record = json.loads(self.files().read(self.root / "released" / entry_id(message_id)))
        except (FileNotFoundError, ValueError):  # never released; an older marker
            return None
        arrived = record.get("arrived_at") if isinstance(record, dict) else None
        return arrived if aware_time(arrived) is not None else None  # (else: a damaged one)

    def released(self, message_id: str) -> bool:
        return self.files().exists(self.root / "released" / entry_id(message_id))

    # -- tickets staff marked #spam: their mail, delivered again, stays here ---------
    def mark_spammed(
        self, tid: str, mark: dict[str, str] | None = None, indexed: list[str] | None = None
    ) -> None:
        """``mark``: who marked it ("by"), when ("at"), what it blocked ("blocked"):
        what a staff member who writes to the ticket later is told; ``indexed``: the
        Message-IDs of staff's mail of it, indexed to it and kept by no entry."""
        record: dict[str, Any] = {"tid": tid, **(mark or {}), "indexed": indexed or []}
        self.files().put(self._spam_mark(tid), json.dumps(record, ensure_ascii=False).encode())

    def unmark_spammed(self, tid: str) -> list[str]:
        """The ticket is back (its first mail released): no longer marked #spam. The
        Message-IDs of staff's mail the mark kept indexed to it (the ticket holds none
        of them: once it is deleted, none would name anything). A mark of a maild
        before 2026-12-07 names none and stays: that #spam left the spool copies of
        staff's mail, which fsck names and removes while the mark is there, and would
        re-queue (the answers sent again) once it is gone."""
        indexed = self.marked_ids(tid)
        if indexed is None:
            return []
        self.files().remove(self._spam_mark(tid))
        return indexed

    def marked_ids(self, tid: str) -> list[str] | None:
        """The Message-IDs of staff's mail a #spam mark names (mark_spammed's
        ``indexed``); None without a mark, or for one a maild before 2026-12-07 wrote."""
        indexed = self.spam_mark(tid).get("indexed")
        return [i for i in indexed if isinstance(i, str)] if isinstance(indexed, list) else None

    def spammed(self, tid: str) -> bool:
        return self.files().exists(self._spam_mark(tid))

    def spam_mark(self, tid: str) -> dict[str, str]:
        """What mark_spammed kept of a #spam ticket ({} if it is none; an older mark,
        the TID alone, or a broken one: only "tid")."""
        try:
            raw = self.files().read(self._spam_mark(tid))
        except FileNotFoundError:
            return {}
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        return record if isinstance(record, dict) else {"tid": tid}

    def of_ticket(self, tid: str) -> list[dict[str, Any]]:
        """The entries kept with ticket ``tid`` (#spam), in the order the mail first
        arrived ("arrived_at" of mail released and quarantined again, else
        "received_at"): the first is the ticket's first mail, whenever its entry
        was made."""
        rows = [r for r in self.entries() if r.get("tid") == tid]
        rows.sort(key=lambda r: (r.get("arrived_at") or r.get("received_at") or "", r["id"]))
        return rows

    def _spam_mark(self, tid: str) -> Path:
        return self.root / "released" / f"ticket-{tid}"

    # -- block list -------------------------------------------------------------
    def blocklist(self) -> list[str]:
        """The block list's entries; CorruptFile when blocklist.json is no list of
        addresses and domains (`block list` names it, `block add` and #spam never
        write over what the admin may still want back)."""
        try:
            entries, wrong = _entries(self.files().read(self.blocklist_path))
        except FileNotFoundError:
            return []
        if wrong is not None:
            raise CorruptFile(self.blocklist_path, wrong)
        return entries

    def blocked(self, address: str) -> str | None:
        """The block-list entry that covers `address` (domain.spam.BlockList), or None."""
        return self.blocks().match(address)

    def blocks(self) -> BlockList:
        """The block list as it is now. Read again only when the file changed, or when
        the locked section changed it."""
        pending = self.files().pending(self.blocklist_path)
        if pending is not None:
            return BlockList(_entries(pending)[0])
        stamp = self._stamp()
        known, blocks = self._blocks
        if stamp != known:
            blocks = BlockList(self._screening_entries() if stamp is not None else ())
            self._blocks = (stamp, blocks)
        return blocks

    def _stamp(self) -> tuple[int, ...] | None:
        """What tells whether blocklist.json changed since it was last read (its
        ctime too: a chmod that makes it readable again), None when there is none."""
        try:
            st = os.stat(self.blocklist_path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def _screening_entries(self) -> list[str]:
        """The entries mail is screened by: those of a broken file too (logged once
        per change of the file): holding all mail back for it, as for a broken
        registry, would stop the desk for what is most often a typo in one entry."""
        try:
            entries, wrong = _entries(self.files().read(self.blocklist_path))
        except FileNotFoundError:
            return []
        if wrong is not None:
            log.error("%s: %s: mail is screened by the %d entries it has (`maild block "
                      "list` and `maild fsck` name it)", self.blocklist_path, wrong,
                      len(entries))  # fmt: skip
        return entries

    def sending_blocks(self) -> BlockList | None:
        """The block list the outbox's sender withdraws automatic mail by (outblock.py;
        outside any locked section), or None while blocklist.json cannot be read or is
        no list of addresses and domains: then nothing is withdrawn, as a guess could
        lose a customer's mail, and it is logged once per change of the file. One stat
        a call; the file is read and parsed only when it changed."""
        try:
            stamp = self._stamp()
        except OSError as e:  # the folder's mode: as a file that cannot be read
            stamp = (-1, e.errno or 0)
        known, blocks = self._sending
        if stamp != known:
            blocks = self._sending_entries() if stamp is not None else BlockList(())
            self._sending = (stamp, blocks)
        return blocks

    def _sending_entries(self) -> BlockList | None:
        try:
            entries, wrong = _entries(self.blocklist_path.read_bytes())
        except FileNotFoundError:  # removed since the stat
            return BlockList(())
        except OSError as e:
            entries, wrong = [], f"cannot be read: {e.strerror or e}"
        if wrong is None:
            return BlockList(entries)
        log.error("%s: %s: queued mail is sent without a look at the block list till it is "
                  "corrected (`maild fsck` names it)", self.blocklist_path, wrong)  # fmt: skip
        return None

    def listed(self, entry: str) -> list[str]:
        """The entries that are `entry` itself as listed, in any spelling (окна.рф for
        xn--80atjc.xn--p1ai: domain.spam.entry_key), in the list's order; not the
        parent domains that only cover it."""
        key = entry_key(entry)
        return [e for e in self.blocklist() if entry_key(e) == key]

    def block(self, entry: str) -> bool:
        """Add an address or a domain; False if it was there already (`listed`)."""
        entry = normalize_entry(entry)
        if self.listed(entry):
            return False
        current = self.blocklist()
        self.files().put(self.blocklist_path, json.dumps(sorted([*current, entry])).encode())
        return True

    def unblock(self, entry: str) -> list[str]:
        """Take an address or a domain off in whatever spelling it is listed (`listed`);
        the entries taken off, as they were listed (none: it was not there)."""
        key = entry_key(entry)
        current = self.blocklist()
        gone = [e for e in current if entry_key(e) == key]
        if gone:
            kept = [e for e in current if entry_key(e) != key]
            self.files().put(self.blocklist_path, json.dumps(kept).encode())
        return gone


def normalize_entry(entry: str) -> str:
    """ "Ivan <IVAN@X.RU>" -> "ivan@x.ru"; "@x.ru" -> "x.ru"."""
    entry = entry.strip()
    if "<" in entry and ">" in entry:
        entry = entry[entry.index("<") + 1 : entry.index(">")]
    return entry.strip().lower().lstrip("@")


def _entries(raw: bytes) -> tuple[list[str], str | None]:
    """The entries of blocklist.json (its strings), and what is wrong with it (None:
    nothing): maild writes a JSON list of strings, each an address or a domain."""
    try:
        found = json.loads(raw)
    except ValueError as e:  # (a UnicodeDecodeError is one too)
        return [], f"not a block list: not JSON ({e})"
    if not isinstance(found, list):
        return [], "not a block list: not a JSON list"
    entries = [e for e in found if isinstance(e, str)]
    if len(entries) < len(found):
        odd = next(e for e in found if not isinstance(e, str))
        return entries, f"not a block list: {json.dumps(odd)[:40]} is no address or domain"
    return entries, None


def _valid(qid: str) -> bool:
    return len(qid) == 16 and all(c in "0123456789abcdef" for c in qid)
