"""A command line argparse refuses (64, EX_USAGE) that may be an MTA's pipe to
`maild ingest`: 64 bounces every customer's mail to it (postfix: "5.3.0 command line
usage error"), 75 keeps it queued until master.cf is fixed (README, Exit codes)."""

from __future__ import annotations

import sys
from collections.abc import Container


def piped(argv: list[str], commands: Container[str]) -> bool:
    """Whether `argv` may be an MTA's pipe: `ingest` in it, or no command of
    `commands` first (`Ingest`, `ingset`, none at all) with stdin not a terminal (a
    mail piped in, or none). Typed at a terminal, or a known command mistyped after
    its name (`ticket lst`), it keeps its 64."""
    if "ingest" in argv:
        return True
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)  # its value
        elif not word.startswith("-"):
            return word not in commands and not _terminal()
    return not _terminal()


def _terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):  # closed
        return False
