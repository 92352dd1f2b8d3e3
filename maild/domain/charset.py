"""Charset policy for incoming mail: charset labels, body bytes to text, lenient base64.

No declared encoding is trusted: decode as declared, verify the result looks like real
text (domain.plausibility), and detect among the Cyrillic encodings our customers
actually use when it does not. Header values are decoded by domain.header_text with
this same policy.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re
import warnings

from maild.domain.plausibility import clearly_russian, plausibility

__all__ = [
    "EIGHT_BIT",
    "b64decode_lenient",
    "clearly_russian",
    "decode_bytes",
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

# 7-bit encodings whose pure-ASCII bytes still mean non-ASCII text (a byte search for
# an address misses «ivan+AEA-shop.ru» in UTF-7: ops/forgetmail reads them).
SEVEN_BIT_CODECS = ("utf-7", "iso2022", "hz")

# Detection candidates with a prior: how much plausibility each must make up for
# being rarer in Russian mail than windows-1251 (plausibility.WRONG_TABLES names them
# all: what they make of high bytes counts as debris).
_CANDIDATES = {
    "cp1251": 0.0,
    "koi8-r": 0.02,
    "iso8859-5": 0.06,
    "cp866": 0.06,
    "mac-cyrillic": 0.08,
    # Unlabelled Western mail; Cyrillic read as windows-1252 scores near zero anyway.
    "cp1252": 0.08,
}
# The charsets 8-bit text of a mail is read in when the one it declares is not enough
# (`maild forget` looks for a name in each): UTF-8 first, then the candidates.
EIGHT_BIT = ("utf-8", *_CANDIDATES)
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


# --- body decoding ----------------------------------------------------------


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except Exception:  # any codec, including third-party ones, may fail its own way
        return None


def _chardet_opinion(data: bytes) -> tuple[str | None, float]:
    """chardet's best guess as (codec, confidence); never warns or raises."""
    # imported on first use: most mail never asks chardet, and a process that never
    # does need not pay its import (workers.FIRST_USE names it for the daemon)
    import chardet

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
        del text  # a reading that lost is not held while the next one is decoded

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
        if codec and codec.startswith(SEVEN_BIT_CODECS):
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
        del text  # (not held while _detect reads the data in each candidate)
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


def decode_with_charset(data: bytes) -> tuple[str, str]:
    """decode_bytes(data) and the codec it read them in, to write a changed text back
    as it came ("utf-8" for the last resort, which replaces what does not decode)."""
    try:
        return _decode_with_codec(bytes(data), None)
    except Exception:  # decode_bytes' own last resort
        return decode_bytes(data), "utf-8"


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
