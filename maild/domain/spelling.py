"""One address in the spellings its domain comes in. Who someone is (as_listed:
support's own people as the config lists them) takes only the spellings
addresses.comparable_address takes as one, A-labels and U-labels in any case: nothing
IDNA 2003 folds into another name makes anyone else one of them. What the safeguards
count and block (routed_address: the block list, the caps) takes every spelling the
mail system delivers to one mailbox as one, so that none slips past them.

Pure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from maild.domain.addresses import comparable_address, comparable_domain
from maild.domain.message import ParsedMessage

__all__ = ["as_listed", "from_as_listed", "routed_address", "routed_domain"]


def as_listed(address: str, listed: Iterable[str]) -> str:
    """``address`` as ``listed`` (support.staff and support.head) spells it when it is
    one of them in another spelling of its domain: anna@xn--80ahaefyxhn.xn--p1ai is
    anna@поддержка.рф listed so, and the other way round; any other address as it
    came. Every rule that asks whether mail is support's own (Policy.claims_staff,
    is_head, verify.staff_verified, the ticket's sides) then sees the one address
    the config names, the one its notices and signed reply addresses are for."""
    if not address or "@" not in address:
        return address
    mine = comparable_address(address)
    for person in listed:
        if person and comparable_address(person) == mine:
            return person
    return address


def from_as_listed(msg: ParsedMessage, listed: Iterable[str]) -> ParsedMessage:
    """``msg`` with its From as ``listed`` spells it (as_listed): the pipeline reads
    every mail so, before any rule asks who wrote it."""
    own = as_listed(msg.from_addr, listed)
    return msg if own == msg.from_addr else replace(msg, from_addr=own)


def nfkc_dots(domain: str) -> str:
    """``domain`` with what IDNA reads as other characters folded (routed_domain): NFKC,
    the ideographic full stop as a dot («окна．рф», «окна。рф»: окна.рф)."""
    return unicodedata.normalize("NFKC", domain).replace("\u3002", ".")


def routed_domain(domain: str) -> str:
    """``domain`` as the block list and the caps compare it: as the mail system routes
    it, then as comparable_domain spells it. IDNA reads an ideographic, fullwidth or
    halfwidth full stop as a dot and a fullwidth letter as that letter (Python's
    codec; UTS 46, which postfix's SMTPUTF8 support applies), so NFKC is taken first
    (it maps those, and never ß, ς or a joiner, which IDNA 2008 keeps), the
    ideographic full stop as a dot; and postfix's trivial-rewrite drops a trailing
    dot, not of «..» nor a domain of a dot alone (DNS's «example.com.» is
    example.com), so one is dropped here too. Mail to
    окна。рф, ｅxample.com or example.com. reaches окна.рф, example.com: a block of
    those covers them, a cap counts them as one."""
    folded = nfkc_dots(domain.strip())
    if folded.endswith(".") and not folded.endswith("..") and folded != ".":
        folded = folded[:-1]
    return comparable_domain(folded)


def routed_address(address: str) -> str:
    """``address`` as the block list and the caps compare it: its local part lower-cased,
    its domain as routed_domain gives it (ivan@окна。рф is ivan@xn--80atjc.xn--p1ai)."""
    local, at, domain = address.strip().rpartition("@")
    return f"{local.lower()}@{routed_domain(domain)}" if at else address.strip().lower()
