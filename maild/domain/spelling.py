"""One address in the spellings its domain comes in: support's own people as the
config lists them, whichever spelling of a Cyrillic (IDN) domain their mail writes.

Pure. Only the spellings addresses.comparable_address takes as one (A-labels and
U-labels, letter case) are one person here: nothing IDNA 2003 folds into another
name (ß as ss, a fullwidth letter) makes anyone else one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from maild.domain.addresses import comparable_address
from maild.domain.message import ParsedMessage

__all__ = ["as_listed", "from_as_listed"]


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
