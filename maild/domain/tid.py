"""Ticket ids: how they look, how they are found in subjects and headers.

A TID is eight digits in two groups, "4821-7730": short, unambiguous over the
phone in any language, and not guessable from the ticket count.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import secrets
from bisect import bisect_left
from collections.abc import Callable, Iterator

from maild.domain.lookalike import TO_LATIN

# What a customer types for the "#" of a tag: "#", "№" (Shift+3 on the Russian layout),
# ":", the fullwidth "＃" and the small "﹟" (an input method's, as layout.halfwidth reads)
SIGNS = "#:№\uff03\ufe5f"
# Dashes a customer's keyboard or autocorrect puts between the halves of a number: "-",
# the en dash of "4821–7730", the non-breaking "‑" (U+2011), every other Unicode dash
# (category Pd, "－" the fullwidth one) and the minus sign "−", which some type for it
DASHES = (
    "\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    "\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\u2212\U00010ead"
)


def _like(letter: str) -> str:
    """A character class of ``letter`` and what looks like it: its Cyrillic and Greek
    lookalikes (lookalike.TO_LATIN: the «Т» of the Russian layout, the Ukrainian «І»),
    its fullwidth form; any case, as TAG_RE reads."""
    alike = [chr(c) for c, latin in TO_LATIN.items() if latin == letter]
    return f"[{letter}{chr(ord(letter) + 0xFEE0)}{''.join(alike)}]"


# "TID" as customers type it: "ТID" with a Russian «Т» (the layout switched for one
# key), «ТІD» with a Ukrainian «І», fullwidth "ＴＩＤ" (an input method's)
WORD = "".join(_like(c) for c in "tid")
# The number: two halves of four digits, joined by a dash (DASHES) or nothing, blanks
# around the dash allowed ("4821 - 7730"); inside closed brackets a blank alone joins
# them too ("[TID#4821 7730]"), never outside ("TID#2024 1500 руб" is a sum in prose).
# "\d" reads fullwidth digits ("４８２１") and the other Unicode ones, which tid_of
# reads as ASCII. Possessive: a run of blanks is gone through once, whatever follows
_DASHED = rf"(?P<head>\d{{4}})(?:\s*+[{DASHES}]\s*+%s)?+(?P<tail>\d{{4}})(?!\d)"
_NUMBER = _DASHED % r"|(?(open)\s++(?=\d{4}\s*+\]))"  # (the group "open": a "[" read)
_BARE = _DASHED % ""  # a dash or nothing between the halves
# "[TID#4821-7730]" as maild writes it, or "TID#4821-7730" as a customer types it by
# hand into a new mail (the regulation asks them to keep the TID in the subject), with
# any of SIGNS for the "#"; the sign tells it from a number in prose ("TID 4821-7730"
# is none), and so do brackets: "[TID4821-7730]", "[TID 4821-7730]", "[TID-4821-7730]"
# (a dash for the sign, in brackets alone) are tags. The word in its lookalikes (WORD),
# blanks anywhere inside the brackets
TAG_RE = re.compile(
    rf"(?:(?P<open>\[)\s*+\b{WORD}\s*+(?:[{SIGNS}]\s*+"
    rf"|(?:[{DASHES}]\s*+)?+(?=\d{{4}}\s*+(?:[{DASHES}]\s*+)?+\d{{4}}\s*+\]))"
    rf"|\b{WORD}\s*+[{SIGNS}]\s*+)"
    rf"{_NUMBER}(?:\s*+\])?",
    re.IGNORECASE,
)
# Reply and forward prefixes mail clients put before a subject, in runs: English,
# German, Nordic, French, Italian, Dutch; Russian («Ответ:», «Отв:», «Отв.:», «Пересл:»,
# «Перес.:»), Ukrainian Outlook's «ВІДП:» and «ПЕР:»; a count, «Re[2]:», «RE(3):»
PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rif|antw|ответ|отв|пересл|перес|пер|відп|ha|hа)"
    r"\.?\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+",
    re.IGNORECASE,
)
# A TID given as an argument (a staff command's, the CLI's) is read as a tag is (TAG_RE,
# its every form: "[ТID#4821 7730]", "TID№4821–7730"), or as the number alone with
# what may stand around it by hand: "4821-7730", "48217730", "4821–7730", "４８２１-７７３０"
# (the halves as TAG_RE joins them outside brackets); the word with no sign, "TID4821-7730";
# a sign alone, "#4821-7730", "№4821-7730"; brackets or quotes, "[4821-7730]",
# «4821-7730». An argument is a TID by its place, so no sign is needed to tell it from
# prose; only "TID 4821-7730" is none, the word with neither sign nor digits after it
ARG_RE = re.compile(
    rf"[\[«\"“„(]?\s*+(?:{WORD}(?=\d)|[#№\uff03\ufe5f]\s*+)?+{_BARE}\s*+[\]»\"”“)]?",
    re.IGNORECASE,
)
MSGID_RE = re.compile(r"<[^<>\s]+>")
TID_RE = re.compile(r"\d{4}-\d{4}")  # a TID as stored (file names, index entries)
# No ticket's TID (new_tid never makes one starting "0000"): the first ticket a list
# mail about none names in its signed Reply-To and Message-ID (the SLA report), so a
# reply to it is known as one to a list (domain.listreply), on no ticket
NO_TICKET = "0000-0000"


def new_tid(exists=lambda tid: False, seed: bytes | None = None) -> str:
    """A fresh TID for which `exists` is false: random, or drawn from `seed` (a keyed
    hash of the mail's spool key), the same each time it is asked while that TID is
    free: a batch a fault of the environment undid and ran again names each ticket in
    its log lines as the first run did, not by a TID never stored."""
    for n in _draws(seed):
        tid = f"{n // 10**4:04d}-{n % 10**4:04d}"
        if not tid.startswith("0000") and not exists(tid):  # "0000-": NO_TICKET's
            return tid
    raise AssertionError("unreachable")  # (_draws never ends)


def tid_seed(secret: bytes, spool_key: str | None) -> bytes | None:
    """What a new ticket's TID is drawn from (new_tid): the mail's spool key, keyed by
    the store's secret (TIDs stay unguessable); None (random) for mail not spooled."""
    if spool_key is None:
        return None
    return hmac.new(secret, b"tid:" + spool_key.encode(), "sha256").digest()


def _draws(seed: bytes | None) -> Iterator[int]:
    for count in itertools.count():
        if seed is None:
            yield secrets.randbelow(10**8)
        else:
            digest = hashlib.blake2b(seed, digest_size=8, salt=count.to_bytes(8, "big"))
            yield int.from_bytes(digest.digest(), "big") % 10**8


def tag(tid: str) -> str:
    return f"[TID#{tid}]"


def parse_tid(arg: str) -> str | None:
    """The TID an argument names (TAG_RE, ARG_RE) as stored, "1234-5678"; None if it
    names none: what a subject's tag reads, a staff command and the CLI read."""
    arg = arg.strip()
    m = TAG_RE.fullmatch(arg) or ARG_RE.fullmatch(arg)
    return tid_of(m) if m else None


def find_tid(subject: str | None) -> str | None:
    """The TID tagged anywhere in a subject, whatever the case and prefixes."""
    if not subject:
        return None
    m = TAG_RE.search(subject)
    return tid_of(m) if m else None


def others_untagged(subject: str, tid: str) -> str:
    """`subject` with every tag of a ticket but `tid` left as its number alone: mail
    about `tid` whose subject quotes another's tag (a List-Id, a writer's subject) was
    read back by that tag, which find_tid finds first, so a reply to it went there."""
    return TAG_RE.sub(lambda m: m.group() if tid_of(m) == tid else tid_of(m), subject)


def tid_of(tag: re.Match[str]) -> str:
    """The TID a match of TAG_RE or ARG_RE names, as stored: "４８２１" typed fullwidth
    is 4821."""
    return f"{int(tag.group('head')):04d}-{int(tag.group('tail')):04d}"


def strip_prefixes(subject: str) -> str:
    return PREFIX_RE.sub("", subject).strip()


# Where a tag was taken from (clean_subject), in the subject's blanks-collapsed text:
# one character no subject holds (private use), its blanks around it at most one each
_AT = "\ue000"
_OPENS, _CLOSES = re.escape("([{«“„"), re.escape(")]}»”“")
_PAIRS = ("()", "[]", "{}", "«»", "“”", "„“")
# Brackets or quotes around nothing but where tags were: what a tag typed in them
# leaves, «вопрос (TID#1234-5678)»; «([TID#...])» the pair in a pair (a pair typed
# with nothing between, «foo()», is the customer's own)
EMPTY_PAIR_RE = re.compile(
    "|".join(rf"{re.escape(p[0])} ?(?:{_AT} ?)+{re.escape(p[1])}" for p in _PAIRS)
)
# What a tag taken from among other words in a pair leaves of the separator that stood
# between them: «вопрос (TID#1234-5678, срочно)» leaves «( , срочно)», «(срочно,
# TID#...)» leaves «(срочно, )», «(срочно; TID#...; важно)» leaves «; ;». Only where a
# tag was: a separator after an opening bracket and the tag, before the tag and a
# closing bracket, or the second of two with the tag between (a dash with blanks
# around it alone: «(-5 °C)» is the customer's, a smiley «:)» has no blank, and
# «Скидка ( - 5 % )», with no tag in it, is left as it came)
_PUNCT, _DASH = "[,;:|/]", r"[\-\u2013\u2014]"
SEP_AT_PAIR_RE = re.compile(
    rf"(?P<open>[{_OPENS}]) ?{_AT} ?(?:{_PUNCT}|{_DASH}(?= )) ?"
    rf"|(?: ?{_PUNCT}| {_DASH}) ?{_AT} ?(?P<close>[{_CLOSES}])"
)
_BRACKET_RE = re.compile(r"[\[\]]")
DOUBLE_SEP_RE = re.compile(rf"(?P<sep>[,;:|/\-\u2013\u2014]) ?{_AT} ?(?P=sep)(?= )")
# The blank a tag taken from inside a pair leaves beside the bracket: «[срочно
# [TID#...]]» leaves «[срочно ]», «(TID#... срочно)» «( срочно)». Not beside «“», which
# opens a pair „…“ and closes one “…”: «тема TID#... “цитата”» keeps its blank
_OPENS_ONLY, _CLOSES_ONLY = re.escape("([{«„"), re.escape(")]}»”")
BLANK_AT_PAIR_RE = re.compile(
    rf"(?<=[{_OPENS_ONLY}])(?: ?{_AT})+ ?|(?: ?{_AT})+ ?(?=[{_CLOSES_ONLY}])"
)


def _pair_only(m: re.Match[str]) -> str:
    """The bracket of a SEP_AT_PAIR_RE match, without the separator."""
    return m.group("open") or m.group("close")


def _taken(s: str) -> Callable[[re.Match[str]], str]:
    """What a tag found in `s` leaves (clean_subject): _AT, and the bracket of the
    customer's a tag took without its pair, the "[" of «вопрос [TID#... - срочно]»,
    the "]" of «[срочно, TID#...]», when the bracket next to the tag on the other
    side is its pair. (Brackets found once: linear in tags however many)"""
    at = [b.start() for b in _BRACKET_RE.finditer(s)]

    def leaves(m: re.Match[str]) -> str:
        closed = m.group().endswith("]")
        after, before = bisect_left(at, m.end()), bisect_left(at, m.start()) - 1
        keep_open = m.group("open") and not closed and after < len(at)
        keep_close = closed and not m.group("open") and before >= 0
        keep_open = keep_open and s[at[after]] == "]"
        keep_close = keep_close and s[at[before]] == "["
        return f"{'[' if keep_open else ''} {_AT} {']' if keep_close else ''}"

    return leaves


def clean_subject(subject: str | None, own: re.Pattern[str] | None = None) -> str:
    """The subject without the TID tag, the brackets it stood in, and without Re:/Fwd:
    runs, and without maild's own prefixes (`own`: Policy.own_subjects, ownsubjects.py)
    in any mix with them: «Re: Ошибка 500 [TID#...]» is «Ошибка 500», «Ответ: вопрос
    (TID#...)» is «вопрос». Brackets and separators are tidied only where a tag was."""
    s = (subject or "").replace(_AT, " ")
    s, n = TAG_RE.subn(_taken(s), s)
    s = " ".join(s.split())  # (a blank at most: the patterns read one around _AT)
    while n:  # «([TID#...])»: the pair in a pair
        s, n = EMPTY_PAIR_RE.subn(_AT, s)
    s = DOUBLE_SEP_RE.sub(r"\g<sep>", SEP_AT_PAIR_RE.sub(_pair_only, s))
    s = BLANK_AT_PAIR_RE.sub("", s)
    s = strip_prefixes(" ".join(s.replace(_AT, " ").split()))
    while own is not None:
        shorter = strip_prefixes(own.sub("", s))
        if shorter == s:
            break
        s = shorter
    return s


# what mail and pages name a ticket whose first mail had no subject
NO_SUBJECT = "(без темы)"


def shown_subject(subject: str | None) -> str:
    """A ticket's subject as maild's mail and pages name it."""
    return subject or NO_SUBJECT


def message_ids(value: str | None) -> list[str]:
    """All <message-id>s in a References/In-Reply-To value, in order."""
    return MSGID_RE.findall(value or "")


def normalize_msgid(value: str | None) -> str | None:
    """One canonical form for comparing Message-IDs: angle-bracketed, no space."""
    if not value:
        return None
    ids = message_ids(value)
    if ids:
        return ids[0]
    v = "".join(value.split())
    return f"<{v.strip('<>')}>" if v else None
