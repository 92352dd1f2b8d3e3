"""Parse raw RFC 5322 bytes into a ParsedMessage; never raises.

Headers are decoded by our own policy (domain.header_text), not trusted as declared,
and anything unreadable still yields a message with what could be read.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from maild.domain import limits, recode
from maild.domain.charset import b64decode_lenient, decode_bytes
from maild.domain.header_text import decode_header
from maild.domain.html import html_to_text
from maild.domain.logid import SYNTHETIC_DOMAIN
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
    "x-spam-flag",  # the MTA's spam verdicts (domain.spam)
    "x-spam-status",
    "x-spam",
    "x-rspamd-action",
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
    # A report (bounce, read receipt) names the message it is about: the Message-ID
    # of the returned original, for threading the report onto that message's ticket.
    reported_message_id: str | None = None
    # Why the body's charset may be wrong (domain.recode.doubt), for the staff notice.
    charset_doubt: str | None = None
    # To/Cc past limits.max_recipients, as text: kept, never made participants
    recipients_cut: str = ""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


class _RawHeaderPolicy(email.policy.Compat32):
    """compat32, but header values come back as the parser saw them.

    Stock compat32 wraps a value holding raw 8-bit bytes in an email.header.Header
    whose str() turns every such byte into U+FFFD: a windows-1251 Subject or file
    name typed without RFC 2047 would be lost before charset detection sees it.
    Here the bytes stay surrogate-escaped and domain.charset decodes them.
    """

    def header_fetch_parse(self, name, value):
        return value


_POLICY = _RawHeaderPolicy()

# Parts of a report that describe the original message rather than carry a file.
_REPORT_ORIGINALS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
_STATUS_TYPES = ("message/delivery-status", "message/disposition-notification")


# A bare dot-atom address: what getaddresses would return unchanged.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)
# One mailbox as most mail writes it, "Name <addr>", "<addr>" or "addr", with no
# character the full parser treats specially: its result without the parser (3.5 µs
# against 31 for a typical From; each message has three or four such headers).
_ADDR = _PLAIN_ADDRESS.pattern
_SIMPLE_MAILBOX = re.compile(
    r'\s*(?:([^()<>\[\]:;@\\,."\s][^()<>\[\]:;@\\,."]*?)\s*)?<(' + _ADDR + r")>\s*"
    r"|\s*(" + _ADDR + r")\s*"
)


def is_plain_address(value: str) -> bool:
    """A bare dot-atom address, which any address parser gives back unchanged."""
    return _PLAIN_ADDRESS.fullmatch(value) is not None


def _getaddresses(value: str) -> list[tuple[str, str]]:
    """email.utils.getaddresses([value]), without the parser for one simple mailbox."""
    m = _SIMPLE_MAILBOX.fullmatch(value)
    if m is None:
        return getaddresses([value])
    if m.group(2) is not None:
        return [(" ".join((m.group(1) or "").split()), m.group(2))]
    return [("", m.group(3))]


@functools.lru_cache(maxsize=4096)
def normalize_address(value: str | None) -> str:
    """The bare lower-cased address of a From/To value (names, brackets stripped)."""
    if not value:
        return ""
    for _name, addr in _getaddresses(value):
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
    return "" if raw is None else _decode_raw(limits.head_of(str(raw)))


_QUOTED_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMMENT_RE = re.compile(r"\((?:[^()\\]|\\.)*\)")
_ANGLE_ADDR_RE = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_UNFOLD_RE = re.compile(r"\r?\n[ \t]")
_ENCODED_WORD_RE = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=")


def _decode_addr(addr: str) -> str:
    """An addr-spec as parsed; raw 8-bit bytes in it (EAI, broken clients) decoded."""
    return _decode_raw(addr).replace(" ", "").lower() if not addr.isascii() else addr.lower()


def _mailboxes(
    msg: Message, name: str, limit: int = limits.MAX_RECIPIENTS, cut: list[str] | None = None
) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased address) of an address header, in order.

    Parsed before decoding: an encoded word is one opaque atom, so a display name
    that decodes to "Петров, Иван" cannot split the list, and one that decodes to
    "anna@example.com" or "<anna@example.com>" cannot pose as the address.
    Only the first `limit` entries are parsed (the rest goes to `cut` as text).
    """
    out: list[tuple[str, str]] = []
    for value in msg.get_all(name, []):
        head, rest = limits.first_addresses(str(value), limit - len(out))
        if rest and cut is not None:
            cut.append(f"{name}: {rest}")
        raw = _UNFOLD_RE.sub(" ", head)
        for display, addr in _getaddresses(raw):
            addr = addr.strip()
            # An encoded word is never an address (RFC 2047 section 5).
            if "@" in addr and "=?" not in addr:
                display = limits.cut(_decode_raw(display).strip(), limits.MAX_NAME)
                out.append((display, _decode_addr(addr)))
    return out


