"""Caps on automatic mail (confirmations, acknowledgements, reminders, status
notices), so no address and no ticket gets an unbounded stream whatever answers us;
and on staff notices about one sender's mail (`notice_cap`), so no outsider fills
staff's inboxes by writing to support@ (a flood, a loop with an unmarked robot): its
unproven mail and its proven mail each in a bucket of their own (`notice_limit`);
the notices of new tickets from unproven senders also per From domain and desk-wide
(`notice_buckets`, `held_by`), so that a flood under a fresh address per mail is capped
as one under one address is.

Which mail is automatic, counted and capped: `automatic`. Pure: the times of earlier
automatic mail are passed in: of mail that went or may still go (a cap limits what a
person gets; mail withdrawn before it went gives its count back: `uncounted`). Mail
over a cap is not sent; the caller records it in the ticket as "suppressed: cap".
"""

from __future__ import annotations

import encodings.idna
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from maild.domain.plural import ru_plural
from maild.domain.spelling import routed_address

__all__ = [
    "AUTO_KINDS",
    "DESK_NOTICE_DEFAULT",
    "DOMAIN_NOTICE_DEFAULT",
    "NOTICE_LIMIT_DEFAULT",
    "HOUR",
    "NOTICE_WINDOW",
    "WINDOW",
    "Bucket",
    "Caps",
    "NoticeCap",
    "PROVIDERS",
    "Provider",
    "cap_reached",
    "confirmations_cap_reached",
    "automatic",
    "counted_copy",
    "counted_record",
    "lately",
    "held_by",
    "mailbox_of",
    "notice_buckets",
    "notice_cap",
    "notice_cap_reason",
    "notice_limit",
    "bucket_reason",
    "uncounted",
    "shown_domain",
]

WINDOW = timedelta(days=1)  # the longest a cap counts back: older mail counts for none
HOUR = timedelta(hours=1)  # what a cap "per hour" counts back (support.max_*_per_hour)
CLOCK_SLACK = timedelta(minutes=1)  # lately: a time this far ahead of now still counts
NOTICE_WINDOW = HOUR  # what the cap on staff notices per sender counts
# support.max_staff_notices_per_sender_per_hour unset (configschema's default is this);
# and what proven mail is capped at when the admin set it to 0 (notice_limit)
NOTICE_LIMIT_DEFAULT = 20
# support.max_new_ticket_notices_per_hour unset: new tickets from unproven senders,
# all together, that staff hear of an hour (notice_buckets)
DESK_NOTICE_DEFAULT = 60
# support.max_new_ticket_notices_per_domain_per_hour unset: new tickets from one From
# domain's unproven senders together that staff hear of an hour (notice_buckets)
DOMAIN_NOTICE_DEFAULT = 40
# the kinds of mail capped as automatic when it goes to someone off the staff side, or
# answers mail nobody verified (`automatic`)
AUTO_KINDS = ("confirmation", "notice")


@dataclass(frozen=True)
class Provider:
    """A mail provider that delivers mail to several spellings of an address into one
    mailbox (mailbox_of): at each of its `domains` (the first is what the caps count
    it under), with the characters `ignored` left out of the login and those in
    `hyphen` taken as "-"."""

    domains: tuple[str, ...]
    ignored: str = ""
    hyphen: str = ""


