"""`maild forget`: what of the person's is kept outside tickets, spool and outbox: mail
of theirs that never became a ticket (the quarantine, «Задать вопрос» submissions not
yet confirmed), the copies `fsck --repair` set aside (the caller holds the store
lock: maild.ops.forget) and backups' staging folders (it does not: backup_copies)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from maild.adapters.backupleft import REMOVED, RUNNING, is_running, remove_if_dead, stage_pid
from maild.adapters.backupleft import stages as backup_stages
from maild.adapters.sitepending import pending_root
from maild.adapters.store.rebuild import LOST_FOUND
from maild.app import App
from maild.domain.addresses import comparable_address
from maild.domain.forget import mention


def erase_held(app: App, address: str, dry_run: bool) -> int:
    """Mail of theirs that never became a ticket: quarantine entries (with their spool
    copies) and «Задать вопрос» submissions waiting for the confirmation click."""
    from maild import guard

    n = 0
    for entry in app.quarantine.entries():
        if comparable_address(entry.get("from") or "") == comparable_address(address):
            n += 1
            if not dry_run:
                guard.drop(app, entry["id"])
    pending = pending_root(app.config.storage_path)
    if pending.is_dir():
        n += _erase_pending(app, pending, address, dry_run)
    return n


def _erase_pending(app: App, pending: Path, address: str, dry_run: bool) -> int:
    """The person's «Задать вопрос» submissions: by the address of their .json, and an
    .eml whose .json is missing or unreadable (a kill or a full disk between
    Pending.add's two writes) by the address in the mail, any case."""
    files = app.store.files()  # the locked section's transaction
    n = 0
    for sub_id in sorted({p.stem for p in pending.iterdir() if p.suffix in (".eml", ".json")}):
        paths = (pending / f"{sub_id}.json", pending / f"{sub_id}.eml")
        if not _theirs(files.read, paths, address):
            continue
        n += 1
        if not dry_run:
            for path in paths:
                if path.exists():
                    files.remove(path)
    return n


def _theirs(read: Callable[[Path], bytes], paths: tuple[Path, Path], address: str) -> bool:
    """Whether the submission of these files (.json, .eml) is the person's. A file
    maild may not read raises: the erasure fails naming it (taken for "not theirs",
    their request would stay while it said done)."""
    try:
        typed = str(json.loads(read(paths[0])).get("email", ""))
        return comparable_address(typed) == comparable_address(address)
    except (FileNotFoundError, ValueError, AttributeError):  # no record, or none maild wrote
        try:
            return _holds(read(paths[1]), address)
        except FileNotFoundError:  # gone meanwhile
            return False


def _holds(data: bytes, address: str) -> bool:
    """Whether ``data`` names ``address`` (lower-cased) as a whole, in any case: not
    inside another address (forgetting an@x.ru, ivan@x.ru is no match, nor is
    an@x.ru.com), whatever stands around it (<an@x.ru>, "an@x.ru", the end of a
    sentence)."""
    return mention(address).search(data.decode("utf-8", "surrogateescape")) is not None


def erase_set_aside(app: App, address: str, dry_run: bool) -> int:
    """Copies `fsck --repair` set aside in lost+found/ (a broken ticket file, a summary
    part, an index entry) that hold the address, any case: broken or derived, they
    cannot be erased in part, and they were kept only for a look after the repair."""
    n = 0
    for folder, _dirs, names in os.walk(app.config.storage_path / LOST_FOUND, onerror=_unlisted):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as f:
                    if not _holds(f.read(), address):
                        continue
            except FileNotFoundError:
                continue
            n += 1
            if not dry_run:
                os.unlink(path)
    return n


def backup_copies(app: App, dry_run: bool, on_wait: Callable[[str], None]) -> tuple[int, list[str]]:
    """A backup's staging folder in the storage links every file of the store as it
    was when the backup took the store lock: before the erasure, the person's data.
    One of a backup that did not finish is removed; a running backup is waited for
    (it removes its own when done), without the store lock, which it needs. A backup
    that begins after the erasure copies nothing of theirs: only the folders there
    now count. How many were removed, and the pids of the backups waited for."""
    removed, waited = 0, []
    for path in backup_stages(app.store.root):
        if dry_run:
            if is_running(path):
                waited.append(stage_pid(path))
            else:
                removed += 1
            continue
        state = remove_if_dead(path)
        if state == RUNNING:
            waited.append(stage_pid(path))
            on_wait(stage_pid(path))
            state = remove_if_dead(path, wait=True)  # killed meanwhile: removed now
        removed += state == REMOVED
    return removed, waited


def _unlisted(error: OSError) -> None:
    """os.walk's onerror: a folder not there holds nothing; one maild may not list
    fails the erasure, naming it (walked past, its copies stayed while it said done)."""
    if not isinstance(error, FileNotFoundError):
        raise error
