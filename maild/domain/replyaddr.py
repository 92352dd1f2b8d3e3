"""Signed reply addresses, support+<tid>.<signature>@domain, so that a reply proves
which ticket it belongs to without trusting the subject; and signed Message-IDs of
our own mail, <key.tid.signature@domain>, so that In-Reply-To/References name the
ticket without an index entry per mail sent. A list mail to staff (reminders, refused
mail: several tickets in one) carries kinds of its own: support+list.<tid>.<signature>@
and a Message-ID whose key starts "list-", so that a reply to the list itself is known
as one, on none of its tickets, as surely as a reply address proves its ticket.

Pure: the secret is passed in. Addresses are case-insensitive, so the TID is
signed in lower case. Support's domain is written in A-labels (a desk at поддержка.рф
signs support+<tid>.<sig>@xn--80ahaefyxhn.xn--p1ai, its ids end so: ASCII, valid in
any header and over any relay) and read back in either spelling (comparable_domain):
an EAI client answers in Unicode what an ordinary one answers in A-labels.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable

from maild.domain.addresses import (
    a_labelled,
    a_labelled_domain,
    comparable_address,
    comparable_domain,
    spellings,
)
from maild.domain.message import normalize_address

__all__ = [
    "is_support_address",
    "list_signed_for",
    "list_tid_of_message_id",
    "message_id_parts",
    "sign",
    "sign_list",
    "sign_for",
    "sign_message_id",
    "signed_epoch",
    "signed_for",
    "tid_of_message_id",
    "verify",
]

SIGNATURE_LENGTH = 10  # 50 bits: far beyond guessing by mail, short enough to read
# The signature is the lower-case base32 (RFC 4648) of the digest, cut to its first
# SIGNATURE_LENGTH characters: those spell its first 5 * SIGNATURE_LENGTH bits, and
# are taken from them directly (the stdlib's b32encode is pure Python and costs more
# than the HMAC itself: bench/FINDINGS.md 15).
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_SIGNATURE_BYTES = -(-5 * SIGNATURE_LENGTH // 8)
_SHIFTS = tuple(range(5 * SIGNATURE_LENGTH - 5, -1, -5))
_SPARE_BITS = 8 * _SIGNATURE_BYTES - 5 * SIGNATURE_LENGTH
# What a TID may contain in a plus part, so that the address stays a plain dot-atom
# local part (looser than tid.TID_RE: it checks the shape of an address, not a TID).
PLUS_TID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
# What joins support's local part and the plus part (support+<tid>.<sig>@). The MTA
# must split addresses at the same character: README's postfix setup sets
# `recipient_delimiter = +`, and both change together (mail to the signed addresses
# of another delimiter would bounce as unknown users).
DELIMITER = "+"
MAX_EPOCH_DIGITS = 9  # an epoch counts renewals of one person's address of one ticket


def sign(tid: str, secret: bytes, support_address: str) -> str:
    """The ticket-wide reply address for ``tid``, e.g.
    "support+4821-7730.k3j9x2ab7q@example.com": what mail carried before each
    recipient got their own (sign_for). A reply to it still finds its ticket, but
    it proves no one: every customer's copy carried the same."""
    local, tid, domain = _parts(tid, support_address)
    return a_labelled(f"{local}{DELIMITER}{tid}.{_signature(tid, secret)}@{domain}")


def verify(address: str, secret: bytes, support_address: str) -> tuple[str | None, bool]:
    """(TID named in the plus part or None, whether its signature is valid).

    A forged or truncated signature still reports the TID, so the caller can say
    which ticket someone tried to reach.
    """
    plus = _plus_part(address, support_address)
    if not plus:
        return None, False
    if "." not in plus:  # no signature at all: "support+4821-7730@..."
        plus += "."
    fields = _fields(plus)
    if fields is None:
        return None, False
    tid, epoch, signature = fields
    if epoch:  # a person's renewed address (sign_for): never the ticket-wide one
        return tid, False
    expected = _signature(tid, secret)
    # compare_digest on bytes: it refuses non-ASCII str, and a reply may carry anything.
    return tid, hmac.compare_digest(expected.encode(), signature.encode())


