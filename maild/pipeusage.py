"""A command line argparse refuses (64, EX_USAGE) that may be an MTA's pipe to
`maild ingest`: 64 bounces every customer's mail to it (postfix: "5.3.0 command line
usage error"), 75 keeps it queued until master.cf is fixed (README, Exit codes)."""

from __future__ import annotations

import sys
from collections.abc import Container


def piped(argv: list[str], commands: Container[str]) -> str | None:
    """What to say when `argv` may be an MTA's pipe (None when not): `ingest` in it,
    or no command of `commands` first (`Ingest`, `ingset`, none at all) with stdin not
    a terminal (a mail piped in, or none; also cron's or systemd's `maild otubox
    flush`, so the line says what was wrong, not only "ingest"). Typed at a terminal,
    or a known command mistyped after its name (`ticket lst`), it keeps its 64."""
    if "ingest" in argv:
        return "maild: ingest exits 75 (temporary): the MTA keeps the mail"
    first = _command(argv)
    if first in commands or _terminal():
        return None
    said = "no command given" if first is None else f"unknown command {first!r}"
    return (
        f"maild: {said}; exit 75 (temporary) in case an MTA's pipe runs this, so it keeps the mail"
    )


def _command(argv: list[str]) -> str | None:
    """The first word of `argv` that is not an option (nor `--config`'s value)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)  # its value
        elif not word.startswith("-"):
            return word
    return None


def _terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):  # closed
        return False
