"""Charset policy for incoming mail: turn body bytes and raw header values into text.

No declared encoding is trusted: decode as declared, verify the result looks like real
text, and detect among the Cyrillic encodings our customers actually use when it does not.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass

import chardet

__all__ = [
    "b64decode_lenient",
    "decode_bytes",
    "decode_header",
    "normalize_charset",
    "plausibility",
]

# Labels seen in the wild that Python's codec registry does not know, or knows
# under a different meaning.  Keys are lower-cased with "_" and spaces turned into "-".
_ALIASES: dict[str, str] = {
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "x-windows-1251": "cp1251",
    "cp-1251": "cp1251",
    "koi8r": "koi8_r",
    "koi-8-r": "koi8_r",
    "koi8": "koi8_r",
    "x-koi8-r": "koi8_r",
    "koi8u": "koi8_u",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "maccyrillic": "mac_cyrillic",
    "mac-cyrillic": "mac_cyrillic",
    "utf8": "utf-8",
    "x-utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "ibm866": "cp866",
    "866": "cp866",
    "x-cp866": "cp866",
    "dos-866": "cp866",
    "cyrillic": "iso8859_5",
    "iso-ir-144": "iso8859_5",
    # Python maps latin-1 0x80-0x9F to C1 controls; every real "iso-8859-1" mail
    # client means windows-1252 there (the WHATWG encoding standard does the same).
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "ansi-x3.4-1968": "ascii",
}

# Codecs that exist in Python but must never be applied to mail content: they
# interpret escapes, are platform specific or are not charsets at all.
_REJECTED_CODECS = frozenset(
    {
        "unicode-escape",
        "raw-unicode-escape",
        "idna",
        "punycode",
        "undefined",
        "mbcs",
        "oem",
        "palmos",
    }
)

# 7-bit encodings whose pure-ASCII bytes still mean non-ASCII text.
_SEVEN_BIT_CODECS = ("utf-7", "iso2022", "hz")

# Detection candidates with a prior: how much plausibility each must make up for
# being rarer in Russian mail than windows-1251.
_CANDIDATES = {
    "cp1251": 0.0,
    "koi8-r": 0.02,
    "iso8859-5": 0.06,
    "cp866": 0.06,
    "mac-cyrillic": 0.08,
    # Unlabelled Western mail; Cyrillic read as windows-1252 scores near zero anyway.
    "cp1252": 0.08,
}
_CANDIDATE_CODECS = tuple(_CANDIDATES)
# Prior for labels outside that list (the declared one, chardet's pick).
_OTHER_PRIOR = 0.04

# A declared decoding this plausible (no debris, Russian-looking statistics) is
# kept without looking further; anything less is checked against the candidates.
_TRUST = 0.99
# Head start of the declared label when candidates compete: detection must be
# clearly better to override the sender.
_DECLARED_BONUS = 0.05
# chardet's confidence (0..1) scaled into plausibility units: an opinion, not a vote.
_CHARDET_WEIGHT = 0.1
# Plausibility looks at a prefix only: enough evidence, bounded cost on huge bodies.
_SAMPLE_CHARS = 600  # per window; two windows are scored (see _sample)
_CHARDET_BYTES = 64_000
# Below this chardet has no real opinion (a name, a short subject) and costs
# milliseconds: the candidates' plausibility decides alone.
_CHARDET_MIN_BYTES = 64


def normalize_charset(name: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None if unusable."""
    if not name or not isinstance(name, str):
        return None
    return _normalize_label(name)


@functools.lru_cache(maxsize=512)  # a handful of labels name nearly all mail
def _normalize_label(name: str) -> str | None:
    # Labels arrive quoted, padded, with RFC 2231 language suffixes ("utf-8*ru").
    key = name.strip().strip("\"'").split("*", 1)[0].strip().lower()
    key = re.sub(r"[\s_]+", "-", key)
    if not key or not key.isascii():
        return None
    key = _ALIASES.get(key, key)
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError):
        return None
    # base64, zlib, rot13 and friends are registered as codecs but are not charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    if info.name in _REJECTED_CODECS:
        return None
    return info.name


