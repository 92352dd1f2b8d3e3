"""Where the store keeps a ticket: tickets/<its TID's first two digits>/<TID>.json, the
one place that layout is spelled (the Store reads and writes there, `maild fsck` looks
there and calls any other file under tickets/ a stray)."""

from __future__ import annotations

import os
from pathlib import Path

from maild.domain.tid import TID_RE

TICKETS = "tickets"  # the folder under the storage path


def ticket_path(root: str | Path, tid: str) -> str:
    """The file of ticket `tid` in the store at `root`."""
    return f"{os.fspath(root)}/{TICKETS}/{tid[:2]}/{tid}.json"


def ticket_file_tid(root: str | Path, folder: str, name: str) -> str | None:
    """The TID of the ticket whose file `name` in `folder` is, or None for any other
    file: a name that is no TID's, or a TID's file in another ticket's folder."""
    tid = name[:-5] if name.endswith(".json") else ""
    if not TID_RE.fullmatch(tid):
        return None
    own = os.path.dirname(ticket_path(root, tid))
    return tid if os.path.normpath(folder) == os.path.normpath(own) else None
