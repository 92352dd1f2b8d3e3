"""Charset doubts: when the decoder may have guessed wrong.

`doubt` says why a body's decoding is uncertain (a short text, a label the text
contradicts), for the staff notice, which then offers `#charset NAME`
(domain.message.redecode reads the mail again in that charset). Pure: bytes in, text out.
"""

from __future__ import annotations

import re

from maild.domain.charset import (
    _decode_with_codec,
    _try_decode,
    decode_bytes,
    normalize_charset,
)
from maild.domain.plausibility import _PLAIN_RU_WORD

__all__ = ["doubt", "read_text"]

# Fewer 8-bit bytes than this give detection too little to go on (a line or two).
SHORT_BYTES = 60
_HIGH = bytes(range(0x80, 0x100))
# The charsets customers write in besides UTF-8, by the names `#charset` takes: the
# same short bytes are often words in both (KOI8-R's capitals are windows-1251's
# lowercase letters: «ответ» in windows-1251 is «НРБЕР» in KOI8-R).
_RIVALS = {"cp1251": "windows-1251", "koi8-r": "koi8-r"}
_RU_OR_ASCII = re.compile(r"[\x00-\x7fа-яёА-ЯЁ]*")
_RU_WORD = re.compile(r"[а-яёА-ЯЁ]+")


def read_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """(decode_bytes(data, declared), why that reading is uncertain or None), with one
    decoding: detection is the costly part of reading unlabelled 8-bit mail."""
    if data.isascii():
        return decode_bytes(data, declared), None
    try:
        text, codec = _decode_with_codec(bytes(data), declared)
    except Exception:  # decode_bytes' own last resort; nothing to say about it
        return decode_bytes(data, declared), None
    return text, _doubt_of(data, text, normalize_charset(declared), declared, codec)


def _doubt_of(
    data: bytes, text: str, label: str | None, declared: str | None, codec: str
) -> str | None:
    if label and label != normalize_charset(codec):
        return f"в письме указана кодировка {declared}, но текст прочитан как {codec}"
    if codec == "utf-8":
        return None  # valid UTF-8 practically never happens by accident
    if len(data) - len(data.translate(None, _HIGH)) >= SHORT_BYTES:  # (in C: per byte)
        return None  # enough text to judge: a label it contradicts was overruled above
    if not label:
        return f"кодировка не указана, текст короткий: выбрана {codec} без уверенности"
    rival = _rival(data, codec, text)
    if rival is None:
        return None  # its bytes are no words in the other table: the label is right
    return f"в письме указана кодировка {declared}, но текст короткий: в {rival} он тоже читается"


def _rival(data: bytes, codec: str, read: str) -> str | None:
    """The other of windows-1251 and KOI8-R when a short text reads in it as words too
    (Russian letters in lower, upper or capitalised words, nothing else but ASCII) with
    fewer capitals than ``read``, the label's reading: the label, not the text, decided
    («НРБЕР» for «ответ», «ТЮИК» for «файл»). Scores do not tell them apart here: few
    letters, and the rare ones of a real word weigh. A table swaps the other's cases,
    and people write mostly lowercase: «спасибо» read as labelled is no doubt though its
    bytes are «ЯОЮЯХАН» in the other (it was one for 2158 of 3000 short lowercase
    replies), while a text in capitals so read is (the rarer mistake)."""
    for other, name in _RIVALS.items():
        if other == normalize_charset(codec):
            continue
        reading = _try_decode(data, other)
        if reading is not None and _as_words(reading) and _capitals(reading) < _capitals(read):
            return name
    return None


def _capitals(text: str) -> int:
    return sum(1 for c in text if "А" <= c <= "Я" or c == "Ё")


def _as_words(text: str) -> bool:
    """Only ASCII and Russian letters, each word of them in one case or capitalised."""
    if not _RU_OR_ASCII.fullmatch(text):
        return False
    return all(_PLAIN_RU_WORD.fullmatch(w) for w in _RU_WORD.findall(text))


def doubt(data: bytes, declared: str | None) -> str | None:
    """Why the decoding of ``data`` is uncertain (Russian, for staff), or None."""
    return read_text(data, declared)[1]