def _addresses(
    msg: Message, name: str, limit: int = limits.MAX_RECIPIENTS, cut: list[str] | None = None
) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addr for _display, addr in _mailboxes(msg, name, limit, cut)))


def _sender(msg: Message) -> tuple[str, str]:
    """(display name, address) of From.

    When the header has an angle-bracketed address, that is the mailbox: in the
    malformed "anna@example.com <x@evil.example>" the first bare address is only
    text (the receiving MTA's DMARC check sees x@evil.example too). A From made of
    one encoded word with the whole "Name <address>" inside (broken web forms) is
    decoded as a last resort.
    """
    boxes = _mailboxes(msg, "from")
    raw = " ".join(_UNFOLD_RE.sub(" ", limits.head_of(str(v))) for v in msg.get_all("from", []))
    bare = _QUOTED_RE.sub('""', raw)
    for _ in range(5):  # comments nest
        bare = _COMMENT_RE.sub(" ", bare)
    angled = {_decode_addr(a) for a in _ANGLE_ADDR_RE.findall(bare)}
    for display, addr in boxes:
        if not angled or addr in angled:
            return display, addr
    if boxes:
        return boxes[0]
    # An encoded word glued to a bare address ("=?utf-8?B?...?=ivan@x.ru").
    words = " ".join(_ENCODED_WORD_RE.findall(raw))
    rest = _ENCODED_WORD_RE.sub(" ", raw)
    for _display, addr in getaddresses([rest]):
        if "@" in addr.strip():
            return _decode_raw(words).strip(), _decode_addr(addr.strip())
    if "@" not in rest:
        for display, addr in getaddresses([_decode_raw(raw)]):
            if "@" in addr:
                return display.strip(), addr.strip().lower()
    return "", ""


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


def _content_type(part: Message) -> str:
    try:
        return (part.get_content_type() or "text/plain").lower()
    except Exception:
        return "text/plain"


def _leaves(msg: Message, originals: list[Message]) -> Iterator[Message]:
    """Leaf parts in document order, without recursion (nesting depth is the sender's).

    The original message returned inside a multipart/report (a bounce carries our
    own mail back) is collected in ``originals`` instead: its parts are not files
    the sender attached. A forwarded message/rfc822 elsewhere is walked into.
    """
    stack: list[tuple[Message, bool]] = [(msg, False)]
    while stack:
        part, in_report = stack.pop()
        ctype = _content_type(part)
        if in_report and ctype in _REPORT_ORIGINALS:
            originals.append(part)
            continue
        payload = part.get_payload() if ctype not in _STATUS_TYPES else None
        if isinstance(payload, list):
            children = [p for p in payload if isinstance(p, Message)]
            report = ctype == "multipart/report"
            stack.extend((child, report) for child in reversed(children))
            continue
        yield part


def _status_text(part: Message) -> str:
    """A message/delivery-status (or MDN) body: compat32 parses it into header blocks."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _text_of(part)
    blocks = []
    for block in payload:
        if isinstance(block, Message):
            blocks.append("\n".join(f"{k}: {_decode_raw(v)}" for k, v in block.raw_items()))
    return "\n\n".join(b for b in blocks if b)


def _original_msgid(part: Message) -> str | None:
    """Message-ID of the original a report returns (whole message or its headers)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        inner = next((p for p in payload if isinstance(p, Message)), None)
    else:
        inner = email.message_from_bytes(_payload(part), policy=_POLICY)
    if inner is None:
        return None
    return normalize_msgid(_header(inner, "message-id"))


def parse(raw: bytes, max_recipients: int = limits.MAX_RECIPIENTS) -> ParsedMessage:
    """Everything maild needs from a message; garbage in gives a message too."""
    problem = None
    if limits.too_nested(raw):
        msg, problem = _headers_only(raw), "MIME nesting over the cap: the body is raw text"
    else:
        try:
            msg = email.message_from_bytes(raw, policy=_POLICY)
        except RecursionError:
            msg, problem = _headers_only(raw), "MIME nesting too deep: the body is raw text"
        except Exception as e:  # pragma: no cover - the stdlib parser is lenient
            msg = Message()
            problem = f"unparseable: {e}"
    try:
        return _parse(raw, msg, problem, max_recipients)
    except Exception as e:
        return fallback_message(raw, f"unparseable: {type(e).__name__}: {e}")


def _headers_only(raw: bytes) -> Message:
    """The headers parsed, the whole body one text leaf (kept as raw text)."""
    msg = email.parser.BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
    msg.set_type("text/plain")  # (not a multipart: its parts are not parsed)
    return msg


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
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}{SYNTHETIC_DOMAIN}"


def _safe(fn, default):
    """One header's worth of parsing must not cost the whole message."""
    try:
        return fn()
    except Exception:
        return default


