"""Raw header values to one line of text: RFC 2047 encoded words, raw 8-bit bytes, folding.

The charset policy of domain.charset applies to every piece: encoded words are
decoded as labelled only when that reads plausibly, raw bytes share one detected
charset.
"""

from __future__ import annotations

import binascii
import email.utils
import re
from dataclasses import dataclass
from email.message import Message

from maild.domain.charset import (
    _decode_with_codec,
    b64decode_lenient,
    decode_bytes,
    normalize_charset,
)

__all__ = ["decode_compat32", "decode_header", "filename_of"]

# Encoded word, leniently: the charset may carry "*lang"; web mailers put raw spaces
# inside Q words ("=?windows-1251?Q?=CE=F8 =E8=E1?=") and broken encoders fold inside
# B words, so a word may hold whitespace when its closing "?=" follows before any
# other "?"; without a closing "?=" the word ends at whitespace or the end of the value.
_ENCODED_WORD_RE = re.compile(
    r"=\?(?P<charset>[^?\s]*)\?(?P<enc>[bBqQ])\?"
    r"(?:(?P<spaced>[^?]*?)\?=|(?P<text>[^\s]*?)(?:\?=|(?=\s)|$))"
)
_FOLD_RE = re.compile(r"[ \t]*\r?\n[ \t]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BLANKS_RE = re.compile(r"[ \t]{2,}")
# the ASCII characters _CONTROL_RE turns into spaces, as a str.translate table
_ASCII_CONTROLS = {c: " " for c in range(0x80) if _CONTROL_RE.match(chr(c))}
_ESCAPED_BYTE_RE = re.compile(r"[\udc80-\udcff]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def _to_bytes(text: str) -> bytes:
    """Text possibly carrying surrogate-escaped raw bytes back to bytes."""
    # Lone surrogates that are not escaped bytes cannot be encoded; they are junk.
    cleaned = _SURROGATE_RE.sub(
        lambda m: m.group() if _ESCAPED_BYTE_RE.match(m.group()) else "\ufffd", text
    )
    return cleaned.encode("utf-8", errors="surrogateescape")


# "=" not followed by two hex digits: binascii would drop it or read a line break
_Q_ODD_RE = re.compile(rb"=(?![0-9A-Fa-f]{2})")


def _q_decode(text: str) -> bytes:
    raw = _to_bytes(text.replace("_", " "))
    if not _Q_ODD_RE.search(raw):
        return binascii.a2b_qp(raw)  # the same bytes as the loop below, decoded in C
    # Invalid "=XY" sequences are kept literally rather than dropped.
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _decode_plain(segments: list[str]) -> list[str]:
    """Decode the non-encoded parts; raw 8-bit bytes share one detected charset."""
    if not any(_ESCAPED_BYTE_RE.search(s) for s in segments):
        return segments
    joined = b" ".join(_to_bytes(s) for s in segments)
    _, codec = _decode_with_codec(joined, None)
    return [_to_bytes(s).decode(codec, errors="replace") for s in segments]


@dataclass
class _EncodedRun:
    """Bytes of adjacent encoded words sharing one charset label."""

    charset: str
    raw: bytes


def _decode_header_str(value: str) -> str:
    value = _FOLD_RE.sub(" ", value)
    pieces: list[str | _EncodedRun] = []
    pos = 0
    for match in _ENCODED_WORD_RE.finditer(value):
        between = value[pos : match.start()]
        last = pieces[-1] if pieces else None
        # Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
        if between and not (between.isspace() and isinstance(last, _EncodedRun)):
            pieces.append(between)
            last = between
        payload = match.group("spaced")
        if payload is None:
            payload = match.group("text")
        charset = match.group("charset")
        raw = b64decode_lenient(payload) if match.group("enc") in "bB" else _q_decode(payload)
        if isinstance(last, _EncodedRun) and last.charset.lower() == charset.lower():
            # Join bytes before decoding: clients split multi-byte characters across words.
            last.raw += raw
        else:
            pieces.append(_EncodedRun(charset, raw))
        pos = match.end()
    if pos < len(value):
        pieces.append(value[pos:])

    plain = iter(_decode_plain([p for p in pieces if isinstance(p, str)]))
    text = "".join(
        next(plain) if isinstance(p, str) else decode_bytes(p.raw, p.charset) for p in pieces
    )
    # A decoded header must stay one line: CR/LF here would be header injection later.
    text = _CONTROL_RE.sub(" ", text)
    return _BLANKS_RE.sub(" ", text).strip()


def _plain_ascii_header(value: str) -> str:
    """_decode_header_str of ASCII text without encoded words (Message-IDs,
    addresses, most Subjects): after the controls, spaces are all the blanks left."""
    return " ".join(value.translate(_ASCII_CONTROLS).split())


def decode_header(value: str | bytes | None) -> str:
    """Decode a raw header value (RFC 2047 words, raw 8-bit bytes, folding) to one line.

    Never raises; unreadable pieces come back as replacement characters.
    """
    if value is None:
        return ""
    try:
        if isinstance(value, bytes | bytearray):
            # Raw bytes become surrogate escapes, exactly what email's compat32 gives.
            value = bytes(value).decode("ascii", errors="surrogateescape")
        value = str(value)
        if value.isascii() and "=?" not in value:
            return _plain_ascii_header(value)
        return _decode_header_str(value)
    except Exception:  # header text must always come out, even from garbage
        try:
            return _CONTROL_RE.sub(" ", _to_bytes(str(value)).decode("utf-8", "replace")).strip()
        except Exception:
            return ""


def decode_compat32(raw: object) -> str:
    """decode_header of a header value as the email package's compat32 gives it."""
    text = raw if isinstance(raw, str) else str(raw)
    # compat32 keeps 8-bit header bytes as surrogates; give them back as bytes.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return decode_header(text.encode("utf-8", "surrogateescape"))
    return decode_header(text)


def filename_of(part: Message) -> str | None:
    """The file name a MIME part gives (Content-Disposition's, else Content-Type's),
    decoded: RFC 2047 words, raw 8-bit bytes, RFC 2231 (_rfc2231_name)."""
    try:
        value = part.get_param("filename", None, "content-disposition")
        if value is None:
            value = part.get_param("name", None, "content-type")
        if isinstance(value, tuple):
            return _rfc2231_name(value[0], value[2])
        name = part.get_filename()
    except Exception:
        name = None
    return None if name is None else decode_compat32(name)


def _rfc2231_name(charset: str | None, value: str) -> str:
    """An RFC 2231 name (filename*=utf-8''%D0%A1...): in the charset it names when its
    bytes are that, else in the one they are. The email package gave «������.png» for a
    cp1251 name labelled utf-8 and «Ñíèìîê.png» for one labelled nothing
    (filename*=''%D1%ED...), as some mailers write them; 8-bit bytes written raw
    (filename*=utf-8''Снимок.png) were «udcd0...»."""
    text = email.utils.unquote(value)
    try:  # %XX as Latin-1 characters, 8-bit bytes written raw as surrogate escapes
        raw = text.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:  # already text
        raw = text.encode("utf-8", "surrogateescape")
    try:
        text = raw.decode(normalize_charset(charset) or "ascii")
    except (LookupError, UnicodeDecodeError):
        text = decode_bytes(raw)
    return decode_header(text)
