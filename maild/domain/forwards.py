"""A mail forwarded as message/rfc822 but sent base64 or quoted-printable, which RFC 2046
forbids and some clients do: its decoded bytes are parsed as the forward it is. So is a
mail attached as the file a mail client saves (Жалоба.eml, typed
application/octet-stream, as Outlook and webmails attach a saved mail): refused as a
file of no type the rules know, it was never read, though its text is the customer's
case as much as a forward's.

Works on the email package's compat32 tree (domain.mimeparts.RAW_POLICY), in place.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Container
from email import errors
from email.message import Message
from email.policy import Policy

from maild.domain import limits, partread
from maild.domain.addresses import parseaddr, valid_addr_spec
from maild.domain.charset import b64decode_lenient
from maild.domain.header_text import filename_of
from maild.domain.mimetree import header_block_end, read_tree
from maild.domain.quotes import FORWARD_RE, SEPARATOR_RE, UNDERSCORES_RE, is_quoted

__all__ = [
    "FORWARD_MARK",
    "MAX_ENCODED_MESSAGES",
    "forward_at",
    "forwarded_sender",
    "heading",
    "open_encoded_messages",
    "saved_mail",
]

# Thunderbird's own forward header: domain.quotes.FORWARD_RE knows it, so the site
# keeps all below it (a forward is the content of the mail, not quoted history).
FORWARD_MARK = "-------- Пересланное сообщение --------"


def heading(fields: list[tuple[str, str]]) -> str:
    """The lines that head a forwarded mail's text in what staff read: the mark, then
    each field that has a value (От, Дата, Тема, Кому), on one line and cut."""
    lines = [f"\n{FORWARD_MARK}"]
    for label, value in fields:
        value = " ".join(value.split())
        if value:
            lines.append(f"{label}: {limits.cut(value, limits.MAX_SUBJECT)}")
    return "\n".join(lines) + "\n"


# A forward's From line: Thunderbird's and Outlook's «От:», «From:», Mail.ru's «От кого:»;
# the value up to the line's end. Outlook writes the address as «[mailto:a@b.ru]».
_FROM_LINE = re.compile(r"(?:from|от|от кого)\s*:\s*(.+)", re.IGNORECASE)
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.IGNORECASE)
_HEADER_LINES = 8  # under a forward's mark, read for its From line
_MARKS = 20  # forward marks looked under, at most


def forwarded_sender(text: str, own: Container[str]) -> tuple[str, str] | None:
    """(address, display name) of whoever wrote the mail a forward in ``text`` carries:
    the From line («От:», «From:») within a few lines under a forward's mark, as
    Thunderbird, Gmail, Apple Mail and Outlook write one inline, and as heading()
    writes over a message/rfc822 part. The first mark whose From names one valid
    address not of ``own`` (support's own side: a colleague's forward of the
    customer's mail forwarded again); None when there is none. A quoted mark (">")
    is someone's history, not this mail's forward."""
    found = forward_at(text.splitlines(), own)
    return found[2] if found else None


def forward_at(lines: list[str], own: Container[str]) -> tuple[int, int, tuple[str, str]] | None:
    """Of the forward forwarded_sender names in ``lines``: the index of its mark, of
    its From line, and the sender."""
    marks = 0
    for i, line in enumerate(lines):
        bare = line.strip()
        if not bare or is_quoted(line) or not _mark(bare):
            continue
        marks += 1
        if marks > _MARKS:
            return None
        for j in range(i + 1, min(len(lines), i + 1 + _HEADER_LINES)):
            found = _FROM_LINE.fullmatch(lines[j].strip())
            if found:
                sender = _mailbox(found.group(1))
                if sender is not None and sender[0] not in own:
                    return i, j, sender
                break
    return None


def _mark(line: str) -> bool:
    return any(r.fullmatch(line) for r in (FORWARD_RE, SEPARATOR_RE, UNDERSCORES_RE))


def _mailbox(value: str) -> tuple[str, str] | None:
    """The one address a From line's value names, lower-cased, and the name before it."""
    name, addr = parseaddr(_MAILTO.sub(r"<\1>", value[:998]))
    addr = addr.strip().lower()
    if "@" not in addr or not valid_addr_spec(addr):
        return None
    return addr, " ".join(name.split())


# At most this many encoded forwards (and saved mails) are opened per message.
MAX_ENCODED_MESSAGES = 10


def open_encoded_messages(msg: Message, policy: Policy) -> None:
    """Each base64 or quoted-printable message/rfc822 part parsed again from its decoded
    bytes, in place of what the parser made of the encoded ones (a header-less "message"
    whose body is the base64; "=D0=9F" in the headers and text of a quoted-printable
    one), so its text and files are read like any forward, never shown as code. A mail
    attached as a saved file (_saved: «Жалоба.eml», whatever its type) is put in its
    place as the message/rfc822 part it would have been sent as."""
    opened = 0
    stack = [msg]
    while stack and opened < MAX_ENCODED_MESSAGES:
        part = stack.pop()
        if not part.is_multipart():  # parts_of: a leaf's get_payload() may raise
            continue
        children = part.get_payload()
        if not isinstance(children, list):  # (a multipart's payload is its list of parts)
            continue
        inner = children[0] if children and isinstance(children[0], Message) else None
        try:
            data = _decoded(part, inner, policy) if inner is not None else None
        except Exception:  # left as the parser read it: shown, not lost
            data = None
        if data is not None:
            opened += 1
            children[0], _cut = read_tree(data, policy)  # over a cap: its raw text
        for i, child in enumerate(children):
            if opened < MAX_ENCODED_MESSAGES and isinstance(child, Message):
                saved = _saved(child, policy)
                if saved is not None:
                    opened += 1
                    children[i] = saved
        stack.extend(p for p in children if isinstance(p, Message))


# A mail as a mail client saves it: its header block names the sender, and when or about
# what it was written. (Thunderbird may write an mbox "From " line first.)
_FIELD_NAME = re.compile(rb"^([\041-\071\073-\176]+)[\t ]*:", re.MULTILINE)
_SAVED_FIELDS = (b"date", b"subject", b"message-id")
_HEAD_BYTES = 64 * 1024  # of a saved mail's header block, read to tell one


def saved_mail(name: str | None, data: bytes) -> bool:
    """Whether a file is a mail saved by a mail client: named *.eml, and its bytes a
    header block (with From, and Date, Subject or Message-ID) ended by an empty line."""
    if not _eml(name):
        return False
    head = data[:_HEAD_BYTES].removeprefix(b"\xef\xbb\xbf")
    if head.startswith(b"From "):  # an mbox envelope line, no field
        head = head.partition(b"\n")[2]
    end = header_block_end(head)
    rest = head[end:]
    if not end or (rest and not rest.startswith((b"\r\n", b"\n", b"\r"))):
        return False  # no block, or text right under it: no mail's header
    names = {m.group(1).lower() for m in _FIELD_NAME.finditer(head, 0, end)}
    return b"from" in names and any(n in names for n in _SAVED_FIELDS)


def _eml(name: str | None) -> bool:
    return (name or "").strip().lower().endswith(".eml")


def _saved(part: Message, policy: Policy) -> Message | None:
    """A message/rfc822 part holding the mail ``part`` is the saved file of (saved_mail),
    with ``part``'s other headers (its Content-Disposition, its name); None for any
    other part. A forward already (message/*) or a multipart is none."""
    try:
        if part.is_multipart() or part.get_content_maintype() in ("message", "multipart"):
            return None
        name = filename_of(part)
        if not (_eml(name) and saved_mail(name, data := partread.payload(part))):
            return None
        inner, _cut = read_tree(data, policy)
    except Exception:  # left a file, as it came
        return None
    wrapper = Message(policy)
    for field, value in part.items():
        if field.lower() not in ("content-type", "content-transfer-encoding"):
            wrapper[field] = value
    wrapper["Content-Type"] = "message/rfc822"
    wrapper.set_payload([inner])
    return wrapper


def _decoded(part: Message, inner: Message, policy: Policy) -> bytes | None:
    """The forwarded message's own bytes, when ``part`` is one sent encoded."""
    try:
        ctype = (part.get_content_type() or "").lower()
    except Exception:
        return None
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if ctype != "message/rfc822":
        return None
    if encoding == "base64" and not inner.keys():
        return b64decode_lenient(str(inner.get_payload()))
    if encoding == "quoted-printable":
        return quopri.decodestring(_as_parsed(inner, policy))
    return None


def _as_parsed(inner: Message, policy: Policy) -> bytes:
    """The encoded text the parser read ``inner`` from, as near as it can be written back:
    where a soft line break ("=" at a line's end) cut a header line, the parser took the
    rest for the body and no blank line stood between them, so none is put back."""
    written = inner.as_bytes(policy=policy.clone(max_line_length=0))
    if not inner.keys():  # no header: the generator's blank line, then the body
        return written.removeprefix(b"\n")
    head, _, body = written.partition(b"\n\n")
    no_blank = any(isinstance(d, errors.MissingHeaderBodySeparatorDefect) for d in inner.defects)
    return head + (b"\n" if no_blank else b"\n\n") + body
