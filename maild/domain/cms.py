"""The letter inside an S/MIME opaque-signed mail (application/pkcs7-mime,
smime-type=signed-data: RFC 8551 §3.5.2): the content of its CMS SignedData (RFC 5652),
read from the DER or BER bytes without any key. The signature is not checked.

A small reader of ASN.1's tag-length-value encoding (X.690) that goes only where
ContentInfo → SignedData → encapContentInfo → eContent leads and walks past the rest
(certificates, signer infos). BER is read as well as DER: an element of open length,
closed by an end-of-contents mark (`openssl cms -stream`, Outlook's streaming), and the
content as an OCTET STRING cut in chunks, chunks in chunks too.

Pure, and bounded for hostile bytes: nesting deeper than MAX_DEPTH and more than
MAX_ELEMENTS elements are refused; the reader passes over each element once and jumps
a definite length without reading into it, so the time is linear in the input's size;
the content gathered is never larger than the input. Whatever the bytes, the only
exception is CmsError.
"""

from __future__ import annotations

__all__ = [
    "ENCRYPTED", "MAX_DEPTH", "MAX_ELEMENTS", "P7M_TYPES", "SIGNED", "CmsError", "NoContent",
    "kind", "signed_content",
]  # fmt: skip

MAX_DEPTH = 32  # elements inside elements (the content lies 6 to 8 deep; chunks add a few)
# Elements read in all. A real signed mail has a few hundred besides its content's chunks,
# which are 1 KB or more (openssl's are 4 KB): 200,000 of them carry 200 MB.
MAX_ELEMENTS = 200_000

# the MIME types of a CMS object that is a letter (RFC 8551 §3.2), smime.p7m
P7M_TYPES = frozenset(("application/pkcs7-mime", "application/x-pkcs7-mime"))

SIGNED = "signed"  # kind(): a SignedData, whose content signed_content() gives
ENCRYPTED = "encrypted"  # kind(): any other content type: EnvelopedData, ...

# tags as (class and number): the identifier octet without its "constructed" bit
_INTEGER, _OCTETS, _OID, _SEQUENCE, _SET = 0x02, 0x04, 0x06, 0x10, 0x11
_EXPLICIT_0 = 0xA0 & ~0x20  # [0], context-specific
_END_OF_CONTENTS = b"\x00\x00"
# the object identifiers' encoded values (after 06 09)
_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
_DATA = bytes.fromhex("2a864886f70d010701")  # 1.2.840.113549.1.7.1


class CmsError(ValueError):
    """The bytes are no SignedData that can be read; the message says why (for staff)."""


class NoContent(CmsError):
    """A whole SignedData that carries no content: a detached signature, or certificates
    alone (smime-type=certs-only). Nothing was cut or lost: there is no letter in it."""


class _Reader:
    """The input and how many elements have been read of it (MAX_ELEMENTS)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.elements = 0

    def header(self, pos: int, limit: int | None) -> tuple[int, bool, int, int | None]:
        """(tag, constructed, where the content starts, its length: None when open) of
        the element at ``pos``, which must end by ``limit`` (None: the content may run
        past the bytes at hand, for kind())."""
        data = self.data
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise CmsError(f"больше {MAX_ELEMENTS} элементов ASN.1")
        if pos >= len(data) or (limit is not None and pos >= limit):
            raise CmsError("данные обрываются")
        first = data[pos]
        constructed = bool(first & 0x20)
        tag, pos = first & ~0x20, pos + 1
        if first & 0x1F == 0x1F:  # a tag number in bytes of its own: none on the path
            last = pos  # its last byte has no high bit; four bytes are plenty
            while last < len(data) and last - pos < 4 and data[last] & 0x80:
                last += 1
            if last >= len(data) or last - pos >= 4:
                raise CmsError("неверный тег ASN.1")
            tag, pos = -1, last + 1
        if pos >= len(data):
            raise CmsError("данные обрываются")
        first_length, pos = data[pos], pos + 1
        if first_length < 0x80:
            length: int | None = first_length
        elif first_length == 0x80:
            if not constructed:
                raise CmsError("открытая длина у простого элемента ASN.1")
            length = None
        else:
            count = first_length & 0x7F
            if count > 8:
                raise CmsError("неверная длина ASN.1")
            if pos + count > len(data):
                raise CmsError("данные обрываются")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        if length is not None and limit is not None and pos + length > limit:
            raise CmsError("данные обрываются")
        return tag, constructed, pos, length

    def skip(self, pos: int, limit: int, depth: int) -> int:
        """Past the element at ``pos``: a definite length jumped, an open one walked."""
        tag, _constructed, start, length = self.header(pos, limit)
        if tag == 0:
            raise CmsError("неверный тег ASN.1")
        if length is not None:
            return start + length
        inside = _Inside(self, start, None, limit, depth + 1)
        while inside.more():
            inside.pos = self.skip(inside.pos, limit, depth + 1)
        return inside.done()


class _Inside:
    """The elements inside a constructed one, read in order."""

    def __init__(
        self, reader: _Reader, start: int, length: int | None, limit: int, depth: int
    ) -> None:
        if depth > MAX_DEPTH:
            raise CmsError(f"вложенность ASN.1 больше {MAX_DEPTH}")
        self.reader, self.pos, self.depth = reader, start, depth
        self.stop = None if length is None else start + length  # None: until end-of-contents
        self.limit = limit if self.stop is None else self.stop

    def more(self) -> bool:
        """Whether another element follows before the end."""
        if self.stop is not None:
            return self.pos < self.stop
        if self.pos + 2 > self.limit:
            raise CmsError("данные обрываются")
        return not self.reader.data.startswith(_END_OF_CONTENTS, self.pos)

    def done(self) -> int:
        """Past the end (its end-of-contents mark), every element read or skipped."""
        if self.more():
            raise CmsError("лишние элементы ASN.1")
        return self.pos if self.stop is not None else self.pos + 2

    def enter(self, want: int) -> _Inside:
        """The next element, which must be constructed and tagged ``want``; call its
        done() and set ``pos`` to what it returns when through with it."""
        tag, constructed, start, length = self.reader.header(self.pos, self.limit)
        if tag != want or not constructed:
            raise CmsError("не та структура CMS")
        return _Inside(self.reader, start, length, self.limit, self.depth + 1)

    def value(self, want: int) -> bytes:
        """The next element's bytes, which must be primitive and tagged ``want``."""
        tag, constructed, start, length = self.reader.header(self.pos, self.limit)
        if tag != want or constructed or length is None:
            raise CmsError("не та структура CMS")
        self.pos = start + length
        return self.reader.data[start : self.pos]

    def peek(self) -> int | None:
        """The next element's tag, None at the end."""
        if not self.more():
            return None
        self.reader.elements -= 1  # looked at, not yet read
        return self.reader.header(self.pos, self.limit)[0]

    def skip(self) -> None:
        self.pos = self.reader.skip(self.pos, self.limit, self.depth)


