"""Walk a parsed MIME tree: the sender's text, the files attached, what a report says.

Works on the email package's compat32 tree with header values kept raw (RAW_POLICY):
charset and header decoding are domain.charset's and domain.header_text's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from email.message import Message

from maild.domain import limits, logos, recode
from maild.domain.datauri import data_images
from maild.domain.encodedmulti import open_encoded_multiparts
from maild.domain.filetypes import sanitize_filename
from maild.domain.flowed import unflow
from maild.domain.forwards import heading, open_encoded_messages
from maild.domain.header_text import filename_of
from maild.domain.html import html_to_text, meta_charset
from maild.domain.htmlbulk import SIMPLIFIED
from maild.domain.inlinepgp import ENCRYPTED_NAME, read_inline
from maild.domain.mimeleaves import in_forwards, leaves
from maild.domain.partread import RAW_POLICY, content_type, header_of, param, payload
from maild.domain.pgpkey import sent_key
from maild.domain.placeholders import cid_of, name_pictures
from maild.domain.reports import STATUS_TYPES, Reports
from maild.domain.richtext import enriched_to_text
from maild.domain.room import Room
from maild.domain.smime import open_signed
from maild.domain.textleaves import (
    RTF,
    TextGroup,
    alternative_of,
    disposition,
    leaf_kind,
    parents_of,
)
from maild.domain.tnef import Tnef, read_tnef
from maild.domain.uufiles import uu_files

__all__ = ["RAW_POLICY", "Body", "RawAttachment", "content_type", "header_of", "read_body"]


@dataclass(frozen=True)
class RawAttachment:
    filename: str | None
    content_type: str
    data: bytes
    # An image the HTML body shows in place (a Content-ID, not "attachment"), as a
    # signature's logo is sent, and a screenshot pasted into the text.
    embedded: bool = False
    # Where the text shows it (logos.TEXT, SIGNATURE, QUOTE); None: nowhere it can tell.
    place: str | None = None
    # Sent in the letter's own place, not attached beside its text (_Reader.in_letters_place):
    # encrypted, it is the letter itself (domain.encrypted).
    letter: bool = False


def is_logo(attachment: RawAttachment) -> bool:
    """A signature's logo, no file of the letter: a small image shown in place in the
    writer's signature or in the quoted mail, never one in the text (logos.is_logo_place)."""
    return attachment.embedded and logos.is_logo_place(attachment.place, len(attachment.data))


# The multiparts whose part is the letter's body, not a file beside it (RFC 1847).
_LETTER_BODIES = ("multipart/encrypted", "multipart/signed")


_FORWARD_FIELDS = (("От", "from"), ("Дата", "date"), ("Тема", "subject"), ("Кому", "to"))


def forwarded_heading(inner: Message) -> str:
    """Who sent a mail forwarded as an attachment (message/rfc822), when, and about what:
    its text follows the customer's own, and without this staff could not tell where
    the customer's words end, nor whose mail it was."""
    return heading([(label, header_of(inner, name)) for label, name in _FORWARD_FIELDS])


def _outlook_item(item: Tnef) -> str:
    """An Outlook item in a winmail.dat, read as a forward: its heading, then its text."""
    return heading([("От", item.sender), ("Тема", item.subject)]) + "\n" + _tnef_text(item)


def _tnef_text(tnef: Tnef) -> str:
    """A winmail.dat's (or an Outlook item's) text: its plain body, else its HTML's."""
    return TextGroup([tnef.text], [tnef.html] if tnef.html else []).render()


