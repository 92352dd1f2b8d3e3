"""The small files under <storage>/run/ that `maild status` reads (maild/status.py
names them): written whole or not at all, read as None when missing or unreadable.
Apart from status.py so that `maild ingest` notes its own without loading status's
modules (each piped message pays every import: bench/FINDINGS.md 30)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def put(run: Path, name: str, text: str) -> None:
    """run/`name` holding `text`, or as it was: on a full disk the temp file is made
    (it needs no data block) and its write fails, and it is not left behind."""
    tmp = run / f".{name}.{os.getpid()}"
    try:
        run.mkdir(exist_ok=True)
        tmp.write_text(text)
        os.replace(tmp, run / name)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def read_note(root: Path, name: str) -> dict[str, Any] | None:
    try:
        record = json.loads((root / "run" / name).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
