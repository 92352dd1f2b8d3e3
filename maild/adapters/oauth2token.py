"""The OAuth2 access token of a login to the IMAP server or the relay, from the admin's
command (`imap.oauth2_token_command`, `outbound.oauth2_token_command`).

Microsoft 365 and Google Workspace take no password over IMAP (and Microsoft's SMTP
AUTH is going the same way): a client logs in with XOAUTH2 and an access token that
lives about an hour. Getting and refreshing tokens is
the work of a tool made for it (oama, mutt_oauth2.py, oauth2ms, a cloud SDK's
"print-access-token"); maild runs the command (split as a shell would, run without
one) before each login, takes the first line it prints as the token and keeps it
nowhere else. A command that fails is a failed connection: retried as one (the IMAP
poller's back-off, the outbox's), its last line of stderr in the log; the token itself
is never logged.
"""

from __future__ import annotations

import shlex
import subprocess

TIMEOUT = 60  # seconds a token command may take (it may ask the provider over the network)


class TokenUnavailable(OSError):
    """The command gave no token."""


def fetch(command: str, key: str, timeout: float = TIMEOUT) -> str:
    """The token `command`, the config's `key`, prints (raises TokenUnavailable)."""
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
        raise TokenUnavailable(f"{key} did not run: {e}") from None
    lines = done.stdout.strip().splitlines()
    token = lines[0].strip() if lines else ""
    if done.returncode != 0 or not token:
        said = done.stderr.strip().splitlines()
        why = said[-1] if said else "it printed no token"
        raise TokenUnavailable(f"{key} gave no token (exit {done.returncode}): {why}")
    return token


def xoauth2(user: str, token: str) -> str:
    """The XOAUTH2 initial response (Google's and Microsoft's SASL mechanism)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"
