"""What the decision reads of the configuration, as one frozen value built at start:
who is staff, the support address, the business calendar and clock for deadlines and
the times mail shows, the attachment rules, the limits, and the templates.

The templates are read once per process, so rendering them is a pure function of
(template, context); the domain holds them as plain callables and never imports the
renderer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from functools import cached_property
from typing import Any

from maild.domain.attachments import AttachmentPolicy
from maild.domain.calendar import BusinessCalendar
from maild.domain.ownside import People, own_side
from maild.domain.replyaddr import LIST_KEY, sign_for, sign_list, sign_message_id
from maild.domain.sla import reaction_due
from maild.domain.spelling import as_listed

RenderText = Callable[[str, dict[str, Any]], tuple[str, str]]  # template -> (subject, body)
RenderAnswer = Callable[[str, dict[str, Any]], str]  # saved answer -> its text


@dataclass(frozen=True)
class Policy:
    staff: tuple[str, ...]  # in config order: the order staff mail names them
    support_address: str
    authserv_id: str | None
    tz: tzinfo
    calendar: BusinessCalendar
    attachments: AttachmentPolicy
    max_participants: int
    credentials_keep_days: int
    reply_secret: bytes  # signs reply addresses and our Message-IDs
    domain: str  # of our Message-IDs
    answer_names: tuple[str, ...]
    render_answer: RenderAnswer
    render_text: RenderText
    support_name: str = ""  # the display name of support's mail (support.name)
    head: str = ""  # support.head ("" with none): support's own side, as staff are
    # the lines the site adds under a staff answer to a customer, its link masked ("" with
    # no site): a customer's quote of them is no text of theirs (owntext)
    relayed: str = ""
    # the paragraphs the mailbox's mail system puts on top of outside mail (banners.py)
    inbound_banners: tuple[str, ...] = ()
    # maild's own prefixes on subjects of mail to customers, read from the templates
    # (ownsubjects.py): a subject a customer's mail carries back is stored without them
    own_subjects: re.Pattern[str] | None = None

    @cached_property  # built once: asked of every mail
    def internal(self) -> People:
        """Support's own people: staff and the head (ownside.own_side)."""
        return own_side(self.staff, self.head)

    def listed(self, address: str) -> str:
        """``address`` as support.staff or support.head spells it, when it is one of
        them in the other spelling of a Cyrillic domain (spelling.as_listed)."""
        return as_listed(address, self.internal)

    def claims_staff(self, address: str, automated: bool) -> bool:
        """Mail from ``address`` claims to be a staff member's: a staff address, written
        by a person (a staff member's automatic mail is a note of its ticket:
        staffmail.decide_staff_auto). Whether it proves it: verify.staff_verified."""
        return address in self.staff and not automated

    def is_head(self, address: str) -> bool:
        """``address`` is the head's (support.head), who is on support's side as staff
        are, though no staff member: his mail runs no command and reaches no customer."""
        return bool(self.head) and address == self.head and address not in self.staff

    def due(self, level: str, start: datetime) -> datetime:
        """The reaction deadline of ``level`` for a clock started at ``start``."""
        return reaction_due(level, start, self.calendar)

    def fmt_time(self, when: datetime | str | None, short: bool = False) -> str:
        """A time as a person reads it, in the desk's zone: 25.11.2026 15:30."""
        return fmt_time(self.tz, when, short)

    def message_id(self, key: str, tid: str) -> str:
        """The Message-ID of the mail with ``key`` about ``tid`` (signed: replies to it
        find the ticket without an index)."""
        return sign_message_id(key, tid, self.reply_secret, self.domain)

    def reply_address(self, tid: str, person: str, epoch: int = 0) -> str:
        """The Reply-To of mail to one person about ``tid``, a staff member or a
        customer: signed for them alone, so a reply to it proves who wrote it;
        ``epoch``: of their address of the ticket (leak.epoch)."""
        return sign_for(tid, person, self.reply_secret, self.support_address, epoch)

    def list_address(self, tid: str, person: str) -> str:
        """The Reply-To of a list mail to one person whose first ticket is ``tid``
        (replyaddr.sign_list): a reply to it is one to the list, on no ticket."""
        return sign_list(tid, person, self.reply_secret, self.support_address)

    def list_message_id(self, key: str, tid: str) -> str:
        """The Message-ID of a list mail (replyaddr.LIST_KEY): a reply to it is one to
        the list, on no ticket."""
        return self.message_id(LIST_KEY + key, tid)


def local(tz: tzinfo, when: datetime | str) -> datetime:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return when.astimezone(tz)


def zone_label(timezone: str) -> str:
    """How mail names the desk's time zone after a time: «МСК» for Moscow, the
    regulation's; any other zone by its name («Asia/Yekaterinburg»), right in summer
    and winter alike."""
    return "МСК" if timezone == "Europe/Moscow" else timezone


def zone_words(timezone: str) -> str:
    """The same for customers, in words: «время московское», or «часовой пояс
    Asia/Yekaterinburg»."""
    return "время московское" if timezone == "Europe/Moscow" else f"часовой пояс {timezone}"


def business_hours(start: time, end: time) -> str:
    """The desk's business hours as customers read them, «с 9:00 до 18:00»: from the
    calendar's day_start and day_end (calendar.DAY_START, DAY_END), so a text that
    states them cannot keep hours the calendar no longer counts."""
    return f"с {start.hour}:{start.minute:02d} до {end.hour}:{end.minute:02d}"


def hours_words(timezone: str) -> str:
    """In which time the desk's business hours (business_hours: of the calendar, in
    support.timezone) are, for customers: «по московскому времени», or «по времени
    часового пояса Asia/Yekaterinburg» (a desk there works those hours there)."""
    if timezone == "Europe/Moscow":
        return "по московскому времени"
    return f"по времени часового пояса {timezone}"


def fmt_time(tz: tzinfo, when: datetime | str | None, short: bool = False) -> str:
    """A deadline as a person reads it: 25.11.2026 15:30 (the desk's time zone)."""
    if when is None:
        return ""
    return local(tz, when).strftime("%d.%m %H:%M" if short else "%d.%m.%Y %H:%M")