# --- plausibility -----------------------------------------------------------

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
_SUSPECT = frozenset(
    "".join(_HIGH_BYTES.decode(codec, errors="ignore") for codec in (*_CANDIDATE_CODECS, "latin-1"))
)
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
    comes later (a long English quote must not hide the Cyrillic after it). Scoring
    every character of a long mail cost more than parsing it."""
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
    visible = bad = n_ru = freq = 0
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


# --- body decoding ----------------------------------------------------------


# Russian text in windows-1251 or KOI8-R can often be recognised from its bytes
# alone, at C speed: most of its letters are lowercase, and each table keeps its
# lowercase letters where the other keeps the capitals; о, е, а and и make a third
# of them. Such a body keeps its label without the plausibility score (the largest
# cost of parsing a message); anything less clear-cut is scored as before. Capitals
# only (СРОЧНО!) read in the wrong table look lowercase: at least one capital is
# required, and the letter frequencies tell the rest.
_PUNCTUATION = "ЁёЎў№«»–—…‘’“”„•°©®™§±·\xa0"
_LOWER, _UPPER, _ODD = b"l", b"u", b"x"
_CLEAR_LETTERS = 50  # at least this many lowercase letters,
_CLEAR_CAPITALS = 0.3  # at least one capital and at most this many per lowercase letter,
_CLEAR_FREQUENT = 0.27  # and this share of о, е, а, и among the lowercase (Russian: 0.35)


def _byte_classes(codec: str) -> tuple[bytes, tuple[bytes, ...]]:
    """A bytes.translate table for `codec`: its lowercase and capital Russian letters,
    bytes that never appear in such text (controls, pseudographics, letters of other
    alphabets), the rest (ASCII, common punctuation) as spaces; and its о, е, а, и."""
    table = bytearray(b" " * 256)
    for b in range(256):
        if b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b == 0x7F:
            table[b] = _ODD[0]
        elif b >= 0x80:
            ch = bytes([b]).decode(codec, errors="replace")
            if "а" <= ch <= "я":
                table[b] = _LOWER[0]
            elif "А" <= ch <= "Я":
                table[b] = _UPPER[0]
            elif ch not in _PUNCTUATION:
                table[b] = _ODD[0]
    return bytes(table), tuple(c.encode(codec) for c in "оеаи")


_CLASSES = {codec: _byte_classes(codec) for codec in ("cp1251", "koi8-r")}
# Я right after a lowercase letter in windows-1251: MacCyrillic text, whose я is that
# byte (its other lowercase letters are windows-1251's); CamelCase names such as
# «СтройДвор» keep the shortcut
_MAC_YA = re.compile(rb"[\xe0-\xff]\xdf")


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
    if codec == "cp1251" and _MAC_YA.search(data):
        return False
    upper = classes.count(_UPPER)
    return (
        1 <= upper <= _CLEAR_CAPITALS * lower
        and sum(data.count(c) for c in frequent) >= _CLEAR_FREQUENT * lower
    )


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except Exception:  # any codec, including third-party ones, may fail its own way
        return None


def _chardet_opinion(data: bytes) -> tuple[str | None, float]:
    """chardet's best guess as (codec, confidence); never warns or raises."""
    try:
        with warnings.catch_warnings():
            # pytest runs with warnings as errors; chardet's opinion is only advisory.
            warnings.simplefilter("ignore")
            result = chardet.detect(data[:_CHARDET_BYTES])
    except Exception:
        return None, 0.0
    codec = normalize_charset(result.get("encoding"))
    return codec, float(result.get("confidence") or 0.0)


