"""The config as every layer reads it: Config and its sections ([support], [smtp],
[imap], ...) as frozen dataclasses. maild/config.py loads and checks maild.toml into
them; their own defaults (for code that builds a config without a file) are SCHEMA's
(maild.configschema), the one place a default is written: a field given FROM_SCHEMA
takes it (schema_defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from maild.configschema import REQUIRED, SCHEMA
from maild.domain.addresses import a_labelled_domain
from maild.domain.ownside import People, own_side

FROM_SCHEMA: Any = object()  # a field's default: the one SCHEMA declares for its key


def schema_defaults(section: str) -> Callable[[type], type]:
    """A section's class, under @dataclass: each field given FROM_SCHEMA takes the
    default SCHEMA declares for its key in [section] (a list as a tuple, frozen)."""

    def fill(cls: type) -> type:
        for name, value in list(vars(cls).items()):
            if value is FROM_SCHEMA:
                default = SCHEMA[section][name][2]
                if default is REQUIRED:
                    raise TypeError(f"[{section}] {name} has no default in SCHEMA")
                setattr(cls, name, tuple(default) if isinstance(default, list) else default)
        return cls

    return fill


@dataclass(frozen=True)
@schema_defaults("support")
class SupportConfig:
    address: str
    name: str
    staff: tuple[str, ...]
    head: str | None
    timezone: str
    max_auto_replies_per_hour: int
    max_auto_replies_per_day: int = FROM_SCHEMA
    max_auto_replies_per_ticket_per_hour: int = FROM_SCHEMA
    max_staff_notices_per_sender_per_hour: int = FROM_SCHEMA
    # new tickets' confirmations to senders whose mail proves nothing, all together
    max_confirmations_per_hour: int = FROM_SCHEMA  # desk-wide, to senders proving nothing: 0 none
    # staff notices of new tickets from senders proving nothing, all together: 0 no cap
    max_new_ticket_notices_per_hour: int = FROM_SCHEMA
    max_new_ticket_notices_per_domain_per_hour: int = FROM_SCHEMA  # one From domain's: 0 no cap
    max_reminders_per_person_per_hour: int = FROM_SCHEMA
    authserv_id: str | None = FROM_SCHEMA
    reply_secret: str | None = FROM_SCHEMA
    # what the mailbox's mail system adds to outside mail, taken off (domain/banners.py)
    inbound_banners: tuple[str, ...] = FROM_SCHEMA
    inbound_subject_tags: tuple[str, ...] = FROM_SCHEMA

    @property
    def domain(self) -> str:
        """Support's domain as maild's Message-IDs name it: in A-labels (an id of 8-bit
        characters threads in no client and is left out of the mail)."""
        return a_labelled_domain(self.address.rsplit("@", 1)[1])

    @cached_property  # built once: asked of every mail
    def internal(self) -> People:  # support's own people: staff, the head (ownside)
        return own_side(self.staff, self.head)


class _Listens:
    """A section with `listen = "HOST:PORT"`."""

    listen: str

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])


@dataclass(frozen=True)
@schema_defaults("calendar")
class CalendarConfig:
    extra_days_off: tuple[date, ...] = FROM_SCHEMA
    extra_working_days: tuple[date, ...] = FROM_SCHEMA

    @property
    def listed(self) -> tuple[date, ...]:
        """Every day set off or working by hand."""
        return (*self.extra_days_off, *self.extra_working_days)


@dataclass(frozen=True)
@schema_defaults("schedule")
class ScheduleConfig:
    reminder_fraction: float = FROM_SCHEMA
    waiting_reminder_days: int = FROM_SCHEMA
    waiting_autoclose_days: int = FROM_SCHEMA
    credentials_keep_days: int = FROM_SCHEMA
    outbox_give_up_attempts: int = FROM_SCHEMA
    daily_report_time: str = FROM_SCHEMA
    digest_time: str = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("storage")
class StorageConfig:
    max_attempts: int = FROM_SCHEMA
    keep_closed_days: int | None = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("templates")
class TemplatesConfig:
    path: str | None = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("spam")
class SpamConfig:
    enabled: bool = FROM_SCHEMA
    headers: tuple[str, ...] = FROM_SCHEMA
    keep_days: int = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("limits")
class LimitsConfig:
    max_recipients: int = FROM_SCHEMA
    max_participants: int = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("log")
class LogConfig:
    target: str = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("metrics")
class MetricsConfig:
    listen: str | None = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("web")
class WebConfig(_Listens):
    listen: str
    base_url: str
    link_days: int = FROM_SCHEMA
    max_submissions_per_hour: int = FROM_SCHEMA
    max_confirmations_per_hour: int = FROM_SCHEMA  # the site's confirmation mail, all addresses
    max_pending_mb: int = FROM_SCHEMA  # requests waiting for their click, files and all
    idle_timeout: int = FROM_SCHEMA  # seconds a connection may send nothing (server.py)
    max_connections: int = FROM_SCHEMA  # more at once get 503 (web/connectioncap.py)
    secret: str | None = FROM_SCHEMA  # else made once: storage/web_secret


@dataclass(frozen=True)
@schema_defaults("outbound")
class OutboundConfig:
    host: str = FROM_SCHEMA
    port: int = FROM_SCHEMA
    starttls: bool = FROM_SCHEMA
    username: str | None = FROM_SCHEMA
    password: str | None = FROM_SCHEMA
    timeout: float = FROM_SCHEMA
    oauth2_token_command: str = FROM_SCHEMA  # the login's OAuth2 token, printed by this command


@dataclass(frozen=True)
@schema_defaults("smtp")
class SmtpConfig(_Listens):
    listen: str
    protocol: str
    max_message_size: int
    max_connections: int = FROM_SCHEMA  # more at once get 421 (sessions.py)
    timeout: float = FROM_SCHEMA  # idle, or without progress during DATA
    max_data_transfers: int = FROM_SCHEMA  # large DATA bodies received at once (sessions.py)
    tls_cert: str = FROM_SCHEMA  # STARTTLS offered when set, with tls_key (adapters/tls.py)
    tls_key: str = FROM_SCHEMA


@dataclass(frozen=True)
@schema_defaults("imap")
class ImapConfig:
    host: str
    port: int
    ssl: bool
    starttls: bool
    verify_tls: bool
    username: str
    password: str
    folder: str
    processed_folder: str
    poll_interval: float
    oauth2_token_command: str = FROM_SCHEMA  # the login's OAuth2 token, printed by this command
    max_message_size: int = FROM_SCHEMA  # a mail over it: its header and a note


@dataclass(frozen=True)
class Config:
    path: str
    support: SupportConfig
    calendar: CalendarConfig
    storage_path: Path
    outbound: OutboundConfig
    smtp: SmtpConfig | None = None
    imap: ImapConfig | None = None
    attachments: dict[str, Any] = field(default_factory=dict)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    templates: TemplatesConfig = field(default_factory=TemplatesConfig)
    spam: SpamConfig = field(default_factory=SpamConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    log: LogConfig = field(default_factory=LogConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    web: WebConfig | None = None