def _unwrapped(
    part: Message,
    ctype: str,
    filename: str | None,
    attachments: list[RawAttachment],
    room: Room,
) -> tuple[Tnef | None, str]:
    """A winmail.dat read: its files added to ``attachments``; None when ``part`` is
    none or holds nothing readable (then it stays a file, and staff see it named). Its
    files and RTF come out within ``room``, the message's (all its parts together).
    Beside it, the item's class (Tnef.message_class; "" for no winmail.dat): a recall
    request's holds nothing readable, yet says what it is."""
    if ctype != "application/ms-tnef" and (filename or "").lower() != "winmail.dat":
        return None, ""
    tnef = read_tnef(payload(part), rtf=room.rtf)
    kind = tnef.message_class if tnef is not None else ""
    if tnef is None or not (tnef.text.strip() or tnef.html.strip() or tnef.files or tnef.messages):
        return None, kind
    files = [*tnef.files, *(f for item in tnef.messages for f in item.files)]
    attachments.extend(
        room.take([RawAttachment(f.name, f.content_type or "application/octet-stream", f.data)
                   for f in files], more=tnef.cut)
    )  # fmt: skip
    return tnef, kind


def _pictures_in(html: str, room: Room, first: int) -> tuple[str, list[tuple[str, RawAttachment]]]:
    """The pictures an HTML body holds as data: URIs, as the files they are: shown in
    place like a Content-ID image, so marked embedded, each with the Content-ID it is
    given (numbered from ``first``); and the HTML that shows each so (<img src="cid:">)."""
    allowed = min(limits.MAX_DATA_IMAGES, max(0, room.files))
    html, found, more = data_images(html, allowed, first)
    return html, room.take(
        [(p.cid, RawAttachment(p.name, p.content_type, p.data, True)) for p in found], more=more
    )


@dataclass(frozen=True)
class Body:
    """What a message's MIME tree holds besides its headers."""

    text: str  # the text leaves joined (HTML only where an alternative has no plain)
    attachments: tuple[RawAttachment, ...]
    delivery_status: str | None  # the fields of a bounce or read receipt, as text
    reported_message_id: str | None  # the original a report returns
    charset_doubt: str | None  # why the text's charset may be wrong (domain.recode)
    problem: str | None  # the first part that could not be read
    receipt: bool = False  # a read receipt: the report says a mail was read, not lost
    # Outlook's class of the letter, from its own winmail.dat (tnef.Tnef.message_class:
    # IPM.Outlook.Recall for a recall request); "" without one
    message_class: str = ""


def read_body(msg: Message, codec: str | None = None, signer: str = "") -> Body:
    """Text leaves, attachments and report parts of `msg`; an unreadable part is
    skipped (and named in `problem`), never fatal. ``codec`` (staff's `#charset`) reads
    every text part in that charset, whatever its label says. ``signer``: the From's
    name, whose line under the text starts the writer's signature (logos.places)."""
    reports = Reports()
    open_encoded_multiparts(msg, RAW_POLICY)  # (a multipart sent base64: its parts)
    open_encoded_messages(msg, RAW_POLICY)
    signed = open_signed(msg, RAW_POLICY)  # S/MIME opaque-signed: the letter it signs
    msg, problem = signed.root, signed.problem
    reader = _Reader(msg, codec, parents_of(msg), mails=signed.mails)
    for part in leaves(msg, reports.originals):
        try:
            reader.leaf(part, reports)
        except Exception as e:  # one broken part must not hide the rest of the mail
            problem = problem or f"unreadable part: {type(e).__name__}: {e}"
    attachments, pictures = reader.placed(signer)
    in_text = {cid for i, cid in reader.shown if attachments[i].place == logos.TEXT}
    texts = [g.render(in_text) for g in reader.groups.values()]
    text, delivery_status = _joined(texts, reader.wrapped, reports.statuses, pictures)
    problem = problem or reader.room.problem()
    if problem is None and any(g.in_bulk() for g in reader.groups.values()):
        problem = SIMPLIFIED  # the text staff read lacks links' targets, quote marks
    return Body(
        text, tuple(attachments), delivery_status, reports.message_id, reader.doubt, problem,
        receipt=bool(reports.receipts), message_class=reader.message_class,
    )  # fmt: skip


