"""Parse raw RFC 5322 bytes into a ParsedMessage; never raises.

Headers are decoded by our own policy (domain.header_text), not trusted as declared,
and anything unreadable still yields a message with what could be read. Addresses
are read by domain.addresses, the MIME tree by domain.mimeparts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any, TypeVar

from maild.domain import limits, textbounce
from maild.domain.addresses import addresses, normalize_address, sender
from maild.domain.banners import without_banner
from maild.domain.bidi import without_bidi_controls, without_controls
from maild.domain.charset import decode_bytes
from maild.domain.headblock import as_read, mend_line_breaks
from maild.domain.header_text import decode_compat32
from maild.domain.logid import SYNTHETIC_DOMAIN
from maild.domain.maildigest import content_digest
from maild.domain.mimeparts import RAW_POLICY, RawAttachment, content_type, header_of, read_body
from maild.domain.mimetree import read_tree
from maild.domain.tid import message_ids, normalize_msgid

__all__ = [
    "SCREEN_HEADERS",
    "ParsedMessage",
    "RawAttachment",
    "fallback_message",
    "normalize_address",
    "parse",
    "redecode",
    "message_id_of",
    "legacy_synthetic_msgid",
    "synthetic_msgid",
]

# Headers kept for screening (loops, robots, lists, authentication).
SCREEN_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-loop",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "authentication-results",
    "x-maild-loop",
    "x-failed-recipients",
    "x-spam-flag",  # the MTA's spam verdicts (domain.spam)
    "x-spam-status",
    "x-spam",
    "x-rspamd-action",
    "x-maild-oversize",  # a stand-in for a mail too big (domain.oversize)
    "x-maild-source",  # a post on the site (domain.knownfiles)
)


@dataclass(frozen=True)
class ParsedMessage:
    """What maild reads from one incoming message; every field is decoded text."""

    message_id: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str | None
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    attachments: tuple[RawAttachment, ...]
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    content_type: str = "text/plain"
    delivery_status: str | None = None
    parse_problem: str | None = None
    # A report (bounce, read receipt) names the message it is about: the Message-ID
    # of the returned original, for threading the report onto that message's ticket.
    reported_message_id: str | None = None
    receipt: bool = False  # the report is a read receipt (MDN), not a bounce
    # Why the body's charset may be wrong (domain.recode.doubt), for the staff notice.
    charset_doubt: str | None = None
    # To/Cc past limits.max_recipients, as text: kept, never made participants
    recipients_cut: str = ""
    # maildigest.content_digest of the raw mail (the pipeline's): tells a redelivery
    # of this mail from a different mail with the same Message-ID
    digest: str = ""
    # Outlook's class of the letter (its own winmail.dat's: IPM.Outlook.Recall for a
    # recall request, domain/recall.py); "" without one
    message_class: str = ""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def parse(
    raw: bytes, max_recipients: int = limits.MAX_RECIPIENTS, codec: str | None = None
) -> ParsedMessage:
    """Everything maild needs from a message; garbage in gives a message too. ``codec``:
    the charset staff named with `#charset`, for every text part (see redecode)."""
    try:
        msg, problem = read_tree(mend_line_breaks(raw), RAW_POLICY)
    except Exception as e:  # pragma: no cover - the stdlib parser is lenient
        msg, problem = Message(), f"unparseable: {e}"
    try:  # the bytes as spooled: what a synthetic id hashes, here and in `maild fsck`
        return _parse(raw, msg, problem, max_recipients, codec)
    except Exception as e:
        return fallback_message(raw, f"unparseable: {type(e).__name__}: {e}")


def fallback_message(raw: bytes, problem: str) -> ParsedMessage:
    return ParsedMessage(
        message_id=synthetic_msgid(raw),
        from_addr="",
        from_name="",
        to=(),
        cc=(),
        reply_to=None,
        subject="",
        in_reply_to=(),
        references=(),
        text=decode_bytes(raw, None),
        attachments=(),
        parse_problem=problem,
    )


def message_id_of(raw: bytes) -> str:
    """The Message-ID parse() gives `raw`, read from its header block alone, as parse()
    reads that block (`maild fsck` looks up every spooled message by it)."""
    msg = BytesHeaderParser(policy=RAW_POLICY).parsebytes(as_read(raw))
    return normalize_msgid(header_of(msg, "message-id")) or synthetic_msgid(raw)


def synthetic_msgid(raw: bytes) -> str:
    """A stable id for mail without one, so ingest stays idempotent: made from what
    its sender wrote (maildigest.content_digest), so the same mail delivered again
    with other trace headers (to support@ and support+x@, each with its own
    Delivered-To) is found under it."""
    return f"<{content_digest(raw)}{SYNTHETIC_DOMAIN}"


def legacy_synthetic_msgid(raw: bytes) -> str:
    """The id maild gave mail without one before synthetic_msgid: of every byte. Mail
    stored under it is found by it (reusedid.distinct, fsck)."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}{SYNTHETIC_DOMAIN}"


