"""What a posted form becomes: a raw RFC 5322 message for the spool, so a reply,
a rating or a new request from the site goes through the same pipeline as mail
(threading, deadlines, staff notices, acknowledgements: one code path).

Also the form's limits: field sizes, the per-IP and per-address submission
limit, and the «Задать вопрос» submissions waiting for their address to be
confirmed (kept in storage/web/pending until the link is opened).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from maild import mime
from maild.adapters.durable import write_atomic
from maild.adapters.sitepending import sweep
from maild.domain.addresses import a_labelled, a_labelled_domain
from maild.domain.bidi import INVISIBLE_FORMATS, without_bidi_controls
from maild.domain.knownfiles import SITE, SOURCE_FIELD
from maild.domain.longtext import MAX_MAILED_TEXT
from maild.domain.records import MessageRecord
from maild.domain.tid import tag

# Characters of a message typed or pasted on the site (the textarea's maxlength: the
# browser cuts a longer paste without a word): what mail to staff and the page show
# of a text, so a pasted log arrives whole; longer ones go as a ZIP.
MAX_TEXT = MAX_MAILED_TEXT
MAX_SUBJECT = 200
MAX_NAME = 100
MAX_FILES = 10  # files of one post: more are refused with TOO_MANY_FILES, none dropped
TOO_MANY_FILES = (
    f"За один раз можно приложить не больше {MAX_FILES} файлов. Отправьте, пожалуйста, "
    "часть файлов, а остальные — следующим сообщением."
)
NO_TEXT = "(без текста)"  # the text of a post of files alone
MAX_FILENAME = 200  # characters of an uploaded file's name


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


# What a typed field loses; all else arrives as typed: Unicode spaces (U+00A0 in
# «10 000 руб.», U+202F, U+2009), the joiners and variation selectors that make one
# emoji of several, and characters this Python's Unicode database does not know yet
# (a phone's newest emoji). Lost are C0 and C1 control characters but tab and line
# breaks (a terminal's escape sequences, NUL), lone surrogates (no UTF-8 holds them:
# the message could not be written) and the invisible format characters but ZWJ,
# ZWNJ and the emoji tags: bidi overrides and isolates make a text or a file name
# display other than it reads («…gpj.exe» shown as «…exe.jpg»: domain/bidi.py, as
# mail loses them); zero-width spaces, word joiners, a BOM and the soft hyphen only
# hide a word from search. A typed field loses the bidi marks too (LRM, RLM, ALM),
# which mail keeps.
_DROPPED = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\u061c\u200e\u200f"
    f"{INVISIBLE_FORMATS}]"  # (as a name or a subject of mail loses them: domain/bidi.py)
)
# the line breaks but "\n" (those str.splitlines breaks at, but the separators of
# files, groups and records): a browser sends CRLF, a pasted text may hold the others
_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def _typed(value: str, most: int) -> str:
    """The first `most` characters of `value` as typed: line breaks "\n", _DROPPED
    gone. Cut before anything else and filtered by two regexes in C, so a field of
    megabytes (the body's cap is 26 MB) costs the event loop a scan in C of `most`
    characters, no Python object per character (bench/FINDINGS.md 50)."""
    return without_bidi_controls(_DROPPED.sub("", _BREAKS.sub("\n", value[:most])))


def clean_line(value: str, limit: int) -> str:
    """One line of a form field: no control characters, no line breaks (they would
    become header injection in the spooled message), at most `limit` characters. A
    line's spaces are normalised (runs folded, ends trimmed): a Unicode space there
    becomes one plain space, as it always did, so a name, a subject or a file name
    reads and is found in staff's mail as if typed with the space bar (its words are
    what one searches by; a text keeps its spaces: clean_text). Read up to twice
    `limit`: a browser sends `limit` at most (the input's maxlength)."""
    return " ".join(_typed(value, 2 * limit).split())[:limit]


def clean_text(value: str) -> str:
    """A message as typed (see _DROPPED), its spaces untouched (a no-break space keeps
    «10 000» on one line in mail and on the page), at most MAX_TEXT characters. Read
    up to twice that: the textarea's maxlength counts a line break once, which a
    browser sends as CRLF."""
    return _typed(value, 2 * MAX_TEXT)[:MAX_TEXT]


def typed_text(form: Any) -> str:
    """What a posted form's message field holds, cleaned (clean_text) and stripped."""
    return clean_text(str(form.get("text", ""))).strip()


def sender(name: str, address: str) -> tuple[str, str]:
    """The From of a form's message as (name, address), never a formatted string to
    parse again: formataddr's encoded word of a name like 'Мария "Q" <x@evil.example>'
    came out as a second mailbox ahead of the confirmed address, which then no
    longer was who the request is from. An address the email package cannot hold
    with a name (non-ASCII local part) goes without the name: the name is only
    decoration."""
    if not name:
        return "", address
    try:
        Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError):  # email.errors' defects are ValueErrors
        return "", address
    return name, address


