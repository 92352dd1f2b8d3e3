"""adapters.sitepending: the «Задать вопрос» requests kept until their click, swept
once expired; a file removed meanwhile (the site's own sweep, `maild forget`) stops
neither the sweep nor the count of what they hold."""

from __future__ import annotations

import os
import time
from typing import Any

from maild.adapters import sitepending


class _Gone:
    """A directory entry whose file was removed after the folder was listed."""

    name, path = "gone.eml", "/nonexistent/gone.eml"

    def stat(self) -> Any:
        raise FileNotFoundError(2, "No such file or directory", self.path)


def test_a_request_removed_meanwhile_stops_neither_the_sweep_nor_the_count(
    tmp_path, monkeypatch
) -> None:
    old = time.time() - 10 * 86400
    for name in ("a.eml", "a.json"):
        (tmp_path / name).write_bytes(b"x" * 10)
        os.utime(tmp_path / name, (old, old))
    listed = list(os.scandir(tmp_path))
    monkeypatch.setattr(sitepending.os, "scandir", lambda _root: [_Gone(), *listed])
    assert sitepending.waiting_bytes(tmp_path) == 10
    assert sitepending.sweep(tmp_path, time.time()) == 1  # the expired one went
    assert not (tmp_path / "a.eml").exists() and not (tmp_path / "a.json").exists()


def test_a_request_goes_a_day_after_its_two_day_link_expired_not_before(tmp_path) -> None:
    """The link of «Задать вопрос» is valid 2 days (README); its request goes a day
    after, at 3 days, and not a moment before."""
    now = time.time()
    for sub, age in (("kept", 3 * 86400 - 60), ("gone", 3 * 86400 + 60)):
        for ext in ("eml", "json"):
            (tmp_path / f"{sub}.{ext}").write_bytes(b"{}")
            os.utime(tmp_path / f"{sub}.{ext}", (now - age, now - age))
    assert sitepending.sweep(tmp_path, now) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.eml", "kept.json"]
