"""Load and validate maild.toml into frozen dataclasses (maild/configtypes.py).

Every key is declared once in SCHEMA (maild.configschema), its default too: the
dataclasses' own defaults, for code that builds a config without a file, are held
equal to it by a test (test_config). An unknown, missing or
mistyped key raises ConfigError naming the key and the file, which the CLI turns
into exit 78. Every problem of a file is collected (ConfigError.problems), so
`maild check-config` lists them all at once instead of one per run.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from maild.configschema import (
    REQUIRED,
    SCHEMA,
    SPAM_VERDICTS,
    imap_folders,
    secret_problems,
    section,
    unknown_top,
)
from maild.configtypes import (
    CalendarConfig,
    Config,
    ImapConfig,
    LimitsConfig,
    LogConfig,
    MetricsConfig,
    OutboundConfig,
    ScheduleConfig,
    SmtpConfig,
    SpamConfig,
    StorageConfig,
    SupportConfig,
    TemplatesConfig,
    WebConfig,
)

__all__ = ["REQUIRED", "SCHEMA", "SPAM_VERDICTS", "Config", "ConfigError", "load", "parse"]

DEFAULT_PATH = "/etc/maild/maild.toml"
MAX_BYTES = 1 << 20  # the example config is 13 KB


class ConfigError(Exception):
    """Config problems, each already phrased as the one line the admin sees.

    str() is the first problem (one line, as every command prints it); `problems`
    has them all, for check-config."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        super().__init__(f"{first} (and {more} more: see maild check-config)" if more else first)


def _dates(values: list[Any]) -> tuple[date, ...]:
    return tuple(date.fromisoformat(v) if isinstance(v, str) else v for v in values)


def _support(support: dict[str, Any], path: str, errors: list[str]) -> dict[str, Any]:
    """[support] with its addresses lower-cased; a time zone the system does not
    know goes to `errors`."""
    if support["address"]:
        support["address"] = support["address"].strip().lower()
    support["staff"] = tuple(s.strip().lower() for s in support["staff"])
    support["inbound_banners"] = tuple(support["inbound_banners"])
    support["inbound_subject_tags"] = tuple(support["inbound_subject_tags"])
    if support["head"]:
        support["head"] = support["head"].strip().lower()
    errors += _own_address_as_staff(support, path)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(support["timezone"])
    except Exception:
        errors.append(
            f"{path}: key 'support.timezone': {support['timezone']!r} is no time zone "
            'name known here (e.g. "Europe/Moscow")'
        )
    return support


def _own_address_as_staff(support: dict[str, Any], path: str) -> list[str]:
    """Staff or head mail sent to the support address (or a plus-address of it) comes
    straight back in as maild's own, which it never answers: nobody would be told."""
    from maild.domain.replyaddr import is_support_address

    own, out = support["address"], list[str]()
    try:
        is_support_address(own, own)
    except (TypeError, ValueError):
        return out  # no address: that is an error of its own
    if any(is_support_address(s, own) for s in support["staff"]):
        out.append(
            f"{path}: key 'support.staff' lists the support address {own}: staff notices "
            "would come back to maild instead of reaching a person"
        )
    if support["head"] and is_support_address(support["head"], own):
        out.append(
            f"{path}: key 'support.head' is the support address {own}: escalations and "
            "reports would come back to maild instead of reaching a person"
        )
    return out


def oauth2_logins(sections: dict[str, dict[str, Any]], path: str) -> list[str]:
    """A login with a password or with an OAuth2 token, not both: [imap] needs one of
    them, [outbound] may have either, with its username, or no login at all."""
    out = []
    for name in ("imap", "outbound"):
        given = sections.get(name)
        if given is None:
            continue
        secret = given["password"] or given["oauth2_token_command"]
        if given["password"] and given["oauth2_token_command"]:
            out.append(f"{path}: keys '{name}.password' and '{name}.oauth2_token_command': set one")
        elif name == "outbound" and given["oauth2_token_command"] and not given["username"]:
            out.append(f"{path}: missing key '{name}.username' (whose OAuth2 token it is)")
        elif name == "outbound" and given["password"] and not given["username"]:
            # no login at all then: the relay refuses every mail ("530 Authentication required")
            out.append(f"{path}: missing key '{name}.username' (whose password it is)")
        elif name == "outbound" and given["username"] and not secret:
            out.append(  # a login with an empty password, refused every time
                f"{path}: missing key '{name}.password' (or '{name}.oauth2_token_command', "
                "for a relay that takes OAuth2 tokens only)"
            )
    imap = sections.get("imap")
    if imap is not None and not imap["password"] and not imap["oauth2_token_command"]:
        out.append(
            f"{path}: missing key 'imap.password' "
            "(or 'imap.oauth2_token_command', for a server that takes OAuth2 tokens only)"
        )
    return out


def tls_pair(smtp: dict[str, Any] | None, path: str) -> list[str]:
    """STARTTLS takes a certificate and its key: both keys or neither."""
    if smtp is None or bool(smtp["tls_cert"]) == bool(smtp["tls_key"]):
        return []
    given, missing = ("tls_cert", "tls_key") if smtp["tls_cert"] else ("tls_key", "tls_cert")
    return [f"{path}: missing key 'smtp.{missing}' (set with 'smtp.{given}' for STARTTLS)"]


