"""Addresses in headers: From's mailbox, To/Cc lists, the bare address of a value.

Parsed before decoding (an encoded word is one opaque atom), capped by domain.limits.
"""

from __future__ import annotations

import email.utils
import encodings.idna
import functools
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable
from email.message import Message
from typing import TypeVar, cast

from maild.domain import limits
from maild.domain.addrspec import valid_addr_spec
from maild.domain.header_text import decode_compat32

_F = TypeVar("_F", bound=Callable[..., str])

__all__ = [
    "a_labelled",
    "a_labelled_domain",
    "address_of",
    "addresses",
    "ascii_domain",
    "comparable_address",
    "comparable_domain",
    "each_once",
    "getaddresses",
    "normalize_address",
    "parseaddr",
    "sender",
    "spellings",
    "valid_addr_spec",
]

# CVE-2023-27043's fix (Python 3.11.10+, 3.12.6+, Debian 12's 3.11.2) made getaddresses
# and parseaddr strict: a value whose commas outnumber the addresses found gives none.
# `From: ivan@x.ru (Иванов, Иван)` had no sender (no owner, no confirmation), a To list
# with one such comment no participant. maild parses as before the fix (strict=False where
# it exists) on every release: its rules keep a name from posing as the sender (test_message).
_LENIENT = (
    {"strict": False} if "strict" in inspect.signature(email.utils.getaddresses).parameters else {}
)


def getaddresses(values: list[str]) -> list[tuple[str, str]]:
    """email.utils.getaddresses(values), read alike on every Python release."""
    return email.utils.getaddresses(values, **_LENIENT)


def parseaddr(value: str) -> tuple[str, str]:
    """email.utils.parseaddr(value), read alike on every Python release."""
    return email.utils.parseaddr(value, **_LENIENT)


# A bare dot-atom address: what getaddresses would return unchanged.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)
# One mailbox as most mail writes it, "Name <addr>", "<addr>" or "addr", with no
# character the full parser treats specially: getaddresses gives exactly these groups
# for it, so the full parser runs only for the rest (a property test holds them equal).
_ADDR = _PLAIN_ADDRESS.pattern
_SIMPLE_MAILBOX = re.compile(
    r'\s*(?:([^()<>\[\]:;@\\,."\s][^()<>\[\]:;@\\,."]*?)\s*)?<(' + _ADDR + r")>\s*"
    r"|\s*(" + _ADDR + r")\s*"
)


# A quoted local part that needs no quotes: "victim+1"@x is the mailbox victim+1@x
# (RFC 5322 3.4.1; smtplib sends it so), and the caps, the support address's own
# checks and every look-up must see one address, not two.
_NEEDLESSLY_QUOTED = re.compile(
    r'"([A-Za-z0-9!#$%&\'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&\'*+/=?^_`{|}~-]+)*)"(@.*)'
)


def _unquoted(addr: str) -> str:
    m = _NEEDLESSLY_QUOTED.fullmatch(addr)
    return m.group(1) + m.group(2) if m else addr


def _getaddresses(value: str) -> list[tuple[str, str]]:
    """email.utils.getaddresses([value]), without the parser for one simple mailbox,
    a local part quoted without need unquoted."""
    m = _SIMPLE_MAILBOX.fullmatch(value)
    if m is None:
        return [(n, _unquoted(a)) for n, a in getaddresses([value])]
    if m.group(2) is not None:
        return [(" ".join((m.group(1) or "").split()), m.group(2))]
    return [("", m.group(3))]


# The address functions below run for every message and every ticket looked at, so
# their answers are cached; but only for arguments a real address or From value can
# be (an address is at most 254 octets, RFC 5321), so the caches' memory is bounded
# whatever the From values (bench/FINDINGS.md 50). Longer ones are computed anew.
_CACHED_ADDRESS_CHARS = 254
_CACHED_VALUE_CHARS = 1024  # a From/To value: a display name and the address
_CACHE_SIZE = 4096


def _cached_when_short(limit: int) -> Callable[[_F], _F]:
    """`func` (one str-or-None argument) with its results cached for arguments of at
    most `limit` characters."""

    def wrap(func: _F) -> _F:
        cached = functools.lru_cache(maxsize=_CACHE_SIZE)(func)

        @functools.wraps(func)
        def call(value: str | None) -> str:
            return cached(value) if value is None or len(value) <= limit else func(value)

        return cast(_F, call)

    return wrap


