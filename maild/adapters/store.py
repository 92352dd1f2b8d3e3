"""The ticket store: TinyDB files laid out so that cost never grows with history.

    tickets/<ab>/<tid>.json   one TinyDB per ticket (tables "ticket", "messages")
    open.json                 TinyDB of summaries of tickets not closed
    archive/<YYYY-MM>.json    TinyDB of summaries of closed tickets, by creation month
    index/msgid/<ab>/<hash>   Message-ID -> TID, one small file each (no scans)
    registry.json             TinyDB of licenses and groups
    lock                      one writer at a time, across processes

Every write goes through DurableJSONStorage: temp file, fsync, rename.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from maild.adapters.durable import write_atomic
from maild.domain.sender import Group, License

SUMMARY_FIELDS = (
    "tid",
    "status",
    "level",
    "requester",
    "subject",
    "created_at",
    "reaction_due",
    "first_reaction_at",
    "first_reaction_due",
    "critical",
    "assignee",
    "closed_at",
)


class StoreUnavailable(Exception):
    """The store cannot be used right now (lock timeout, disk error): retry later."""


class DurableJSONStorage(Storage):
    """TinyDB storage that never leaves a torn file: write_atomic on every write."""

    def __init__(self, path: str, sync: bool = True) -> None:
        self.path = Path(path)
        self.sync = sync

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return json.loads(data) if data else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        write_atomic(self.path, raw, sync=self.sync)

    def close(self) -> None:
        pass


def _db(path: Path, cached: bool = False) -> TinyDB:
    if cached:
        return TinyDB(str(path), storage=CachingMiddleware(DurableJSONStorage))
    return TinyDB(str(path), storage=DurableJSONStorage)


def _hash(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("tickets", "archive", "index/msgid", "index/sender", "index/autoreply"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    # -- locking -------------------------------------------------------------
    @contextmanager
    def locked(self, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive across processes; a timeout is a transient failure."""
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o640)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreUnavailable("the store is locked by another process") from None
                    time.sleep(0.005)
            yield
        finally:
            os.close(fd)

    # -- Message-ID index ------------------------------------------------------
    def _index_path(self, kind: str, key: str) -> Path:
        h = _hash(key)
        return self.root / "index" / kind / h[:2] / h

    def tid_for_msgid(self, msgid: str) -> str | None:
        try:
            return self._index_path("msgid", msgid).read_text().strip() or None
        except FileNotFoundError:
            return None

    def index_msgid(self, msgid: str, tid: str) -> None:
        path = self._index_path("msgid", msgid)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, tid.encode())

    def sender_first_seen(self, address: str) -> str | None:
        """ISO date of the first ticket from this address, if recorded."""
        try:
            return self._index_path("sender", address).read_text().strip() or None
        except FileNotFoundError:
            return None

    def record_sender(self, address: str, when: str) -> None:
        path = self._index_path("sender", address)
        if address and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, when.encode())

    def auto_replies(self, address: str) -> list[datetime]:
        """When automatic replies went to this address lately."""
        try:
            raw = json.loads(self._index_path("autoreply", address).read_bytes())
        except (FileNotFoundError, ValueError):
            return []
        return [datetime.fromisoformat(t) for t in raw]

    def record_auto_reply(self, address: str, when: datetime) -> None:
        hour_ago = when - timedelta(hours=1)
        times = [t for t in self.auto_replies(address) if t > hour_ago] + [when]
        path = self._index_path("autoreply", address)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps([t.isoformat() for t in times]).encode())

    def mark_for_redaction(self, tid: str, closed_at: str) -> None:
        """Queue a closed ticket for credential redaction (a small dir, not a scan)."""
        path = self.root / "index" / "redact" / tid
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, closed_at.encode())

    def unmark_redaction(self, tid: str) -> None:
        (self.root / "index" / "redact" / tid).unlink(missing_ok=True)

    def pending_redactions(self) -> list[tuple[str, str]]:
        folder = self.root / "index" / "redact"
        if not folder.exists():
            return []
        return [(p.name, p.read_text().strip()) for p in sorted(folder.iterdir())]

    # -- tickets ---------------------------------------------------------------
    def _ticket_path(self, tid: str) -> Path:
        return self.root / "tickets" / tid[:2] / f"{tid}.json"

    def ticket_exists(self, tid: str) -> bool:
        return self._ticket_path(tid).exists()

    def load(self, tid: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The ticket and its messages in arrival order, or None."""
        path = self._ticket_path(tid)
        if not path.exists():
            return None
        db = _db(path)
        try:
            docs = db.table("ticket").all()
            if not docs:
                return None
            return dict(docs[0]), [dict(m) for m in db.table("messages").all()]
        finally:
            db.close()

    def save(self, ticket: dict[str, Any], messages: list[dict[str, Any]]) -> None:
        """Write the whole ticket in one durable file replace, then its summary."""
        path = self._ticket_path(ticket["tid"])
        path.parent.mkdir(parents=True, exist_ok=True)
        db = _db(path, cached=True)
        try:
            db.drop_tables()
            db.table("ticket").insert(ticket)
            db.table("messages").insert_multiple(messages)
        finally:
            db.close()  # CachingMiddleware flushes: one write, one fsync
        self._save_summary(ticket)

    def _archive_path(self, ticket: dict[str, Any]) -> Path:
        return self.root / "archive" / f"{ticket['created_at'][:7]}.json"

    def _save_summary(self, ticket: dict[str, Any]) -> None:
        summary = {k: ticket.get(k) for k in SUMMARY_FIELDS}
        q = Query().tid == ticket["tid"]
        open_db = _db(self.root / "open.json")
        archive = _db(self._archive_path(ticket))
        try:
            if ticket["status"] == "closed":
                if not archive.contains(q) or archive.get(q) != summary:
                    archive.upsert(summary, q)
                if open_db.contains(q):
                    open_db.remove(q)
            else:
                if open_db.get(q) != summary:
                    open_db.upsert(summary, q)
                if archive.contains(q):
                    archive.remove(q)
        finally:
            open_db.close()
            archive.close()

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Ticket summaries, oldest first; closed ones come from the archive."""
        rows: list[dict[str, Any]] = []
        if status in (None, "new", "open", "waiting"):
            db = _db(self.root / "open.json")
            rows += [dict(r) for r in db.all()]
            db.close()
        if status in (None, "closed"):
            for path in sorted((self.root / "archive").glob("*.json")):
                db = _db(path)
                rows += [dict(r) for r in db.all()]
                db.close()
        if status:
            rows = [r for r in rows if r["status"] == status]
        rows.sort(key=lambda r: (r["created_at"], r["tid"]))
        return rows

    def open_summaries(self) -> list[dict[str, Any]]:
        db = _db(self.root / "open.json")
        try:
            return [dict(r) for r in db.all()]
        finally:
            db.close()

    # -- licenses and groups ---------------------------------------------------
    def _registry(self) -> TinyDB:
        return _db(self.root / "registry.json")

    def add_license(self, lic: License) -> None:
        doc = asdict(lic)
        doc["emails"] = [e.lower() for e in lic.emails]
        doc["until"] = lic.until.isoformat() if lic.until else None
        db = self._registry()
        try:
            db.table("licenses").upsert(doc, Query().key == lic.key)
        finally:
            db.close()

    def add_group(self, grp: Group) -> None:
        doc = asdict(grp)
        doc["domains"] = [d.lower() for d in grp.domains]
        doc["until"] = grp.until.isoformat() if grp.until else None
        db = self._registry()
        try:
            db.table("groups").upsert(doc, Query().name == grp.name)
        finally:
            db.close()

    def registry(self) -> tuple[list[License], list[Group]]:
        db = self._registry()
        try:
            lics = [
                License(
                    key=d["key"],
                    level=d["level"],
                    emails=tuple(d["emails"]),
                    until=date.fromisoformat(d["until"]) if d.get("until") else None,
                    name=d.get("name") or "",
                )
                for d in db.table("licenses").all()
            ]
            grps = [
                Group(
                    name=d["name"],
                    level=d["level"],
                    domains=tuple(d["domains"]),
                    until=date.fromisoformat(d["until"]) if d.get("until") else None,
                )
                for d in db.table("groups").all()
            ]
            return lics, grps
        finally:
            db.close()
