"""How much decoded text looks like real writing: the score charset detection ranks by.

Pure statistics over a decoded text (debris characters, case flips, mojibake pairs,
Russian letter and bigram frequencies) and a byte-level test for text that is
beyond doubt Russian in windows-1251 or KOI8-R.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

__all__ = ["clearly_russian", "plausibility"]

# The single-byte tables detection tries (domain.charset._CANDIDATES) and latin-1:
# the characters they make of bytes 0x80-0xFF are what a wrong decoding leaves behind.
WRONG_TABLES = ("cp1251", "koi8-r", "iso8859-5", "cp866", "mac-cyrillic", "cp1252", "latin-1")
# Plausibility looks at a prefix only: enough evidence, bounded cost on huge bodies.
_SAMPLE_CHARS = 600  # per window; two windows are scored (see _sample)

_RU_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_RU_LETTERS = frozenset(_RU_LOWER + _RU_LOWER.upper())
# Ukrainian and Belarusian letters: legitimate in our mail, neutral for scoring.
_CYR_NEIGHBOURS = frozenset("іїєґўІЇЄҐЎ")
# The 15 most frequent Russian letters cover about 80 % of running text; a wrong
# single-byte decoding permutes the alphabet and loses that skew.
_RU_FREQUENT = frozenset("оеаинтсрвлкмдпу")
_RU_FREQUENT_ANY_CASE = _RU_FREQUENT | frozenset(c.upper() for c in _RU_FREQUENT)
# Frequent Russian bigrams (case-folded): about half the letter pairs of real text
# are here, of any wrong Cyrillic code page under a fifth.
_RU_BIGRAMS = frozenset(
    (
        "ст", "но", "то", "на", "ен", "ов", "ни", "ра", "во", "ко", "ро", "ал", "ре", "ер",
        "ос", "го", "пр", "ли", "ет", "по", "не", "ны", "ол", "ор", "ак", "ан", "ел", "ва",
        "ть", "ит", "ль", "ес", "ом", "од", "ка", "ри", "ин", "ле", "ве", "ат", "от", "де",
        "ла", "да", "ло", "ми", "ма", "ед", "ск", "те", "ие", "ия", "ем", "ам", "им", "ую",
        "ая", "ой", "ый", "ся", "сь", "чт", "зд", "ке", "ки", "ту", "та", "ти", "бо", "бы",
        "ду", "ше", "ща", "ще", "ча", "че", "зн", "за", "вы", "ви", "об", "ог", "ых", "их",
        "ей", "ий", "ок", "ик", "ск", "ту", "ый", "ег", "ак",
    )
)  # fmt: skip
# Punctuation and signs that real Russian mail uses; never counted as debris.
_COMMON_PUNCT = frozenset("«»—–…“”„‘’•·№°±€£©®™§\u00a0")
# Characters a wrong single-byte table can produce from 0x80-0xFF.  Only these count
# as debris: symbols and emoji from correctly decoded UTF-8 are none of our business.
_HIGH_BYTES = bytes(range(0x80, 0x100))
_SUSPECT = frozenset("".join(_HIGH_BYTES.decode(codec, errors="ignore") for codec in WRONG_TABLES))
# Latin letters are judged per word (see _word_penalty): "Grüße" is fine, "Çäðà" not.
_SUSPECT = (
    frozenset(c for c in _SUSPECT if not (unicodedata.category(c)[0] == "L" and c < "\u0400"))
    - _RU_LETTERS
    - _CYR_NEIGHBOURS
    - _COMMON_PUNCT
)
# Mojibake pairs: a UTF-8 lead byte followed by a continuation byte (0x80-0xBF) read
# through windows-1251 ("Рµ", "С‚") or windows-1252 ("Ã¼", "Ð°").
_CP1251_TAIL = frozenset(bytes(range(0x80, 0xC0)).decode("cp1251", errors="ignore")) - frozenset(
    "ёЁ«»—–…“”‘’\u00a0"
)
_CP1252_TAIL = frozenset(bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore"))
# ... and through mac-cyrillic, where 0xD0/0xD1 are the dashes ("–Э–µ—В").
_MAC_TAIL = frozenset(bytes(range(0x80, 0xC0)).decode("mac-cyrillic"))


def _char_class(chars: frozenset[str]) -> str:
    return "[" + re.escape("".join(sorted(chars))) + "]"


_MOJIBAKE_PAIR_RE = re.compile(
    f"[РС]{_char_class(_CP1251_TAIL)}"
    f"|[ÂÃÐÑ]{_char_class(_CP1252_TAIL)}"
    f"|[–—]{_char_class(_MAC_TAIL)}"
)
# Closing punctuation glued to the start of a lowercase word: "–абота", "”ест" (a
# capital letter read through mac-cyrillic or the wrong Cyrillic table).
_GLUED_RE = re.compile(r"[–—…№’”»][а-яё]")
# Three or more typographic signs in a row («—„®“»): a capitalised word read through
# mac-cyrillic, whose capitals are windows-1251's signs; real text never runs them so.
_SIGN_RUN_RE = re.compile(_char_class(_COMMON_PUNCT - {"\u00a0"}) + "{3,}")
_WORD_RE = re.compile(r"[^\W\d_]+")


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


@functools.lru_cache(maxsize=4096)
def _char_penalty(ch: str) -> float:
    """Cost of one non-space character: 0 for ordinary text, more for decoding debris."""
    if ch.isascii():
        return 3.0 if (ch < " " or ch == "\x7f") else 0.0
    if ch == "\ufffd":
        return 3.0
    if ch in _SUSPECT:
        if unicodedata.category(ch) == "Cc":
            return 3.0
        # Box drawing is what cp866/koi8-r pseudo-graphics look like read wrongly.
        return 2.0 if 0x2500 <= ord(ch) <= 0x259F else 1.5
    return 3.0 if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") else 0.0


# Words that cost nothing for certain: all Russian, lower, upper or capitalised.
_PLAIN_RU_WORD = re.compile("[а-яё]+|[А-ЯЁ][а-яё]*|[А-ЯЁ]+")


def _word_penalty(word: str) -> float:
    """Cost of a letter run whose case or script mix real words do not have."""
    if len(word) < 2 or word.isascii() or _PLAIN_RU_WORD.fullmatch(word):
        return 0.0
    cyr = sum(1 for c in word if "\u0400" <= c <= "\u04ff")
    other = len(word) - cyr - sum(1 for c in word if c.isascii())
    penalty = 0.0
    if cyr and len(word) - cyr:
        # Cyrillic glued to Latin letters ("Ð°", "Ñ€", "Bitrixом") is a decoding accident.
        penalty += len(word)
    if not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
        # "зДТБЧУФЧХКФЕ", "ðÒÉ×ÅÔ": case flips inside a word, a wrong 8-bit table.
        penalty += len(word)
    if not cyr and other / len(word) > 0.7:
        # "Çäðàâñòâóéòå": Cyrillic bytes read as Latin-1; real words are mostly ASCII.
        penalty += len(word)
    return penalty


# Every pair of adjacent Russian letters, overlapping ("при" -> "пр", "ри").
_RU_PAIR_RE = re.compile("(?=([а-яё]{2}))")


def _bigrams(lowered: str) -> tuple[int, int]:
    """(Russian letter pairs in the case-folded text, how many are common bigrams)."""
    pairs = Counter(_RU_PAIR_RE.findall(lowered))
    return pairs.total(), sum(n for p, n in pairs.items() if p in _RU_BIGRAMS)


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def _sample(text: str) -> str:
    """What plausibility scores: the start, and the first non-ASCII stretch when it
    comes later (a long English quote must not hide the Cyrillic after it): bounded
    cost on huge bodies, enough evidence on any."""
    if len(text) <= 2 * _SAMPLE_CHARS:
        return text
    m = _NON_ASCII_RE.search(text, _SAMPLE_CHARS)
    if m is None:
        return text[:_SAMPLE_CHARS]
    return text[:_SAMPLE_CHARS] + "\n" + text[m.start() : m.start() + _SAMPLE_CHARS]


def plausibility(text: str) -> float:
    """Score 0..1 of how much ``text`` looks like real (Russian or Latin) writing.

    Structure (control characters, stray symbols, case flips inside words, mojibake
    pairs) applies to any text; Russian letter and bigram statistics add evidence when
    there are enough Cyrillic letters to judge.
    """
    sample = _sample(text)
    # Counted per distinct character and word (collections.Counter runs in C):
    # the same sums as a loop over every character, at a fraction of the cost.
    visible = n_ru = 0
    bad: float = 0
    freq: float = 0
    for c, n in Counter(sample).items():
        if c in _RU_LETTERS:  # never a space, never debris
            n_ru += n
            visible += n
            if c in _RU_FREQUENT_ANY_CASE:
                freq += n
        elif not c.isspace():
            visible += n
            bad += _char_penalty(c) * n
    if not visible:
        return 1.0
    words = Counter(_WORD_RE.findall(sample))
    bad += sum(_word_penalty(w) * n for w, n in words.items())
    bad += 2.0 * len(_MOJIBAKE_PAIR_RE.findall(sample))
    bad += 2.0 * len(_GLUED_RE.findall(sample))
    bad += 2.0 * sum(len(run) for run in _SIGN_RUN_RE.findall(sample))
    structure = _clamp(1.0 - 3.0 * bad / visible)

    if n_ru < 3:
        return structure
    freq /= n_ru
    n_pairs, n_good = _bigrams(sample.lower())
    bigram = n_good / n_pairs if n_pairs else 0.0
    # Real text saturates both measures; wrong tables land far below the thresholds.
    language = 0.5 * _clamp((freq - 0.35) / 0.2) + 0.5 * _clamp((bigram - 0.15) / 0.25)
    # Few letters are weak evidence: let the language model weigh in gradually.
    weight = _clamp(n_ru / 30.0) * 0.5
    return structure * (1.0 - weight * (1.0 - language))


# Russian text in windows-1251 or KOI8-R can often be recognised from its bytes
# alone, at C speed: most of its letters are lowercase, and each table keeps its
# lowercase letters where the other keeps the capitals; о, е, а and и make a third
# of them. Such a body keeps its label without the plausibility score (the largest
# cost of parsing a message); anything less clear-cut is scored. Capitals
# only (СРОЧНО!) read in the wrong table look lowercase: at least one capital is
# required, and the letter frequencies tell the rest.
_PUNCTUATION = "ЁёЎў№«»–—…‘’“”„•°©®™§±·\xa0"
_LOWER, _UPPER, _ODD, _LATIN = b"l", b"u", b"x", b"a"
_CLEAR_LETTERS = 50  # at least this many lowercase letters,
_CLEAR_CAPITALS = 0.3  # at least one capital and at most this many per lowercase letter,
_CLEAR_FREQUENT = 0.27  # and this share of о, е, а, и among the lowercase (Russian: 0.35)


def _byte_classes(codec: str) -> tuple[bytes, tuple[bytes, ...]]:
    """A bytes.translate table for `codec`: its lowercase and capital Russian letters,
    bytes that never appear in such text (controls, pseudographics, letters of other
    alphabets), Latin letters, the rest (digits, common punctuation) as spaces; and its
    о, е, а, и."""
    table = bytearray(b" " * 256)
    for b in range(256):
        if b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b == 0x7F:
            table[b] = _ODD[0]
        elif b < 0x80 and chr(b).isalpha():
            table[b] = _LATIN[0]
        elif b >= 0x80:
            ch = bytes([b]).decode(codec, errors="replace")
            if "а" <= ch <= "я":
                table[b] = _LOWER[0]
            elif "А" <= ch <= "Я" or ch in "ЁЎ":
                table[b] = _UPPER[0]
            elif ch not in _PUNCTUATION:
                table[b] = _ODD[0]
    return bytes(table), tuple(c.encode(codec) for c in "оеаи")


_CLASSES = {codec: _byte_classes(codec) for codec in ("cp1251", "koi8-r")}
# Where windows-1251 shows a capital inside a word, MacCyrillic text may hold a sign,
# я or ё (its other lowercase letters are windows-1251's): its °, ®, «, », …, –, —, “,
# ”, ‘, ’, „, №, ё, я ... are Ў, Ё, З, И, Й, Р, С, Т, У, Ф, Х, Ч, Ь, Ю, Я there. One
# right after a lowercase letter («оформлениеТ»), or two before one («ЗЮлка»: «ёлка» in
# quotes), leave the text to the full score; CamelCase names with А, Б, Д, Л, М, Н, О,
# П, Ш, Щ, Ъ, Ы or Э (СтройДвор) keep the shortcut; one it leaves out only costs the
# full score.
_MAC_CAPITALS = bytes(
    b
    for b in range(0x80, 0x100)
    if _CLASSES["cp1251"][0][b] == _UPPER[0]
    and (not (mac := bytes([b]).decode("mac-cyrillic")).isalpha() or mac in "яё")
)
_MAC = b"[" + re.escape(_MAC_CAPITALS) + b"]"
_MAC_IN_WORD = re.compile(rb"[\xe0-\xff]" + _MAC + b"|" + _MAC + _MAC + rb"[\xe0-\xff]")


def clearly_russian(data: bytes, codec: str) -> bool:
    """Whether `data` is beyond doubt Russian text in `codec` (windows-1251 or
    KOI8-R; False for any other codec)."""
    if codec not in _CLASSES:
        return False
    table, frequent = _CLASSES[codec]
    classes = data.translate(table)
    lower = classes.count(_LOWER)
    if lower < _CLEAR_LETTERS or _ODD in classes:
        return False
    if codec == "cp1251" and (
        # a Cyrillic capital glued to a Latin letter («Bitrix» in MacCyrillic: ЗBitrixИ)
        _LATIN + _UPPER in classes
        or _UPPER + _LATIN in classes
        # (a capital right after a lowercase letter, or two before one, at all, first:
        # searches in C)
        or (_LOWER + _UPPER in classes or _UPPER + _UPPER + _LOWER in classes)
        and _MAC_IN_WORD.search(data)
    ):
        return False
    upper = classes.count(_UPPER)
    return (
        1 <= upper <= _CLEAR_CAPITALS * lower
        and sum(data.count(c) for c in frequent) >= _CLEAR_FREQUENT * lower
    )
