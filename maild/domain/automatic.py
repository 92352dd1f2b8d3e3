"""A ticket its requester's automatic mail opened: no automatic mail of ours goes to it.

RFC 3834: no automatic mail answers automatic mail. A ticket opened by a list's post
(List-Id, Precedence: list), another system's notice (Auto-Submitted), an out-of-office
or a robot's address (noreply@, MAILER-DAEMON@) gets no confirmation
(screen.Screening.may_answer), and, by the same rule (screen.automatic), none of the
customer notices staff's commands cause either: «Работа начата» (#take), «Изменён
уровень обслуживания» (#level), «Обращение закрыто» with its rating request (#close),
«Обращение объединено» (#merge), nor the reminder and the closing of #wait
(waiting.waiting_step). The hold is the address's, not the ticket's: the ticket keeps why
(`automatic`, new_ticket: a string, its requester held; a map address -> why when
another is, after #merge brought a held address in, or one of several was lifted), and
others on the ticket (a person #cc'd or merged in) get their notices. #merge carries the
source's held addresses into the target (`merged`). Staff's own answer text still goes
(staff chose to write it), and the staff member who gave the command is told the notice
was held (capped.held). The hold of an address ends when it writes again as a person
(customer.decide_followup: `attended`), or staff say a person is there («#human
[ADDRESS]», humans.vouch).

Pure: screenings and tickets in, tickets out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from maild.domain.addresses import comparable_address
from maild.domain.records import Ticket
from maild.domain.screen import Screening, automatic

__all__ = ["attended", "held", "held_among", "merged", "notices_held", "opened_by", "vouched"]


class Opened(TypedDict, total=False):
    """What a new ticket keeps of its first mail (opened_by)."""

    names_own: str  # a ticket of the sender's own its text named (textnamed)
    automatic: str


def opened_by(screening: Screening, names_own: str | None = None) -> Opened:
    """What a new ticket keeps of its first mail: the sender's own ticket its text
    named (`names_own`, if any), and its being automatic: ``automatic``, why
    (screen.automatic: its requester is held), or nothing for a person's."""
    why = automatic(screening)
    opened: Opened = {"names_own": names_own} if names_own else {}
    return {**opened, "automatic": why} if why else opened


def held(ticket: Ticket) -> dict[str, str]:
    """The addresses (comparable_address) no notice of staff's commands goes to, each
    with why: a stored string (as every ticket kept it before) holds the requester."""
    kept = ticket.get("automatic")
    if not kept:
        return {}
    if isinstance(kept, str):
        return {comparable_address(ticket.get("requester") or ""): kept}
    return dict(kept)


def notices_held(ticket: Ticket, address: str | None = None) -> str | None:
    """Why no customer notice of staff's commands (nor any other automatic mail they
    cause) goes to ``address`` on ``ticket`` (None: to some address of it): the
    automatic sign of its mail, while it has not written there as a person since."""
    holds = held(ticket)
    if address is None:
        return next(iter(holds.values()), None)
    return holds.get(comparable_address(address))


def held_among(ticket: Ticket, addresses: Iterable[str]) -> list[str]:
    """Those of ``addresses`` (as spelt there) no notice goes to (notices_held)."""
    holds = held(ticket)
    return [a for a in addresses if holds and comparable_address(a) in holds]


def attended(ticket: Ticket, sender: str, screening: Screening) -> Ticket:
    """``ticket`` after a mail of ``sender`` screened as ``screening``: a person's mail
    of an address held ends its hold (notices_held); any other changes nothing."""
    holds = held(ticket)
    who = comparable_address(sender) if sender else ""
    if who not in holds or automatic(screening) is not None:
        return ticket
    return _kept(ticket, {a: why for a, why in holds.items() if a != who})


def vouched(ticket: Ticket, address: str) -> Ticket | None:
    """``ticket`` without the hold of ``address`` when staff's «#human» names it
    (``address`` "": the hold of every address held); None when it names someone not
    held or nothing is held."""
    holds = held(ticket)
    who = comparable_address(address) if address else ""
    if not holds or (who and who not in holds):
        return None
    return _kept(ticket, {a: why for a, why in holds.items() if who and a != who})


def merged(source: Ticket, target: Ticket) -> Ticket:
    """``target`` (as #merge made it, with the source's people and ``humans``) holding
    the addresses held on either: the source's automatic address is its participant
    now, and gets no notice there either; one staff vouched for (#human) is not held."""
    people = {comparable_address(a) for a in target.get("humans") or ()}
    holds = {**held(source), **held(target)}
    return _kept(target, {a: why for a, why in holds.items() if a not in people})


def _kept(ticket: Ticket, holds: dict[str, str]) -> Ticket:
    """``ticket`` holding ``holds``: `automatic` as a string when only its requester is
    held (the shape of a new ticket's), a map otherwise, none when none is."""
    t: Ticket = {**ticket}
    requester = comparable_address(ticket.get("requester") or "")
    if not holds:
        t.pop("automatic", None)
    elif list(holds) == [requester]:
        t["automatic"] = holds[requester]
    else:
        t["automatic"] = dict(sorted(holds.items()))
    return t