@_cached_when_short(_CACHED_VALUE_CHARS)
def normalize_address(value: str | None) -> str:
    """The bare lower-cased address of a From/To value (names, brackets stripped)."""
    if not value:
        return ""
    for _name, addr in _getaddresses(value):
        if "@" in addr:
            return addr.strip().lower()
    return value.strip().strip("<>").lower()


# the dots IDNA 2003 takes for "." (ideographic, fullwidth, halfwidth)
_OTHER_DOTS = frozenset("\u3002\uff0e\uff61")


def _a_labels(domain: str) -> str:
    """`domain` in IDNA A-labels (окна.рф: xn--80atjc.xn--p1ai); as it came when it is
    ASCII already or IDNA cannot spell it (an empty label, a prohibited character).

    Only a name of real non-ASCII labels is spelled so: one whose non-ASCII label IDNA
    folds into ASCII (fullwidth «ｅxample», a fullwidth or ideographic dot) stays as it
    came. Folded, each of a thousand spellings of example.org would be mail to
    example.org that the caps and the block list, which count addresses as written,
    took for another address each. So does a label whose A-label reads back as other
    letters (_spelt_as_written): IDNA 2003 maps ß to ss and ς to σ and drops joiners,
    where registries (IDNA 2008) keep them, and «faßmüller.de» came out as the A-labels
    of fassmüller.de, a domain of someone else's."""
    if domain.isascii() or _OTHER_DOTS.intersection(domain):
        return domain
    labels = []
    for label in domain.split("."):
        try:
            ascii_label = encodings.idna.ToASCII(label).decode("ascii")
        except UnicodeError:  # (an empty label too)
            return domain
        if not label.isascii() and not _spelt_as_written(label, ascii_label):
            return domain
        labels.append(ascii_label)
    return ".".join(labels)


def _spelt_as_written(label: str, ascii_label: str) -> bool:
    """Whether ``ascii_label`` (IDNA 2003's ToASCII of the non-ASCII ``label``) is an
    A-label that reads back as ``label`` itself, but for case: not a compatibility
    spelling of an ASCII label or a dot, nor ß as ss, ς as σ, a joiner dropped."""
    if not ascii_label.startswith("xn--") or "." in ascii_label:
        return False
    try:
        back = encodings.idna.ToUnicode(ascii_label)
    except UnicodeError:
        return False
    return back == unicodedata.normalize("NFC", label.lower())


def ascii_domain(address: str) -> str:
    """The address with its domain in ASCII (IDNA A-labels: «boss@окна.рф» is
    boss@xn--80atjc.xn--p1ai), as ordinary clients, Chrome's e-mail field and relays
    without SMTPUTF8 carry it; anything else (no "@", a name IDNA cannot spell) as it
    came."""
    local, at, domain = address.rpartition("@")
    return f"{local}@{_a_labels(domain)}" if at else address


def a_labelled_domain(domain: str) -> str:
    """`domain` as maild names its own in the ids of its mail (Message-ID: an id of
    8-bit characters threads in no client, and mime.header_line leaves it out): in
    IDNA A-labels (поддержка.рф: xn--80ahaefyxhn.xn--p1ai); as it came when ASCII
    already or IDNA cannot spell it (_a_labels)."""
    return _a_labels(domain)


def a_labelled(address: str) -> str:
    """`address` as maild writes it, in the header fields of its mail and in the
    envelope to a relay without SMTPUTF8: an ASCII local part at a non-ASCII domain
    with the domain in A-labels (ascii_domain: boss@xn--80atjc.xn--p1ai, plain ASCII,
    RFC 5890), the one mailbox as ordinary clients write it, valid in any header
    (8-bit octets in a header need SMTPUTF8 on every hop, RFC 6531/6532). A non-ASCII
    local part has no ASCII spelling: as it is (its mail needs SMTPUTF8 anyway); so is
    a domain IDNA cannot spell, or only as another (_a_labels)."""
    if address.isascii():
        return address
    local, at, _domain = address.rpartition("@")
    return ascii_domain(address) if at and local.isascii() else address


