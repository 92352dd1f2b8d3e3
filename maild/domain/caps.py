"""Caps on automatic mail (confirmations, acknowledgements, reminders, status
notices), so no address and no ticket gets an unbounded stream whatever answers us.

Pure: the times of earlier automatic mail are passed in. Mail over a cap is not
sent; the caller records it in the ticket as "suppressed: cap".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from maild.domain.plural import ru_plural

__all__ = ["WINDOW", "Caps", "cap_reached", "mailbox_of"]

WINDOW = timedelta(days=1)  # the longest a cap counts back: older mail counts for none


@dataclass(frozen=True)
class Caps:
    per_address_hour: int
    per_address_day: int
    per_ticket_hour: int


def cap_reached(
    caps: Caps, to_address: Iterable[datetime], to_ticket: Iterable[datetime], now: datetime
) -> str | None:
    """Which cap one more automatic mail would break (Russian, for the ticket), or None.

    ``to_address``: automatic mail to this address (any ticket), ``to_ticket``: to
    anyone on this ticket."""
    hour, day = now - timedelta(hours=1), now - WINDOW
    addr = [t for t in to_address if t > day]
    if sum(t > hour for t in addr) >= caps.per_address_hour:
        return f"не больше {_letters(caps.per_address_hour)} адресу в час"
    if len(addr) >= caps.per_address_day:
        return f"не больше {_letters(caps.per_address_day)} адресу в сутки"
    if sum(t > hour for t in to_ticket) >= caps.per_ticket_hour:
        return f"не больше {_letters(caps.per_ticket_hour)} по обращению в час"
    return None


def mailbox_of(address: str) -> str:
    """The mailbox the caps count for `address`: without its +tag, so that another
    desk's robot writing from a plus-address per ticket (support+1001@vendor,
    support+1002@vendor) meets one cap, not a fresh one with every mail."""
    local, at, domain = address.lower().rpartition("@")
    base = local.split("+", 1)[0]
    if not at or not base or base == local or local.startswith('"'):
        return address.lower()  # no tag (or a quoted local part: left as it is)
    return f"{base}@{domain}"


def _letters(n: int) -> str:
    """ "не больше" asks for the genitive: 1 автоматического письма, 5 писем."""
    many = "автоматических писем"
    return f"{n} {ru_plural(n, 'автоматического письма', many, many)}"
