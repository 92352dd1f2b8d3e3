"""The IMAP poller's session: the TLS context, the login, the processed folder, its end.

The login is LOGIN for a username and password in ASCII, AUTHENTICATE PLAIN for one
with other characters, XOAUTH2 with `imap.oauth2_token_command`; a login the server
refuses is LoginRefused, whichever way it was tried.
"""

from __future__ import annotations

import contextlib
import logging
import ssl

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from maild.adapters import oauth2token
from maild.adapters.imapfailures import LoginRefused, ProcessedUncreatable, server_text
from maild.configtypes import ImapConfig

log = logging.getLogger("maild.imap")


def tls_context(cfg: ImapConfig) -> ssl.SSLContext:
    """The system's trust, or none at all when the admin set verify_tls = false."""
    ctx = ssl.create_default_context()
    if not cfg.verify_tls:
        # Only for self-signed test or internal servers; the admin opted in explicitly.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def log_in(client: IMAPClient, cfg: ImapConfig) -> None:
    """Log in as cfg.username; LoginRefused when the server refuses (an abort of the
    connection meanwhile is raised as it is: nothing was refused)."""
    try:
        if cfg.oauth2_token_command:  # XOAUTH2 (Microsoft 365, Google Workspace)
            token = oauth2token.fetch(cfg.oauth2_token_command, "imap.oauth2_token_command")
            client.oauth2_login(cfg.username, token)
        elif (cfg.username + cfg.password).isascii():
            client.login(cfg.username, cfg.password)
        else:
            # imaplib sends LOGIN's arguments in ASCII and cannot send "пароль123" at
            # all; AUTHENTICATE PLAIN carries them in UTF-8 (RFC 4616), and it is how
            # servers that take such a password take it (Dovecot, Gmail).
            client.plain_login(cfg.username, cfg.password)
    except LoginError as e:
        if isinstance(e.__context__, IMAPClient.AbortError):
            raise  # the connection broke during the login: nothing was refused
        raise LoginRefused(cfg.host, cfg.port, cfg.username, server_text(e)) from e


def ensure_folder(client: IMAPClient, folder: str, *, listed: bool = True) -> None:
    """`folder` exists on the server (created, and subscribed, if it did not). With
    `listed` False the server said it does not ([TRYCREATE]): it is created whatever
    LIST says (Dovecot still lists a deleted folder that has subfolders, \\HasChildren);
    a CREATE refused ([ALREADYEXISTS]: made by another client meanwhile) is fine while
    LIST names the folder."""
    if listed and client.folder_exists(folder):
        return
    try:
        client.create_folder(folder)
    except IMAPClient.Error:
        # Another client may have created it in between; anything else is a real error.
        if not client.folder_exists(folder):
            raise
    log.info("imap: created folder %s", folder)
    with contextlib.suppress(IMAPClient.Error):
        # So the folder shows up in staff's mail clients; we do not need it ourselves.
        client.subscribe_folder(folder)


def ensure_processed(client: IMAPClient, cfg: ImapConfig) -> None:
    """ensure_folder() of processed_folder; ProcessedUncreatable when the server
    refuses to create it (a connection that breaks raises as it is)."""
    try:
        ensure_folder(client, cfg.processed_folder)
    except IMAPClient.AbortError:
        raise
    except IMAPClient.Error as e:
        answer = server_text(e)
        folders = client.list_folders()
        separator = next((f[1] for f in folders if isinstance(f[1], bytes)), b"?")
        names = [f[2] for f in folders]
        raise ProcessedUncreatable(
            cfg, answer.partition(" failed: ")[2] or answer, names, separator.decode()
        ) from None


def is_new_mail(response: object) -> bool:
    """Whether an untagged answer (as idle_check parses it) says new mail came: EXISTS."""
    return isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"


def shutdown(client: IMAPClient) -> None:
    """Close the connection's socket, without a LOGOUT."""
    # Already closed or broken: nothing left to release, nothing worth reporting.
    with contextlib.suppress(Exception):
        client.shutdown()
