"""Where the store keeps a ticket's files: attachments/<sha256[:2]>/<sha256>, each
stored once by its content; the one place that layout is spelled (the pipeline and
the credentials job store there, the site reads there, the daily sweep removes what
no ticket names)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from maild.adapters.durable import Files

ATTACHMENTS = "attachments"  # the folder under the storage path


def attachment_path(root: Path, sha: str) -> Path:
    """The file of content `sha` (its SHA-256) in the store at `root`."""
    return root / ATTACHMENTS / sha[:2] / sha


def keep_file(root: Path, files: Files, data: bytes) -> str:
    """Store `data` by its content in the store at `root`, through `files` (a locked
    section's writes, committed with it), unless a file of the same bytes is there;
    its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    path = attachment_path(root, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        files.put(path, data)
    return sha
