"""One outbox file (adapters/outqueue.py keeps them in its folders): its record, one
line of JSON, then the mail. The record is read without the mail (a pass lists the
queue by first lines), and a file whose first line is no whole record of that file
is named as broken, never sent (maild fsck names it too).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from maild.domain.records import OutboxEntry, outbox_record

KEEP_MAILS = 1024  # mails a pass reads with their records (the rest when sent)
EXT = ".mail"


def pack(meta: OutboxEntry | dict[str, Any], raw: bytes) -> bytes:
    """The record on the file's first line (JSON escapes every newline), then the mail."""
    return json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" + raw


def unpack(path: str, data: bytes) -> tuple[OutboxEntry, bytes]:
    """The record and the mail of the file at `path` that holds `data`; ValueError
    when its first line is no whole record of that file (read_record)."""
    head, _, raw = data.partition(b"\n")
    meta = read_record(os.path.basename(path), head)
    if meta is None:
        raise ValueError(f"{path}: no outbox record on its first line")
    return meta, raw


def read_record(name: str, line: bytes) -> OutboxEntry | None:
    """The record on the first line (`line`) of the outbox file `name`, or None when
    it is none: not JSON, not a whole record (domain.records.outbox_record), or the
    record of another file (its id is the file's name: the sender moves and logs a
    mail by its id, so a copy under another name would go again on every pass)."""
    try:
        meta = outbox_record(json.loads(line))
    except ValueError:  # (a UnicodeDecodeError is one too)
        return None
    return meta if meta is not None and name == meta["id"] + EXT else None


def mail_of(data: bytes) -> bytes:
    """The mail of a queue file, without reading its record."""
    return data.partition(b"\n")[2]


def folder_records(
    folder: Path, mails: dict[str, bytes] | None = None, broken: list[str] | None = None
) -> list[OutboxEntry]:
    """The records of the mail files in `folder` (their first lines), and into
    `mails` the mails of those not tried yet (see OutQueue.entries)."""
    out = []
    root = os.fspath(folder)
    for name in os.listdir(root):
        if name.endswith(EXT):
            try:
                with open(f"{root}/{name}", "rb") as f:
                    meta = read_record(name, f.readline())
                    untried = meta is not None and not meta["attempts"]
                    if untried and mails is not None and len(mails) < KEEP_MAILS:
                        mails[meta["id"]] = f.read()  # (the others are read when sent)
            except FileNotFoundError:  # sent or moved meanwhile (not PermissionError: a
                continue  # queue the user cannot read is not "empty")
            if meta is None:  # no record: its mail cannot go (into `broken`; fsck names it)
                if broken is not None:
                    broken.append(f"{root}/{name}")
                continue
            out.append(meta)
    return out
