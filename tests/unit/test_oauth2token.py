"""adapters/oauth2token.py: the access token an admin's command prints (real
commands, run as maild runs them). Its first line is the token; a command that
fails gives none, whatever it printed, and its last line of stderr says why."""

from __future__ import annotations

import os
import shlex

import pytest

from maild.adapters.oauth2token import TokenUnavailable, fetch, xoauth2


def sh(script: str) -> str:
    return f"sh -c {shlex.quote(script)}"


def test_the_first_line_printed_is_the_token():
    """A tool that prints the token, then when it expires (a second line): the token
    is the first line, its spaces taken off; the rest is not sent to the server."""
    assert fetch(sh("echo '  ya29.tok  '; echo 'expires in 3599 s'"), "imap.k") == "ya29.tok"


def test_blank_lines_before_the_token_are_not_the_token():
    """A tool that starts its output with an empty line (a wrapper's echo): the token
    is the first line with text on it, not an empty token that fails every login."""
    assert fetch(sh("printf '\\n  \\nya29.tok\\n'"), "outbound.k") == "ya29.tok"


def test_the_xoauth2_response_is_the_one_google_and_microsoft_take():
    """The SASL XOAUTH2 initial response as both providers document it: user=, ^A,
    auth=Bearer and the token, then two ^A; a server refuses any other spelling, and
    every login (IMAP and the relay) would fail."""
    assert xoauth2("support@shop.ru", "ya29.tok") == (
        "user=support@shop.ru\x01auth=Bearer ya29.tok\x01\x01"
    )


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


def test_a_command_that_prints_nothing_and_exits_0_gives_no_token():
    """A tool that lost its refresh token may exit 0 with nothing printed: that is no
    token (a login with an empty one fails as a wrong password, the tool unnamed)."""
    with pytest.raises(TokenUnavailable) as failed:
        fetch(sh("exit 0"), "imap.k")
    assert str(failed.value) == "imap.k gave no token (exit 0): it printed no token"


def test_a_command_that_is_not_there_names_the_key_that_runs_it():
    """A typo in the command's path: the line names the config key to fix."""
    with pytest.raises(TokenUnavailable, match=r"^outbound\.k did not run: .*No such file"):
        fetch("/nonexistent/oama access support@shop.ru", "outbound.k")


def test_a_command_reads_no_input_of_maild(tmp_path):
    """A tool that would ask for its password reads nothing (not the mail `maild
    ingest` is given, nor a terminal it would wait at): it fails at once."""
    given = tmp_path / "stdin"
    given.write_text("ya29.from-stdin\n")
    saved = os.dup(0)
    try:
        with open(given, "rb") as f:
            os.dup2(f.fileno(), 0)
        with pytest.raises(TokenUnavailable):
            fetch(sh("head -n 1"), "imap.k")
    finally:
        os.dup2(saved, 0)
        os.close(saved)