@_cached_when_short(_CACHED_ADDRESS_CHARS)
def comparable_domain(domain: str) -> str:
    """A domain as identification compares it: in IDNA A-labels, lower-cased, so
    магазин.рф, МАГАЗИН.РФ and xn--80aairftm.xn--p1ai are one domain (one IDNA cannot
    spell: lower-cased as typed). The stdlib's codec (IDNA 2003), as the site's form
    spells addresses (ascii_domain), so both sides come out alike."""
    return _a_labels(domain.strip()).lower()


@_cached_when_short(_CACHED_ADDRESS_CHARS)
def comparable_address(address: str) -> str:
    """An address as identification compares it (licenses, groups): lower-cased, its
    domain as comparable_domain gives it. The same person writes from boss@окна.рф
    with an SMTPUTF8 client, from boss@xn--80atjc.xn--p1ai with any other, and the
    site's form turns the first into the second."""
    local, at, domain = address.strip().rpartition("@")
    return f"{local.lower()}@{comparable_domain(domain)}" if at else address.strip().lower()


def each_once(addresses: Iterable[str]) -> list[str]:
    """Each mailbox of ``addresses`` once, in the spelling met first and in their order:
    anna@магазин.рф and anna@xn--80aairftm.xn--p1ai (as our headers name her) are one
    (comparable_address); empty ones left out."""
    once: dict[str, str] = {}
    for a in addresses:
        if a:
            once.setdefault(comparable_address(a), a)
    return list(once.values())


def spellings(address: str) -> tuple[str, ...]:
    """``address`` lower-cased in each spelling of its domain, each once: as written,
    in A-labels (comparable_address) and in U-labels (boss@окна.рф and
    boss@xn--80atjc.xn--p1ai); a domain IDNA cannot read back, as written only."""
    mine = normalize_address(address)
    ascii_form = comparable_address(mine)
    local, at, domain = ascii_form.rpartition("@")
    labels = domain.split(".")
    try:  # only A-labels are read back: a folded spelling has no other (_a_labels)
        labels = [encodings.idna.ToUnicode(x) if x.startswith("xn--") else x for x in labels]
    except UnicodeError:
        pass
    unicode = f"{local}@{'.'.join(labels).lower()}"
    forms = (mine, ascii_form, unicode) if at else (mine,)
    return tuple(f for f in dict.fromkeys(forms) if comparable_address(f) == ascii_form)


def address_of(value: str) -> str | None:
    """The one lower-cased address `value` names ("a@b.ru", "Name <a@b.ru>"), or None
    when it names none (no "@", no local part, no domain) or more than one: what an
    admin types where an address is meant."""
    found = [addr.strip() for _name, addr in _getaddresses(value.strip())]
    if len(found) != 1:
        return None
    local, at, domain = found[0].rpartition("@")
    labels = domain.split(".")
    if not local or not at or not all(labels) or any(c.isspace() for c in found[0]):
        return None
    return found[0].lower()


_QUOTED_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMMENT_RE = re.compile(r"\((?:[^()\\]|\\.)*\)")
_ANGLE_ADDR_RE = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_UNFOLD_RE = re.compile(r"\r?\n[ \t]")
_ENCODED_WORD_RE = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=")


def _decode_addr(addr: str) -> str:
    """An addr-spec as parsed; raw 8-bit bytes in it (EAI, broken clients) decoded; a
    trailing dot of its domain dropped, as postfix does («x@example.com.»: x@example.com)."""
    addr = decode_compat32(addr).replace(" ", "") if not addr.isascii() else addr
    return (addr[:-1] if addr.endswith(".") and not addr.endswith(("..", "@.")) else addr).lower()


