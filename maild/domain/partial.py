"""Mail sent in parts: Outlook Express and Windows Live Mail «Разбивать сообщения
больше ... КБ» send one letter as several message/partial mails (RFC 2046 5.2.2:
``Content-Type: message/partial; id="..."; number=N; total=M``, the total on the last
part at least).

A part is never read as a whole mail: what it holds is a slice of the letter's bytes,
not the customer's text, and a file cut off in it was not received. The parts of one
``id`` from one sender go to one ticket: the first to come opens it (or joins the
ticket its subject names), each is indexed under parts_key, and the rest are kept in
that ticket quietly (decide: one confirmation, one notice). Staff and the customer are
told the letter came in parts; the customer is asked to send it again unsplit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any, TypedDict

from maild.domain.limits import figures
from maild.domain.logid import SYNTHETIC_DOMAIN

__all__ = [
    "Fragment",
    "FragmentRecord",
    "fragment_of",
    "parts_key",
    "record_key",
    "record_of",
    "seen",
    "shown",
    "thread_key",
]

TYPE = "message/partial"
MAX_PARTS = 1000  # more is no mail client's: a number past it is not read as one


@dataclass(frozen=True)
class Fragment:
    """One part: the letter's ``id``, this part's ``number`` (from 1), and ``total``
    (the number of parts) when this part names it."""

    id: str
    number: int
    total: int | None = None


def _count(value: object) -> int | None:
    n = figures(str(value or "").strip())
    return n if n is not None and 0 < n <= MAX_PARTS else None


def fragment_of(msg: Message) -> Fragment | None:
    """The part ``msg`` is, when its own Content-Type is message/partial (a part with
    no id still is one: it is no whole mail either, its id then "")."""
    if msg.get_content_type() != TYPE:
        return None
    ident = _text(collapse_rfc2231_value(msg.get_param("id") or "").strip()[:998])
    number = _count(msg.get_param("number")) or 1
    total = _count(msg.get_param("total"))
    if total is not None and total < number:
        total = None
    return Fragment(ident, number, total)


def _text(ident: str) -> str:
    """An id as text the store can write and hash: raw 8-bit bytes (the surrogate
    escapes compat32 keeps them as) as UTF-8 where they are, the rest as \\xNN; the
    same bytes, the same text (the parts of one letter keep finding each other)."""
    try:
        raw = ident.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate of no byte (a decoded RFC 2231 value)
        raw = ident.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def thread_key(sender: str, fragment: Fragment) -> str:
    """The key the parts of one letter are indexed under with the Message-IDs of mail
    received (the store's msgid index): of its sender and its id, so another sender's
    part naming the same id joins no ticket of theirs. Shaped as a Message-ID of
    maild's own making, which no mail carries (logid.SYNTHETIC_DOMAIN)."""
    made = hashlib.sha256(f"{sender.lower()}\n{fragment.id}".encode()).hexdigest()[:32]
    return f"<partial.{made}{SYNTHETIC_DOMAIN}"


def parts_key(sender: str, fragment: Fragment | None) -> str | None:
    """The key a received part is indexed under and its letter's other parts look up
    (thread_key); None for mail that is no part, or a part whose From gives no
    address: no ticket takes mail of no sender (ticket.may_append), so nothing is
    led by it."""
    return thread_key(sender, fragment) if fragment is not None and sender else None


class FragmentRecord(TypedDict):
    """What the thread record of a part keeps of it (MessageRecord "fragment")."""

    id: str
    number: int
    total: int | None


def record_of(fragment: Fragment) -> FragmentRecord:
    """What the thread record of a part keeps of it."""
    return {"id": fragment.id, "number": fragment.number, "total": fragment.total}


def record_key(record: Mapping[str, Any]) -> str | None:
    """The thread_key a thread record of a part was indexed under (None for no part)."""
    kept = record.get("fragment")
    if not isinstance(kept, dict):
        return None
    return parts_key(record.get("from") or "", Fragment(str(kept.get("id") or ""), 1))


def seen(fragment: Fragment | None, messages: Iterable[Mapping[str, Any]]) -> bool:
    """Whether ``messages`` (a ticket's thread) hold a part of the same letter already."""
    if fragment is None:
        return False
    return any((m.get("fragment") or {}).get("id") == fragment.id for m in messages)


def shown(fragment: Fragment | None) -> dict[str, int | None] | None:
    """What the mail about a part says of it: the part's number, and the number of parts
    when it is known (templates: «письмо пришло частями (1 из 3)»)."""
    if fragment is None:
        return None
    return {"number": fragment.number, "total": fragment.total}