@dataclass
class _Reader:
    """What read_body gathers from a message's leaves, in document order."""

    msg: Message
    codec: str | None
    parents: dict[int, Message]
    groups: dict[int, TextGroup] = field(default_factory=dict)  # by first text leaf
    attachments: list[RawAttachment] = field(default_factory=list)
    pictures: dict[str, str] = field(default_factory=dict)  # Content-ID -> file name
    shown: list[tuple[int, str]] = field(default_factory=list)  # embedded: (index, cid)
    doubt: str | None = None
    wrapped: list[Tnef] = field(default_factory=list)  # winmail.dat: its text where no other
    room: Room = field(default_factory=Room)  # hostile sizes: what all parts carry out
    mails: dict[int, Message] = field(default_factory=dict)  # smime.Opened.mails
    in_forwards: set[int] | None = None  # ids of parts in a forwarded mail, when asked
    message_class: str = ""  # the letter's winmail.dat's (Body.message_class)

    def leaf(self, part: Message, reports: Reports) -> None:
        ctype = content_type(part)
        if ctype in STATUS_TYPES:
            reports.add(part, ctype)
        elif ctype == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)  # a signed letter: the headers are its mail's
            shown = self.mails.get(id(inner), inner) if isinstance(inner, Message) else part
            self.groups[id(part)] = TextGroup(plain=[forwarded_heading(shown)])
        elif (kind := leaf_kind(part, self.msg, ctype, self.parents)) == "text":
            self._text(part, ctype)
        elif kind == "rich":
            self._rich(part, ctype)
        elif kind is None:
            self._file(part, ctype)

    def _group(self, part: Message) -> TextGroup:
        return self.groups.setdefault(alternative_of(part, self.parents), TextGroup())

    def _text(self, part: Message, ctype: str) -> None:
        text, unsure = _read_text(part, ctype, self.codec)
        if ctype == "text/plain":
            text = self._plain(part, text)
        elif ctype == "text/html":
            text = self._html(text)
        group = self._group(part)
        (group.html if ctype == "text/html" else group.plain).append(text)
        self.doubt = self.doubt or unsure

    def _html(self, html: str) -> str:
        """An HTML text whose data: pictures are files of the message, each then shown
        in it as a Content-ID picture is (so its place is told, and its mark kept)."""
        html, found = _pictures_in(html, self.room, len(self.shown))
        for cid, picture in found:
            self.shown.append((len(self.attachments), cid))
            self.pictures[cid] = picture.filename or ""
            self.attachments.append(picture)
        return html

    def _plain(self, part: Message, text: str) -> str:
        """A plain text as typed: inline PGP read out of its armour (domain.inlinepgp),
        an encrypted block kept as the file PGP/MIME sends it as, the letter's own unless
        in a forwarded mail (domain.encrypted asks for it without encryption); files
        uuencoded in it taken out as files (domain.uufiles); then unflowed, as signed
        (RFC 3676 §4.6), the uuencode lines (which may end in a space) gone first."""
        inline = read_inline(text)
        own = bool(inline.encrypted) and not self.forwarded(part)  # the letter's text
        self.attachments.extend(self.room.take([
            RawAttachment(ENCRYPTED_NAME, "application/pgp-encrypted", block.encode(), letter=own)
            for block in inline.encrypted
        ]))  # fmt: skip
        text, found, more = uu_files(inline.text, min(limits.MAX_UU_FILES, max(0, self.room.files)))
        self.attachments.extend(self.room.take([RawAttachment(*f) for f in found], more=more))
        if param(part, "format") == "flowed":
            return unflow(text, delsp=param(part, "delsp") == "yes")
        return text

    def _rich(self, part: Message, ctype: str) -> None:
        if ctype in RTF:  # the words, or those of the HTML it wraps (domain.rtf)
            text, html = self.room.rtf.read(payload(part))
            text = text if text.strip() else html_to_text(html)
        else:
            raw, unsure = _read_text(part, ctype, self.codec)
            text = enriched_to_text(raw, richtext=ctype == "text/richtext")
            self.doubt = self.doubt or unsure
        self._group(part).rich.append(text)

    def _file(self, part: Message, ctype: str) -> None:
        filename = filename_of(part)
        tnef, kind = _unwrapped(part, ctype, filename, self.attachments, self.room)
        if kind and not self.message_class and not self.forwarded(part):  # the letter's own
            self.message_class = kind
        if tnef is not None:
            self.wrapped.append(tnef)
            return
        data = payload(part)
        if sent_key(filename, ctype, data):  # no file the sender chose (domain.pgpkey)
            return
        cid = cid_of(part.get("content-id"))
        embedded = (
            ctype.startswith("image/")
            and disposition(part) != "attachment"
            and part.get("content-id") is not None
        )
        if embedded and cid:
            self.shown.append((len(self.attachments), cid))
        letter = self.in_letters_place(part)
        self.attachments.append(RawAttachment(filename, ctype, data, embedded, letter=letter))
        if filename and cid:  # for Outlook's [cid:...]
            self.pictures.setdefault(cid, sanitize_filename(filename))

    def in_letters_place(self, part: Message) -> bool:
        """Whether a file part stands where the letter's text would: the mail's whole
        body (S/MIME's smime.p7m at the root), or the body of a multipart/encrypted (PGP/
        MIME's encrypted.asc) or of a multipart/signed, not in a mail forwarded in it. A
        file attached beside a text, in a multipart/mixed, is none."""
        if part is self.msg:
            return True
        parent = self.parents.get(id(part))
        if parent is None or content_type(parent) not in _LETTER_BODIES:
            return False
        return not self.forwarded(part)

    def forwarded(self, part: Message) -> bool:
        """Whether ``part`` is in a mail forwarded as an attachment (message/rfc822):
        its text and body are that mail's, not the sender's letter. The parts under a
        message/* are found once per mail (a part's depth is the sender's to choose)."""
        if self.in_forwards is None:
            self.in_forwards = in_forwards(self.msg)
        return id(part) in self.in_forwards

    def placed(self, signer: str) -> tuple[list[RawAttachment], dict[str, str]]:
        """The attachments, each picture shown in place with where the text shows it
        (logos.places), and the file names of the pictures whose marks the text keeps:
        a logo's mark goes with it, the letter carries no such file."""
        if not self.shown:
            return self.attachments, self.pictures
        try:
            text = "\n".join(g.marked() for g in self.groups.values())
            signed = [n for g in self.groups.values() for n in g.signed()]
            where = logos.places(text, [signer, *signed])
        except Exception:  # no place known: each judged as if the text showed it nowhere
            where = {}
        files = list(self.attachments)
        for i, cid in self.shown:
            files[i] = replace(files[i], place=where.get(cid))
        gone = {cid for i, cid in self.shown if is_logo(files[i])}
        return files, {c: n for c, n in self.pictures.items() if c not in gone}


