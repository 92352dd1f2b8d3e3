"""maild.web.pendingroom: the disk the «Задать вопрос» requests waiting for their
click may hold, counted as they are kept (base64, in mebibytes)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from maild.adapters.sitepending import waiting_bytes
from maild.web.forms import Upload
from maild.web.pendingroom import no_room

MIB = 1024 * 1024


def _refused(root: Any, size: int) -> bool:
    cfg: Any = SimpleNamespace(max_pending_mb=1)
    files = [Upload("a.png", "image/png", b"\0" * size)]
    return asyncio.run(no_room(cfg, root, "x@attacker.example", files))


def test_a_posts_files_count_as_base64_holds_them_against_max_pending_mb(tmp_path) -> None:
    """A post's files are counted as the waiting request will hold them, base64 (4/3
    of their bytes), and web.max_pending_mb is mebibytes: with nothing waiting and a
    bound of 1 MB, 768 KiB of files (1 MiB in base64) still go, a byte more does not.
    Counted raw, a post a third over the bound went; counted in millions of bytes,
    one under it was refused."""
    assert not _refused(tmp_path, 768 * 1024)
    assert _refused(tmp_path, 768 * 1024 + 1)
    (tmp_path / "waiting.eml").write_bytes(b"x" * (MIB // 2))  # a request waiting
    assert not _refused(tmp_path, 384 * 1024)
    assert _refused(tmp_path, 384 * 1024 + 3)


def test_only_the_requests_waiting_for_their_click_count_against_max_pending_mb(tmp_path) -> None:
    """A confirmed request keeps only its small .json, for three days: what
    web.max_pending_mb bounds is the .eml files of those still waiting, so a busy
    day's confirmed requests do not refuse the next visitors' files."""
    (tmp_path / "a.eml").write_bytes(b"x" * 1000)
    (tmp_path / "a.json").write_bytes(b"y" * 300)
    (tmp_path / "b.json").write_bytes(b"y" * 300)  # confirmed: its .eml is gone
    assert waiting_bytes(tmp_path) == 1000
    assert waiting_bytes(tmp_path / "none") == 0  # no site, or no post yet
