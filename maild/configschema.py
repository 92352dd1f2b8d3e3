"""What maild.toml may hold: every key once, with its validator, what it must be
(the words of the error line) and its default (REQUIRED: no default).

`section` checks one table against SCHEMA; maild.config turns the checked values
into frozen dataclasses.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from maild import confignumbers as num
from maild.domain.banners import DEFAULT_SUBJECT_TAGS as SUBJECT_TAGS
from maild.domain.caps import DESK_NOTICE_DEFAULT, DOMAIN_NOTICE_DEFAULT, NOTICE_LIMIT_DEFAULT
from maild.domain.limits import MAX_RECIPIENTS, figures

REQUIRED = object()


def _email(value: Any) -> bool:
    """A mailbox and a domain around one @: "support@" passed, and every message then
    failed to be processed (ingest's exit 75, retried by the MTA for days)."""
    if not isinstance(value, str) or " " in value.strip():
        return False
    local, at, domain = value.strip().partition("@")
    return bool(local and at and domain) and "@" not in domain


def _email_list(value: Any) -> bool:
    return isinstance(value, list) and all(_email(v) for v in value)


def _text_list(value: Any) -> bool:
    """Texts to find in mail: an empty one would be found in every mail."""
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _date(value: Any) -> bool:
    """A TOML date (2027-01-09) or one in quotes; not a time (10:00:00) nor a date
    and time: they passed, and check-config and serve then failed with a traceback."""
    if isinstance(value, str):
        try:
            return bool(date.fromisoformat(value))
        except ValueError:
            return False
    return isinstance(value, date) and not isinstance(value, datetime)


def _date_list(value: Any) -> bool:
    return isinstance(value, list) and all(_date(v) for v in value)


def _listen(value: Any) -> bool:
    """HOST:PORT of a port that the MTA (the site's proxy, Prometheus) can be given:
    port 0 would be a new random port at each start."""
    if not isinstance(value, str) or ":" not in value or "\0" in value:
        return False  # (a NUL: the system reads the host up to it, the check all of it)
    port = value.rsplit(":", 1)[1]
    return 0 < (figures(port) or 0) < 65536  # (ASCII figures: not «²», «２», «٢»)


LISTEN = "HOST:PORT, a port from 1 to 65535 (0, a random one, is no port to point to)"


def _port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _line(value: Any) -> bool:
    """One line: the From line's name with a line break made every mail's processing
    raise (email's Address refuses CR and LF), ingest's exit 75 for good."""
    return isinstance(value, str) and "\r" not in value and "\n" not in value


def _folder(value: Any) -> bool:
    """An IMAP folder as the server takes it: not "" (SELECT refused it, or no mail was
    ever moved), on one line (as the login's name: sent as they stand)."""
    return _line(value) and value != ""


def _host(value: Any) -> bool:
    """A name or address to connect to: an empty one passed, and every send then
    failed with smtplib's "please run connect() first"."""
    return isinstance(value, str) and bool(value) and not any(c.isspace() for c in value)


def _abspath(value: Any) -> bool:
    """A relative path would name another folder in each directory a command is run
    from (the unit's is /), so `sudo maild ...` would make a second, empty store. No
    NUL: no file has one (every command failed with "embedded null byte", exit 1)."""
    return isinstance(value, str) and "\0" not in value and Path(value).expanduser().is_absolute()


def _command(value: Any) -> bool:
    """A command line as a shell would split it (run without a shell), or "". No NUL:
    no program can be given one (every send raised "embedded null byte")."""
    if not isinstance(value, str) or "\0" in value:
        return False
    try:
        shlex.split(value)
    except ValueError:  # an unclosed quote
        return False
    return True


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _hhmm(value: Any) -> bool:
    if not isinstance(value, str) or value.count(":") != 1:
        return value == "off"  # the daily mail is not sent (schedule's two times)
    h, m = value.split(":")
    hour, minute = figures(h), figures(m)
    return hour is not None and minute is not None and hour < 24 and minute < 60


def _choice(*options: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return value in options

    check.__doc__ = " or ".join(repr(o) for o in options)
    return check


# The MTA's spam verdicts maild can read (maild.domain decides what each means).
SPAM_VERDICTS = ("x-spam-flag", "x-spam-status", "x-spam", "x-rspamd-action", "dmarc")


def _spam_headers(value: Any) -> bool:
    return isinstance(value, list) and all(v in SPAM_VERDICTS for v in value)


def _url(value: Any) -> bool:  # a blank or line break cuts every link in the mail
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    return value.startswith(("http://", "https://")) and bool(value.split("://", 1)[1].strip("/"))


# section -> key -> (validator, what it must be, default or REQUIRED)
SCHEMA: dict[str, dict[str, tuple[Any, str, Any]]] = {
    "support": {
        "address": (_email, "an email address", REQUIRED),
        "name": (_line, "a string on one line", "Служба поддержки"),
        "staff": (_email_list, "a list of email addresses", []),
        "head": (_email, "an email address", None),
        "timezone": (_str, "a time zone name like Europe/Moscow", "Europe/Moscow"),
        "max_auto_replies_per_hour": (num.posint, "a non-negative integer", 10),
        "max_auto_replies_per_day": (num.posint, "a non-negative integer", 40),
        "max_auto_replies_per_ticket_per_hour": (num.posint, "a non-negative integer", 5),
        "max_staff_notices_per_sender_per_hour": (
            num.posint,
            "a non-negative integer",
            NOTICE_LIMIT_DEFAULT,  # (caps.notice_limit's for proven mail at 0)
        ),
        "max_confirmations_per_hour": (num.posint, "a non-negative integer", 0),
        "max_new_ticket_notices_per_hour": (
            num.posint,
            "a non-negative integer",
            DESK_NOTICE_DEFAULT,  # staff notices of new tickets from unproven senders, all
        ),
        "max_new_ticket_notices_per_domain_per_hour": (
            num.posint,
            "a non-negative integer",
            DOMAIN_NOTICE_DEFAULT,  # the same of one From domain's senders together
        ),
        "max_reminders_per_person_per_hour": (num.posint, "a non-negative integer", 5),
        "authserv_id": (_str, "the authserv-id of your own MTA's Authentication-Results", None),
        "reply_secret": (_str, "a secret string for signed reply addresses", None),
        # what the mailbox's mail system adds to outside mail (domain/banners.py)
        "inbound_banners": (_text_list, "a list of texts, none empty", []),
        "inbound_subject_tags": (_text_list, "a list of texts, none empty", list(SUBJECT_TAGS)),
    },
    "schedule": {
        "reminder_fraction": (num.fraction, "a number between 0 and 1", 0.75),
        "waiting_reminder_days": (num.business_days, num.BUSINESS_DAYS, 3),
        "waiting_autoclose_days": (num.business_days, num.BUSINESS_DAYS, 7),
        "credentials_keep_days": (num.days, num.DAYS, 2),
        "outbox_give_up_attempts": (num.count, "a number of attempts above 0", 10),
        "daily_report_time": (_hhmm, 'a time HH:MM, or "off"', "09:00"),
        "digest_time": (_hhmm, 'a time HH:MM, or "off"', "09:00"),
    },
    "calendar": {
        "extra_days_off": (_date_list, "a list of dates YYYY-MM-DD", []),
        "extra_working_days": (_date_list, "a list of dates YYYY-MM-DD", []),
    },
    "storage": {
        "path": (_abspath, "an absolute directory path (/var/lib/maild)", REQUIRED),
        "max_attempts": (num.count, "a number of attempts above 0", 3),
        "keep_closed_days": (num.days, num.DAYS, None),
    },
    "templates": {
        "path": (_abspath, "an absolute directory path (/etc/maild/templates)", None),
    },
    "spam": {
        "enabled": (_bool, "true or false", True),
        "headers": (_spam_headers, "a list of: " + ", ".join(SPAM_VERDICTS), list(SPAM_VERDICTS)),
        "keep_days": (num.days, num.DAYS, 30),
    },
    "limits": {
        "max_recipients": (num.posint, "a number of addresses", MAX_RECIPIENTS),  # message.parse's
        "max_participants": (num.posint, "a number of addresses", 10),
    },
    "log": {
        "target": (_choice("stderr", "syslog"), '"stderr" or "syslog"', "stderr"),
    },
    "metrics": {
        "listen": (_listen, LISTEN, None),
    },
    "web": {
        "listen": (_listen, LISTEN, "127.0.0.1:8080"),
        "base_url": (_url, "an http(s) URL like https://support.example.com", REQUIRED),
        "link_days": (num.days, num.DAYS, 90),
        "max_submissions_per_hour": (num.posint, "a number", 5),
        "max_confirmations_per_hour": (num.posint, "a number", 100),
        # what the form's requests waiting for their click may hold on disk (web/ask.py)
        "max_pending_mb": (num.posint, "a number of megabytes", 1024),
        # a connection sending nothing, half a request or a stalled body (server.py)
        "idle_timeout": (num.count, "a number of num.seconds above 0", 30),
        # connections at once; one more is answered 503 and closed (connectioncap.py)
        "max_connections": (num.count, "a number of connections above 0", 1000),
        "secret": (_str, "a secret string for the site's signed links", None),
    },
    "outbound": {
        "host": (_host, "a host name or address, not empty", "127.0.0.1"),
        "port": (_port, "a port number", 25),
        "starttls": (_bool, "true or false", False),
        "username": (_str, "a string", None),
        "password": (_str, "a string", None),
        # instead of password (config.oauth2_logins): adapters/oauth2token.py
        "oauth2_token_command": (_command, "a command line, quoted as in a shell", ""),
        "timeout": (num.seconds, num.SECONDS, 30),
    },
    "smtp": {
        "listen": (_listen, LISTEN, "127.0.0.1:8025"),
        "protocol": (_choice("smtp", "lmtp"), '"smtp" or "lmtp"', "smtp"),
        "max_message_size": (num.message_bytes, num.MESSAGE_BYTES, 30 * 1024 * 1024),
        "max_connections": (num.count, "a number of connections above 0", 500),
        "timeout": (num.seconds, num.SECONDS, 300),
        "max_data_transfers": (num.count, "a number of transfers above 0", 3),
        # STARTTLS, for a listener facing the internet (adapters/tls.py)
        "tls_cert": (_str, "a file path (PEM)", ""),
        "tls_key": (_str, "a file path (PEM)", ""),
    },
    "imap": {
        "host": (_host, "a host name or address, not empty", REQUIRED),
        "port": (_port, "a port number", 993),
        "ssl": (_bool, "true or false", True),
        "starttls": (_bool, "true or false", False),
        "verify_tls": (_bool, "true or false", True),
        "username": (_line, "a string on one line", REQUIRED),
        # one of the two (config.imap_login): a password, or a command that prints an
        # OAuth2 access token (Microsoft 365, Google Workspace: adapters/oauth2token.py)
        "password": (_str, "a string", ""),
        "oauth2_token_command": (_command, "a command line, quoted as in a shell", ""),
        "folder": (_folder, "a folder name on one line, not empty", "INBOX"),
        "processed_folder": (_folder, "a folder name on one line, not empty", "Processed"),
        "poll_interval": (num.seconds, num.SECONDS, 60),
        # a mail over it is taken as its header and a note (domain/oversize.py)
        "max_message_size": (num.posint, "a number of bytes", 30 * 1024 * 1024),
    },
    "attachments": {
        "max_attachment_bytes": (num.posint, "a number of bytes", 10 * 1024 * 1024),
        "max_message_bytes": (num.posint, "a number of bytes", 25 * 1024 * 1024),
        "accept_other_types": (_bool, "true or false", False),
        "zip_max_total_uncompressed": (num.posint, "a number of bytes", 200 * 1024 * 1024),
        "zip_max_ratio": (num.posnum, "a number", 100.0),
        "zip_max_members": (num.posint, "a number", 1000),
        "zip_max_nesting": (num.posint, "a number", 2),
    },
}


def default(section: str, key: str) -> Any:
    """The default of a config key (REQUIRED for one that has none)."""
    return SCHEMA[section][key][2]


# The signing keys and what whoever knows one can do: sign as maild does (README, Trust).
SECRETS = {
    ("support", "reply_secret"): "forge staff replies and customers' follow-ups",
    ("web", "secret"): "open and answer any ticket on the site",
}
# Values of examples and docs, compared lower-cased without separators: anyone has
# read them. "..." is the example config's (config/maild.example.toml).
PLACEHOLDER_SECRETS = frozenset(
    {"...", "…", "changeme", "changethis", "replaceme", "secret", "mysecret", "yoursecret"}
    | {"secretkey", "supersecret", "yoursecrethere", "password", "example", "xxx", "todo"}
)
MIN_SECRET_LENGTH = 16


def secret_weakness(value: str) -> str | None:
    """Why `value` must not be a signing key (it can be guessed), or None. An empty
    one is no key: maild makes its own, as when the key is not set."""
    if re.sub(r"[\s_-]", "", value.lower()) in PLACEHOLDER_SECRETS:
        return f"is the placeholder {value!r}"
    if len(value) < MIN_SECRET_LENGTH:
        return f"has {len(value)} characters, fewer than {MIN_SECRET_LENGTH}"
    if len(set(value)) == 1:
        return "is one character repeated"
    return None


def secret_problems(sections: dict[str, dict[str, Any]], path: str) -> list[str]:
    """One line per signing key of `sections` (checked values) that can be guessed."""
    out = []
    for (name, key), power in SECRETS.items():
        value = sections.get(name, {}).get(key)
        why = secret_weakness(value) if value else None
        if why:
            out.append(
                f"{path}: key '{name}.{key}' {why}: whoever knows it can {power}; "
                "set a random one (openssl rand -hex 32)"
            )
    return out


def _which(check: Callable[[Any], bool], value: Any) -> str:
    """The entry of a list of addresses or dates that is wrong: lists can be long. A
    time of day unquoted (`digest_time = 09:00:00`) is a TOML time, no string: quote it."""
    if check is _hhmm and isinstance(value, time):
        return f': "{value:%H:%M}" in quotes, not {value}'
    one = _email if check is _email_list else _date if check is _date_list else None
    if one is None or not isinstance(value, list):
        return ""
    bad = [v for v in value if not one(v)]
    if not bad:
        return ""
    return f" ({bad[0]!r} is not one)" if isinstance(bad[0], str) else f" ({bad[0]} is not one)"


def section(raw: dict[str, Any], name: str, path: str, errors: list[str]) -> dict[str, Any]:
    """The section's values with defaults; each problem goes to `errors` (a bad or
    missing key gets its default or None, so the rest can still be checked)."""
    given = raw.get(name, {})
    schema = SCHEMA[name]
    if not isinstance(given, dict):  # one mistake, one line: not its keys missing too
        errors.append(f"{path}: key '{name}' must be a section: a line [{name}], its keys below")
        return {key: None if d is REQUIRED else d for key, (_, _, d) in schema.items()}
    for key in given:
        if key not in schema:
            errors.append(f"{path}: unknown key '{name}.{key}'")
    out: dict[str, Any] = {}
    for key, (check, what, default) in schema.items():
        if key in given:
            if check(given[key]):
                out[key] = given[key]
                continue
            errors.append(f"{path}: key '{name}.{key}' must be {what}{_which(check, given[key])}")
        elif default is REQUIRED:
            errors.append(f"{path}: missing key '{name}.{key}'")
        out[key] = None if default is REQUIRED else default
    return out


def unknown_top(path: str, name: str, value: Any) -> str:
    """An unknown table; or a key above every section (its `[section]` line left out)."""
    if isinstance(value, dict):
        return f"{path}: unknown section '[{name}]'"
    owners = " or ".join(f"[{s}]" for s, keys in SCHEMA.items() if name in keys)
    where = f": put it under {owners}" if owners else ""
    return f"{path}: key '{name}' stands above every section{where}"


def imap_folders(imap: dict[str, Any] | None, path: str) -> list[str]:
    """Mail moved into the folder it is read from shows up there again as new: taken,
    spooled and moved once more on every round, without end. INBOX is named in any
    case (RFC 3501); other names as written."""
    if not imap or not imap["folder"] or not imap["processed_folder"]:
        return []
    read, done = imap["folder"], imap["processed_folder"]
    if read == done or read.upper() == done.upper() == "INBOX":
        return [
            f"{path}: key 'imap.processed_folder' is imap.folder ({done!r}): processed "
            'mail would be read again after every move; name another folder ("Processed")'
        ]
    return []
