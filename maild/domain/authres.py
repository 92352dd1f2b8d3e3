"""Read Authentication-Results (RFC 8601) to decide whether a From address is genuine.

Only headers stamped by our own MTA (its authserv-id) count: anyone can add others,
and the MTA must remove those of our id that come with the message (README, Trust:
postfix's header_checks line, which strips what `is_ours` takes for ours: the id
first in the value, bare). Of ours, only the MTA's own block counts (`_block`): from
the topmost header of ours down to the first Received line below it; several milters
of the MTA (OpenDKIM, OpenDMARC) each add their own header there, and a header a
sender wrote below a relay's Received line is never read. Within the block each
method (dkim, spf, dmarc, ...) is read from the topmost header that states it, so a
lower header never overrides what one above it says of the same method.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest

from maild.domain.addresses import comparable_domain
from maild.domain.message import normalize_address
from maild.domain.sender import domain_of

__all__ = [
    "MAX_OURS",
    "Verdict",
    "domain_of_value",
    "is_ours",
    "sender_verified",
    "our_verdict",
    "verified_domains",
]

# A quoted string (RFC 5322): a value may be one, or hold one (_pairs).
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_QUOTED_RE = re.compile(_QUOTED)
_DOMAIN_RE = re.compile(r"(?:[\w-]+\.)*[\w-]+")
# What postfix's regexp tables (POSIX, C locale) take for a space and fold in case.
_POSIX_SPACE = " \t\n\v\f\r"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def is_ours(value: str, authserv_id: str) -> bool:
    """Whether one Authentication-Results value is stamped with ``authserv_id``: the id
    first in it, bare (no quotes, encoded word or comment before it), then a space,
    ";", "(" or its end; exactly what README's header_checks line strips from incoming
    mail (`/^Authentication-Results[[:space:]]*:[[:space:]]*mx\\.example\\.com
    ([[:space:];(]|$)/ IGNORE`), so that none a sender wrote is ours. As postfix reads
    it: ASCII letters in any case (no other letter folds into one: the Kelvin sign is
    no k) and POSIX spaces only (no-break space is none). Real MTAs write the id so
    (OpenDKIM, OpenDMARC, rspamd)."""
    wanted = authserv_id.strip().translate(_ASCII_LOWER)
    text = (value or "").lstrip(_POSIX_SPACE)
    n = len(wanted)
    if not wanted or text[:n].translate(_ASCII_LOWER) != wanted:
        return False
    return len(text) == n or text[n] in _POSIX_SPACE + ";("


def _results(resinfos: Iterable[str]) -> set[tuple[str, str]]:
    out = set()
    for resinfo in resinfos:
        if pairs := _pairs(resinfo):
            out.add((pairs[0][0].split("/", 1)[0].lower(), _unquote(pairs[0][1]).lower()))
    return out


# Headers of ours read at most, of the MTA's block: one per milter or filter of the
# MTA (a handful), and theirs stand on top of it; one past these is a sender's (an MTA
# that does not strip), which could only add what he wrote; and a mail of 20,000 of
# them costs its first MAX_OURS (bench/FINDINGS.md 69: it cost 9 s unbounded).
MAX_OURS = 16


@dataclass(frozen=True)
class Verdict:
    """What our MTA's Authentication-Results say: the (method, result) pairs (results)
    and the domains that passed DKIM or SPF (verified_domains), each method as the
    topmost header of the MTA's block that states it says (`_block`, `_by_method`)."""

    results: frozenset[tuple[str, str]]
    domains: frozenset[str]


def our_verdict(
    header_values: Iterable[str], authserv_id: str, received: Iterable[int] = ()
) -> Verdict:
    """Our MTA's verdict on one mail, read once: each rule that asks of the same mail
    (verify.sender_verified, spam.verdict) gets it again (`_verdict`). ``received``:
    for each header value, how many Received lines stand above it
    (ParsedMessage.authres_received); none given: no Received line among them."""
    return _verdict(tuple(header_values), authserv_id.strip(), tuple(received))


@lru_cache(maxsize=64)
def _verdict(
    header_values: tuple[str, ...], authserv_id: str, received: tuple[int, ...]
) -> Verdict:
    entries = _by_method(_block(header_values, authserv_id, received))
    domains: set[str] = set()
    for resinfo in entries:
        domains |= _passing(resinfo)
    domains.discard("")
    return Verdict(frozenset(_results(entries)), frozenset(domains))


def _block(values: tuple[str, ...], authserv_id: str, received: tuple[int, ...]) -> list[str]:
    """The headers of ours in the MTA's block, uncommented, topmost first: from the
    topmost of ours down to the first Received line below it (exclusive: those with as
    many Received lines above them), at most MAX_OURS. A depth missing for a value
    ends the block (fail closed)."""
    depths = received or (0,) * len(values)
    taken: list[str] = []
    top: int | None = None
    for value, depth in zip_longest(values, depths):
        if value is None or depth is None or (top is not None and depth != top):
            break
        if is_ours(value, authserv_id):
            top = depth
            taken.append(_uncomment(value))
            if len(taken) == MAX_OURS:
                break
    return taken