def compose(
    *,
    support: str,
    from_addr: str,
    from_name: str,
    subject: str,
    text: str,
    files: list[Upload],
    nonce: str,
    now: datetime,
    tid: str | None = None,
    authserv_id: str | None = None,
    replying_to: str | None = None,
) -> tuple[bytes, str]:
    """The raw message and its Message-ID (made from the form's nonce: the same
    form sent twice is one message, which the pipeline stores once). `replying_to`:
    the Message-ID of the last message the page showed, which a post answers as a
    mail client's reply would (robots.answered: a post naming nothing answered our
    acknowledgement of the post before it, and the third in five minutes made the
    customer a robot whose mail staff no longer heard of). `support`: the address
    it goes to, support's own or a reply address of it (a ticket's post: signed for
    its writer, which proves them as a reply to our mail does). `now`: its Date, a
    time fixed for the post (a ticket form's token's), as the nonce is: the pipeline
    knows the same mail again by its Message-ID and Date (domain/maildigest.py)."""
    # support's own address and domain in A-labels (a desk at поддержка.рф): the
    # email package writes no 8-bit header, and mail's ids and addresses are ASCII
    domain = a_labelled_domain(support.rsplit("@", 1)[1])
    msg = EmailMessage(policy=SMTP)
    if authserv_id:  # the address was proven by a link only its mailbox received
        msg["Authentication-Results"] = (
            f"{authserv_id}; dkim=pass header.d={from_addr.rsplit('@', 1)[1]} "
            "(maild web: address confirmed by a signed link)"
        )
    msg["To"] = a_labelled(support)
    msg["Date"] = format_datetime(now)
    message_id = f"<web.{nonce}@{domain}>"
    msg["Message-ID"] = message_id
    msg[SOURCE_FIELD] = SITE  # its files are the ones picked, none carried back
    if replying_to:
        msg["In-Reply-To"] = msg["References"] = replying_to
    msg.set_content(text or NO_TEXT, charset="utf-8")
    for f in files:
        maintype, _, subtype = (f.content_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            f.data, maintype=maintype, subtype=subtype or "octet-stream", filename=f.filename
        )
    # From and Subject written by mime.py's folder: the stdlib's lost a space between
    # two encoded words of a long Cyrillic subject and put one inside a word of a
    # long name («Оченьдлинная тема»); mime.py's reads back exactly (its unit tests)
    head = mime.mailbox_field("From", [sender(from_name, from_addr)])
    head += mime.header_line("Subject", f"{subject} {tag(tid)}" if tid else subject)
    fields, blank, body = msg.as_bytes().partition(b"\r\n\r\n")  # after the rest: a
    return fields + b"\r\n" + head + blank[2:] + body, message_id  # trusted A-R stays on top