def kind(data: bytes) -> str | None:
    """What a p7m holds by its first bytes, ContentInfo's content type: SIGNED,
    ENCRYPTED (any other type: nothing support can read without a key), or None when
    they start no ContentInfo. The rest is not looked at: a truncated one has a kind."""
    reader = _Reader(data)
    try:
        tag, constructed, start, _length = reader.header(0, None)
        if tag != _SEQUENCE or not constructed:
            return None
        tag, constructed, start, length = reader.header(start, len(data))
    except CmsError:
        return None
    if tag != _OID or constructed or not length:
        return None
    return SIGNED if data[start : start + length] == _SIGNED_DATA else ENCRYPTED


def signed_content(data: bytes) -> bytes:
    """The bytes a SignedData signs (the MIME entity of an S/MIME letter); CmsError when
    ``data`` is no whole ContentInfo of one (cut short, garbage, EnvelopedData), its
    NoContent when it is whole but signs no content of its own. Bytes after the
    ContentInfo are ignored."""
    if not data.startswith(b"\x30"):  # a constructed SEQUENCE
        raise CmsError("не CMS")
    reader = _Reader(data)
    _tag, _constructed, start, length = reader.header(0, len(data))
    info = _Inside(reader, start, length, len(data), 1)
    if info.value(_OID) != _SIGNED_DATA:
        raise CmsError("не SignedData (зашифровано или другой тип CMS)")
    explicit = info.enter(_EXPLICIT_0)
    content, explicit.pos = _signed_data(explicit.enter(_SEQUENCE))
    info.pos = explicit.done()
    info.done()
    if content is None:
        raise NoContent("в подписи нет подписанного текста (подпись отдельно от письма)")
    return content


def _signed_data(signed: _Inside) -> tuple[bytes | None, int]:
    """(the content, None when there is none; past the SignedData): version,
    digestAlgorithms, encapContentInfo; the certificates, CRLs and signer infos after
    it are walked past."""
    signed.value(_INTEGER)
    if signed.peek() != _SET:  # digestAlgorithms
        raise CmsError("не та структура CMS")
    signed.skip()
    encap = signed.enter(_SEQUENCE)
    if encap.value(_OID) != _DATA:
        raise CmsError("подписано не письмо (тип содержимого не id-data)")
    content = None
    if encap.more():
        econtent = encap.enter(_EXPLICIT_0)
        out = bytearray()
        econtent.pos = _octets(econtent, out)
        encap.pos = econtent.done()
        content = bytes(out)
    signed.pos = encap.done()
    while signed.more():
        signed.skip()
    return content, signed.done()


def _octets(inside: _Inside, out: bytearray) -> int:
    """The OCTET STRING at ``inside.pos`` added to ``out``, whole or in chunks (BER:
    each chunk an OCTET STRING of its own, or chunks again); past it."""
    reader = inside.reader
    tag, constructed, start, length = reader.header(inside.pos, inside.limit)
    if tag != _OCTETS:
        raise CmsError("не та структура CMS")
    if not constructed and length is not None:  # (header() gives a primitive a length)
        out += memoryview(reader.data)[start : start + length]
        return start + length
    chunks = _Inside(reader, start, length, inside.limit, inside.depth + 1)
    while chunks.more():
        chunks.pos = _octets(chunks, out)
    return chunks.done()
