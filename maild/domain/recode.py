"""Charset doubts: when the decoder may have guessed wrong.

`doubt` says why a body's decoding is uncertain (a short text, a label the text
contradicts), for the staff notice, which then offers `#charset NAME`
(domain.message.redecode reads the mail again in that charset). Pure: bytes in, text out.
"""

from __future__ import annotations

from maild.domain.charset import _decode_with_codec, decode_bytes, normalize_charset

__all__ = ["doubt", "read_text"]

# Fewer 8-bit bytes than this give detection too little to go on (a line or two).
SHORT_BYTES = 60
_HIGH = bytes(range(0x80, 0x100))


def read_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """(decode_bytes(data, declared), why that reading is uncertain or None), with one
    decoding: detection is the costly part of reading unlabelled 8-bit mail."""
    if data.isascii():
        return decode_bytes(data, declared), None
    try:
        text, codec = _decode_with_codec(bytes(data), declared)
    except Exception:  # decode_bytes' own last resort; nothing to say about it
        return decode_bytes(data, declared), None
    return text, _doubt_of(data, normalize_charset(declared), declared, codec)


def _doubt_of(data: bytes, label: str | None, declared: str | None, codec: str) -> str | None:
    if label and label != normalize_charset(codec):
        return f"в письме указана кодировка {declared}, но текст прочитан как {codec}"
    if label or codec == "utf-8":
        return None  # read as labelled; valid UTF-8 practically never happens by accident
    if len(data) - len(data.translate(None, _HIGH)) < SHORT_BYTES:  # (in C: per byte)
        return f"кодировка не указана, текст короткий: выбрана {codec} без уверенности"
    return None


def doubt(data: bytes, declared: str | None) -> str | None:
    """Why the decoding of ``data`` is uncertain (Russian, for staff), or None."""
    return read_text(data, declared)[1]
