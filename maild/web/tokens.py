"""Signed tokens of the site: pure (the key and the time are passed in).

- A ticket link `<tid>.<expiry day>.<mac>` is bound to the ticket and to one
  recipient address. The address is not in the URL (URLs end up in browser
  histories and proxy logs): the mac is checked against the ticket's current
  customers (of a merged ticket: those still customers of the one it was merged
  into, links.link_holders), so a participant who was removed loses the page too.
- A confirmation token `<id>.<expiry day>.<mac>` confirms an address for a
  «Задать вопрос» submission kept under that id.
- A form token `<unix time>.<nonce>.<mac>` is the CSRF token of every form; its
  nonce becomes the Message-ID of what the form sends and its time the Date (a
  second submit of the same form is the same message, stored once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum

# 128 bits of HMAC-SHA256 in lower-case base32: letters and digits only, so no mail
# client's link detection cuts a trailing "-" or "_" off the URL
_MAC_BYTES = 16
_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DAY = 86400


class Refusal(Enum):
    """Why a link does not open the ticket (each gets its own plain page)."""

    BAD = "bad"  # tampered, truncated or signed for someone else
    EXPIRED = "expired"


def _mac(key: bytes, *parts: str) -> str:
    digest = hmac.new(key, "|".join(parts).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:_MAC_BYTES]).decode().rstrip("=").lower()


def day_of(now: datetime) -> int:
    """Days since 1970-01-01 (UTC): the unit of link expiry."""
    return int(now.timestamp()) // DAY


def ticket_token(key: bytes, tid: str, address: str, now: datetime, days: int) -> str:
    expiry = day_of(now) + days
    return f"{tid}.{expiry}.{_mac(key, 't', tid, address.lower(), str(expiry))}"


def _parts(token: str) -> list[str] | None:
    if len(token) > 3 * 64 + 2:  # a form's field of megabytes: not split into a list
        return None
    parts = token.split(".")
    if len(parts) != 3 or not all(_PART.match(p) for p in parts):
        return None
    return parts


def split(token: str) -> tuple[str, int, str] | None:
    """(id, expiry day, mac) of a ticket or confirmation token, or None."""
    parts = _parts(token)
    if parts is None or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def owner_of(key: bytes, token: str, addresses: Iterable[str]) -> str | None:
    """The address (one of `addresses`) a ticket token was signed for, expired or not."""
    parts = split(token)
    if parts is None:
        return None
    tid, expiry, mac = parts
    for address in addresses:
        if hmac.compare_digest(mac, _mac(key, "t", tid, address.lower(), str(expiry))):
            return address
    return None


def check_ticket_token(
    key: bytes, token: str, addresses: Iterable[str], now: datetime
) -> str | Refusal:
    """The address the token was made for (one of `addresses`), or why not."""
    owner, parts = owner_of(key, token, addresses), split(token)
    if owner is None or parts is None:  # (an owner: the token splits)
        return Refusal.BAD
    return Refusal.EXPIRED if day_of(now) > parts[1] else owner


def tid_of(token: str) -> str | None:
    parts = split(token)
    return parts[0] if parts else None


def confirm_token(key: bytes, sub_id: str, address: str, now: datetime, days: int) -> str:
    expiry = day_of(now) + days
    return f"{sub_id}.{expiry}.{_mac(key, 'c', sub_id, address.lower(), str(expiry))}"


def check_confirm_token(key: bytes, token: str, address: str, now: datetime) -> bool | Refusal:
    parts = split(token)
    if parts is None:
        return Refusal.BAD
    sub_id, expiry, mac = parts
    if not hmac.compare_digest(mac, _mac(key, "c", sub_id, address.lower(), str(expiry))):
        return Refusal.BAD
    return Refusal.EXPIRED if day_of(now) > expiry else True


def form_token(key: bytes, scope: str, now: datetime) -> str:
    stamp, nonce = str(int(now.timestamp())), secrets.token_hex(12)
    return f"{stamp}.{nonce}.{_mac(key, 'f', scope, stamp, nonce)}"


def check_form_token(key: bytes, token: str, scope: str, now: datetime, max_age: int) -> str | None:
    """The form's nonce if the token was made for this scope within max_age seconds."""
    parts = _parts(token or "")
    if parts is None or not parts[0].isdigit():
        return None
    stamp, nonce, mac = parts
    if not hmac.compare_digest(mac, _mac(key, "f", scope, stamp, nonce)):
        return None
    age = int(now.timestamp()) - int(stamp)
    return nonce if 0 <= age <= max_age else None


def form_time(token: str) -> datetime:
    """When a form token was made (its <unix time>), of a token check_form_token took:
    the Date of what the form sends, the same each time the form is sent."""
    return datetime.fromtimestamp(int(token.split(".", 1)[0]), UTC)
