"""A listing of the desk's setup (`license list`, `group list`, `block list`, `answers
list`) on a storage.path with no store yet: answered as for an empty store (scripts
see what they saw when the listing made one), and nothing is made there. A typo in the
path, or a file system not mounted yet, left a new empty store (its parents too)
under the mount point, which the daemon then took for the desk."""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from maild.adapters.layout import is_new
from maild.app import App
from maild.config import Config

# What lists only: the `add`/`remove` of these commands make the store (the desk's setup)
LISTINGS = frozenset({"license", "group", "block", "answers"})


@contextlib.contextmanager
def listing_app(config: Config, command: str) -> Iterator[App | None]:
    """An App over an empty store made for the listing alone (in a temporary folder,
    gone after it) when storage.path holds no store yet and `command` is a listing of
    LISTINGS; else None: the caller makes the App (and refuses a missing store)."""
    root = config.storage_path
    if command not in LISTINGS or not is_new(root):
        yield None
        return
    print(f"maild: storage.path {root}: no maild store there yet (`maild serve` or "
          "`maild ingest` makes it): listed as empty", file=sys.stderr)  # fmt: skip
    made = logging.getLogger("maild.store")  # "created a new store at" the temporary one
    with tempfile.TemporaryDirectory(prefix="maild-list-") as tmp:
        was, made.disabled = made.disabled, True
        try:
            app = App(replace(config, storage_path=Path(tmp) / "store"))
        finally:
            made.disabled = was
        yield app
