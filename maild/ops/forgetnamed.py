"""`maild forget` and the display name the erased person wrote or was written under:
found in the store and the spool before anything is erased, then taken out of the raw
copies of others' mail (domain/forgetnames.py says where a name goes).

The name stands in a header as encoded words (a client's «=?utf-8?b?...?=», in any
charset) or as 8-bit text, and in a text part sent base64, quoted-printable or 8bit,
in the charset the part declares. Its mailbox in an address field is written again
with ERASED; encoded text parts and encoded words elsewhere (a subject) go through
forgetmail as the address does; each 8-bit text part is read in the charset it
declares, and then the whole mail in each charset domain.charset reads 8-bit text in
(EIGHT_BIT: UTF-8, windows-1251, KOI8-R, ISO-8859-5, CP866, mac-cyrillic,
windows-1252), each byte kept that is not the name. Where a charset cannot write
ERASED (latin-1), ERASED_ASCII stands for the name.
"""

from __future__ import annotations

import email.policy
import os
import re
from collections.abc import Iterable
from email.parser import BytesHeaderParser

from maild.app import App
from maild.domain.addresses import comparable_address, getaddresses
from maild.domain.charset import EIGHT_BIT
from maild.domain.forget import ERASED, ERASED_ASCII, mention
from maild.domain.forgetnames import (
    ADDRESS_FIELDS,
    scrub_mailboxes,
    scrub_names,
    with_mailboxes_of,
)
from maild.domain.headblock import as_read
from maild.domain.header_text import decode_compat32
from maild.ops.forgetmail import body_start, plain_texts, scrub_mail
from maild.ops.forgettext import codec_of

_HEADS = BytesHeaderParser(policy=email.policy.compat32)


def names_in(raw: bytes, address: str) -> set[str]:
    """The display names a mail's address fields give `address`."""
    head = _HEADS.parsebytes(as_read(raw))
    values = [decode_compat32(v) for f in ADDRESS_FIELDS for v in head.get_all(f) or []]
    mine = comparable_address(address)  # its domain in either spelling
    return {name for name, addr in getaddresses(values) if comparable_address(addr) == mine}


def known_names(app: App, address: str, tids: Iterable[str]) -> set[str]:
    """The person's display names, before the erasure: their ticket's (the From of the
    mail that opened it), and those beside their address in the mail of the tickets
    that name them and in the mail waiting in the spool (spool/new, spool/bad)."""
    names: set[str] = set()
    keys = []
    for tid in tids:
        loaded = app.store.load(tid)
        if loaded is None:
            continue
        ticket, messages = loaded
        if comparable_address(ticket.get("requester") or "") == comparable_address(address):
            names.add(ticket.get("requester_name") or "")
        keys += [key for m in messages if (key := m.get("spool_key"))]
    paths = [app.spool.path(k) for k in keys]
    for folder in ("new", "bad"):
        paths += [app.spool.root / folder / k for k in sorted(os.listdir(app.spool.root / folder))]
    finds = mention(address)
    for path in paths:
        try:
            raw = path.read_bytes() if path is not None else b""
        except FileNotFoundError:  # processed, or erased, meanwhile
            continue
        if finds.in_bytes(raw):
            names |= names_in(raw, address)
    return names


def scrub_named(raw: bytes, named: re.Pattern[str] | None) -> bytes:
    """A raw copy of another's mail, whose address of the person is the placeholder
    already, without their name: in its address fields' mailboxes, in encoded text
    parts and words (forgetmail), and in its 8-bit bytes (EIGHT_BIT)."""
    start = body_start(raw, 0)
    head = scrub_mailboxes(raw[:start]) if start else b""
    raw = head + raw[start:]
    if named is None:
        return raw

    def text(part: bytes) -> bytes:  # a text part's content, decoded, as UTF-8
        return _erase(part, named, "utf-8")

    raw = _erase_8bit(scrub_mail(raw, text, named, ERASED), named)
    start = body_start(raw, 0)
    return with_mailboxes_of(head, raw[:start]) + raw[start:] if start else raw


def _erase_8bit(raw: bytes, named: re.Pattern[str]) -> bytes:
    """The name taken out of a mail's 8-bit bytes: first each text part sent as it
    is, read in the charset it declares (the placeholder written in that charset: a
    Latin name in a windows-1251 part found by the UTF-8 pass had it in UTF-8
    there), then the whole mail in each EIGHT_BIT charset (its header, a part that
    declares no charset or a wrong one). A name's bytes in one of those are no text
    of another (a UTF-8 «Иван» read as windows-1251 is «Р�РІР°РЅ»); ASCII bytes read
    the same in all of them, so a mail of ASCII alone is read once."""
    pieces, at = [], 0
    for start, end, charset in plain_texts(raw):
        codec = codec_of(charset)
        if codec is None or codec == "ascii" or not _same_bytes(raw[start:end], codec):
            continue
        pieces += [raw[at:start], _erase(raw[start:end], named, codec)]
        at = end
    raw = b"".join(pieces) + raw[at:]
    for codec in EIGHT_BIT[:1] if raw.isascii() else EIGHT_BIT:
        raw = _erase(raw, named, codec)
    return raw


def _same_bytes(data: bytes, codec: str) -> bool:
    """Whether text in `codec` is its bytes read and written again the same (not a
    stateful or multi-byte codec that reads them otherwise)."""
    try:
        return data.decode(codec, "surrogateescape").encode(codec, "surrogateescape") == data
    except (UnicodeError, LookupError):
        return False


def _erase(data: bytes, named: re.Pattern[str], codec: str) -> bytes:
    """`data` read in `codec` (its other bytes kept as they are), the names ERASED
    (ERASED_ASCII where `codec` cannot write ERASED; as it was if it cannot either)."""
    text = data.decode(codec, "surrogateescape")
    for placeholder in (ERASED, ERASED_ASCII):
        new, n = scrub_names(text, named, placeholder)
        if not n:
            return data
        try:
            return new.encode(codec, "surrogateescape")
        except UnicodeError:
            continue
    return data