def _read_text(part: Message, ctype: str, codec: str | None) -> tuple[str, str | None]:
    """A text leaf decoded, and why its charset may be wrong; in ``codec`` when staff
    named one (then no doubt is left). Its label: Content-Type's, else, for HTML, its own
    <meta> tag's (a declared charset is not reported to staff as a guess). A plain one
    is read on by _Reader._plain."""
    data, label = payload(part), part.get_content_charset()
    if label is None and ctype == "text/html":
        label = meta_charset(data)
    if codec is not None:
        return data.decode(codec, "replace"), None
    return recode.read_text(data, label)


def _joined(
    texts: list[str],
    wrapped: list[Tnef],
    statuses: list[str],
    pictures: dict[str, str],
) -> tuple[str, str | None]:
    """(the text staff read, Outlook's picture marks named; the report's fields): the
    text leaves, else winmail.dat's text, else, for a bare report, its fields (all staff
    can read of it)."""
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        text = "\n".join(_tnef_text(t) for t in wrapped)
    items = [_outlook_item(item) for t in wrapped for item in t.messages]  # always: not a copy
    text = "\n".join(t for t in [text, *items] if t.strip())
    delivery_status = "\n\n".join(statuses) if statuses else None
    if not text.strip() and delivery_status:
        text = delivery_status
    return name_pictures(text, pictures), delivery_status
