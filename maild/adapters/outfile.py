"""One outbox file (adapters/outqueue.py keeps them in its folders): its record, one
line of JSON, then the mail. The record is read without the mail (a pass lists the
queue by first lines), and a file whose first line is no whole record of that file
is named as broken, never sent (maild fsck names it too); so is one whose mail is not
the length its record gives ("length": a file cut short, by a disk's damage or a
partial restore, would go cut). A record written before it gave the length gives none:
its mail is taken as it is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from maild.adapters.durable import names_in
from maild.domain.outboxrecord import outbox_record
from maild.domain.records import OutboxEntry
from maild.privileges import user_name
from maild.unreadables import UNREADABLE, chown_fix

KEEP_MAILS = 1024  # mails a pass reads with their records (the rest when sent)
EXT = ".mail"


def pack(meta: OutboxEntry | dict[str, Any], raw: bytes) -> bytes:
    """The record, with the mail's length, on the file's first line (JSON escapes every
    newline), then the mail."""
    return _line({**meta, "length": len(raw)}) + b"\n" + raw


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def unpack(path: str, data: bytes, whole: bool = True) -> tuple[OutboxEntry, bytes]:
    """The record and the mail of the file at `path` that holds `data`; ValueError
    when its first line is no whole record of that file (read_record), or (`whole`:
    unless the mail is not kept) its mail is not the length the record gives
    (mail_wrong: written again, the file would pass as whole)."""
    head, _, raw = data.partition(b"\n")
    meta = read_record(os.path.basename(path), head)
    if meta is None:
        raise ValueError(f"{path}: no outbox record on its first line")
    if whole and (wrong := mail_wrong(meta, len(raw))):
        raise ValueError(f"{path}: {wrong}")
    return meta, raw


def mail_wrong(meta: OutboxEntry, size: int) -> str | None:
    """What is wrong with a file whose record is `meta` and whose mail `size` bytes
    long, or None: its record gives that length, or none (written before it did)."""
    want = meta.get("length")
    if want is None or want == size:
        return None
    if type(want) is not int or want < 0:  # (bool is an int to Python, not to JSON)
        return f"its record gives no length a mail can be ({str(want)[:20]!r})"
    if size < want:
        return f"its mail is cut short ({size} of the {want} bytes its record gives)"
    return f"its mail is {size} bytes, not the {want} its record gives"


def relength(line: bytes, old: bytes, new: bytes) -> bytes:
    """The first line `line` of a file whose mail `old` is replaced by `new` (maild
    forget, redaction): its record then gives new's length, where it gave old's. A
    line that is no record, or gives no length or another, stays as it was: the file
    stays as whole, or as broken, as it was."""
    try:
        record = json.loads(line) if len(old) != len(new) else None
    except ValueError:  # (a UnicodeDecodeError is one too)
        return line
    if not isinstance(record, dict) or record.get("length") != len(old):
        return line
    return _line({**record, "length": len(new)})


def read_record(name: str, line: bytes) -> OutboxEntry | None:
    """The record on the first line (`line`) of the outbox file `name`, or None when
    it is none: not JSON, not a whole record (domain.outboxrecord.outbox_record), or the
    record of another file (its id is the file's name: the sender moves and logs a
    mail by its id, so a copy under another name would go again on every pass)."""
    try:
        meta = outbox_record(json.loads(line))
    except ValueError:  # (a UnicodeDecodeError is one too)
        return None
    return meta if meta is not None and name == meta["id"] + EXT else None


def unreadable(folder: Path, name: str) -> str:
    """Why the file `name` in the outbox's `folder` cannot be read, with the fix
    (unreadables.chown_fix: the storage is the folder above outbox/)."""
    me, path = user_name(os.geteuid()), folder / name
    return f"{UNREADABLE} (maild runs as {me}): {chown_fix(folder.parent.parent, path)}"


def mail_of(data: bytes) -> bytes:
    """The mail of a queue file, without reading its record."""
    return data.partition(b"\n")[2]


def folder_records(
    folder: Path, mails: dict[str, bytes] | None = None, broken: dict[str, str] | None = None
) -> list[OutboxEntry]:
    """The records of the mail files in `folder` (their first lines), and into
    `mails` the mails of those not tried yet (see OutQueue.entries). `broken`, of the
    queue's listing: the files whose mail cannot go, by path: what is wrong (left out;
    fsck names them too): no record, a mail not of its length (mail_wrong; the
    mail sent, or refused, is listed whatever it holds), or a file maild may not read
    (root's `cp` of it: 0600, root's; mode 000): the rest of the queue goes."""
    out = []
    root = os.fspath(folder)
    for name in names_in(root):
        if name.endswith(EXT):
            try:
                with open(f"{root}/{name}", "rb") as f:
                    meta = read_record(name, f.readline())
                    wrong = "no record on its first line" if meta is None else None
                    if meta is not None and broken is not None:  # (a stat of the open file)
                        wrong = mail_wrong(meta, os.fstat(f.fileno()).st_size - f.tell())
                    untried = meta is not None and not wrong and not meta["attempts"]
                    if meta and untried and mails is not None and len(mails) < KEEP_MAILS:
                        mails[meta["id"]] = f.read()  # (the others are read when sent)
            except FileNotFoundError:  # sent or moved meanwhile
                continue
            except (PermissionError, IsADirectoryError):  # (a folder maild may not list
                meta, wrong = None, unreadable(folder, name)  # raised above: not "empty")
            if meta is None or wrong:  # its mail cannot go (into `broken`)
                if broken is not None:
                    broken[f"{root}/{name}"] = wrong or ""
                continue
            out.append(meta)
    return out
