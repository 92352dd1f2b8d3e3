"""Wiring: the one object that holds config, store, spool, outbox and clock.

No globals: the CLI builds an App and passes it to whatever needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from maild.adapters.outbound import Outbox
from maild.adapters.spool import Spool
from maild.adapters.store import Store
from maild.config import Config
from maild.domain.attachments import AttachmentPolicy
from maild.domain.calendar import BusinessCalendar
from maild.domain.sla import reaction_due
from maild.render import Renderer


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    clock: Callable[[], datetime] = utcnow
    store: Store = field(init=False)
    spool: Spool = field(init=False)
    outbox: Outbox = field(init=False)
    calendar: BusinessCalendar = field(init=False)
    renderer: Renderer = field(init=False)
    attachment_policy: AttachmentPolicy = field(init=False)
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        root = self.config.storage_path
        root.mkdir(parents=True, exist_ok=True)
        self.store = Store(root)
        self.spool = Spool(root / "spool")
        self.outbox = Outbox(root / "outbox")
        self.tz = ZoneInfo(self.config.support.timezone)
        self.calendar = BusinessCalendar(
            tz=self.config.support.timezone,
            extra_days_off=self.config.calendar.extra_days_off,
            extra_working_days=self.config.calendar.extra_working_days,
        )
        self.renderer = Renderer(self.config.support)
        self.attachment_policy = AttachmentPolicy(**self.config.attachments)

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def due(self, level: str, start: datetime) -> datetime:
        return reaction_due(level, start, self.calendar)

    def local(self, when: datetime | str) -> datetime:
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        return when.astimezone(self.tz)

    def fmt_time(self, when: datetime | str | None, short: bool = False) -> str:
        """A deadline as a person reads it: 25.11.2026 15:30 (Moscow time)."""
        if when is None:
            return ""
        local = self.local(when)
        return local.strftime("%d.%m %H:%M" if short else "%d.%m.%Y %H:%M")