# Counted as one mailbox each: "a flood to one person" that spells the address anew
# each time got a fresh allowance per spelling (70 letters to one Yandex mailbox in two
# minutes, the form's limit 5). Only for counting: mail goes to the address as written.
PROVIDERS = (
    Provider(("gmail.com", "googlemail.com"), ignored="."),  # v.ictim@ is victim@
    # Yandex: any of its domains, and "." and "-" in a login alike (ivan.petrov@ya.ru
    # is ivan-petrov@yandex.ru)
    Provider(
        ("yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "narod.ru"),
        hyphen=".",
    ),
    Provider(("icloud.com", "me.com", "mac.com")),
    # Proton also ignores ".", "-" and "_" in a login (john.doe@ is johndoe@)
    Provider(("proton.me", "protonmail.com", "pm.me", "protonmail.ch"), ignored=".-_"),
)
_PROVIDER = {domain: p for p in PROVIDERS for domain in p.domains}


@dataclass(frozen=True)
class Caps:
    per_address_hour: int
    per_address_day: int
    per_ticket_hour: int


def lately(times: Iterable[datetime], since: datetime, now: datetime) -> list[datetime]:
    """The times after `since` and not ahead of `now`, what a cap counts: one stamped
    while the clock ran ahead (then stepped back by NTP) counts nothing, or it would
    hold its cap until the clock caught up with it, a month if it ran a month ahead.
    Up to CLOCK_SLACK ahead still counts: each process stamps with its own batch's
    `now`, the worker's up to a batch older than the site's."""
    return [t for t in times if since < t <= now + CLOCK_SLACK]


def cap_reached(
    caps: Caps, to_address: Iterable[datetime], to_ticket: Iterable[datetime], now: datetime
) -> str | None:
    """Which cap one more automatic mail would break (Russian, for the ticket), or None.

    ``to_address``: automatic mail to this address (any ticket), ``to_ticket``: to
    anyone on this ticket."""
    hour, day = now - HOUR, now - WINDOW
    addr = lately(to_address, day, now)
    if sum(t > hour for t in addr) >= caps.per_address_hour:
        return f"не больше {_letters(caps.per_address_hour)} адресу в час"
    if len(addr) >= caps.per_address_day:
        return f"не больше {_letters(caps.per_address_day)} адресу в сутки"
    if len(lately(to_ticket, hour, now)) >= caps.per_ticket_hour:
        return f"не больше {_letters(caps.per_ticket_hour)} по обращению в час"
    return None


def confirmations_cap_reached(limit: int, sent: Iterable[datetime], now: datetime) -> str | None:
    """Whether one more new ticket's confirmation to a sender whose mail proves nothing
    would break the desk-wide cap (support.max_confirmations_per_hour, `limit`; `sent`:
    when such confirmations went, to anyone): its words (Russian, for the ticket), or
    None. The caps per address and ticket let a flood of forged mail under a new
    address and domain each (a spammer's subject and link, a victim's From) get every
    one of them a confirmation, the desk mailing the spam out; the site's form has
    such a limit of its own (web.max_confirmations_per_hour). 0 (the default): no
    desk-wide cap, every such sender is confirmed (a request counts as accepted only
    once its sender has its number, clause 11); the caps per address and ticket hold."""
    if limit <= 0:
        return None
    if len(lately(sent, now - HOUR, now)) < limit:
        return None
    letters = ru_plural(limit, "письма", "писем", "писем")
    return f"не больше {limit} {letters} о регистрации в час всем непроверенным отправителям вместе"


def automatic(kind: str, *, auto: bool, unverified: bool, ours: bool) -> bool:
    """The rule of which mail the caps count and stop: whether a copy of a mail of
    `kind` is automatic mail (`auto`: no person wrote it; AUTO_KINDS) to someone off
    support's own side (`ours`: to staff or the head), or answering mail nobody
    verified (`unverified`: to whoever it claimed to be, staff too, as a forger must
    not drive it). Asked of each copy as it is queued (guard.check_caps); its answer is
    kept as the outbox record's "counted" and the thread record's "auto_to_customer"."""
    return auto and kind in AUTO_KINDS and (unverified or not ours)


def counted_copy(counted: bool | None, kind: str, role: str | None) -> bool:
    """Whether a queued copy was counted against its recipient's caps: its outbox
    record's `counted` (`automatic` then: staff may have changed since); on a record
    queued before maild kept it, `automatic` of what it holds, its `kind` and `role`
    (None: queued to no one of support's as such), answering no unverified claim."""
    if counted is None:
        return automatic(kind, auto=True, unverified=False, ours=role is not None)
    return counted


def counted_record(record: Mapping[str, Any]) -> bool:
    """Whether a thread record counts toward its ticket's cap: mail `automatic` to one
    of its recipients ("auto_to_customer") that went or may go: not a "suppressed"
    note of mail a cap stopped, nor mail withdrawn from the outbox (it never went)."""
    return bool(record.get("auto_to_customer")) and not (
        record.get("suppressed") or record.get("withdrawn")
    )


def uncounted(times: list[datetime], queued_at: datetime) -> list[datetime] | None:
    """The times of automatic mail to an address (its record's) without one copy
    withdrawn from the outbox before it went, which was counted when it was queued
    at `queued_at`: it reached nobody, and a cap limits what a person gets. None when
    no time is that one (counted no more: over a day old, or never counted)."""
    for n, t in enumerate(times):
        if t == queued_at:
            return times[:n] + times[n + 1 :]
    return None


def mailbox_of(address: str) -> str:
    """The mailbox the caps count for `address`: without its +tag, so that another
    desk's robot writing from a plus-address per ticket (support+1001@vendor,
    support+1002@vendor) meets one cap, not a fresh one with every mail; of a Gmail
    mailbox also without dots, and googlemail.com as gmail.com: Gmail delivers
    v.ictim@gmail.com and victim@googlemail.com to victim@gmail.com, and each
    spelling counted apart had the form send one person eight confirmations. An IDN
    domain in either spelling is one (addresses.comparable_address: in A-labels), so
    a robot writing from ivan@окна.рф and ivan@xn--80atjc.xn--p1ai in turn meets one
    cap, not two; so is any spelling of it the mail system delivers alike (ivan@окна。рф,
    a fullwidth letter, a trailing dot: spelling.routed_address).

    A counting key only (the caps' records, the form's per-address limit): mail
    goes to the address as written, never to this."""
    comparable = routed_address(address)
    local, at, domain = comparable.rpartition("@")
    if not at or local.startswith('"'):
        return comparable  # no domain, or a quoted local part: left as it is
    base = local.split("+", 1)[0] or local  # "+tag@x.ru": a tag of nothing is no tag
    provider = _PROVIDER.get(domain)
    if provider is not None:
        login = base.translate(
            str.maketrans(provider.hyphen, "-" * len(provider.hyphen), provider.ignored)
        )
        # a login of nothing but what the provider ignores or takes alike ("...@"):
        # left as it is
        if base.translate(str.maketrans("", "", provider.ignored + provider.hyphen)):
            base, domain = login, provider.domains[0]
    return f"{base}@{domain}"


@dataclass(frozen=True)
class NoticeCap:
    """The cap's answer on one more staff notice about a sender's mail: it goes (and
    counts), or it does not; then `tell`: staff get the one notice saying notices about
    this sender are held, till `until` (this is the first notice the cap stopped since
    it filled up: once per flood, not once per mail)."""

    send: bool
    tell: bool = False
    until: datetime | None = None


def notice_cap(
    limit: int, sent: Iterable[datetime], told: datetime | None, now: datetime
) -> NoticeCap:
    """Whether one more staff notice about a sender's mail goes: no more than `limit`
    in any hour (`sent`: when earlier ones went; `told`: when staff were last told
    notices about the sender are held). `limit` 0: none ever goes, and nobody is told
    (the admin turned them off; staff read the tickets in `maild ticket list`)."""
    counted = sorted(lately(sent, now - NOTICE_WINDOW, now))
    told = told if told is not None and told <= now + CLOCK_SLACK else None
    if len(counted) < limit:
        return NoticeCap(True)
    if limit <= 0:
        return NoticeCap(False)
    # the next goes once fewer than `limit` are left within the hour: when the
    # notice that filled the cap (the limit-th latest) is an hour old
    until = counted[len(counted) - limit] + NOTICE_WINDOW
    # told of this flood already, unless every notice the cap counts went after that
    # (the cap opened and filled up again: a new flood, or the same one an hour on)
    tell = told is None or told < counted[0]
    return NoticeCap(False, tell, until)


def notice_limit(limit: int, proven: bool) -> int:
    """The cap of one bucket of a sender's notices, `limit` being
    support.max_staff_notices_per_sender_per_hour. A sender's mail that proves nothing
    and its mail that proves its From (DKIM/SPF, a reply address maild signed for it)
    are counted apart, so that forgeries under a customer's From cannot use up the
    notices about the customer's real mail, nor a robot's proven flood the other way;
    both at `limit` an hour: proven mail is no reason for a notice per mail either (a
    robot that signs its mail and marks none of it automatic, a loop with one). 0
    turns off the notices about unproven mail only: notices about proven mail (real
    customers) still go, capped at NOTICE_LIMIT_DEFAULT."""
    if proven and limit <= 0:
        return NOTICE_LIMIT_DEFAULT
    return limit


# A mailing list's posts count as one sender for the staff-notice cap: each post has
# another From, and 30 posters' posts were 30 senders, 60 notices. The key is the
# List-Id's id, which holds no "@": no mailbox's key is ever it.
LIST_KEY = "List-Id: "


def list_key(list_id: str | None) -> str | None:
    """The staff-notice cap's key for the posts of the list with this List-Id value
    ("Devel <devel.lists.example.org>"), None when there is no id: its id in angle
    brackets, lowercased, or the whole value without them."""
    value = (list_id or "").strip()
    found = re.search(r"<([^<>@\s]+)>", value)
    ident = (found.group(1) if found else re.sub(r"[<>@]", "", value)).strip().lower()
    return f"{LIST_KEY}{ident[:200]}" if ident else None


def listed_id(key: str | None) -> str | None:
    """The list's id a staff-notice cap key names (list_key), or None: a sender's."""
    return key.removeprefix(LIST_KEY) if key and key.startswith(LIST_KEY) else None


def notice_cap_reason(limit: int, sender: str, proven: bool = False) -> str:
    """Why a staff notice was not sent (Russian, for the ticket's "suppressed" note);
    `limit`: the bucket's (notice_limit), `proven`: which bucket; `sender`: an address,
    or a list's key (list_key)."""
    if limit <= 0:
        return "уведомления сотрудникам о непроверенных письмах отключены"
    notices = ru_plural(limit, "уведомления", "уведомлений", "уведомлений")
    if listed := listed_id(sender):  # all its posters together
        return f"не больше {limit} {notices} сотрудникам в час о письмах рассылки <{listed}>"
    if proven:  # the mail proves its From: that address did write so much
        return f"не больше {limit} {notices} сотрудникам в час о подтверждённых письмах от {sender}"
    # "непроверенных": the From unproven mail bears may be forged (trust.notice_sender),
    # the note must not say that address wrote so much
    return (
        f"не больше {limit} {notices} сотрудникам в час о непроверенных письмах от имени {sender}"
    )


@dataclass(frozen=True)
class Bucket:
    """One count of staff notices an hour: `kind` "sender" (a mailbox or a list:
    `key`, notice_limit's buckets, `proven` which), "domain" (the unproven senders of
    one From domain together: `key` "@domain") or "desk" (all unproven senders
    together: `key` ""; the caller counts it in support's own record); `limit` an hour."""

    kind: str
    key: str
    limit: int
    proven: bool = False


def notice_buckets(
    sender: str, proven: bool, new_ticket: bool, per_sender: int, per_domain: int, per_desk: int
) -> list[Bucket]:
    """The buckets a staff notice about `sender`'s mail counts in, each to hold it when
    full, in the order they are asked: its sender's (`per_sender`:
    support.max_staff_notices_per_sender_per_hour, notice_limit); for a new ticket
    (`new_ticket`) whose mail proves nothing also its From domain's, `per_domain` an
    hour (support.max_new_ticket_notices_per_domain_per_hour; 0: none: a flood from
    random local parts at one domain, each address new, its own bucket never fills),
    and the desk's, `per_desk` an hour
    (support.max_new_ticket_notices_per_hour; 0: no desk-wide cap), a flood from a new
    domain per mail. Tickets still open and keep their mail: only the notice is held.
    A follow-up names a ticket staff heard of, and a sender who proves its From is
    one real sender: the sender's bucket alone."""
    box = mailbox_of(sender)
    buckets = [Bucket("sender", box, notice_limit(per_sender, proven), proven)]
    if proven or not new_ticket:
        return buckets
    local, at, domain = box.rpartition("@")
    if per_domain > 0 and at and local and domain and not listed_id(sender):
        buckets.append(Bucket("domain", f"@{domain}", per_domain))
    if per_desk > 0:
        buckets.append(Bucket("desk", "", per_desk))
    return buckets


def held_by(
    buckets: list[Bucket], counts: list[tuple[list[datetime], datetime | None]], now: datetime
) -> tuple[Bucket | None, NoticeCap]:
    """Whether one more notice goes (`counts`: each bucket's notices sent and when staff
    were told it is full, notice_cap): (None, a NoticeCap that sends) when every bucket
    has room, and then it counts in each; else the first full bucket and its answer
    (whether staff are to be told now that its notices are held, till when)."""
    for bucket, (sent, told) in zip(buckets, counts, strict=True):
        cap = notice_cap(bucket.limit, sent, told, now)
        if not cap.send:
            return bucket, cap
    return None, NoticeCap(True)


def bucket_reason(bucket: Bucket, sender: str) -> str:
    """Why a staff notice was not sent (Russian, for the ticket's note): the bucket that
    held it (notice_buckets); `sender` as notice_cap_reason takes it."""
    if bucket.kind == "sender":
        return notice_cap_reason(bucket.limit, sender, bucket.proven)
    notices = ru_plural(bucket.limit, "уведомления", "уведомлений", "уведомлений")
    about = f"не больше {bucket.limit} {notices} сотрудникам в час о новых обращениях"
    if bucket.kind == "domain":
        return f"{about} по непроверенным письмам с адресов домена {shown_domain(bucket.key[1:])}"
    return f"{about} по непроверенным письмам всех отправителей вместе"


def _letters(n: int) -> str:
    """ "не больше" asks for the genitive: 1 автоматического письма, 5 писем."""
    many = "автоматических писем"
    return f"{n} {ru_plural(n, 'автоматического письма', many, many)}"


def shown_domain(domain: str) -> str:
    """``domain`` as people read it: its A-labels (xn--80atjc.xn--p1ai, as the caps and
    the store key a domain) in their letters (окна.рф); a label that does not decode
    stays as it is."""
    labels = []
    for label in domain.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = encodings.idna.ToUnicode(label)
            except UnicodeError:
                pass
        labels.append(label)
    return ".".join(labels)
