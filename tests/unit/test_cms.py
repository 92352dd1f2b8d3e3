"""domain/cms.py: the letter an S/MIME opaque-signed mail signs, read from its CMS
SignedData in DER or BER (openssl's own output, and shapes built by hand), and hostile
bytes answered with CmsError in bounded time, never another exception."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import cms
from maild.domain.cms import CmsError, kind, signed_content
from tests.examples import examples
from tests.smime import (
    OID_DATA,
    OID_ENVELOPED_DATA,
    OID_SIGNED_DATA,
    ber,
    chunked,
    constructed,
    der,
    signed_data,
)

TEXT = (
    b'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
    + "Добрый день! Скриншот ошибки во вложении.\r\n".encode()
)
LETTER = (
    TEXT
    + bytes(range(256))  # any bytes: the reader never looks into the content
    + b"\x00\x00\x30\x80"  # end-of-contents and an open SEQUENCE's start, as data
)


@pytest.mark.parametrize("streamed", [False, True], ids=["DER", "BER -stream"])
def test_openssl_signed_content_is_read_whole(smime, streamed):
    """`openssl cms -sign -nodetach -binary`: DER, and with -stream BER (open lengths,
    the content in 4 KB chunks: 300 KB is 75 of them)."""
    content = LETTER + bytes(300_000)
    p7m = smime.sign(content, ber=streamed)
    assert (p7m[1] == 0x80) is streamed  # the ContentInfo's length is open in BER
    assert signed_content(p7m) == content
    assert kind(p7m) == cms.SIGNED


def test_openssl_signed_mail_is_read(smime):
    """`openssl smime -sign -nodetach`: the base64 of smime.p7m under its MIME header."""
    mail = smime.signed_mail(TEXT)  # (text: it writes each line end as CRLF)
    head, _, body = mail.replace(b"\r\n", b"\n").partition(b"\n\n")
    assert b"smime-type=signed-data" in head
    assert signed_content(base64.b64decode(body)) == TEXT


def test_encrypted_and_detached_are_no_letter(smime):
    """An EnvelopedData is ENCRYPTED by its first bytes (its cut start too); a detached
    signature (no content of its own) holds no letter."""
    enveloped = smime.encrypt(LETTER)
    assert kind(enveloped) == kind(enveloped[:20]) == cms.ENCRYPTED
    with pytest.raises(CmsError, match="SignedData"):
        signed_content(enveloped)
    detached = smime._run(
        "cms", "-sign", "-binary", "-outform", "DER", "-signer", smime.cert, "-inkey", smime.key,
        data=LETTER,
    )  # fmt: skip
    assert kind(detached) == cms.SIGNED
    with pytest.raises(cms.NoContent, match="нет подписанного текста"):
        signed_content(detached)
    for end in range(0, len(detached), 7):  # cut short, it is not whole: not NoContent
        with pytest.raises(CmsError) as cut:
            signed_content(detached[:end])
        assert not isinstance(cut.value, cms.NoContent)


@pytest.mark.parametrize("open_length", [False, True], ids=["definite", "open"])
@pytest.mark.parametrize(
    "econtent",
    [
        der(0x04, LETTER),  # one primitive OCTET STRING (DER)
        chunked(LETTER, 7),  # chunks, open length
        constructed(0x04, der(0x04, LETTER[:10]), der(0x04, LETTER[10:])),  # definite
        ber(0x04, chunked(LETTER[:100], 3), der(0x04, b""), chunked(LETTER[100:], 50)),
    ],
    ids=["primitive", "chunks", "definite chunks", "chunks in chunks"],
)
def test_every_ber_shape_of_the_content(econtent, open_length):
    p7m = signed_data(econtent, open_length=open_length, tail=constructed(0xA0, der(0x30)))
    assert signed_content(p7m) == LETTER
    assert signed_content(p7m + b"\r\n\r\n") == LETTER  # what base64 padding leaves after it


@pytest.mark.parametrize("open_length", [False, True], ids=["definite", "open"])
def test_a_cut_short_p7m_is_refused_at_every_length(open_length):
    """Cut anywhere (a mail cut on the way), not a byte of it is taken for the letter:
    a definite length runs past the end, or an end-of-contents mark is missing."""
    p7m = signed_data(chunked(LETTER, 40), open_length=open_length)
    for end in range(len(p7m)):
        with pytest.raises(CmsError):
            signed_content(p7m[:end])


def _flipped(p7m: bytes, after: bytes, old: int, new: int) -> bytes:
    """``p7m`` with the first identifier byte ``old`` after ``after`` made ``new``."""
    at = p7m.index(bytes([old]), p7m.index(after) + len(after))
    return p7m[:at] + bytes([new]) + p7m[at + 1 :]


@pytest.mark.parametrize(
    "p7m, why",
    [
        (b"", "не CMS"),
        (b"\x30", "обрываются"),
        (b"MIIcoQYJKoZIhvcNAQcCoIIckjCCHI4CAQEx", "не CMS"),  # the base64, not decoded
        (der(0x30, OID_ENVELOPED_DATA, der(0xA0, der(0x30))), "не SignedData"),
        (der(0x30, signed_data(der(0x04, b"x"))[2:], der(0x05)), "лишние"),  # after [0]
        (der(0x30, OID_DATA), "не SignedData"),
        (signed_data(der(0x0C, b"text")), "структура"),  # a UTF8String, not OCTET STRING
        # it signs no MIME entity (id-data) but another CMS type: its bytes are no letter
        (signed_data(der(0x04, b"x")).replace(OID_DATA, OID_ENVELOPED_DATA), "не письмо"),
        (signed_data(None), "нет подписанного текста"),  # NoContent, a CmsError
        (bytes([0x30, 0x80, 0x06, 0x80]), "открытая длина"),
        (bytes([0x30, 0x89]) + bytes(9), "длина"),
        (bytes([0x30, 0x03, 0x1F, 0x81, 0x82]), "тег"),
        # a primitive element where a constructed one must be, and the other way round
        (_flipped(signed_data(der(0x04, b"x")), OID_SIGNED_DATA, 0xA0, 0x80), "структура"),
        (_flipped(signed_data(der(0x04, b"x")), b"", 0x06, 0x26), "структура"),
    ],
)
def test_what_is_no_signed_letter_says_why(p7m, why):
    with pytest.raises(CmsError, match=why):
        signed_content(p7m)


def test_nesting_past_the_limit_is_refused_at_once():
    """An open SEQUENCE inside another, 100,000 deep (200 KB) where the reader walks past
    (a certificate's place): refused at MAX_DEPTH, not a recursion error; chunks nested
    as deep as the limit allows still read."""
    started = time.process_time()
    deep = b"\x30\x80" * 100_000
    with pytest.raises(CmsError, match="вложенность"):
        signed_content(signed_data(der(0x04, b"x"), open_length=True, tail=deep))
    assert kind(deep) is None
    octets = der(0x04, LETTER)
    for _ in range(cms.MAX_DEPTH - 6):  # ContentInfo ... [0] take 5 levels
        octets = ber(0x04, octets)
    assert signed_content(signed_data(octets, open_length=True)) == LETTER
    with pytest.raises(CmsError, match="вложенность"):
        signed_content(signed_data(ber(0x04, ber(0x04, octets)), open_length=True))
    assert time.process_time() - started < 1


def test_many_elements_cost_linear_time_and_are_capped():
    """Content in chunks of one byte: up to MAX_ELEMENTS read in linear time, more
    refused (each would cost a Python step for two bytes of input)."""
    started = time.process_time()
    body = b"ab" * ((cms.MAX_ELEMENTS - 20) // 2)
    assert signed_content(signed_data(chunked(body, 1), open_length=True)) == body
    with pytest.raises(CmsError, match="элементов"):
        signed_content(signed_data(chunked(body + b"xyz" * 20, 1), open_length=True))
    with pytest.raises(CmsError, match="элементов"):  # walked past, not read: counted too
        signed_content(signed_data(der(0x04, b"x"), tail=ber(0xA0, *[der(0x05)] * 300_000)))
    assert time.process_time() - started < 5  # (about 1 s here)


def test_a_large_content_is_jumped_not_walked():
    """10 MB in one OCTET STRING: read in one copy, not byte by byte."""
    body = LETTER * (10_000_000 // len(LETTER))
    p7m = signed_data(der(0x04, body))
    started = time.process_time()
    assert signed_content(p7m) == body
    assert time.process_time() - started < 0.5


_settings = settings(max_examples=examples(400), deadline=timedelta(seconds=1), database=None)
# starts that lead the reader further in: a ContentInfo, of a SignedData, its version
_HEADS = [
    b"",
    b"\x30\x80",
    bytes.fromhex("3080") + OID_SIGNED_DATA + bytes.fromhex("a080"),
    bytes.fromhex("3080") + OID_SIGNED_DATA + bytes.fromhex("a0803080020101"),
]


@_settings
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_cms_error(data):
    for head in _HEADS:
        try:
            content = signed_content(head + data)
        except CmsError:
            continue
        assert len(content) <= len(head + data)
    assert kind(data) in (cms.SIGNED, cms.ENCRYPTED, None)


@_settings
@given(
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(0, 10_000),
)
def test_a_damaged_signed_letter_raises_nothing_but_cms_error(open_length, changes, cut):
    """Bytes of a real-shaped SignedData changed and the end cut: read or CmsError."""
    data = bytearray(signed_data(chunked(LETTER, 30), open_length=open_length, tail=der(0xA0)))
    for at, value in changes:
        data[at % len(data)] = value
    data = bytes(data[: max(1, len(data) - cut % 50)])
    try:
        assert len(signed_content(data)) <= len(data)
    except CmsError:
        pass
