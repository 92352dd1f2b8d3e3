"""Text typed with the Russian keyboard layout left on, read as the Latin it was meant to be,
and Latin typed for Russian (the Latin layout left on), read as the Russian; and what
an input method's fullwidth mode types for the ASCII keys ("＃close"), read as ASCII.

The map is the physical keyboard (ЙЦУКЕН over QWERTY, key by key), so every command
name, present or future, is recognised without listing its Russian spelling by hand.
"""

from __future__ import annotations

import re

from maild.domain.lookalike import unconfused

__all__ = ["from_russian_layout", "halfwidth", "readings", "russian_typed", "to_russian_layout"]

# The same keys, row by row, unshifted then shifted: Latin on a US layout, and what
# the Russian layout gives on each key.
_LATIN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./" + '~QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?'
_RUSSIAN = "ёйцукенгшщзхъфывапролджэячсмитьбю." + "ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,"

# Only Cyrillic letters are mapped back: "." and "," stand on other keys in each
# layout, and a Latin "." typed on purpose (a host name) must stay as it is.
_TABLE = str.maketrans(
    {
        r: lat
        for r, lat in zip(_RUSSIAN, _LATIN, strict=True)
        if "а" <= r.lower() <= "я" or r in "ёЁ"
    }
)


def from_russian_layout(text: str) -> str:
    """``text`` with each Cyrillic letter replaced by the Latin key it sits on."""
    return text.translate(_TABLE)


# Each Latin key whose Russian is a letter: "ytn" is «нет», "[jhjij" «хорошо».
_TO_RUSSIAN = str.maketrans(
    {
        lat: r
        for r, lat in zip(_RUSSIAN, _LATIN, strict=True)
        if "а" <= r.lower() <= "я" or r in "ёЁ"
    }
)


def to_russian_layout(text: str) -> str:
    """``text`` with each key that gives a Russian letter in the Russian layout replaced
    by that letter: what a word typed with the Latin layout left on was meant to be."""
    return text.translate(_TO_RUSSIAN)


def readings(word: str) -> tuple[str, ...]:
    """``word`` in lower case as typed, with the lookalikes of a word mixing alphabets
    in the alphabet of its other letters ("nоte" with a Cyrillic «о» is "note":
    lookalike.unconfused), then read as typed in the other layout (the Latin of a
    Russian-layout word, the Russian of a Latin-layout one), each once: what a
    command's name or fixed word is looked up as."""
    low = word.lower()
    forms = (low, unconfused(low), from_russian_layout(low), to_russian_layout(low))
    return tuple(dict.fromkeys(forms))


# The Latin keys Shift makes a Russian capital of: «Х Ъ Ж Э Б Ю Ё».
_SHIFTED = '{}:"<>~'
# What no Russian word spells: «ы», «ь», «ъ» at its start or after a vowel, «ъ» before
# other than «е ё ю я», «э» at its end, a letter three times over; English prose does,
# where its quote, possessive, brackets or dots stand on those keys ("'s" «эы», "[k]"
# «хлъ», "thanks'" «ерфтлыэ», "..." «ююю»).
_NOT_RUSSIAN = re.compile(
    r"(?<![а-яё])[ъьы]|[аеёиоуыэюя][ъьы]|ъ(?![еёюя])|э(?![а-яё])|([а-яё])\1\1"
)
_CONTRACTION = re.compile(r"'(?:s|t|d|m|ll|re|ve)\Z", re.IGNORECASE)  # "don't": «вщтэе»


def russian_typed(text: str) -> bool:
    """``text`` reads, typed with the Latin layout left on, as one Russian word (with
    digits, "-" or "_" if any), and not as English prose: "cgfcb,j" is «спасибо», with
    Caps Lock on "CGFCB,J", Shift held "CGFCB<J"; "answer's", '":' (Shift for one key
    of a word), "..." (no letter) are no names."""
    read = to_russian_layout(text)
    if not re.fullmatch(r"[\w-]+", read) or not re.search("[A-Za-z]", text):
        return False
    rest = text[1:]
    if text != text.upper() and (rest != rest.lower() or any(k in _SHIFTED for k in rest)):
        return False
    return not _NOT_RUSSIAN.search(read.lower()) and not _CONTRACTION.search(text)


# The fullwidth forms of ASCII (U+FF01-U+FF5E: "＃", "ｃｌｏｓｅ", "＠") that a Japanese or
# Chinese input method, and some phones' keyboards, type for "#" and the rest, and
# the small "﹟"; not "？": a "?" before a command stands for "№" in KOI8-R alone.
_HALFWIDTH = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if c != 0xFF1F} | {"\ufe5f": "#"}
)


def halfwidth(text: str) -> str:
    """``text`` with each fullwidth form of an ASCII character the character itself."""
    return text.translate(_HALFWIDTH)