def parse(raw: dict[str, Any], path: str) -> Config:
    """Validate a parsed TOML document; raise ConfigError listing every problem."""
    errors = [unknown_top(path, name, raw[name]) for name in raw if name not in SCHEMA]
    sections = {
        name: section(raw, name, path, errors)
        for name in SCHEMA
        if name not in ("smtp", "imap", "web") or name in raw
    }
    support = _support(sections["support"], path, errors)
    errors += secret_problems(sections, path)  # guessable keys make the desk forgeable
    errors += oauth2_logins(sections, path)
    errors += imap_folders(sections.get("imap"), path)
    errors += tls_pair(sections.get("smtp"), path)
    if errors:
        raise ConfigError(errors)
    cal, storage, outbound = sections["calendar"], sections["storage"], sections["outbound"]
    smtp = SmtpConfig(**sections["smtp"]) if "smtp" in raw else None
    imap = ImapConfig(**sections["imap"]) if "imap" in raw else None
    web = sections.get("web")
    if web is not None:
        web["base_url"] = web["base_url"].rstrip("/")
    spam = sections["spam"]
    spam["headers"] = tuple(spam["headers"])
    return Config(
        path=path,
        support=SupportConfig(**support),
        calendar=CalendarConfig(
            extra_days_off=_dates(cal["extra_days_off"]),
            extra_working_days=_dates(cal["extra_working_days"]),
        ),
        storage_path=Path(storage.pop("path")).expanduser(),
        storage=StorageConfig(**storage),
        templates=TemplatesConfig(**sections["templates"]),
        spam=SpamConfig(**spam),
        limits=LimitsConfig(**sections["limits"]),
        log=LogConfig(**sections["log"]),
        metrics=MetricsConfig(**sections["metrics"]),
        web=WebConfig(**web) if web is not None else None,
        outbound=OutboundConfig(**outbound),
        smtp=smtp,
        imap=imap,
        attachments=sections["attachments"],
        schedule=ScheduleConfig(**sections["schedule"]),
    )


def templates_problem(cfg: Config) -> str | None:
    """A templates.path that is not a directory: one line for the admin (every command
    refuses it, rather than quietly mailing the shipped templates instead)."""
    override = cfg.templates.path
    if override and not Path(override).expanduser().is_dir():
        return f"{cfg.path}: templates.path {override} is not a directory"
    return None


def load(path: str | Path) -> Config:
    """Read and validate the config file; every failure is a ConfigError."""
    path = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)  # --config /dev/zero: read until the OOM killer
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file: {e.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_BYTES >> 20} MB, which no maild config is: is it "
            "the config file?"
        )
    # Notepad and other Windows editors start UTF-8 with a byte order mark: still UTF-8
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        key = _key_at(data, line)
        raise ConfigError(
            f"{path}: line {line}{', ' + key if key else ''}: not UTF-8 text (Windows-1251 or "
            "KOI8-R?): save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {_toml_problem(data, str(e))}") from None
    return parse(raw, path)


_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")


def _toml_problem(data: bytes, error: str) -> str:
    """tomllib's message with the key of its line, for the admin who looks for it;
    a key or section written twice is said in those words (tomllib: "Cannot
    overwrite a value", "Cannot declare ('support',) twice")."""
    at = _TOML_AT.search(error)
    if not at:
        return f"not valid TOML: {error}"
    where = at.group(0)[1:-1]
    twice = error.startswith(("Cannot overwrite a value", "Cannot declare"))
    key = _key_at(data, int(at.group(1)))
    if key and twice:
        return f"not valid TOML: {key} is given twice ({where})"
    header = re.match(r"\s*(\[\[?)\s*([A-Za-z0-9_.-]+)(\s*\]\]?)?", _line(data, int(at.group(1))))
    if header and twice:
        name = header.group(2)
        if not header.group(3):  # tomllib sees the name taken before the bracket missing
            opener = header.group(1)
            return (
                f"not valid TOML: {opener}{name} lacks its closing {']' * len(opener)!r} ({where})"
            )
        if header.group(1) == "[[":  # an array of tables: no section of maild's is one
            return (
                f"not valid TOML: [[{name}]] {where}: section '[{name}]' is given "
                f"already; a section is written [{name}], once"
            )
        return f"not valid TOML: section '[{name}]' is given twice ({where})"
    return f"not valid TOML at {key}: {error}" if key else f"not valid TOML: {error}"


def _line(data: bytes, line: int) -> str:
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _key_at(data: bytes, line: int) -> str:
    """ "key 'section.name'" for a `name = ...` line (under the last [section] header
    above it), '' for any other line."""
    lines = data.decode("utf-8", errors="replace").splitlines()[:line]
    if not lines:
        return ""
    key = re.match(r"\s*([A-Za-z0-9_.-]+)\s*=", lines[-1])
    if not key:
        return ""
    headers = (re.match(r"\s*\[([A-Za-z0-9_.-]+)\]", s) for s in reversed(lines))
    table = next((h.group(1) + "." for h in headers if h), "")
    return f"key '{table}{key.group(1)}'"
