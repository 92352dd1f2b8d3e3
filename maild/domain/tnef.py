"""Outlook's winmail.dat (application/ms-tnef): the text and files Exchange wraps in it.

Outlook sending "rich text" through Exchange puts the body and every attached file into
one TNEF part ([MS-OXTNEF]); a mail client without a TNEF reader shows only
"winmail.dat". Pure: bytes in, text and files out; reading stops at the first damaged
attribute and keeps what came before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from maild.domain.filetypes import type_by_extension
from maild.domain.limits import MAX_TNEF_FILES
from maild.domain.rtf import RtfRoom, codec

__all__ = ["Tnef", "TnefFile", "read_tnef"]

SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
# Attribute ids (the low 16 bits; the high 16 are the type).
_BODY, _OEM_CODEPAGE, _MAPI_PROPS, _MESSAGE_CLASS = 0x800C, 0x9007, 0x9003, 0x8008
_ATTACH_RENDDATA, _ATTACH_TITLE, _ATTACH_DATA, _ATTACHMENT = 0x9002, 0x8010, 0x800F, 0x9005
# MAPI properties.
_PR_BODY, _PR_RTF_COMPRESSED, _PR_BODY_HTML, _PR_INTERNET_CPID = 0x1000, 0x1009, 0x1013, 0x3FDE
_PR_ATTACH_DATA, _PR_ATTACH_FILENAME, _PR_ATTACH_LONG_FILENAME = 0x3701, 0x3704, 0x3707
_PR_ATTACH_MIME_TAG, _PR_DISPLAY_NAME, _PR_ATTACH_METHOD = 0x370E, 0x3001, 0x3705
_PR_SUBJECT, _PR_SENDER_NAME, _PR_SENDER_EMAIL, _PR_SENDER_SMTP = 0x0037, 0x0C1A, 0x0C1F, 0x5D01
_PR_MESSAGE_CLASS = 0x001A
OUTLOOK_ITEM = "application/vnd.ms-outlook"  # the MIME type of an item saved (.msg)
_EMBEDDED_MESSAGE = 5  # PR_ATTACH_METHOD of an Outlook item (a mail) attached to the mail
_STRING8, _UNICODE, _BINARY, _OBJECT = 0x001E, 0x001F, 0x0102, 0x000D
_FIXED = {0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4,
          0x000B: 4, 0x0014: 8, 0x0040: 8, 0x0048: 16, 0x0001: 4}  # fmt: skip


@dataclass
class TnefFile:
    name: str | None
    data: bytes = b""
    content_type: str | None = None
    message: bool = False  # an Outlook item attached: its data is a TNEF stream itself


@dataclass
class Tnef:
    text: str = ""  # plain text, or the RTF body's words
    html: str = ""  # an HTML body, when Outlook kept one
    files: list[TnefFile] = field(default_factory=list)
    subject: str = ""
    sender: str = ""  # "Name <address>", as far as Outlook wrote them
    # Outlook items (mails) attached, each read as a winmail.dat of its own (one level:
    # an item inside one stays a file); their files are not in ``files``.
    messages: list[Tnef] = field(default_factory=list)
    cut: bool = False  # MAX_TNEF_FILES left files in it
    # What kind of Outlook item it is (attMessageClass, else PR_MESSAGE_CLASS): IPM.Note
    # for a mail, IPM.Outlook.Recall for «Recall This Message» (domain/recall.py)
    message_class: str = ""


def read_tnef(data: bytes, nested: bool = False, rtf: RtfRoom | None = None) -> Tnef | None:
    """What a winmail.dat holds, or None when ``data`` is no TNEF stream. Its RTF bodies
    and its items' unpack within ``rtf`` (a message's winmail.dat parts share one)."""
    if not data.startswith(SIGNATURE):
        return None
    rtf = rtf or RtfRoom()
    found = Tnef()
    codepage = "cp1252"
    props: dict[int, tuple[int, bytes | int]] = {}
    pos = 6
    while pos + 9 <= len(data):
        level, attr = data[pos], int.from_bytes(data[pos + 1 : pos + 5], "little") & 0xFFFF
        length = int.from_bytes(data[pos + 5 : pos + 9], "little")
        value = data[pos + 9 : pos + 9 + length]
        if len(value) < length:
            break
        pos += 9 + length + 2  # and the checksum
        if attr == _OEM_CODEPAGE and length >= 4:
            codepage = codec(int.from_bytes(value[:4], "little"))
        elif level == 1 and attr == _MESSAGE_CLASS:
            found.message_class = _text(value, _STRING8, "ascii").strip()
        elif level == 1 and attr == _BODY:
            found.text = found.text or _text(value, _STRING8, codepage)
        elif level == 1 and attr == _MAPI_PROPS:
            props = _props(value)
        elif attr == _ATTACH_RENDDATA:
            if len(found.files) >= MAX_TNEF_FILES:
                found.cut = True
                break  # hostile sizes: the message's files stay countable
            found.files.append(TnefFile(None))
        elif level == 2 and found.files:
            _attachment(found.files[-1], attr, value, codepage)
    _message_text(found, props, codepage, rtf)
    # one whose data could not be read is still named to staff, as the customer sent it
    found.files = [f for f in found.files if f.data or f.name or f.message]
    for file in found.files:
        file.content_type = file.content_type or type_by_extension(file.name)
    if not nested:
        _open_items(found, rtf)
    return found


def _open_items(found: Tnef, rtf: RtfRoom) -> None:
    """Each Outlook item attached read as the mail it is (so staff read its text and get
    its files, as of a mail forwarded as an attachment); one that cannot be read stays a
    file, named by the item's name or as a mail. Files in all stay under the cap."""
    kept: list[TnefFile] = []
    room = MAX_TNEF_FILES - len(found.files)
    for file in found.files:
        is_item = file.message or file.data.startswith(SIGNATURE)
        item = read_tnef(file.data, True, rtf) if is_item else None
        if item is None or not (item.text.strip() or item.html.strip() or item.files):
            if is_item:  # named, and typed as the Outlook item (.msg) it is
                file.name = file.name or "Вложенное письмо Outlook"
                file.content_type = file.content_type or OUTLOOK_ITEM
            kept.append(file)
            continue
        item.subject = item.subject or (file.name or "")
        found.cut = found.cut or item.cut or len(item.files) > max(0, room)
        item.files = item.files[: max(0, room)]
        room -= len(item.files)
        found.messages.append(item)
    found.files = kept


