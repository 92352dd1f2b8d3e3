"""A ticket its requester's automatic mail opened: no automatic mail of ours goes to it.

RFC 3834: no automatic mail answers automatic mail. A ticket opened by a list's post
(List-Id, Precedence: list), another system's notice (Auto-Submitted), an out-of-office
or a robot's address (noreply@, MAILER-DAEMON@) gets no confirmation
(screen.Screening.may_answer), and, by the same rule (screen.automatic), none of the
customer notices staff's commands cause either: «Работа начата» (#take), «Изменён
уровень обслуживания» (#level), «Обращение закрыто» with its rating request (#close),
«Обращение объединено» (#merge), nor the reminder and the closing of #wait
(jobs.waiting). The ticket keeps why (`automatic`, new_ticket); staff's own answer text
still goes (staff chose to write it), and the staff member who gave the command is told
the notice was held (capped.held). The hold ends when the requester writes again as a
person (customer.decide_followup: `attended`), or staff say a person is there
(«#human», humans.vouch).

Pure: screenings and tickets in, tickets out.
"""

from __future__ import annotations

from typing import Any

from maild.domain.addresses import comparable_address
from maild.domain.records import Ticket
from maild.domain.screen import Screening, automatic

__all__ = ["attended", "notices_held", "opened_by", "vouched"]


def opened_by(screening: Screening) -> dict[str, Any]:
    """What a new ticket keeps of its first mail's being automatic: ``automatic``, why
    (screen.automatic), or nothing for a person's."""
    why = automatic(screening)
    return {"automatic": why} if why else {}


def notices_held(ticket: Ticket) -> str | None:
    """Why no customer notice of staff's commands (nor any other automatic mail they
    cause) goes to ``ticket``'s customers: the automatic sign of the mail that opened
    it, while no person has written there since; None otherwise."""
    return ticket.get("automatic")


def attended(ticket: Ticket, sender: str, screening: Screening) -> Ticket:
    """``ticket`` after a mail of ``sender`` screened as ``screening``: a person's mail
    of its requester ends the hold (notices_held); any other changes nothing."""
    if not ticket.get("automatic") or automatic(screening) is not None:
        return ticket
    requester = ticket.get("requester") or ""
    if not sender or comparable_address(sender) != comparable_address(requester):
        return ticket
    return _lifted(ticket)


def vouched(ticket: Ticket, address: str) -> Ticket | None:
    """``ticket`` without the hold when staff's «#human» (``address``: the one it
    names, "" for none) says its requester is a person; None when it names someone
    else or nothing is held."""
    if not ticket.get("automatic"):
        return None
    requester = ticket.get("requester") or ""
    if address and comparable_address(address) != comparable_address(requester):
        return None
    return _lifted(ticket)


def _lifted(ticket: Ticket) -> Ticket:
    t: Ticket = {**ticket}
    t.pop("automatic", None)
    return t
