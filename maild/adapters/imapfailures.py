"""What the IMAP poller says when a round with the server fails, in words an admin can
act on, and what it remembers of a refused login for `maild status`.

A refused login (wrong password, account disabled) does not fix itself: it is logged
at ERROR once, with the server's answer, and tried again every LOGIN_RETRY seconds, in
case the admin fixes the account on the server. A login the server refuses for a while
only (RFC 5530 [UNAVAILABLE], [INUSE]: its auth backend is down) is a network-like
error, retried with the poller's back-off.

Mail that cannot be handed to the spool (read-only, full, wrong permissions) stays on
the server, retried with the back-off; DeliveryWatch keeps that for `maild status`
while it lasts, since the server itself answers fine meanwhile.
"""

from __future__ import annotations

import ast
import imaplib
import logging
import os
import ssl
from collections.abc import Callable
from datetime import UTC, datetime

from maild.configtypes import ImapConfig
from maild.domain.logid import log_time
from maild.privileges import said

log = logging.getLogger("maild.imap")


def tell(note: Callable[..., None] | None, what: str, *value: object) -> None:
    """Give `maild status` a note through the optional callback `note`: a failure to
    note is logged, never raised into the intake (status is a report of it)."""
    if note is None:
        return
    try:
        note(*value)
    except OSError as e:  # the disk's (full, read-only): a line, not a traceback
        log.error("imap: cannot note %s for maild status: %s", what, said(e))
    except Exception:
        log.exception("imap: noting %s failed", what)


# Seconds between tries of a refused login: quick retries only fill the log and may
# lock the account; an admin who fixes it on the server waits at most this long.
LOGIN_RETRY = 600
TEMPORARY = ("[UNAVAILABLE]", "[INUSE]")

Refusal = dict[str, object]  # {"since", "host", "port", "user", "answer", "pid"}
Stall = dict[str, object]  # {"since", "uid", "error", "pid"}


class LoginRefused(Exception):
    """The server refused our LOGIN; `answer` is its text, decoded."""

    def __init__(self, host: str, port: int, user: str, answer: str) -> None:
        super().__init__(f"the server {host}:{port} refuses the login of {user}: {answer}")
        self.answer = answer
        self.temporary = answer.upper().startswith(TEMPORARY)


class FolderMissing(Exception):
    """`folder` is not on the server (a typo, or a server that names it INBOX.X or
    INBOX/X); `names` are the folders it has, for the admin to pick from."""

    def __init__(self, cfg: ImapConfig, names: list[str]) -> None:
        shown = ", ".join(names[:MAX_NAMES]) + (", ..." if len(names) > MAX_NAMES else "")
        super().__init__(
            f"the folder {cfg.folder!r} does not exist on {cfg.host}:{cfg.port} for "
            f"{cfg.username}: set imap.folder to one of its folders ({shown}) and restart "
            "maild serve, or create the folder"
        )


MAX_NAMES = 30  # folders named in FolderMissing's line


class ProcessedUncreatable(Exception):
    """`processed_folder` is not on the server and it refuses to create it (a name it
    does not take: Dovecot on Maildir refuses a "/"; no right to create folders): no
    mail can be taken out of `folder`, so none is taken; `names` are its folders."""

    def __init__(self, cfg: ImapConfig, answer: str, names: list[str], separator: str) -> None:
        shown = ", ".join(names[:MAX_NAMES]) + (", ..." if len(names) > MAX_NAMES else "")
        super().__init__(
            f"the folder {cfg.processed_folder!r} (imap.processed_folder) cannot be created "
            f"on {cfg.host}:{cfg.port} for {cfg.username}: the server answers: {answer}; "
            f"set imap.processed_folder to one of its folders ({shown}) or a name it takes "
            f"(its hierarchy separator is {separator!r}) and restart maild serve, or create "
            f"the folder; the mail waits in {cfg.folder}"
        )


class NoGreeting(Exception):
    """The server sent no IMAP greeting in time: on a plain connection, most often
    a port of implicit TLS (993) that waits for our TLS hello."""

    def __init__(self, cfg: ImapConfig, timeout: float) -> None:
        tls = "" if cfg.ssl else ": if it is a port of implicit TLS (993), set imap.ssl = true"
        super().__init__(f"no IMAP greeting from {cfg.host}:{cfg.port} in {timeout:g} s{tls}")


class ServerBye(Exception):
    """The server ended the connection with BYE (it shuts down or restarts, the
    mailbox changed under it); the text is its reason."""


def server_bye(responses: list) -> ServerBye | None:
    """The BYE among untagged `responses` (as imapclient's idle_check parses them)."""
    for r in responses:
        if isinstance(r, tuple) and r and r[0] == b"BYE":
            words = [w.decode("utf-8", "replace") for w in r[1:] if isinstance(w, bytes)]
            return ServerBye(f"the server said BYE: {' '.join(words)}")
    return None


def server_bye_in(e: BaseException) -> ServerBye | None:
    """The BYE an error quotes: imapclient's idle() raises "Unexpected IDLE response:
    b'* BYE ...'" when the server says BYE before it answers IDLE (it shuts down just
    then); None for any other error."""
    text = str(e) if isinstance(e, imaplib.IMAP4.error) else ""
    _, found, reason = text.partition("IDLE response: b'* BYE ")
    if not found:
        return None
    return ServerBye(f"the server said BYE: {reason.removesuffix(chr(39)).strip()}")


