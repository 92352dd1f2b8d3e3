"""keydrift.replaced_keys: a key set in the config over the one the store keeps is
compared with the kept key's bytes as the store reads them (layout.reply_secret)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from maild.keydrift import replaced_keys


def _cfg(storage: Path, reply_secret: str) -> SimpleNamespace:
    support = SimpleNamespace(reply_secret=reply_secret)
    return SimpleNamespace(support=support, web=None, storage_path=storage)


def test_a_kept_key_with_a_newline_is_not_the_same_key_without_it(tmp_path) -> None:
    """`echo KEY > reply_secret` keeps "KEY\\n", which signed the mail as it is: the
    config's "KEY" signs otherwise, and the mail sent so far stops verifying."""
    (tmp_path / "reply_secret").write_bytes(b"kept-key-0123456789\n")
    [line] = replaced_keys(_cfg(tmp_path, "kept-key-0123456789"))  # type: ignore[arg-type]
    assert line.startswith("support.reply_secret is not the key kept in ")
    assert replaced_keys(_cfg(tmp_path, "kept-key-0123456789\n")) == []  # type: ignore[arg-type]


def test_a_blank_kept_key_is_none_and_nothing_is_replaced(tmp_path) -> None:
    """A file of blanks is no key (the store makes one or refuses): nothing was
    signed with it, so the config's key replaces nothing."""
    (tmp_path / "reply_secret").write_bytes(b" \n")
    assert replaced_keys(_cfg(tmp_path, "a-key-0123456789")) == []  # type: ignore[arg-type]