def one_post(nonce: str, action: str, text: str, files: list[Upload]) -> str:
    """What a post's Message-ID is made of: the form's nonce and what the post says. The
    same form sent twice is one message; sent again saying something else (Firefox keeps
    a page's hidden form token on going back: a second reply, or a rating's page, back,
    then «Открыть обращение снова») it is another, where the nonce alone made it the
    first one again, dropped by the pipeline while the page said it was added."""
    return nonce + content_digest(f"{action}\0{text}", files)[:16]


def content_digest(words: str, files: list[Upload]) -> str:
    """What a post or a request says (`words`, and its files by name, type and bytes),
    as a hex digest: sent again unchanged it is known by it."""
    h = hashlib.sha256(words.encode("utf-8", "surrogatepass"))
    for f in files:
        h.update(f"\0{f.filename}\0{f.content_type}\0{len(f.data)}\0".encode())
        h.update(f.data)
    return h.hexdigest()


SENT_WITHIN = timedelta(minutes=15)


def sent_just_now(
    messages: list[MessageRecord],
    address: str,
    text: str | None,
    files: list[Upload],
    now: datetime,
) -> bool:
    """Whether the ticket's last message, a customer's or a staff answer, is this very
    reply of `address` within SENT_WITHIN (its text, its files' names and sizes). Back
    from the page after a reply, Chrome loads the form again with the text still typed
    in it (a new form token): «Отправить» once more, thinking it had not gone, sent
    staff the same message twice. The same words after a staff answer («Да» to a new
    question) are a new reply."""
    said = (m for m in reversed(messages) if m.get("kind") in ("customer", "staff"))
    last = next(said, None)
    if last is None or last.get("kind") != "customer" or last.get("from") != address:
        return False
    if not last.get("received_at"):
        return False
    if now - datetime.fromisoformat(last["received_at"]) > SENT_WITHIN:
        return False
    had = sorted(
        (a.get("filename") or "", int(a.get("size") or 0)) for a in last.get("attachments") or ()
    )
    return (last.get("text") or "").strip() == ((text or "").strip() or NO_TEXT) and had == sorted(
        (f.filename, len(f.data)) for f in files
    )


class Pending:
    """«Задать вопрос» submissions waiting for the click on the confirmation link:
    <id>.eml (the message to spool) and <id>.json (address, subject, state)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, sub_id: str, ext: str) -> Path:
        if not sub_id.isalnum():
            raise KeyError(sub_id)
        return self.root / f"{sub_id}.{ext}"

    def add(self, sub_id: str, meta: dict[str, Any], raw: bytes) -> None:
        self._sweep()
        write_atomic(self._path(sub_id, "eml"), raw)
        write_atomic(self._path(sub_id, "json"), json.dumps(meta).encode())

    def meta(self, sub_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(sub_id, "json").read_bytes())
        except (KeyError, OSError, ValueError):
            return None

    def written(self, sub_id: str) -> float:
        """When the submission's record was last written (Unix time), 0 if it is gone."""
        try:
            return self._path(sub_id, "json").stat().st_mtime
        except (KeyError, OSError):
            return 0.0

    def raw(self, sub_id: str) -> bytes:
        return self._path(sub_id, "eml").read_bytes()

    def confirmed(self, sub_id: str, meta: dict[str, Any]) -> None:
        """The message is in the spool: keep only what finds its ticket later."""
        write_atomic(self._path(sub_id, "json"), json.dumps(meta).encode())
        self._path(sub_id, "eml").unlink(missing_ok=True)

    def drop(self, sub_id: str) -> None:
        """Forget a submission whose letter did not go (a cap held it)."""
        for ext in ("eml", "json"):
            self._path(sub_id, ext).unlink(missing_ok=True)

    def _sweep(self) -> None:
        """Forget submissions older than their links (a cheap pass per new one; the
        scheduler's job does the same on a quiet site: adapters/sitepending.py)."""
        sweep(self.root, time.time())


log = logging.getLogger("maild.web")

