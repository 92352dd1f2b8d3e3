"""Queued mail held back after `maild restore`: its record's "held" (the time of the
backup it came from) keeps it in outbox/queue/, listed and counted, but the sender
sends none of it (outbound.py) until `maild outbox release` takes the mark off.

A backup taken while `maild serve` runs holds the queue of that moment; the old desk
goes on sending it after the backup, which the archive cannot know, so a restored
desk would send each of those mails a second time. The admin, who knows whether the
old desk's relay took them, releases them (or restores with --send-queued).
"""

from __future__ import annotations

import os
from pathlib import Path

from maild.adapters.durable import write_atomic
from maild.adapters.outfile import EXT, pack, unpack
from maild.adapters.outqueue import OutQueue
from maild.domain.records import OutboxEntry

RELEASE = "maild outbox release --all"  # the command that sends them


def hold_all(queue: Path, since: str) -> int:
    """Mark every queued mail under `queue` (a restored storage's outbox/queue/) held
    since `since`; how many. A file without a whole record is left as it is: it is
    not sent anyway (outfile.folder_records names it)."""
    n = 0
    for name in sorted(os.listdir(queue)) if queue.is_dir() else []:
        if not name.endswith(EXT):
            continue
        path = os.fspath(queue / name)
        with open(path, "rb") as f:
            data = f.read()
        try:
            meta, raw = unpack(path, data)
        except ValueError:
            continue
        write_atomic(path, pack({**meta, "held": since}, raw), sync=False)
        n += 1
    return n


def held(entries: list[OutboxEntry]) -> list[OutboxEntry]:
    return [m for m in entries if m.get("held")]


def release(queue: OutQueue, mail_id: str | None) -> tuple[list[str], bool]:
    """Take the hold off one queued mail (`mail_id`) or off all (None): they go with
    the sender's next pass (their next try now, not the back-off the old desk's
    failures planned). Returns the ids released, and whether `mail_id` is queued."""
    entries = queue.entries()
    found = mail_id is None or any(m["id"] == mail_id for m in entries)
    out = []
    for meta in held(entries):
        if (mail_id is None or meta["id"] == mail_id) and queue.release(meta["id"]):
            out.append(meta["id"])
    return out, found
