"""pipeusage.piped: a refused command line an MTA's pipe may have run exits 75 (the
mail kept queued), one typed at a terminal keeps its 64."""

from __future__ import annotations

import io
import sys

from maild.pipeusage import piped

COMMANDS = {"ingest", "ticket", "outbox"}


def test_a_closed_stdin_is_no_terminal_so_a_typo_keeps_the_mail(monkeypatch):
    """Run with stdin closed (`<&-` in a pipe's wrapper, a unit's StandardInput gone):
    nobody typed it, so 75, not the 64 that bounces the mail."""
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    assert piped(["--config", "/etc/maild.toml", "Ingest", "-"], COMMANDS) == (
        "maild: unknown command 'Ingest'; exit 75 (temporary) in case an MTA's pipe runs "
        "this, so it keeps the mail"
    )
    monkeypatch.setattr(sys, "stdin", None)
    assert piped([], COMMANDS) is not None


def test_the_config_files_name_is_not_taken_for_the_command(monkeypatch):
    """`--config ticket.toml outbox flsh`: the command is `outbox`, one it knows, so the
    usage error is the command's own (64), not an unknown command 'ticket.toml'."""
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    assert piped(["-v", "--config", "ticket.toml", "outbox", "flsh"], COMMANDS) is None
    assert "unknown command 'x.toml'" in (piped(["--config=/a", "x.toml"], COMMANDS) or "")
