"""The redo journal of a group commit (adapters/transaction.py): the commit's renames,
deletions and moves, in order, written to the file "commit.redo" beside the store's
lock file once its temp files are written and before the sync that makes them
durable; deleted when all of them are done. Whoever takes the store lock next
finishes a journal it finds (`finish`, StoreLock.locked), so a crash between two
renames never leaves a ticket without its summary or without the mail queued with it.

Why finishing a journal is always right, and never undoes a later commit:
- A rename is redone only while its temp file exists. A temp file's name is used once
  (pid and clock in it) and the rename removes it, so one that exists was not renamed.
  A deletion or a move is redone only while its source exists: one that is gone was
  done. Such a path is made again only by a later commit (the next bullet), or by a
  write outside the lock that names a new file each time (the spool's new mail,
  claims under the claimer's pid), or moves one back: a dead worker's claims go back
  to the queue, at serve's start after the journal is finished; while serve runs, a
  claim may go back first, so the journal's move of it finds no source and is
  skipped, and the message, processed again, is a duplicate of what the journal's
  renames stored (stored once; its mail keyed, so queued once).
- No later commit runs before the journal is finished: commits hold the store lock,
  and taking it finishes the journal first.
- A journal does not come back over a later commit after a power loss: it is deleted
  only after its renames and moves are durable (the commit's second sync and the
  moves' fsyncs), and the next commit's first sync, before any of its own renames,
  makes that deletion durable. A journal found is the last commit's.
- A journal that does not read whole (its checksum) or names a temp file that is not
  whole (size, CRC-32) was cut short by a power loss before the first sync ended, so
  none of its operations had begun (they start only after that sync): the commit is
  dropped, as a crash before its journal drops it; its temp files are leftovers.

One journal at a time: commits hold the store lock. One small file per commit (a
batch of messages), none for a commit of a single operation (nothing to tear)."""

from __future__ import annotations

import json
import os
import zlib

from maild.adapters.durable import read_bytes, sync_fs, unlink_if_exists, write_new

NAME = "commit.redo"  # in the store's root, beside "lock"

# ("r", temp, target, size, crc32) | ("d", target) | ("m", source, target)
Op = list


def journal_path(root: str) -> str:
    return os.path.join(root, NAME)


def rename_op(root: str, tmp: str, target: str, data: bytes) -> Op:
    return ["r", _rel(root, tmp), _rel(root, target), len(data), zlib.crc32(data)]


def delete_op(root: str, target: str) -> Op:
    return ["d", _rel(root, target)]


def move_op(root: str, src: str, dst: str) -> Op:
    return ["m", _rel(root, src), _rel(root, dst)]


def _rel(root: str, path: str) -> str:
    """Relative to the store (a restored copy of it finishes the same journal)."""
    prefix = root + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


def write(root: str, ops: list[Op]) -> str:
    """Create the journal (not synced: the commit's first sync does it); its path.
    One there already is a commit not finished: never written over (FileExistsError)."""
    body = json.dumps({"ops": ops}, ensure_ascii=False).encode("utf-8", "surrogateescape")
    path = journal_path(root)
    write_new(path, body + b"\n%d\n" % zlib.crc32(body), fsync=False)
    return path


def read(root: str) -> list[Op] | None:
    """The operations of the journal in `root`; None when there is none; [] when it
    does not read whole."""
    try:
        raw = read_bytes(journal_path(root))
    except FileNotFoundError:
        return None
    body, _, tail = raw.rstrip(b"\n").rpartition(b"\n")
    if not tail.isdigit() or len(tail) > 10 or int(tail) != zlib.crc32(body):  # (a crc32)
        return []
    try:
        ops = json.loads(body.decode("utf-8", "surrogateescape"))["ops"]
    except (ValueError, KeyError, TypeError):
        return []
    return ops if isinstance(ops, list) else []


def named_temps(root: str) -> set[str]:
    """The temp files a journal in `root` names (leftovers must not remove them)."""
    return {os.path.join(root, op[1]) for op in read(root) or [] if op[0] == "r"}


def finish(root: str) -> int | None:
    """Finish the commit a journal in `root` records (the caller holds the store
    lock); how many operations were redone, None when there was no journal."""
    ops = read(root)
    if ops is None:
        return None
    path = journal_path(root)

    def at(rel: str) -> str:
        return os.path.join(root, rel)

    if not ops or not all(_whole(at(op[1]), op[3], op[4]) for op in ops if op[0] == "r"):
        for op in ops:  # cut short before the first sync ended: nothing was done
            if op[0] == "r":
                unlink_if_exists(at(op[1]))
        unlink_if_exists(path)
        return 0
    redone = 0
    for op in ops:
        if op[0] == "d":
            redone += unlink_if_exists(at(op[1]))
            continue
        try:
            os.replace(at(op[1]), at(op[2]))
        except FileNotFoundError:
            if os.path.exists(at(op[1])):
                raise  # (its target's folder is gone)
            continue  # done before the crash
        redone += 1
    sync_fs(root)  # all done durably before the journal goes
    os.unlink(path)
    return redone


def _whole(tmp: str, size: int, crc: int) -> bool:
    """The temp file holds what the commit wrote, or is gone (renamed)."""
    try:
        data = read_bytes(tmp)
    except FileNotFoundError:
        return True
    return len(data) == size and zlib.crc32(data) == crc