@dataclass
class _TextGroup:
    """Body text leaves that are alternatives of each other (or one lone leaf)."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def render(self) -> str:
        plain = "\n".join(self.plain)
        if plain.strip() or not self.html:
            return plain
        return "\n".join(html_to_text(h) for h in self.html)


def _alternative_of(part: Message, parents: dict[int, Message]) -> int:
    """id of the nearest multipart/alternative around ``part``, else of the part."""
    node = parents.get(id(part))
    while node is not None:
        if _content_type(node) == "multipart/alternative":
            return id(node)
        node = parents.get(id(node))
    return id(part)


def _parents(msg: Message) -> dict[int, Message]:
    parents: dict[int, Message] = {}
    stack = [msg]
    while stack:
        node = stack.pop()
        payload = node.get_payload()
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    parents[id(child)] = node
                    stack.append(child)
    return parents


_SCREEN = frozenset(SCREEN_HEADERS)


def _screen_headers(msg: Message) -> dict[str, tuple[str, ...]]:
    """The SCREEN_HEADERS present, decoded, in that order: one pass over the
    headers (get_all for each name went through all of them twelve times)."""
    found: dict[str, list[Any]] = {}
    for name, value in msg.items():
        key = name.lower()
        if key in _SCREEN:
            found.setdefault(key, []).append(value)
    return {
        h: tuple(_decode_raw(limits.head_of(str(v))) for v in found[h])
        for h in SCREEN_HEADERS
        if h in found
    }


def _parse(
    raw: bytes, msg: Message, problem: str | None, max_recipients: int = limits.MAX_RECIPIENTS
) -> ParsedMessage:
    from_name, from_addr = _safe(lambda: _sender(msg), ("", ""))
    groups: dict[int, _TextGroup] = {}  # in order of the first text leaf of each
    statuses: list[str] = []
    originals: list[Message] = []
    attachments: list[RawAttachment] = []
    doubt: str | None = None
    parents = _parents(msg)
    for part in _leaves(msg, originals):
        try:
            ctype = _content_type(part)
            if ctype in _STATUS_TYPES:
                statuses.append(_status_text(part))
                continue
            disposition = str(part.get("content-disposition", "")).split(";")[0].strip().lower()
            filename = _filename(part)
            unnamed_inline = disposition != "attachment" and filename is None
            # A multipart whose boundary never shows up arrives as one opaque leaf:
            # its content is still the sender's text.
            if unnamed_inline and (
                ctype in ("text/plain", "text/html")
                or (part is msg and ctype.startswith("text/"))
                or ctype.startswith("multipart/")
            ):
                group = groups.setdefault(_alternative_of(part, parents), _TextGroup())
                text, unsure = recode.read_text(_payload(part), part.get_content_charset())
                (group.html if ctype == "text/html" else group.plain).append(text)
                doubt = doubt or unsure
                continue
            attachments.append(RawAttachment(filename, ctype, _payload(part)))
        except Exception as e:  # one broken part must not hide the rest of the mail
            problem = problem or f"unreadable part: {type(e).__name__}: {e}"
    text = "\n".join(t for t in (g.render() for g in groups.values()) if t.strip())
    delivery_status = "\n\n".join(statuses) if statuses else None
    if not text.strip() and delivery_status:
        text = delivery_status  # a bare report: its fields are all staff can read
    reported = None
    for original in originals:
        reported = reported or _safe(lambda o=original: _original_msgid(o), None)
    headers = _screen_headers(msg)
    msgid = normalize_msgid(_header(msg, "message-id")) or synthetic_msgid(raw)
    if msg.defects and problem is None and not msg.keys():
        problem = "no headers"
    cut: list[str] = []
    to = _safe(lambda: _addresses(msg, "to", max_recipients, cut), ())
    cc = _safe(lambda: _addresses(msg, "cc", max(0, max_recipients - len(to)), cut), ())
    refs = message_ids(_decode_raw(limits.head_of(str(msg.get("references") or "")[::-1])[::-1]))
    return ParsedMessage(
        message_id=msgid,
        from_addr=from_addr,
        from_name=limits.cut(from_name, limits.MAX_NAME),
        to=to,
        cc=cc,
        reply_to=(_safe(lambda: _addresses(msg, "reply-to", 1), ()) or (None,))[0],
        subject=limits.cut(" ".join(_header(msg, "subject").split()), limits.MAX_SUBJECT),
        date=_date(msg),
        in_reply_to=tuple(message_ids(_header(msg, "in-reply-to"))),
        references=tuple(refs[-limits.MAX_REFERENCES :]),
        text=text.replace("\r\n", "\n").replace("\r", "\n"),
        attachments=tuple(attachments),
        headers=headers,
        content_type=_content_type(msg),
        delivery_status=delivery_status,
        parse_problem=problem,
        reported_message_id=reported,
        charset_doubt=doubt,
        recipients_cut=limits.cut("\n".join(cut), limits.MAX_CUT_TEXT),
    )