def _message_text(found: Tnef, props: dict, codepage: str, rtf: RtfRoom) -> None:
    if _PR_INTERNET_CPID in props and isinstance(props[_PR_INTERNET_CPID][1], int):
        codepage = codec(props[_PR_INTERNET_CPID][1])
    found.subject = _text(*_value(props.get(_PR_SUBJECT, (0, b""))), codepage)
    if not found.message_class:
        found.message_class = _text(*_value(props.get(_PR_MESSAGE_CLASS, (0, b""))), codepage)
    name = _text(*_value(props.get(_PR_SENDER_NAME, (0, b""))), codepage)
    address = _text(
        *_value(props.get(_PR_SENDER_SMTP, props.get(_PR_SENDER_EMAIL, (0, b"")))), codepage
    )
    if "@" not in address:
        address = ""  # an Exchange directory name (/O=ORG/OU=...) tells staff nothing
    found.sender = f"{name} <{address}>" if name and address else name or address
    if not found.text and _PR_BODY in props:
        found.text = _text(*_value(props[_PR_BODY]), codepage)
    if _PR_BODY_HTML in props:
        found.html = _text(props[_PR_BODY_HTML][1], _STRING8, codepage)
    if not found.text and not found.html and _PR_RTF_COMPRESSED in props:
        body = props[_PR_RTF_COMPRESSED][1]
        if isinstance(body, bytes):
            found.text, found.html = rtf.body(body)


