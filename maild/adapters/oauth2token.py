"""The OAuth2 access token of an IMAP login, from the admin's command
(`imap.oauth2_token_command`).

Microsoft 365 and Google Workspace take no password over IMAP: a client logs in with
XOAUTH2 and an access token that lives about an hour. Getting and refreshing tokens is
the work of a tool made for it (oama, mutt_oauth2.py, oauth2ms, a cloud SDK's
"print-access-token"); maild runs the command (split as a shell would, run without
one) before each login, takes the first line it prints as the token and keeps it
nowhere else. A command that fails is a failed round: retried with the poller's
back-off, its last line of stderr in the log; the token itself is never logged.
"""

from __future__ import annotations

import shlex
import subprocess

TIMEOUT = 60  # seconds a token command may take (it may ask the provider over the network)


class TokenUnavailable(OSError):
    """The command gave no token."""


def fetch(command: str, timeout: float = TIMEOUT) -> str:
    """The token `command` prints (raises TokenUnavailable)."""
    try:
        done = subprocess.run(
            shlex.split(command),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise TokenUnavailable(f"imap.oauth2_token_command did not run: {e}") from None
    lines = done.stdout.strip().splitlines()
    token = lines[0].strip() if lines else ""
    if done.returncode != 0 or not token:
        said = done.stderr.strip().splitlines()
        why = said[-1] if said else "it printed no token"
        raise TokenUnavailable(
            f"imap.oauth2_token_command gave no token (exit {done.returncode}): {why}"
        )
    return token
