"""Parse raw RFC 5322 bytes into a ParsedMessage; never raises.

Headers are decoded by our own policy (domain.charset), not trusted as declared,
and anything unreadable still yields a message with what could be read.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from maild.domain.charset import b64decode_lenient, decode_bytes, decode_header
from maild.domain.html import html_to_text
from maild.domain.tid import message_ids, normalize_msgid

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
)


@dataclass(frozen=True)
class RawAttachment:
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str | None
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    attachments: tuple[RawAttachment, ...]
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    content_type: str = "text/plain"
    delivery_status: str | None = None
    parse_problem: str | None = None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def normalize_address(value: str | None) -> str:
    """The bare lower-cased address of a From/To value (names, brackets stripped)."""
    if not value:
        return ""
    pairs = getaddresses([value])
    for _name, addr in pairs:
        if "@" in addr:
            return addr.strip().lower()
    return value.strip().strip("<>").lower()


def _decode_raw(raw: object) -> str:
    text = raw if isinstance(raw, str) else str(raw)
    # compat32 keeps 8-bit header bytes as surrogates; give them back as bytes.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return decode_header(text.encode("utf-8", "surrogateescape"))
    return decode_header(text)


def _header(msg: Message, name: str) -> str:
    raw = msg.get(name)
    return "" if raw is None else _decode_raw(raw)


def _addresses(msg: Message, name: str) -> tuple[str, ...]:
    values = [_decode_raw(v) for v in msg.get_all(name, [])]
    out: list[str] = []
    for _n, addr in getaddresses(values):
        addr = addr.strip().lower()
        if "@" in addr and addr not in out:
            out.append(addr)
    return tuple(out)


def _payload(part: Message) -> bytes:
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    raw = part.get_payload(decode=False)
    if isinstance(raw, list):
        return b""
    if cte == "base64":
        data = raw.encode("ascii", "ignore") if isinstance(raw, str) else raw
        return b64decode_lenient(data)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _text_of(part: Message) -> str:
    return decode_bytes(_payload(part), part.get_content_charset())


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return None if name is None else _decode_raw(name)


def _date(msg: Message) -> datetime | None:
    try:
        value = msg.get("date")
        if not value:
            return None
        d = parsedate_to_datetime(str(value))
        return d if d.tzinfo else None
    except Exception:
        return None


def _walk(msg: Message):
    try:
        yield from msg.walk()
    except Exception:
        yield msg


def parse(raw: bytes) -> ParsedMessage:
    """Everything maild needs from a message; garbage in gives a message too."""
    problem = None
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as e:  # pragma: no cover - the stdlib parser is lenient
        msg = Message()
        problem = f"unparseable: {e}"
    try:
        return _parse(raw, msg, problem)
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
        date=None,
        in_reply_to=(),
        references=(),
        text=decode_bytes(raw, None),
        attachments=(),
        parse_problem=problem,
    )


def synthetic_msgid(raw: bytes) -> str:
    """A stable id for mail without one, so ingest stays idempotent."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@maild.invalid>"


def _parse(raw: bytes, msg: Message, problem: str | None) -> ParsedMessage:
    from_value = _header(msg, "from")
    pairs = getaddresses([from_value]) if from_value else []
    from_name, from_addr = "", ""
    for name, addr in pairs:
        if "@" in addr:
            from_name, from_addr = name.strip(), addr.strip().lower()
            break
    body_plain: str | None = None
    body_html: str | None = None
    delivery_status = None
    attachments: list[RawAttachment] = []
    is_multipart = msg.is_multipart()
    for part in _walk(msg):
        if part.is_multipart():
            continue
        ctype = (part.get_content_type() or "text/plain").lower()
        disposition = str(part.get("content-disposition", "")).split(";")[0].strip().lower()
        filename = _filename(part)
        if ctype == "message/delivery-status":
            delivery_status = _text_of(part)
            continue
        is_body_text = (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and filename is None
        )
        if is_body_text:
            if ctype == "text/plain" and body_plain is None:
                body_plain = _text_of(part)
                continue
            if ctype == "text/html" and body_html is None:
                body_html = _text_of(part)
                continue
            if ctype == "text/plain" and body_plain is not None:
                body_plain += "\n" + _text_of(part)
                continue
            continue
        if not is_multipart and part is msg and filename is None and ctype.startswith("text/"):
            body_plain = _text_of(part)
            continue
        attachments.append(RawAttachment(filename, ctype, _payload(part)))
    if body_plain is not None and body_plain.strip():
        text = body_plain
    elif body_html is not None:
        text = html_to_text(body_html)
    else:
        text = body_plain or ""
    headers = {h: tuple(_decode_raw(v) for v in msg.get_all(h, [])) for h in SCREEN_HEADERS}
    headers = {k: v for k, v in headers.items() if v}
    msgid = normalize_msgid(_header(msg, "message-id")) or synthetic_msgid(raw)
    if msg.defects and problem is None and not msg.keys():
        problem = "no headers"
    return ParsedMessage(
        message_id=msgid,
        from_addr=from_addr,
        from_name=from_name,
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        reply_to=normalize_address(_header(msg, "reply-to")) or None,
        subject=" ".join(_header(msg, "subject").split()),
        date=_date(msg),
        in_reply_to=tuple(message_ids(_header(msg, "in-reply-to"))),
        references=tuple(message_ids(_header(msg, "references"))),
        text=text.replace("\r\n", "\n").replace("\r", "\n"),
        attachments=tuple(attachments),
        headers=headers,
        content_type=(msg.get_content_type() or "text/plain").lower(),
        delivery_status=delivery_status,
        parse_problem=problem,
    )