def _by_method(headers: list[str]) -> list[str]:
    """The resinfos that count, of uncommented headers topmost first: for each method,
    every entry of it in the first header that states the method at all (a header
    may state dkim twice, one per signature); the same method in a lower header is
    not read. OpenDMARC's header on top (dmarc=) and OpenDKIM's below it (dkim=) are
    both read; a lower dkim=pass never overrides the dkim=fail of one above it. Each
    header's entries read once (linear in all of them)."""
    taken: list[str] = []
    done: set[str] = set()
    for header in headers:
        here: dict[str, list[str]] = {}
        for resinfo in _split(header, ";")[1:]:
            if pairs := _pairs(resinfo):
                here.setdefault(pairs[0][0].split("/", 1)[0].lower(), []).append(resinfo)
        for method, entries in here.items():
            if method not in done:
                taken += entries
        done.update(here)
    return taken


def verified_domains(
    header_values: Iterable[str], authserv_id: str, received: Iterable[int] = ()
) -> set[str]:
    """Domains that passed DKIM (header.d / header.i) or SPF (smtp.mailfrom) per our MTA
    (`our_verdict`: its block, each method from the topmost header stating it)."""
    return set(our_verdict(header_values, authserv_id, received).domains)


def sender_verified(
    header_values: Iterable[str],
    authserv_id: str,
    from_addr: str,
    received: Iterable[int] = (),
) -> bool:
    """True if the From domain is aligned with a domain that passed DKIM or SPF.

    Relaxed alignment: the From domain equals the passing domain or is a subdomain
    of it. A single-label passing domain ("com") never aligns. Both are compared in
    A-labels (addresses.comparable_domain): DKIM's d= is always so (RFC 6376), while an
    SMTPUTF8 client's From says boss@окна.рф.
    """
    from_domain = comparable_domain(domain_of(normalize_address(from_addr)).rstrip("."))
    if not from_domain:
        return False
    return any(
        "." in d and (from_domain == d or from_domain.endswith("." + d))
        for d in map(comparable_domain, verified_domains(header_values, authserv_id, received))
    )


def _passing(resinfo: str) -> set[str]:
    """The domains one "method=result ptype.prop=value ..." entry vouches for."""
    pairs = [(k.lower(), v) for k, v in _pairs(resinfo)]
    if not pairs:
        return set()
    method, result = pairs[0]
    method = method.split("/", 1)[0]
    if _unquote(result).lower() != "pass":
        return set()
    props = dict(pairs[1:])
    keys: tuple[str, ...]
    if method == "dkim":
        keys = ("header.d", "header.i")
    elif method == "spf":
        keys = ("smtp.mailfrom",)
    else:
        return set()
    return {domain_of_value(props[k]) for k in keys if k in props}


def domain_of_value(value: str) -> str:
    """The domain a property's value names, lower-cased: header.i is "@sub.example.com"
    or "user@sub.example.com", smtp.mailfrom either or a bare domain, any of them may
    be one quoted string. It is what follows the last "@" of the whole value, a quoted
    local part included: "anna@example.com"@evil.example names evil.example, never
    example.com. "" when no domain can be read there (a quote or a space in it, or
    nothing): such a value proves nothing."""
    text = _unquote(value) if _QUOTED_RE.fullmatch(value) else value
    domain = text.rsplit("@", 1)[-1].strip().rstrip(".").lower()
    return domain if _DOMAIN_RE.fullmatch(domain) else ""


def _pairs(resinfo: str) -> list[tuple[str, str]]:
    """The key=value pairs of one resinfo; a key is "method", "method/version" or
    "ptype.property" (letters, digits, "_./-"). A value is quoted strings and other
    characters run together up to a space or ";" (RFC 8601 pvalue: a local part may be
    quoted, "anna@example.com"@evil.example); one that an unterminated quote ends is
    none, and a pair is then looked for after its key. One pass (`_value_ends`): a
    long value is never read again from each of its characters."""
    text, n = resinfo, len(resinfo)
    ends = _value_ends(text)
    out: list[tuple[str, str]] = []
    p = 0
    while p < n:
        if not _is_key(text[p]):
            p += 1
            continue
        key_end = p
        while key_end < n and _is_key(text[key_end]):
            key_end += 1
        eq = _past_spaces(text, key_end)
        if eq < n and text[eq] == "=":
            start = _past_spaces(text, eq + 1)
            end = ends[start]
            if end > start and (end == n or text[end] != '"'):
                out.append((text[p:key_end], text[start:end]))
                p = end
                continue
        p = key_end  # (a key's own tail meets the same "=" and value: none)
    return out


def _value_ends(text: str) -> list[int]:
    """For each position of ``text`` (and its end), where a value begun there ends:
    past the quoted strings and other characters but a space, ";" or '"' run together
    from it; at an unterminated quote. Read from the end back, once."""
    n = len(text)
    ends = list(range(n + 1))
    closing: list[int | None] = [None] * (n + 1)  # the quote that ends a string going on here
    for i in range(n - 1, -1, -1):
        ch = text[i]
        if ch == '"':
            closing[i] = i
            shut = closing[i + 1]
            ends[i] = ends[shut + 1] if shut is not None else i
            continue
        if ch == "\\":  # escapes any character but a line break
            closing[i] = closing[i + 2] if i + 1 < n and text[i + 1] != "\n" else None
        else:
            closing[i] = closing[i + 1]
        if not (ch.isspace() or ch == ";"):
            ends[i] = ends[i + 1]
    return ends


def _is_key(ch: str) -> bool:
    return ch.isalnum() or ch in "_./-"


def _past_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _uncomment(text: str) -> str:
    """``text`` with (possibly nested) RFC 5322 comments replaced by a space."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if depth == 0 and ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
            continue
        elif not quoted and ch == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append(" ")
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
