"""The outbox's two logs in outbox/sent/ (adapters/outqueue.py names the folders),
appended to; the sent log rewritten once a day without the lines of mail no longer
in sent/ (trim_sent_log), the refused log never (`maild status` counts it):

    sent.log     one line per sent mail: "<id> <sent_at> <attempts>"
    refused.log  one line per mail refused for good: "<id> <refused_at>" (`maild
                 status` counts them without reading sent/)

Their lines hold no address, so `maild forget` has nothing to erase in them. A line
cut short by a crash is skipped when read.
"""

from __future__ import annotations

import os
from pathlib import Path

from maild.adapters.durable import write_atomic
from maild.domain.limits import figures
from maild.domain.records import OutboxEntry, aware_time

SENT_LOG = "sent.log"
REFUSED_LOG = "refused.log"


def open_log(path: Path) -> int:
    """The log at `path`, opened for appending (and reading its last byte:
    append_whole; raises OSError)."""
    return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)


def read_sent_log(sent: Path) -> dict[str, tuple[str, int]]:
    """The sent log in the folder `sent`, by id: when each mail went and after how
    many attempts (as far as it reads; none if it cannot be read)."""
    log: dict[str, tuple[str, int]] = {}
    try:
        lines = (sent / SENT_LOG).read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return log
    for line in lines:  # (a line cut short by a full disk is skipped, not the rest)
        parts = line.split(" ")
        if len(parts) == 3 and (attempts := figures(parts[2])) is not None:
            log[parts[0]] = (parts[1], attempts)
    return log


def append_line(fd: int, line: bytes) -> None:
    """Append `line` to the log open as `fd` (O_APPEND), all of it (os.write may write
    part of it: a disk filling up); raises OSError with what the file system said."""
    view = memoryview(line)
    while view:
        view = view[os.write(fd, view) :]


def append_whole(fd: int, line: bytes) -> None:
    """Append `line` (append_line) to the log open as `fd` (open_log) on a line of its
    own: a line a full disk cut short ends the log unfinished, and the next one glued
    to it made the reader lose both."""
    end = os.fstat(fd).st_size
    torn = end > 0 and os.pread(fd, 1, end - 1) != b"\n"
    append_line(fd, b"\n" + line if torn else line)


def log_refused(sent: Path, meta: OutboxEntry) -> None:
    """Append the refused log's line for `meta`, whole (append_whole: raises OSError
    when a full disk takes part of it)."""
    line = f"{meta['id']} {meta.get('last_try') or meta['queued_at']}\n".encode()
    fd = open_log(sent / REFUSED_LOG)
    try:
        append_whole(fd, line)
    finally:
        os.close(fd)


def read_refused_log(sent: Path) -> dict[str, str]:
    """Mail refused for good, by id: when (the refused log in the folder `sent`; none
    if it cannot be read). An id logged twice (a crash before its move) counts once."""
    try:
        text = (sent / REFUSED_LOG).read_text("utf-8")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        mail_id, _, at = line.partition(" ")
        if aware_time(at) is not None:  # (else cut short by a crash, or not maild's)
            out[mail_id] = at
    return out


def trim_sent_log(sent: Path, keep: set[str]) -> int:
    """Rewrite the sent log with only the lines of the ids in `keep` (the mails whose
    files are in sent/), at once (temp file, fsync, rename); how many lines went. Its
    lines are read for those files only (OutQueue.sent_entries: when each went; a
    withdrawn mail's line says it went all the same, unblocked.py): a line of an id
    whose file retention deleted is read by nothing, and no second send rests on it
    (what a re-run never queues again is a file's: OutQueue.known). The caller holds
    the sender's lock: the sender appends under it only."""
    path = sent / SENT_LOG
    try:
        lines = path.read_bytes().splitlines(keepends=True)
    except FileNotFoundError:
        return 0
    kept = [line for line in lines if line.split(b" ", 1)[0].decode(errors="replace") in keep]
    if len(kept) == len(lines):
        return 0
    if kept and not kept[-1].endswith(b"\n"):  # (a line cut short stays last, as it was)
        kept[-1] += b"\n"
    write_atomic(path, b"".join(kept))
    return len(lines) - len(kept)
