"""The config as every layer reads it: Config and its sections ([support], [smtp],
[imap], ...) as frozen dataclasses. maild/config.py loads and checks maild.toml into
them; their own defaults (for code that builds a config without a file) equal SCHEMA's
(maild.configschema), held so by a test (test_config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from maild.configschema import SPAM_VERDICTS, SUBJECT_TAGS
from maild.domain.addresses import a_labelled_domain
from maild.domain.ownside import People, own_side


@dataclass(frozen=True)
class SupportConfig:
    address: str
    name: str
    staff: tuple[str, ...]
    head: str | None
    timezone: str
    max_auto_replies_per_hour: int
    max_auto_replies_per_day: int = 40
    max_auto_replies_per_ticket_per_hour: int = 5
    max_staff_notices_per_sender_per_hour: int = 20
    # new tickets' confirmations to senders whose mail proves nothing, all together
    max_confirmations_per_hour: int = 0  # desk-wide, to senders proving nothing: 0 none
    max_reminders_per_person_per_hour: int = 5
    authserv_id: str | None = None
    reply_secret: str | None = None
    # what the mailbox's mail system adds to outside mail, taken off (domain/banners.py)
    inbound_banners: tuple[str, ...] = ()
    inbound_subject_tags: tuple[str, ...] = SUBJECT_TAGS

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
class CalendarConfig:
    extra_days_off: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()

    @property
    def listed(self) -> tuple[date, ...]:
        """Every day set off or working by hand."""
        return (*self.extra_days_off, *self.extra_working_days)


@dataclass(frozen=True)
class ScheduleConfig:
    reminder_fraction: float = 0.75
    waiting_reminder_days: int = 3
    waiting_autoclose_days: int = 7
    credentials_keep_days: int = 2
    outbox_give_up_attempts: int = 10
    daily_report_time: str = "09:00"
    digest_time: str = "09:00"


@dataclass(frozen=True)
class StorageConfig:
    max_attempts: int = 3
    keep_closed_days: int | None = None


@dataclass(frozen=True)
class TemplatesConfig:
    path: str | None = None


@dataclass(frozen=True)
class SpamConfig:
    enabled: bool = True
    headers: tuple[str, ...] = SPAM_VERDICTS
    keep_days: int = 30


@dataclass(frozen=True)
class LimitsConfig:
    max_recipients: int = 100
    max_participants: int = 10


@dataclass(frozen=True)
class LogConfig:
    target: str = "stderr"


@dataclass(frozen=True)
class MetricsConfig:
    listen: str | None = None


@dataclass(frozen=True)
class WebConfig(_Listens):
    listen: str
    base_url: str
    link_days: int = 90
    max_submissions_per_hour: int = 5
    max_confirmations_per_hour: int = 100  # the site's confirmation mail, all addresses
    secret: str | None = None  # else made once: storage/web_secret


@dataclass(frozen=True)
class OutboundConfig:
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30
    oauth2_token_command: str = ""  # the login's OAuth2 token, printed by this command


@dataclass(frozen=True)
class SmtpConfig(_Listens):
    listen: str
    protocol: str
    max_message_size: int
    max_connections: int = 500  # more at once get 421 (sessions.py)
    timeout: float = 300  # idle, or without progress during DATA
    max_data_transfers: int = 3  # large DATA bodies received at once (sessions.py)
    tls_cert: str = ""  # STARTTLS offered when set, with tls_key (adapters/tls.py)
    tls_key: str = ""


@dataclass(frozen=True)
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
    oauth2_token_command: str = ""  # the login's OAuth2 token, printed by this command
    max_message_size: int = 30 * 1024 * 1024  # a mail over it: its header and a note


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