_T = TypeVar("_T")


def _safe(fn: Callable[[], _T], default: _T) -> _T:
    """One header's worth of parsing must not cost the whole message."""
    try:
        return fn()
    except Exception:
        return default


_SCREEN = frozenset(SCREEN_HEADERS)


def _screen_headers(msg: Message) -> dict[str, tuple[str, ...]]:
    """The SCREEN_HEADERS present, decoded, in that order (one pass over the headers,
    not one per name)."""
    found: dict[str, list[Any]] = {}
    for name, value in msg.items():
        key = name.lower()
        if key in _SCREEN:
            found.setdefault(key, []).append(value)
    return {
        h: tuple(decode_compat32(limits.head_of(str(v))) for v in found[h])
        for h in SCREEN_HEADERS
        if h in found
    }


def _references(msg: Message) -> tuple[str, ...]:
    """The newest References ids: the header is cut from its end (new ids come last)."""
    tail = limits.head_of(str(msg.get("references") or "")[::-1])[::-1]
    return tuple(message_ids(decode_compat32(tail))[-limits.MAX_REFERENCES :])


def redecode(raw: bytes, codec: str, banners: tuple[str, ...] = ()) -> str:
    """The text of a raw message read again with ``codec`` (staff's `#charset`): read as
    the first reading read it (flowed paragraphs joined, a forward under its heading,
    winmail.dat's text, Outlook's picture placeholders named, the mail system's
    `banners` taken off), only in that charset."""
    return without_banner(parse(raw, codec=codec).text, banners).strip()


def _parse(
    raw: bytes,
    msg: Message,
    problem: str | None,
    max_recipients: int = limits.MAX_RECIPIENTS,
    codec: str | None = None,
) -> ParsedMessage:
    from_name, from_addr = _safe(lambda: sender(msg), ("", ""))
    # what people wrote is shown as it reads: no bidi override turns a subject, a name
    # or a line around on the page, in its <title> or in staff's mail (domain/bidi.py)
    from_name = without_bidi_controls(from_name)
    body = read_body(msg, codec, from_name)
    text = body.text.replace("\r\n", "\n").replace("\r", "\n")
    text = without_controls(without_bidi_controls(text))
    status, reported = body.delivery_status, body.reported_message_id
    if status is None and content_type(msg) == "text/plain":  # qmail's, Exim's bounce: plain text
        status, reported = textbounce.read(text) or (None, None)
    problem = problem or body.problem
    msgid = normalize_msgid(header_of(msg, "message-id")) or synthetic_msgid(raw)
    if msg.defects and problem is None and not msg.keys():
        problem = "no headers"
    cut: list[str] = []
    to = _safe(lambda: addresses(msg, "to", max_recipients, cut), ())
    cc = _safe(lambda: addresses(msg, "cc", max(0, max_recipients - len(to)), cut), ())
    return ParsedMessage(
        message_id=msgid,
        from_addr=from_addr,
        from_name=limits.cut(from_name, limits.MAX_NAME),
        to=to,
        cc=cc,
        reply_to=(_safe(lambda: addresses(msg, "reply-to", 1), ()) or (None,))[0],
        subject=limits.cut(
            " ".join(without_bidi_controls(header_of(msg, "subject")).split()), limits.MAX_SUBJECT
        ),
        in_reply_to=tuple(message_ids(header_of(msg, "in-reply-to"))),
        references=_references(msg),
        text=text,
        attachments=body.attachments,
        headers=_screen_headers(msg),
        content_type=content_type(msg),
        delivery_status=status,
        parse_problem=problem,
        reported_message_id=reported,
        receipt=body.receipt,
        charset_doubt=body.charset_doubt,
        recipients_cut=limits.cut("\n".join(cut), limits.MAX_CUT_TEXT),
        message_class=limits.cut(body.message_class, limits.MAX_NAME),
    )
