"""Who is writing: the service level a sender is entitled to, and why.

The regulation: commercial support only for mail from an address on the license
or from a member of a commercial customer group; everything else is free, and
free support lasts the regulation's free-support period (FREE_SUPPORT_MONTHS) from
the sender's first ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from maild.domain.addresses import comparable_address, comparable_domain
from maild.domain.records import LevelId, Ticket
from maild.domain.sla import LEVELS

# What a license or a group may give (license add / group add --level): the table's
# commercial levels and free; consulting and development are staff's to set.
ENTITLED_LEVELS: tuple[LevelId, ...] = (
    *(lv.id for lv in LEVELS.values() if lv.commercial),
    "free",
)
FREE_SUPPORT_MONTHS = 6  # the regulation's free-support period, in months


@dataclass(frozen=True)
class License:
    key: str
    level: LevelId
    emails: tuple[str, ...]
    until: date | None = None
    name: str = ""


@dataclass(frozen=True)
class Group:
    name: str
    level: LevelId
    domains: tuple[str, ...]
    until: date | None = None


@dataclass(frozen=True)
class Identification:
    level: LevelId
    source: str  # "license" | "group" | "none"
    ref: str | None  # license key or group name
    reason: str  # Russian, shown to staff and, when free, to the customer
    expired: bool = False
    unverified: bool = False  # entitled, but SPF/DKIM did not confirm the From address
    owed: Identification | None = None  # unverified: what a confirmed address gets

    @property
    def commercial(self) -> bool:
        return self.source != "none" and LEVELS[self.level].commercial

    @property
    def entitlement(self) -> str | None:
        """A key shared by everyone under the same license or group."""
        return f"{self.source}:{self.ref}" if self.source != "none" else None


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""


def ru_date(d: date | str | None) -> str:
    """A day as a Russian reader writes it (01.12.2026), as times are written
    (policy.fmt_time); stored dates are ISO."""
    if d is None:
        return ""
    return (date.fromisoformat(d) if isinstance(d, str) else d).strftime("%d.%m.%Y")


def _rank(level: LevelId) -> float:
    """Lower is better: the shorter the reaction time, the better the level."""
    lv = LEVELS[level]
    return lv.hours if lv.hours is not None else 10_000


def better_level(level: LevelId, than: LevelId) -> bool:
    """``level`` reacts faster than ``than`` (VIP's 2 hours before free's 24)."""
    return _rank(level) < _rank(than)


def entitled_level(ticket: Ticket) -> LevelId:
    """The level the ticket's customer is owed: the one their license, group or free
    support gives, or a #level of staff to one of those (they correct what the customer
    is owed), never consulting or development: staff's moves, not an entitlement. A
    ticket staff moved there keeps the level it had (`entitled_level`, ticket.apply_command);
    one moved before maild kept it is free support's when it was opened as free support
    (no license or group, or an expired one), else as good as its level."""
    level = ticket["level"]
    if level in ENTITLED_LEVELS:
        return level
    if kept := ticket.get("entitled_level"):
        return kept
    ident = ticket.get("identification")
    return "free" if ident and (ident["source"] == "none" or ident["expired"]) else level


def identify(
    address: str,
    licenses: Iterable[License],
    groups: Iterable[Group],
    today: date,
) -> Identification:
    """The best valid entitlement of `address`; free with a reason otherwise.

    Both sides compared in their comparable form (addresses.comparable_address): a
    license for boss@окна.рф holds for mail from boss@xn--80atjc.xn--p1ai, and the
    other way round; the registry keeps what the admin typed."""
    address = comparable_address(address)
    dom = domain_of(address)
    valid: list[Identification] = []
    expired: list[Identification] = []
    for lic in licenses:
        if address and address in (comparable_address(e) for e in lic.emails):
            named = f"лицензии {lic.key}" + (f" ({lic.name})" if lic.name else "")
            if lic.until is not None and lic.until < today:
                reason = f"срок действия {named} истёк {ru_date(lic.until)}"
                expired.append(Identification("free", "none", lic.key, reason, expired=True))
            else:
                reason = f"адрес указан в {named}"
                valid.append(Identification(lic.level, "license", lic.key, reason))
    for grp in groups:
        # the domain as the group lists it (магазин.рф, not its xn-- form)
        listed = next((d for d in grp.domains if dom and comparable_domain(d) == dom), None)
        if listed is not None:
            listed = listed.lower()
            if grp.until is not None and grp.until < today:
                named = f"группы клиентов «{grp.name}» (домен {listed})"
                reason = f"срок действия {named} истёк {ru_date(grp.until)}"
                expired.append(Identification("free", "none", grp.name, reason, expired=True))
            else:
                reason = f"входит в группу клиентов «{grp.name}» (домен {listed})"
                valid.append(Identification(grp.level, "group", grp.name, reason))
    if valid:
        return min(valid, key=lambda i: _rank(i.level))
    if expired:
        return expired[0]
    return Identification(
        "free",
        "none",
        None,
        "адрес отправителя не указан ни в одной лицензии и не входит в коммерческую группу",
    )


def checked(ident: Identification, *, can_verify: bool, verified: bool) -> Identification:
    """The level a sender gets once the From address is checked: where it can be
    checked (our MTA's Authentication-Results are trusted: ``can_verify``), a
    commercial level needs SPF or DKIM for the From domain (a From line is easy to
    forge); without it the sender gets free support, told it will be corrected."""
    if not ident.commercial or not can_verify or verified:
        return ident
    return Identification(
        "free",
        "none",
        ident.ref,
        f"{ident.reason}, но адрес отправителя не подтверждён (SPF/DKIM): "
        "уровень будет исправлен после подтверждения адреса",
        unverified=True,
        owed=ident,
    )


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def free_support_expired(ident: Identification, first_seen: str | None, today: date) -> bool:
    """Free support is over: a sender on free support (``ident``) whose first ticket
    (``first_seen``, an ISO date, at any level) is more than FREE_SUPPORT_MONTHS before
    ``today``. Their new tickets are still accepted; the confirmation and the staff
    notice say so. Not said to an address a license or group names whose mail SPF/DKIM
    did not confirm (``ident.unverified``): its free support is a fallback, not the
    regulation's free level, and it is told its level will be corrected once the
    address is confirmed (a VIP customer was told under that text that free support
    had expired)."""
    if ident.level != "free" or ident.unverified or not first_seen:
        return False
    return add_months(date.fromisoformat(first_seen), FREE_SUPPORT_MONTHS) < today


def free_term_ctx(ident: Identification, first_seen: str | None, today: date) -> dict[str, Any]:
    """What a new ticket's confirmation and staff notice, and those of a reopening
    (levelnow.reopened_free), say of the free term: whether it is over
    (free_support_expired), since when it ran, how long it lasts, and whether the
    sender's license expired (the text then asks to renew it, not to buy one)."""
    return {
        "free_expired": free_support_expired(ident, first_seen, today),
        "free_since": ru_date(first_seen),
        "free_months": FREE_SUPPORT_MONTHS,
        "expired": ident.expired,
    }
