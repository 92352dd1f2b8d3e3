"""adapters/oauth2token.py: the access token an admin's command prints (real
commands, run as maild runs them). Its first line is the token; a command that
fails gives none, whatever it printed, and its last line of stderr says why."""

from __future__ import annotations

import shlex

import pytest

from maild.adapters.oauth2token import TokenUnavailable, fetch


def sh(script: str) -> str:
    return f"sh -c {shlex.quote(script)}"


def test_the_first_line_printed_is_the_token():
    """A tool that prints the token, then when it expires (a second line): the token
    is the first line, its spaces taken off; the rest is not sent to the server."""
    assert fetch(sh("echo '  ya29.tok  '; echo 'expires in 3599 s'"), "imap.k") == "ya29.tok"


def test_a_command_that_fails_gives_no_token_whatever_it_printed():
    """A refresh that failed (exit 1) after printing the old, expired token: no login
    with it (the server would refuse it, and the admin read of a refused login, not of
    the command); the last line of stderr, the tool's own reason, is named."""
    script = "echo ya29.old; echo 'refreshing' >&2; echo 'invalid_grant: revoked' >&2; exit 1"
    with pytest.raises(TokenUnavailable) as failed:
        fetch(sh(script), "imap.oauth2_token_command")
    said = str(failed.value)
    assert said == "imap.oauth2_token_command gave no token (exit 1): invalid_grant: revoked"


def test_a_command_that_hangs_is_a_failed_connection_not_a_hung_poller():
    with pytest.raises(TokenUnavailable, match="outbound.k did not run: "):
        fetch("sleep 5", "outbound.k", timeout=0.2)