def server_text(e: BaseException) -> str:
    """An IMAP error's text as the server sent it: imaplib gives the server's answer
    as bytes, and imapclient wraps it as the bytes' repr (b'...')."""
    arg = e.args[0] if e.args else ""
    if isinstance(arg, str) and arg[:2] in ("b'", 'b"') and arg[-1:] == arg[1]:
        try:
            arg = ast.literal_eval(arg)
        except (ValueError, SyntaxError):
            pass
    if isinstance(arg, bytes):
        arg = arg.decode("utf-8", "replace")
    return str(arg)


def log_connection_failure(e: Exception, cfg: ImapConfig, delay: float) -> str:
    """One line for a round that failed on the network, TLS or the server; what it
    says of the failure (for `maild status`)."""
    level, text = describe_failure(e, cfg)
    log.log(level, "imap: %s; reconnecting in %g s", text, delay)
    return text


def describe_failure(e: Exception, cfg: ImapConfig) -> tuple[int, str]:
    """(log level, words an admin can act on) of a round that failed."""
    host = cfg.host
    if isinstance(e, ssl.SSLError) and e.reason == "WRONG_VERSION_NUMBER":
        return logging.ERROR, (
            f"{host}:{cfg.port} does not answer in TLS ({e}): imap.ssl = true is for a port "
            "of implicit TLS (993); for port 143 set imap.ssl = false and imap.starttls = true"
        )
    if isinstance(e, ssl.SSLCertVerificationError):
        return logging.ERROR, (
            f"the certificate of {host} is not trusted ({e.verify_message or e}): install "
            "its CA certificate, or set imap.verify_tls = false for a self-signed one"
        )
    if isinstance(e, (FolderMissing, NoGreeting, ProcessedUncreatable)):
        return logging.ERROR, str(e)
    if isinstance(e, (ServerBye, imaplib.IMAP4.abort)):  # abort: "socket error: EOF"
        return logging.WARNING, f"the connection to {host} ended: {e}"
    if bye := server_bye_in(e):
        return logging.WARNING, f"the connection to {host} ended: {bye}"
    if isinstance(e, LoginRefused):
        return logging.WARNING, f"{e} (a temporary failure)"
    # an OSError's args[0] is its errno: "ConnectionRefusedError: 111" says nothing
    text = str(e) if isinstance(e, OSError) else server_text(e)
    return logging.WARNING, f"{type(e).__name__}: {text}"


class LoginWatch:
    """Whether the server refuses our login; tells `refused` of each change (the
    refusal, or None once a login works again)."""

    def __init__(
        self, cfg: ImapConfig, refused: Callable[[Refusal | None], None] | None, retry: float
    ) -> None:
        self.cfg = cfg
        self.refused = refused
        self.retry = retry
        self.refusal: Refusal | None = None

    def refused_now(self, e: LoginRefused) -> float:
        """Log the refusal (ERROR when it is new or its answer changed); the seconds
        to wait before the next try."""
        if self.refusal is not None and self.refusal["answer"] == e.answer:
            log.info("imap: login still refused: %s; next try in %g s", e, self.retry)
            return self.retry
        secret = (
            "the token imap.oauth2_token_command prints (its account and scope)"
            if self.cfg.oauth2_token_command
            else "imap.password in maild's config, then restart maild serve"
        )
        log.error(
            "imap: %s (check imap.username and %s, or the account on the server); "
            "trying again every %g s",
            e,
            secret,
            self.retry,
        )
        cfg = self.cfg
        self.refusal = {
            "since": datetime.now(UTC).isoformat(),
            "host": cfg.host,
            "port": cfg.port,
            "user": cfg.username,
            "answer": e.answer,
            "pid": os.getpid(),
        }
        tell(self.refused, "the login refusal", self.refusal)
        return self.retry

    def accepted(self) -> None:
        if self.refusal is None:
            return
        log.info("imap: the server accepts the login of %s again", self.cfg.username)
        self.refusal = None
        tell(self.refused, "the login refusal", None)


class DeliveryError(Exception):
    """deliver() raised for message `uid`; it is still in the folder, untouched.

    `delivered` counts the messages of the same round that were delivered (and moved)
    before it. The original exception is the __cause__.
    """

    def __init__(self, uid: int, delivered: int, cause: BaseException) -> None:
        super().__init__(f"delivery of UID {uid} failed: {type(cause).__name__}: {cause}")
        self.uid = uid
        self.delivered = delivered


class DeliveryWatch:
    """Whether mail waits on the server because deliver() (the spool) fails; tells
    `stalled` of each failure (the stall, its `since` kept) and None once a message
    is delivered again."""

    def __init__(self, stalled: Callable[[Stall | None], None] | None) -> None:
        self.stalled = stalled
        self.stall: Stall | None = None

    def failed(self, uid: int, cause: BaseException) -> None:
        since = self.stall["since"] if self.stall else datetime.now(UTC).isoformat()
        error = f"{type(cause).__name__}: {cause}"
        self.stall = {"since": since, "uid": uid, "error": error, "pid": os.getpid()}
        tell(self.stalled, "the failing spool", self.stall)

    def delivered(self) -> None:
        if self.stall is None:
            return
        log.info(
            "imap: mail is spooled again (it could not be since %s)",
            log_time(str(self.stall["since"])),
        )
        self.stall = None
        tell(self.stalled, "the failing spool", None)