def sign_for(tid: str, person: str, secret: bytes, support_address: str, epoch: int = 0) -> str:
    """The reply address for ``tid`` signed for one person (a staff member or a
    customer): same shape as `sign`, but only the copy sent to that person carries
    it, so a reply to it from that address shows that person wrote it (another
    recipient's copy cannot be reused). Every mail maild sends carries this one.
    ``epoch``: how many times the person's address of the ticket was seen by someone
    outside support's side (domain.leak), written before the signature and signed
    with it ("support+4821-7730.1.k3j9x2ab7q@"); 0, the first, is written as addresses
    were before (the mail already sent stays valid)."""
    local, tid, domain = _parts(tid, support_address)
    signature = _signature(_for(tid, person, epoch), secret)
    plus = f"{tid}.{epoch}.{signature}" if epoch else f"{tid}.{signature}"
    return a_labelled(f"{local}{DELIMITER}{plus}@{domain}")


def signed_for(
    address: str, person: str, secret: bytes, support_address: str, stored: Iterable[str] = ()
) -> str | None:
    """The TID if ``address`` is a reply address signed for ``person``, of any epoch
    (signed_epoch), else None."""
    found = signed_epoch(address, person, secret, support_address, stored)
    return found[0] if found else None


def signed_epoch(
    address: str, person: str, secret: bytes, support_address: str, stored: Iterable[str] = ()
) -> tuple[str, int] | None:
    """(the TID, the epoch: sign_for) if ``address`` is a reply address signed for
    ``person``, else None: signed for them in either spelling of their domain
    (addresses.spellings), or as one of ``stored`` (a ticket's people) spells them.
    Our mail names boss@окна.рф as boss@xn--80atjc.xn--p1ai, and they answer from
    either; the addresses already in their mailbox stay valid, signed for the
    spelling the ticket keeps."""
    fields = _fields(_plus_part(address, support_address) or "")
    if fields is None:
        return None
    tid, epoch, signature = fields
    mine = comparable_address(person)
    others = (s for s in stored if s and comparable_address(s) == mine)
    for who in dict.fromkeys((*spellings(person), *map(normalize_address, others))):
        expected = _signature(_for(tid, who, epoch), secret)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return tid, epoch
    return None


def _fields(plus: str) -> tuple[str, int, str] | None:
    """(TID, epoch, signature) of a ticket's reply address's plus part: "<tid>.<sig>"
    (epoch 0) or "<tid>.<epoch>.<sig>" (sign_for); None for any other (a list's
    "list.<tid>.<sig>" among them)."""
    tid, _, signature = plus.rpartition(".")
    tid, dot, epoch = tid.partition(".")
    if dot and not (epoch.isascii() and epoch.isdigit() and epoch[0] != "0"):
        return None
    if len(epoch) > MAX_EPOCH_DIGITS:  # no epoch of ours (int() of 4,301 digits raises)
        return None
    if not tid or not PLUS_TID_RE.fullmatch(tid):
        return None
    return tid, int(epoch or 0), signature


def sign_list(tid: str, person: str, secret: bytes, support_address: str) -> str:
    """The Reply-To of a list mail to ``person`` whose first ticket is ``tid``:
    "support+list.4821-7730.k3j9x2ab7q@example.com". Its plus part holds a dot more
    than a ticket's, so `verify` and `signed_for` never take it for one: a reply to it
    is a reply to the list, on no ticket (list_signed_for tells it)."""
    local, tid, domain = _parts(tid, support_address)
    signature = _signature(_list_for(tid, person), secret)
    return a_labelled(f"{local}{DELIMITER}list.{tid}.{signature}@{domain}")


def list_signed_for(address: str, person: str, secret: bytes, support_address: str) -> str | None:
    """The first TID of the list if ``address`` is a list's reply address signed for
    ``person`` (sign_list), in either spelling of their domain (addresses.spellings,
    as signed_for): a list to anna@поддержка.рф answered from her A-labels is hers."""
    kind, _, rest = (_plus_part(address, support_address) or "").partition(".")
    tid, _, signature = rest.rpartition(".")
    if kind != "list" or not tid or not PLUS_TID_RE.fullmatch(tid):
        return None
    for who in spellings(person):
        expected = _signature(_list_for(tid, who), secret)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return tid
    return None


def _list_for(tid: str, person: str) -> str:
    # "list\0" first: no list's signature is a ticket's (_for: a TID has no "\0")
    return "list\0" + _for(tid, person)