def _detect(data: bytes, declared: str | None) -> tuple[str, str]:
    """Pick the most plausible decoding of non-ASCII ``data``; returns (text, codec).

    ``declared`` competes too, with a head start, so that only a clearly better
    reading overrides what the sender said.
    """
    text = _try_decode(data, "utf-8")
    if text is not None:
        # Valid multi-byte UTF-8 practically never happens by accident in 8-bit text.
        return text, "utf-8"

    opinion, confidence = _chardet_opinion(data) if len(data) >= _CHARDET_MIN_BYTES else (None, 0.0)
    priors = dict(_CANDIDATES)
    if declared:
        priors[declared] = -_DECLARED_BONUS
    # chardet may name a charset we would not try (a Western or Greek page); only a
    # confident opinion earns a place, a weak one would just add wrong answers.
    # UTF-16/32 without a byte-order mark is chardet's usual guess for binary junk
    # with NUL bytes; such text is unreadable either way, so keep it byte-for-byte.
    if opinion and confidence >= 0.5 and not opinion.startswith(("utf-16", "utf-32")):
        priors.setdefault(opinion, _OTHER_PRIOR)

    best: tuple[float, str, str] | None = None
    for codec, prior in priors.items():
        bonus = _CHARDET_WEIGHT * confidence if codec == opinion else 0.0
        if best is not None and 1.0 - prior + bonus <= best[0]:
            continue  # even a perfect score (plausibility is at most 1) cannot win
        text = _try_decode(data, codec)
        if text is None:
            continue
        score = plausibility(text) - prior + bonus
        if best is None or score > best[0]:
            best = (score, text, codec)

    # Mostly-UTF-8 data with a few broken bytes (truncated lines, a stray 8-bit char).
    if best is not None and best[0] >= 1.0 - _OTHER_PRIOR:
        return best[1], best[2]
    lossy = data.decode("utf-8", errors="replace")
    if best is None or plausibility(lossy) - _OTHER_PRIOR > best[0]:
        return lossy, "utf-8"
    return best[1], best[2]


def _decode_with_codec(data: bytes, declared: str | None, fast: bool = True) -> tuple[str, str]:
    """decode_bytes, also returning the codec used (headers reuse it for 8-bit runs).
    `fast=False` scores every declared label (the tests compare both ways)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try_decode(data, "utf-16")
        if text is not None:
            return text, "utf-16"

    codec = normalize_charset(declared)
    if data.isascii() and b"\x00" not in data:
        if codec and codec.startswith(_SEVEN_BIT_CODECS):
            text = _try_decode(data, codec)
            if text is not None:
                return text, codec
        return data.decode("ascii"), "ascii"

    if codec:
        text = _try_decode(data, codec)
        # Strict UTF-8 that decodes is what detection would pick anyway.
        if text is not None and (
            codec == "utf-8"
            or (fast and clearly_russian(data, codec))
            or plausibility(text) >= _TRUST
        ):
            return text, codec
    return _detect(data, codec)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode body bytes to text, trusting ``declared`` only if the result is plausible.

    Never raises; the last resort is UTF-8 with replacement characters.
    """
    try:
        return _decode_with_codec(bytes(data), declared)[0]
    except Exception:  # the policy promises text for any input, whatever goes wrong
        try:
            return bytes(data).decode("utf-8", errors="replace")
        except Exception:
            return ""


_B64_URLSAFE = bytes.maketrans(b"-_", b"+/")
_B64_JUNK = bytes(
    b for b in range(256) if not re.fullmatch(rb"[A-Za-z0-9+/=_-]", bytes([b]))
)  # what b64decode_lenient drops (translate deletes it before mapping -_ to +/)


def b64decode_lenient(data: bytes | str) -> bytes:
    """Decode base64 the way mail clients do: skip junk, repair padding, never raise.

    Padding in the middle (several encoded chunks glued together) splits the input
    into chunks decoded separately.
    """
    try:
        if isinstance(data, str):
            data = data.encode("ascii", errors="ignore")
        # Accept the URL-safe alphabet too; drop whitespace and anything else.
        data = bytes(data).translate(_B64_URLSAFE, _B64_JUNK)
        body = data.rstrip(b"=")
        out = bytearray()
        for chunk in re.split(rb"=+", data) if b"=" in body else (body,):
            # A lone trailing sextet carries no whole byte; it cannot be decoded.
            usable = len(chunk) - (len(chunk) % 4 == 1)
            chunk = chunk[:usable]
            if chunk:
                out += binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4))
        return bytes(out)
    except Exception:  # lenient by contract: partial garbage must not stop ingest
        return b""


# --- header decoding --------------------------------------------------------

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
        return binascii.a2b_qp(raw)  # the same bytes in C, a tenth of the time
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
