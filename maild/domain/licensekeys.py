"""Which registered licenses a customer's mail names by key («номер лицензии ADV-1»).

The regulation (clause 8) gives commercial support only to mail from an address on
the license: a key is no proof (anyone can copy one), so naming it changes no level.
Staff are told which license the mail names, when its sender is not on it, and
decide (`maild license add`, `#level`); a customer whose mail speaks of a license is
told a staff member checks it (`mentions_license`), whether or not a key it names is
registered: a reply that said so only for a registered key would let anyone try keys.

A key is named as a whole token: its characters in a row, in any case, nothing else
between them («ADV-1», «adv-1.»; not «ADV-10», «XADV-1», «ADV-1-2», «A D V-1»). A
token is a run of word characters joined by single connectors (TOKEN_RE), the way
keys are written; a key is taken as `maild license add --key` stored it (any text),
its first token looked up among the text's tokens, the rest compared in place.

Pure, and linear in the text: one pass over its first MAX_READ characters, with a
dict lookup per token; a key's place is checked at most MAX_HITS times per text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from maild.domain.addresses import comparable_address
from maild.domain.records import LevelId
from maild.domain.sender import License, domain_of, ru_date
from maild.domain.sla import LEVELS

# Word characters joined by single connectors: «ADV-2026-0042», «SM5.NF/7», «ключ_1».
# Linear: \w and the connectors are apart, so no way of matching is ever retried.
TOKEN_RE = re.compile(r"\w+(?:[-./]\w+)*")
CONNECTORS = "-./"
_WORD = re.compile(r"\w")
_PLAIN = re.compile(r"[\w@.+,:/=-]+")  # a shell word that needs no quotes
MAX_READ = 1_000_000  # characters of one text (subject, body) looked through
MAX_HITS = 100  # places of one key's first token checked per text
MAX_NAMED = 10  # licenses one mail names, as staff are told of them
# a mail speaking of a license («лицензия», «лицензии ADV-1», "license", "licence")
# The word stems a mail speaks of a license with, in lower case (mentions_license).
_MENTION = ("лиценз", "licence", "license")


def named_licenses(texts: Iterable[str], licenses: Iterable[License]) -> tuple[License, ...]:
    """The licenses whose keys ``texts`` (a mail's subject and text) name as whole
    tokens, case-insensitively, in the order named; at most MAX_NAMED."""
    wanted: dict[str, list[tuple[int, str, License]]] = {}
    for lic in licenses:
        key = lic.key.strip()
        first = TOKEN_RE.search(key)
        if first is not None:  # a key of no word character names nothing
            wanted.setdefault(first.group().lower(), []).append((first.start(), key, lic))
    found: dict[str, License] = {}
    for text in texts:
        if not wanted or len(found) >= MAX_NAMED:
            break
        _find(text[:MAX_READ], wanted, found)
    return tuple(found.values())[:MAX_NAMED]


def _find(
    text: str, wanted: dict[str, list[tuple[int, str, License]]], found: dict[str, License]
) -> None:
    """Add to ``found`` (by key) the licenses of ``wanted`` (by their key's first
    token, lower-cased: (its place in the key, the key, the license)) ``text`` names."""
    checked: dict[str, int] = {}
    for m in TOKEN_RE.finditer(text):
        token = m.group().lower()
        keys = wanted.get(token)
        if keys is None or checked.get(token, 0) >= MAX_HITS:
            continue
        checked[token] = checked.get(token, 0) + 1
        for offset, key, lic in keys:
            if lic.key not in found and whole_at(text, m.start() - offset, key):
                found[lic.key] = lic
                if len(found) >= MAX_NAMED:
                    return


def whole_at(text: str, start: int, key: str) -> bool:
    """Whether ``key`` stands in ``text`` at ``start`` (any case) as a whole token:
    neither side goes on as a word (a word character, or a connector before one)."""
    end = start + len(key)
    if start < 0 or end > len(text) or text[start:end].lower() != key.lower():
        return False
    before = start > 0 and (
        _word(text[start - 1])
        or (text[start - 1] in CONNECTORS and start > 1 and _word(text[start - 2]))
    )
    after = end < len(text) and (
        _word(text[end])
        or (text[end] in CONNECTORS and end + 1 < len(text) and _word(text[end + 1]))
    )
    return not before and not after


def _word(c: str) -> bool:
    """A word character, as TOKEN_RE's \\w takes it."""
    return _WORD.match(c) is not None


def not_on(named: Iterable[License], address: str) -> list[License]:
    """Of the ``named`` licenses, those that do not list ``address`` (compared as
    identification compares them): the key is all that links the sender to them."""
    own = comparable_address(address)
    return [lic for lic in named if own not in (comparable_address(e) for e in lic.emails)]


def add_command(lic: License, address: str) -> str:
    """The admin's command that puts ``address`` on ``lic``: `license add` replaces an
    entry whole, so it gives again every address, --until and --name it keeps."""
    words = ["maild", "license", "add", "--key", lic.key, "--level", lic.level]
    for email in (*lic.emails, address):
        words += ["--email", email]
    if lic.until is not None:
        words += ["--until", lic.until.isoformat()]
    if lic.name:
        words += ["--name", lic.name]
    return " ".join(_shell_word(w) for w in words)


def _shell_word(word: str) -> str:
    """``word`` as a shell reads it back: bare when it is plain, else in double quotes
    (staff mail shows no single quotes: they read as a template's leftovers)."""
    if _PLAIN.fullmatch(word):
        return word
    return '"' + re.sub(r'([\\"$`])', r"\\\1", word) + '"'


def mentions_license(texts: Iterable[str]) -> bool:
    """Whether a mail's subject or text speaks of a license (its first MAX_READ
    characters each)."""
    # each text lower-cased and searched for each stem, cheaper than a case-insensitive
    # regular expression: a search every mail pays (bench/FINDINGS.md 70)
    lowered = (t[:MAX_READ].lower() for t in texts if t)
    return any(stem in low for low in lowered for stem in _MENTION)


def license_ctx(
    named: Iterable[License], sender: str, level: LevelId, today: date, mentioned: bool
) -> dict[str, Any]:
    """What the staff notice and the customer's mail say of the licenses a mail names
    whose addresses do not include its ``sender``: for staff each license
    (``licenses_named``: its level, term, addresses, and what staff may do when it is
    valid and commercial); for the customer (``license_check``), when the mail
    ``mentioned`` a license (mentions_license) and the ticket's ``level`` is not
    commercial already, that a staff member checks a number they gave: the same
    whether or not the number is registered."""
    foreign = not_on(named, sender) if sender else []
    domain = domain_of(comparable_address(sender))
    listed = []
    for lic in foreign:
        expired = lic.until is not None and lic.until < today
        domains = {domain_of(comparable_address(e)) for e in lic.emails}
        listed.append(
            {
                "key": lic.key,
                "name": lic.name,
                "level_id": lic.level,
                "level_name": LEVELS[lic.level].name_ru,
                "until": ru_date(lic.until),
                "expired": expired,
                "emails": list(lic.emails),
                "same_domain": bool(domain) and domain in domains,
                # what a key may lead to: a valid license of a commercial level
                "actionable": not expired and LEVELS[lic.level].commercial,
                "command": add_command(lic, sender),
            }
        )
    return {
        "licenses_named": listed,
        "license_sender": sender,
        "license_check": mentioned and not LEVELS[level].commercial,
    }