def _mailboxes(
    msg: Message, name: str, limit: int = limits.MAX_RECIPIENTS, cut: list[str] | None = None
) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased address) of an address header, in order.

    Parsed before decoding: an encoded word is one opaque atom, so a display name
    that decodes to "Петров, Иван" cannot split the list, and one that decodes to
    "anna@example.com" or "<anna@example.com>" cannot pose as the address.
    Only the first `limit` entries are parsed (the rest goes to `cut` as text, decoded
    as any header is: raw 8-bit bytes, encoded words).
    """
    out: list[tuple[str, str]] = []
    parsed = 0  # entries, valid or not: fields of invalid ones parse no more
    for value in msg.get_all(name, []):
        head, rest = limits.first_addresses(str(value), limit - parsed)
        if rest and cut is not None:  # (as other header text: raw 8-bit bytes decoded)
            cut.append(f"{name}: {decode_compat32(rest[: limits.MAX_CUT_TEXT])}")
        raw = _UNFOLD_RE.sub(" ", head)
        for display, addr in _getaddresses(raw):
            addr, parsed = addr.strip(), parsed + 1
            # An encoded word is never an address (RFC 2047 section 5); nor is what a
            # quote left open swallowed («"Ivan <ivan@x.ru>» read as one local part)
            if "@" in addr and "=?" not in addr and valid_addr_spec(_decode_addr(addr)):
                display = limits.cut(decode_compat32(display).strip(), limits.MAX_NAME)
                out.append((display, _decode_addr(addr)))
    return out


def addresses(
    msg: Message, name: str, limit: int = limits.MAX_RECIPIENTS, cut: list[str] | None = None
) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addr for _display, addr in _mailboxes(msg, name, limit, cut)))


def _angled(raw: str, addr: str) -> tuple[str, str] | None:
    """The one angle-bracketed `addr` of From as its mailbox, the text before it (its
    quotes dropped, encoded words decoded) as the display name; None when From does
    not hold it as written (a quoted local part, '<"a.b"@x>', was blanked to '""@x')."""
    at = [m.start() for m in _ANGLE_ADDR_RE.finditer(raw) if _decode_addr(m.group(1)) == addr]
    if not at:
        return None
    display = decode_compat32(raw[: at[-1]].replace('"', " "))
    return limits.cut(" ".join(display.split()), limits.MAX_NAME), addr


def sender(msg: Message) -> tuple[str, str]:
    """(display name, address) of From.

    When the header has an angle-bracketed address, that is the mailbox: in the
    malformed "anna@example.com <x@evil.example>" the first bare address is only
    text (the receiving MTA's DMARC check sees x@evil.example too). A From made of
    one encoded word with the whole "Name <address>" inside (broken web forms) is
    decoded as a last resort.
    """
    boxes = _mailboxes(msg, "from")
    raw = " ".join(_UNFOLD_RE.sub(" ", limits.head_of(str(v))) for v in msg.get_all("from", []))
    bare = _QUOTED_RE.sub('""', raw)
    for _ in range(5):  # comments nest
        bare = _COMMENT_RE.sub(" ", bare)
    angled = list(dict.fromkeys(_decode_addr(a) for a in _ANGLE_ADDR_RE.findall(bare)))
    for display, addr in boxes:
        if not angled or addr in angled:
            return display, addr
    # A quote left open ('"Ivan Petrov <ivan@x.ru>'; the email package writes a name
    # holding '"' and an RLO so) made the parser read the rest as one local part: the
    # one angle-bracketed addr-spec is the mailbox, as the receiving MTA reads it.
    found = _angled(raw, angled[0]) if len(angled) == 1 and valid_addr_spec(angled[0]) else None
    if found is not None:
        return found
    if boxes:
        return boxes[0]
    # An encoded word glued to a bare address ("=?utf-8?B?...?=ivan@x.ru").
    words = " ".join(_ENCODED_WORD_RE.findall(raw))
    rest = _ENCODED_WORD_RE.sub(" ", raw)
    for _display, addr in getaddresses([rest]):
        if "@" in addr.strip():
            return _usable(decode_compat32(words).strip(), _decode_addr(addr.strip()))
    if "@" not in rest:
        for display, addr in getaddresses([decode_compat32(raw)]):
            if "@" in addr:
                return _usable(display.strip(), addr.strip().lower())
    return "", ""


def _usable(display: str, addr: str) -> tuple[str, str]:
    """(display, addr) when addr is a valid addr-spec; else no address at all: mail
    with no usable From (screen: «нет адреса отправителя»), never garbage stored as
    the requester and mailed to."""
    return (display, addr) if valid_addr_spec(addr) else (display, "")