# web.idle_timeout: seconds a request's body may send nothing (server.application)
BODY_IDLE = web.AppKey("body_idle", int)


async def _unless_stalled(request: web.Request, idle: float) -> Any:
    """request.post(), given up (408) once its body sends nothing for `idle` seconds:
    a client sending half a body and then nothing held its connection and handler for
    good. A slow upload that goes on (a phone sending 25 MB) is not cut; one idle
    between idle and twice idle seconds is."""
    reading = asyncio.ensure_future(request.post())
    seen = request.content.total_bytes
    try:
        while True:
            done, _ = await asyncio.wait({reading}, timeout=idle)
            if done:
                return reading.result()
            if request.content.total_bytes == seen:
                log.info("web %s: the body sent nothing for %ss, given up", request.method, idle)
                raise web.HTTPRequestTimeout()
            seen = request.content.total_bytes
    finally:
        reading.cancel()


async def read_form(request: web.Request) -> Any:
    """The posted form. A body that is no form (multipart with folded part headers,
    or a part typed multipart/* without a boundary) is the client's error: 400,
    where aiohttp's exceptions from request.post() made it a 500 with a traceback.
    So is a file in any field but `files`: the message field sent as a file was
    stored as the text of its Python object, a memory address included; and a
    `files` part that is no file."""
    try:
        form = await _unless_stalled(request, request.app.get(BODY_IDLE, 30))
    # AssertionError: a "_charset_" field (HTML's, naming the form's charset) read by
    # aiohttp in chunks shorter than a browser's boundary: its assert failed, a 500;
    # LookupError: a part or body typed with a charset Python does not know;
    # RuntimeError: aiohttp's multipart reader on a part's unknown Content-Transfer-
    # Encoding (x-uuencode); RequestPayloadError: a body whose Content-Encoding does
    # not decode (deflate that is not): each was a 500 and a traceback in the log
    except (
        HttpProcessingError,
        ValueError,
        AssertionError,
        LookupError,
        RuntimeError,
        web.RequestPayloadError,
    ) as e:
        raise web.HTTPBadRequest() from e
    if any(isinstance(v, web.FileField) for k, v in form.items() if k != "files"):
        raise web.HTTPBadRequest()
    # a file whose name aiohttp cannot read (filename*= of bytes that are no UTF-8) comes
    # as text: it was dropped without a word, and the page said all was added
    if any(v and not isinstance(v, web.FileField) for v in form.getall("files", [])):
        raise web.HTTPBadRequest()
    return form


# A part's type as the browser gave it, if it is one plain "type/subtype" token
# (RFC 2045) that a leaf part may carry; else application/octet-stream (the
# pipeline looks at the bytes anyway)
_PART_TYPE = re.compile(r"^(?!multipart/|message/)[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")


def too_many(form: Any) -> str | None:
    """The refusal of a post of more files than MAX_FILES: sent without some of them,
    the page would say all was added. Counted by name, none read (the form's
    limits come first)."""
    names = [f for f in form.getall("files", []) if isinstance(f, web.FileField) and f.filename]
    return TOO_MANY_FILES if len(names) > MAX_FILES else None


def uploads(form: Any) -> list[Upload]:
    """The files of a form (empty file inputs left out), names without paths; all of
    them (the body's size is capped), so that too_many sees each one.
    A name is one clean line: filename*= brings percent-decoded CR/LF, which the
    email package refuses in a header (the post was a 500, the message lost)."""
    out = []
    for f in form.getall("files", []):
        if not isinstance(f, web.FileField):
            continue
        data = f.file.read()
        name = (f.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        name = clean_line(name, MAX_FILENAME)
        if not data and not name:
            continue
        ctype = (f.content_type or "").split(";", 1)[0].strip().lower()
        ctype = ctype if _PART_TYPE.match(ctype) else "application/octet-stream"
        out.append(Upload(name or "file", ctype, data))
    return out
