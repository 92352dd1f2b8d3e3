"""Where the store keeps a ticket's files (adapters/store/attachfiles.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from maild.adapters.store.attachfiles import attachment_path, keep_file


class Recorded:
    """The locked section's writes, as a Transaction keeps them until its commit."""

    def __init__(self) -> None:
        self.puts: list[tuple[Path, bytes]] = []

    def put(self, path, data, *, last=False) -> None:
        self.puts.append((Path(path), data))


def test_a_file_is_written_through_the_locked_sections_writes_once_by_its_content(
    tmp_path: Path,
):
    """A customer's file goes to disk with the commit of the mail that brings it (a crash
    before leaves no half-written file under the name of its content, which a later mail
    with the same bytes would take as stored); bytes stored already are not written again."""
    files = Recorded()
    sha = keep_file(tmp_path, files, b"screenshot")
    assert sha == hashlib.sha256(b"screenshot").hexdigest()
    path = attachment_path(tmp_path, sha)
    assert path == tmp_path / "attachments" / sha[:2] / sha
    assert files.puts == [(path, b"screenshot")] and not path.exists()
    path.write_bytes(b"screenshot")  # committed
    assert keep_file(tmp_path, files, b"screenshot") == sha
    assert len(files.puts) == 1