def _parts(tid: str, support_address: str) -> tuple[str, str, str]:
    """(support's local part, the TID as signed, support's domain) of a reply address;
    ValueError for a TID that would not be a plain dot-atom there."""
    local, domain = _split(support_address)
    tid = tid.strip().lower()
    if not PLUS_TID_RE.fullmatch(tid):
        raise ValueError(f"TID {tid!r} cannot be put into a reply address")
    return local, tid, domain


def _for(tid: str, person: str, epoch: int = 0) -> str:
    # "\0" cannot occur in a TID or an address: no (tid, person, epoch) signs as
    # another; epoch 0 signs as every address did before epochs
    signed = f"{tid}\0{normalize_address(person)}"
    return f"{signed}\0{epoch}" if epoch else signed


def sign_message_id(key: str, tid: str, secret: bytes, domain: str) -> str:
    """The Message-ID of mail we send about ``tid``; ``key`` makes it unique (and is
    derived from what caused the mail, so a re-run gives the same id). Its domain in
    A-labels (a_labelled_domain): an id of 8-bit characters threads in no client."""
    return f"<{key}.{tid}.{_signature(f'{key}.{tid}', secret)}@{a_labelled_domain(domain)}>"


_MESSAGE_ID_RE = re.compile(r"<([A-Za-z0-9_-]+)\.([a-z0-9][a-z0-9_-]*)\.([a-z2-7]+)@([^<>@\s]+)>")


def message_id_parts(msgid: str) -> tuple[str, str] | None:
    """(key, TID) of what has the shape of one of our Message-IDs, its signature
    unchecked (sign_message_id checks it by signing them again); None for any other."""
    m = _MESSAGE_ID_RE.fullmatch(msgid.strip())
    return (m.group(1), m.group(2)) if m else None


def tid_of_message_id(msgid: str, secret: bytes, domain: str) -> str | None:
    """The TID of one of our own signed Message-IDs, its domain ``domain`` in either
    spelling (comparable_domain); None for anything else."""
    m = _MESSAGE_ID_RE.fullmatch(msgid.strip())
    if m is None or comparable_domain(m.group(4)) != comparable_domain(domain):
        return None
    key, tid, signature = m.group(1), m.group(2), m.group(3)
    expected = _signature(f"{key}.{tid}", secret)
    return tid if hmac.compare_digest(expected.encode(), signature.encode()) else None


LIST_KEY = "list-"  # the key of a list's Message-ID starts so; the signature covers it


def list_tid_of_message_id(msgid: str, secret: bytes, domain: str) -> str | None:
    """The first TID of a list maild sent under ``msgid`` (its key starts with
    LIST_KEY, signed); None for any other Message-ID."""
    tid = tid_of_message_id(msgid, secret, domain)
    return tid if tid is not None and msgid.strip()[1:].startswith(LIST_KEY) else None


def is_support_address(address: str, support_address: str) -> bool:
    """True for the support address itself and for any support+anything@ variant, its
    domain in either spelling (comparable_domain: support@поддержка.рф and
    support@xn--80ahaefyxhn.xn--p1ai are one address)."""
    local, _domain = _split(support_address)
    own = _own_local(address, support_address)
    return own is not None and (own == local or own.startswith(local + DELIMITER))


def _signature(tid: str, secret: bytes) -> str:
    if not secret:
        raise ValueError("reply-address secret is empty: every signature would be forgeable")
    digest = hmac.digest(secret, tid.encode(), "sha256")
    bits = int.from_bytes(digest[:_SIGNATURE_BYTES], "big") >> _SPARE_BITS
    return "".join([_B32[(bits >> shift) & 31] for shift in _SHIFTS])


def _split(support_address: str) -> tuple[str, str]:
    addr = normalize_address(support_address)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"support address {support_address!r} is not an email address")
    return local, domain


def _plus_part(address: str, support_address: str) -> str | None:
    """What follows "support" and DELIMITER when ``address`` is a plus-address of
    support, else None."""
    local, _domain = _split(support_address)
    addr_local = _own_local(address, support_address)
    if addr_local is None or not addr_local.startswith(local + DELIMITER):
        return None
    return addr_local[len(local) + len(DELIMITER) :]


def _own_local(address: str, support_address: str) -> str | None:
    """The lower-cased local part of ``address`` when it is at support's domain, in
    either spelling of it (comparable_domain), else None."""
    _local, domain = _split(support_address)
    addr_local, at, addr_domain = normalize_address(address).rpartition("@")
    if not at or comparable_domain(addr_domain) != comparable_domain(domain):
        return None
    return addr_local