def _attachment(file: TnefFile, attr: int, value: bytes, codepage: str) -> None:
    if attr == _ATTACH_TITLE:
        file.name = file.name or _text(value, _STRING8, codepage) or None
    elif attr == _ATTACH_DATA:
        file.data = value
    elif attr == _ATTACHMENT:
        props = _props(value)
        for tag in (_PR_ATTACH_LONG_FILENAME, _PR_DISPLAY_NAME, _PR_ATTACH_FILENAME):
            if tag in props and (name := _text(*_value(props[tag]), codepage)):
                file.name = name  # the long name Outlook shows, not the 8.3 title
                break
        if _PR_ATTACH_MIME_TAG in props:
            file.content_type = _text(*_value(props[_PR_ATTACH_MIME_TAG]), codepage) or None
        method = props.get(_PR_ATTACH_METHOD, (0, 0))[1]
        file.message = method == _EMBEDDED_MESSAGE
        data = props.get(_PR_ATTACH_DATA, (0, b""))[1]
        # an item's attAttachData is only Outlook's note «This attachment is a MAPI 1.0
        # embedded message...»: the item itself (a TNEF stream) is its PR_ATTACH_DATA_OBJ
        if isinstance(data, bytes) and (not file.data or (file.message and data)):
            file.data = data


def _value(prop: tuple[int, bytes | int]) -> tuple[bytes, int]:
    kind, value = prop
    return (value if isinstance(value, bytes) else b""), kind


def _text(value: bytes | int, kind: int, codepage: str) -> str:
    if not isinstance(value, bytes):
        return ""
    if kind == _UNICODE:
        return value.decode("utf-16-le", "replace").split("\0", 1)[0]
    try:
        return value.decode(codepage, "replace").split("\0", 1)[0]
    except LookupError:
        return value.decode("cp1252", "replace").split("\0", 1)[0]


def _props(block: bytes) -> dict[int, tuple[int, bytes | int]]:
    """The MAPI properties of an attMAPIProps or attAttachment block: id -> (type, value)
    (the first value of a multi-valued one); stops at the first damaged property."""
    found: dict[int, tuple[int, bytes | int]] = {}
    count, pos = int.from_bytes(block[:4], "little"), 4
    for _ in range(count):
        if pos + 4 > len(block):
            break
        kind, tag = int.from_bytes(block[pos : pos + 2], "little"), block[pos + 2 : pos + 4]
        prop_id, pos = int.from_bytes(tag, "little"), pos + 4
        if prop_id >= 0x8000:  # a named property: its GUID, then a number or a name
            named_kind = int.from_bytes(block[pos + 16 : pos + 20], "little")
            pos += 24
            if named_kind:
                pos += _padded(int.from_bytes(block[pos - 4 : pos], "little"))
        base, values = kind & 0x0FFF, 1
        if kind & 0x1000 or base in (_STRING8, _UNICODE, _BINARY, _OBJECT):
            values, pos = int.from_bytes(block[pos : pos + 4], "little"), pos + 4
        first: bytes | int | None = None
        for _ in range(min(values, len(block))):
            if pos >= len(block):  # more values claimed than the block holds: damaged,
                pos = len(block) + 1  # and reading on would cost a step per byte to the count
                break
            if base in (_STRING8, _UNICODE, _BINARY, _OBJECT):
                size = int.from_bytes(block[pos : pos + 4], "little")
                item: bytes | int = block[pos + 4 : pos + 4 + size]
                pos += 4 + _padded(size)
            elif base in _FIXED:
                item = int.from_bytes(block[pos : pos + 4], "little")
                pos += _padded(_FIXED[base])
            else:
                return found
            first = item if first is None else first
        if pos > len(block):
            break
        if base == _OBJECT and isinstance(first, bytes):
            first = first[16:]  # an object value starts with its interface id
        if first is not None:
            found.setdefault(prop_id, (base, first))
    return found


def _padded(size: int) -> int:
    return size + (-size % 4)
