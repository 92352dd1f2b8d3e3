"""Wiring: the one object that holds config, store, spool, outbox and clock.

No globals: the CLI builds an App and passes it to whatever needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from maild import withdrawals
from maild.adapters import cache
from maild.adapters.layout import check_storage, kept_secret, reply_secret
from maild.adapters.outblock import Screen
from maild.adapters.outbound import Outbox
from maild.adapters.quarantine import Quarantine
from maild.adapters.spool import Spool
from maild.adapters.store import Store
from maild.config import ConfigError, templates_problem
from maild.configtypes import Config
from maild.domain.attachments import AttachmentPolicy
from maild.domain.calendar import BusinessCalendar
from maild.domain.leftstaff import Members
from maild.domain.merge import final_target
from maild.domain.message import ParsedMessage, parse
from maild.domain.pending import still_pending
from maild.domain.policy import Policy, fmt_time, local
from maild.domain.records import OutboxEntry
from maild.domain.replyaddr import tid_of_message_id
from maild.domain.sla import ReminderMoments, reminder_moments
from maild.ownerreads import templates_barred
from maild.render import Renderer
from maild.web.links import relayed_lines


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    clock: Callable[[], datetime] = utcnow
    create: bool = True  # may make storage.path a new store (layout.check_storage)
    store: Store = field(init=False)
    spool: Spool = field(init=False)
    outbox: Outbox = field(init=False)
    quarantine: Quarantine = field(init=False)
    calendar: BusinessCalendar = field(init=False)
    reminder_moments: ReminderMoments = field(init=False)  # (sla.reminder_moments)
    renderer: Renderer = field(init=False)
    attachment_policy: AttachmentPolicy = field(init=False)
    tz: ZoneInfo = field(init=False)
    # what this process logged once, not at each retry: spool key -> the broken file
    # its mail waits for (runner), TID -> why of a ticket the jobs skip (jobkit)
    said_waiting: dict[str, str] = field(init=False, default_factory=dict)
    said_skipped: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        root = self.config.storage_path
        check_storage(root, self.create)  # a new store only in a missing or empty directory
        self.store = Store(root)
        # their writes inside a locked section belong to its group commit
        self.spool = Spool(root / "spool", self.config.storage.max_attempts, self.store.files)
        self.outbox = Outbox(root / "outbox", self.store.files)
        support = self.config.support  # whose refused mail is retried, not set aside
        self.outbox.own = support.internal
        # whom mail is queued to as, staff or the head, kept on its record
        self.outbox.members = Members.of(support.staff, support.head)
        self.quarantine = Quarantine(root, self.store.files)
        # what the sender withdraws: automatic mail to the blocked (adapters/outblock.py),
        # reminders about deadlines no longer pending (adapters/outstale.py), mail to
        # staff or the head who no longer are (adapters/outleft.py)
        self.outbox.screen = Screen(
            self.quarantine.sending_blocks,
            self.store.locked,
            self._noted,
            self._unnoted,
            self._pending,
            self.outbox.members,
        )
        self.tz = ZoneInfo(self.config.support.timezone)
        kept = cache.folder()  # what other maild processes of this user worked out
        self.calendar = BusinessCalendar(
            tz=self.config.support.timezone,
            extra_days_off=self.config.calendar.extra_days_off,
            extra_working_days=self.config.calendar.extra_working_days,
            days=cache.russian_days(kept),
            known=cache.russian_transfers(kept),
        )
        self.reminder_moments = reminder_moments(self.calendar)
        override = self.config.templates.path
        problem = templates_problem(self.config) or templates_barred(self.config)
        if problem:
            raise ConfigError(problem)
        self.renderer = Renderer(
            self.config.support,
            override=Path(override).expanduser() if override else None,
            compiled=cache.TemplateCache(str(kept)) if kept else None,
            run=root / "run",  # an override that fails is noted there (overrides.py)
            keep={
                "spam_keep_days": self.config.spam.keep_days,
                "closed_keep_days": self.config.storage.keep_closed_days,
            },
            calendar=self.calendar,  # the business hours texts state
        )
        self.attachment_policy = AttachmentPolicy(**self.config.attachments)
        self.reply_secret = self.kept_secret("reply_secret", self.config.support.reply_secret)
        web = self.config.web  # the site's key, made before any worker forks
        self.web_secret = self.kept_secret("web_secret", web.secret) if web else None

    def kept_secret(self, name: str, configured: str | None = None) -> bytes:
        """A signing key: from config, else kept in the storage directory. The reply
        addresses' key is made only in a store without tickets (layout.reply_secret);
        the site's links' key whenever it is missing (old links then ask for a new one)."""
        if configured:
            return configured.encode()
        root = self.config.storage_path
        return reply_secret(root) if name == "reply_secret" else kept_secret(root / name)

    def reply_address(self, tid: str | None, person: str, epoch: int = 0) -> str:
        """The Reply-To of mail to ``person`` about ``tid``: signed for them alone
        (Policy.reply_address; ``epoch``: leak.epoch); the support address for mail
        about no ticket."""
        if not tid:
            return self.config.support.address
        return self.policy.reply_address(tid, person, epoch)

    def _noted(self, metas: list[OutboxEntry], why: str) -> int:
        """Mark mails the outbox's sender withdrew on their tickets' threads; a thread
        that cannot be read raises: then the sender withdraws none (outwithdraw.py)."""
        pairs = [(m, withdrawals.withdrawal(self, m, why)) for m in metas]
        return withdrawals.note(self, pairs, strict=True)

    def _pending(self, tid: str, about_due: str) -> bool:
        """Whether ticket `tid`, as stored now, still waits on the deadline `about_due`
        (domain.pending): the sender sends deadline mail only then. A ticket merged
        since waits in the one it was merged into (the end of a chain of #merge): its
        customer's wait, kept there with its deadline, is what the mail is about."""
        loaded = self.store.load(tid)
        if loaded is not None and loaded[0].get("merged_into"):
            loaded = self.store.load(final_target(tid, self.store.merged_into)) or loaded
        return still_pending(loaded[0] if loaded is not None else None, about_due)

    def _unnoted(self, went: list[tuple[OutboxEntry, str]]) -> int:
        """Take those marks off again for mails that went after all (outrace.py)."""
        return withdrawals.unnote(self, [(m, withdrawals.withdrawal(self, m, w)) for m, w in went])

    def parse(self, raw: bytes, read: tuple[Message, str | None] | None = None) -> ParsedMessage:
        """A mail as the pipeline reads it: its To and Cc to limits.max_recipients. Every
        reading of a mail outside the domain goes through here (a test holds to it).
        ``read``: message.read_mail of ``raw``, when the caller looked at its tree first."""
        return parse(raw, self.config.limits.max_recipients, read=read)

    def message_id(self, key: str, tid: str) -> str:
        """The Message-ID of mail we send about a ticket (signed: see tid_for_msgid)."""
        return self.policy.message_id(key, tid)

    def list_address(self, tid: str, person: str) -> str:
        """The Reply-To of a list mail to ``person``, ``tid`` its first ticket:
        signed, of a kind of its own (a reply to it runs nothing on any ticket)."""
        return self.policy.list_address(tid, person)

    def list_message_id(self, key: str, tid: str) -> str:
        """The Message-ID of a list mail (signed, of a kind of its own)."""
        return self.policy.list_message_id(key, tid)

    def tid_for_msgid(self, msgid: str) -> str | None:
        """The ticket a Message-ID belongs to: ours carry it, signed; anyone else's
        is looked up in the store's index of mail received."""
        return self.tid_we_sent(msgid) or self.store.tid_for_msgid(msgid)

    def tid_we_sent(self, msgid: str) -> str | None:
        """The ticket of mail maild sent under ``msgid`` (signed), if it still exists.
        What a bounce returns must be this: a report about mail we received (whose
        id everyone the sender wrote to knows) is not about our mail."""
        tid = tid_of_message_id(msgid, self.reply_secret, self.config.support.domain)
        return tid if tid is not None and self.store.ticket_exists(tid) else None

    @cached_property
    def policy(self) -> Policy:
        """What the decision reads of the config, built once (on the first message:
        the saved answers are listed then, as the renderer lists them once)."""
        support = self.config.support
        return Policy(
            staff=tuple(support.staff),
            support_address=support.address,
            authserv_id=support.authserv_id,
            tz=self.tz,
            calendar=self.calendar,
            attachments=self.attachment_policy,
            max_participants=self.config.limits.max_participants,
            credentials_keep_days=self.config.schedule.credentials_keep_days,
            reply_secret=self.reply_secret,
            domain=support.domain,
            answer_names=self.renderer.answer_names,
            render_answer=self.renderer.answer,
            render_text=self.renderer.text,
            support_name=support.name,
            head=support.head or "",
            relayed=relayed_lines(self.config.web),
            inbound_banners=support.inbound_banners,
            own_subjects=self.renderer.own_subjects(),
        )

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def due(self, level: str, start: datetime) -> datetime:
        return self.policy.due(level, start)

    def local(self, when: datetime | str) -> datetime:
        return local(self.tz, when)

    def fmt_time(self, when: datetime | str | None, short: bool = False) -> str:
        """A deadline as a person reads it: 25.11.2026 15:30 (Moscow time)."""
        return fmt_time(self.tz, when, short)
