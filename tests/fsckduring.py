"""`python -m tests.fsckduring --config FILE fsck ...`: maild fsck while another
process writes the store, at the moments a busy `maild serve` would: once fsck has
read the ticket files, `maild ingest MAILD_DURING_MAIL` stores a new mail (a new
ticket, its summary row, its spool copy in cur/); when fsck walks tickets/ for
stray files, a write of ticket MAILD_DURING_TID is under way (its temp file, named
with this live process's pid)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from maild import fsck, fsckfiles
from maild.cli import run

MAIL = os.environ["MAILD_DURING_MAIL"]
TID = os.environ["MAILD_DURING_TID"]
_read_tickets = fsck.Fsck.read_tickets
_done: set[str] = set()


def _read_then_store(self: fsck.Fsck) -> None:
    _read_tickets(self)
    if "ingest" in _done:
        return
    _done.add("ingest")
    config = sys.argv[sys.argv.index("--config") + 1]
    cmd = [sys.executable, "-m", "maild", "--config", config, "ingest", MAIL]
    subprocess.run(cmd, check=True, capture_output=True)


class _Os:
    """fsckfiles' os, whose walk of tickets/ starts with a write under way."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    @staticmethod
    def walk(top: str | Path, *args: object, **kwargs: object) -> object:
        if Path(top).name == "tickets" and "temp" not in _done:
            _done.add("temp")
            folder = Path(top) / TID[:2]
            folder.mkdir(exist_ok=True)
            (folder / f".{TID}.json.{os.getpid()}.{1}.tmp").write_text("{")
        return os.walk(top, *args, **kwargs)


fsck.Fsck.read_tickets = _read_then_store  # type: ignore[method-assign]
fsckfiles.os = _Os()  # type: ignore[assignment]

if __name__ == "__main__":
    run()
