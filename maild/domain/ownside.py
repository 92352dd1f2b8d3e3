"""Who is support's own side: three notions, each defined here once, every one over
addresses as identification compares them (addresses.comparable_address: in any case,
a domain in U-labels or A-labels), so that a staff address spelt one way in the config
and another in a mail, a ticket or a queued record is the one person everywhere.

- Staff (`staff_side`, support.staff): whom staff mail goes to (ticket.staff_mail_to),
  whose replies run commands and reach customers; staff's copies of a mail thread to
  what staff hold (threadhdr.per_copy).
- Support's own people (`own_side`: staff and the head): never a customer of a ticket
  (ticket.customers, participants_of); mail to them alone is no automatic mail to an
  outsider and not capped as one (guard.check_caps); the relay's refusal of their mail
  is retried, never set aside (adapters/outretry.py); mail queued to them goes only while
  they are still so (leftstaff.py); #spam and #uncc never withdraw it (guard).
- Support's own addresses (`is_internal`: its own people, the support address and its
  plus-addresses): never get a customer's mail or site link. «Задать вопрос» refuses
  more (`no_asker`): its people's plus-addresses and the role mailboxes of support's
  domain (postmaster@, mailer-daemon@): no customer asks from them.

Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable, Iterator

from maild.domain.addresses import (
    comparable_address,
    comparable_domain,
    each_once,
    normalize_address,
)
from maild.domain.replyaddr import DELIMITER, is_support_address
from maild.domain.screen import ROBOT_LOCALPARTS

__all__ = [
    "OwnAddresses",
    "People",
    "is_internal",
    "no_asker",
    "no_customer",
    "own_side",
    "staff_side",
]

# RFC 2142's mailboxes of a domain's operators, beside the robots' (screen.py)
ROLE_LOCALPARTS = frozenset({"abuse", "hostmaster", "webmaster", "security", "noc"})


class People(Collection[str]):
    """Some of support's own people, in the config's order and spelling, each once
    (each_once); `in` asks by comparable address, so «ANNA@Поддержка.РФ» is in
    People(["anna@xn--80ahaefyxhn.xn--p1ai"])."""

    __slots__ = ("_keys", "_listed")

    def __init__(self, addresses: Iterable[str] = ()) -> None:
        self._listed = tuple(each_once(addresses))
        self._keys = frozenset(comparable_address(a) for a in self._listed)

    def __contains__(self, address: object) -> bool:
        return isinstance(address, str) and comparable_address(address) in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._listed)

    def __len__(self) -> int:
        return len(self._listed)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, People) and other._keys == self._keys

    def __hash__(self) -> int:
        return hash(self._keys)

    def __repr__(self) -> str:
        return f"People({list(self._listed)!r})"

    def holds(self, addresses: Iterable[str]) -> bool:
        """Every one of ``addresses`` is one of these people (True for none, as a set's
        ``<=`` is)."""
        return all(a in self for a in addresses)


def staff_side(staff: Iterable[str]) -> People:
    """The staff (support.staff)."""
    return People(staff)


def own_side(staff: Iterable[str], head: str | None) -> People:
    """Support's own people: every staff member, then the head if there is one
    (SupportConfig.internal, Policy.internal)."""
    return People((*staff, *([head] if head else [])))


def is_internal(address: str, support: str, own: Iterable[str]) -> bool:
    """Support's own addresses, which never get a customer's mail or link: its own
    people (``own``: own_side, SupportConfig.internal, Policy.internal), the support
    address and its plus-addresses."""
    ours = own if isinstance(own, People) else People(own)
    return address in ours or is_support_address(address, support)


def no_asker(address: str, support: str, own: Iterable[str]) -> bool:
    """An address «Задать вопрос» mails no confirmation link to: support's own
    (is_internal), its people's with a plus-tag (anna+x@ is anna's mailbox), and a
    role mailbox of support's domain (postmaster@, mailer-daemon@, abuse@, ...: the
    desk's own mail server and operators, no customer)."""
    if is_internal(address, support, own):
        return True
    local, _at, domain = normalize_address(address).rpartition("@")
    untagged = f"{local.split(DELIMITER, 1)[0]}@{domain}"
    if untagged != address and is_internal(untagged, support, own):
        return True
    role = ROBOT_LOCALPARTS.match(local) or local.split(DELIMITER, 1)[0] in ROLE_LOCALPARTS
    ours = comparable_domain(normalize_address(support).rpartition("@")[2])
    return bool(role) and comparable_domain(domain) == ours


def no_customer(address: str, support: str, own: Iterable[str]) -> bool:
    """An address no ticket is opened for as its customer's (a staff member's forward,
    staffforward.facts; the first `#cc` judged, cc_facts): support's own or its role
    mailboxes (no_asker), or a robot's of any domain (screen.ROBOT_LOCALPARTS:
    MAILER-DAEMON@, noreply@; a bounce forwarded is no customer's mail)."""
    local = normalize_address(address).rpartition("@")[0]
    return no_asker(address, support, own) or bool(ROBOT_LOCALPARTS.match(local))


class OwnAddresses(Container[str]):
    """Support's own side as no_asker tells it, for an `in` (forwards.forward_at):
    its people, the support address, their plus-addresses, its role mailboxes."""

    __slots__ = ("_own", "_support")

    def __init__(self, support: str, own: Iterable[str]) -> None:
        self._support = support
        self._own = own if isinstance(own, People) else People(own)

    def __contains__(self, address: object) -> bool:
        return isinstance(address, str) and no_asker(address, self._support, self._own)
