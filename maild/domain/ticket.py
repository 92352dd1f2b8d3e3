"""Ticket state: how a ticket is born and how each kind of message changes it.

Pure functions over the stored shape (records.Ticket, a dict at run time); `now` and
the SLA deadline function are passed in, so every rule here is testable without I/O.
`new_ticket` is the one constructor of a ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, get_args, overload

from maild.domain.addresses import comparable_address
from maild.domain.automatic import opened_by
from maild.domain.commandspec import CRITICAL_OFF, LEVEL_SETTERS
from maild.domain.forget import PLACEHOLDER
from maild.domain.mergedwait import answered, wait_of
from maild.domain.mergedwait import pending as pending_waits
from maild.domain.ownside import People, is_internal, staff_side
from maild.domain.recordcheck import is_level
from maild.domain.records import IdentificationRecord, Status, Ticket
from maild.domain.screen import HUMAN, Screening
from maild.domain.sender import ENTITLED_LEVELS, Identification
from maild.domain.sla import deadline_fields, first_deadline, followup_transferred, unattended

DueFn = Callable[[str, datetime], datetime]  # (level, start) -> deadline

STATUSES: tuple[Status, ...] = get_args(Status)
# A ticket's state as staff mail names it (reminders, escalations); the stored
# values are English ids, which no text for people shows.
STATUS_STAFF_RU: dict[Status, str] = {
    "new": "новое, ответа ещё не было",
    "open": "в работе",
    "waiting": "ждём ответа клиента",
    "closed": "закрыто",
}


@overload
def iso(d: datetime) -> str: ...
@overload
def iso(d: datetime | None) -> str | None: ...
def iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def new_ticket(
    tid: str,
    requester: str,
    subject: str,
    ident: Identification,
    received_at: datetime,
    due: DueFn,
    *,
    participants: Iterable[str] = (),
    refers_to: str | None = None,
    names_own: str | None = None,
    screening: Screening = HUMAN,
) -> Ticket:
    """A ticket opened by a mail at ``received_at``: its reaction deadline is the
    level's time from then; none when its ``screening`` says it is automatic
    (sla.unattended), as a follow-up of such mail starts none."""
    reaction_due = None if unattended(screening) else iso(due(ident.level, received_at))
    return {
        "tid": tid,
        "status": "new",
        "level": ident.level,
        "requester": requester,
        "subject": subject,
        "created_at": iso(received_at),
        "reaction_due": reaction_due,
        "first_reaction_due": reaction_due,
        "first_reaction_level": ident.level,
        "reaction_from": reaction_due and iso(received_at),
        "first_reaction_at": None,
        "critical": False,
        "assignee": None,
        "rating": None,
        "closed_at": None,
        "participants": sorted({requester, *participants} - {""}),
        "identification": identification_record(ident),
        "refers_to": refers_to,
        **opened_by(screening, names_own),  # no notices of staff's commands to it (automatic.py)
        "sent": {},
    }


def identification_record(ident: Identification) -> IdentificationRecord:
    """How ``ident`` is kept on a ticket (new_ticket; levelnow.level_now)."""
    record: IdentificationRecord = {
        "source": ident.source,
        "ref": ident.ref,
        "reason": ident.reason,
        "entitlement": ident.entitlement,
        "expired": ident.expired,
    }
    if ident.owed is not None:
        owed = ident.owed
        record["owed"] = {
            "level": owed.level,
            "source": owed.source,
            "ref": owed.ref,
            "reason": owed.reason,
        }
    return record


def is_requester(ticket: Ticket, address: str) -> bool:
    """Whether ``address`` is the ticket's requester, in either spelling of the domain
    (addresses.comparable_address): boss@окна.рф writes from boss@xn--80atjc.xn--p1ai
    too, the spelling our mail names him in, and is the requester in both."""
    requester = ticket.get("requester") or ""
    return bool(address and requester) and (
        comparable_address(address) == comparable_address(requester)
    )


def may_append(ticket: Ticket, sender: str, ident: Identification, staff: Iterable[str]) -> bool:
    """Only people who belong to a ticket may write into it (not whoever copies a TID):
    staff, its customers, and colleagues under the requester's license or group, but
    not one staff took off it with #uncc: that was a decision about this person on this
    ticket, which their being a colleague does not undo (their mail opens a ticket of
    its own, as anyone's). A customer is one in either spelling of the domain
    (addresses.comparable_address: boss@окна.рф, boss@xn--80atjc.xn--p1ai)."""
    if not sender:
        return False
    mine = comparable_address(sender)
    customers = (ticket["requester"], *ticket.get("participants", ()))
    if sender in staff_side(staff) or mine in map(comparable_address, customers):
        return True
    if mine in map(comparable_address, ticket.get("removed") or ()):
        return False
    ent = ticket.get("identification", {}).get("entitlement")
    return ent is not None and ent == ident.entitlement


def on_customer_message(
    ticket: Ticket,
    received_at: datetime,
    due: DueFn,
    participants: Iterable[str] = (),
    sender: str | None = None,
) -> tuple[Ticket, bool]:
    """A customer (`sender`) wrote again. Returns (ticket, reopened). A customer of a
    ticket merged in whose wait is pending there (mergedwait.wait_of) waits on by that
    deadline, an earlier pending one: their mail starts none of the ticket's own."""
    t: Ticket = {**ticket}
    reopened = t["status"] == "closed"
    if t["status"] in ("closed", "waiting"):
        t["status"] = "open"
        t["closed_at"] = None
    # The regulation: a reaction to additional information is due within the
    # level's maximum time; an earlier pending deadline stays as it is.
    if t.get("reaction_due") is None and not wait_of(t, sender):
        t.update(deadline_fields(t["level"], received_at, due(t["level"], received_at)))
        if awaits_first(ticket):  # opened by automatic mail: this is its first deadline
            t.update(first_deadline(t, received_at))
    t["participants"] = sorted({*t.get("participants", ()), *participants} - {""})
    return t, reopened


def awaits_first(ticket: Mapping[str, Any]) -> bool:
    """The ticket's first mail waits for a first reaction without any deadline: it
    looked automatic (unattended). The customer's next mail starts one, as `#level`
    does from the moment staff send it; either is the first deadline then."""
    keys = ("first_reaction_due", "first_reaction_at", "reaction_due")
    return not any(ticket.get(k) for k in keys)


def waits_for_customer(ticket: Mapping[str, Any]) -> bool:
    """#wait holds: the ticket waits for the customer and nothing waits for staff, so
    the customer may be reminded and the ticket closed for want of an answer
    (waiting.waiting_step), and the morning queue lists it apart. A waiting ticket with a
    pending deadline (a customer's mail merged into it before merge opened such a
    ticket), or a wait merged into it still pending (mergedwait.pending: a #wait alone
    is no reaction to that customer; closedcmd refuses it now, a record kept before may
    be so), is staff's turn: no reminder asks that customer for an answer, and no
    auto-close ends a ticket whose customer's mail was never answered."""
    if ticket.get("status") != "waiting" or ticket.get("reaction_due"):
        return False
    return not pending_waits(ticket)


def reacted_at(ticket: Ticket, at: datetime) -> str:
    """The first reaction's time for a reaction at ``at``: never before the ticket was
    created. A system clock stepped back (NTP) can date a staff reply before the mail
    it answers; the reaction then took no time, not less than none."""
    created = ticket.get("created_at")
    if created and datetime.fromisoformat(created) > at:
        return created
    return at.isoformat()


def on_staff_reply(ticket: Ticket, at: datetime) -> Ticket:
    """Staff answered: the reaction happened (to customers merged in too), nothing waits
    for staff now."""
    t: Ticket = {**answered(ticket, at)}  # (answered may give ``ticket`` itself back)
    if t.get("first_reaction_at") is None:
        t["first_reaction_at"] = reacted_at(t, at)
    t["reaction_due"] = None
    t["reaction_from"] = None
    if t["status"] == "new":
        t["status"] = "open"
    return t


def on_mail_to_customer(ticket: Ticket, at: datetime) -> Ticket:
    """Staff's reply sent the customer mail (an answer, or the notice of a #close
    alone) and left the ticket closed or waiting for the customer: that mail was a
    reaction, the first one if none came before (and to customers merged in). Without
    it a ticket closed minutes after it came (the customer told «Обращение закрыто»)
    had no reaction at all, and the SLA report counted it breached once its deadline
    passed. A #wait that sends the customer nothing is no reaction: they heard nothing.
    Nor is the notice of #merge («Обращение объединено»): it says where the
    conversation goes on, and the customer waits on there (mergedwait). A notice that
    is queued to no one (a cap stopped it) takes its reaction back (heard.py)."""
    if ticket["status"] not in ("closed", "waiting") or ticket.get("merged_into"):
        return ticket
    return reacted(ticket, at)


def reacted(ticket: Ticket, at: datetime) -> Ticket:
    """Staff's word reached the customers at ``at``: the first reaction if none came
    before (to customers merged in too)."""
    t = answered(ticket, at)
    if t.get("first_reaction_at"):
        return t
    return {**t, "first_reaction_at": reacted_at(t, at)}


def customers(ticket: Ticket, own: Iterable[str], support: str) -> list[str]:
    """Who hears from support about this ticket: requester and participants, not
    support's own people (``own``: staff and the head, ownside.own_side, in any
    spelling: they get staff mail, never a customer's copy) and never the support
    address itself (the requester of mail forged in our name): that mail would come
    straight back in.
    Nor forget.PLACEHOLDER, which stands where an erased person's address stood: the
    person is gone, and a mail to it (site link and all) would only wait in the outbox
    for a relay that never takes it."""
    ours = People(own)
    people = {ticket["requester"], *ticket.get("participants", ())} - {"", PLACEHOLDER}
    return sorted(a for a in people if not is_internal(a, support, ours))


def participants_of(addresses: Iterable[str], support: str, own: Iterable[str]) -> set[str]:
    """Customer-side addresses of a message (To/Cc), without support and its own side
    (``own``: staff and the head, ownside.own_side, in any spelling)."""
    ours = People(own)
    return {a for a in addresses if a and not is_internal(a, support, ours)}


def staff_mail_to(staff: Iterable[str]) -> list[str]:
    """Whom staff mail goes to (new-ticket notices, follow-ups, reminders, the lists of
    refused mail, the morning queue): every staff member (ownside.staff_side), once
    each, in config order and spelling. A ticket's assignee changes nothing: an
    assignment never takes the ticket out of the others' sight, and never adds a reader
    from outside: staff mail carries internal text, so an assignee that is not (or no
    longer) on the staff list (one left, or a typo stored before #assign checked it)
    gets none of it."""
    return list(staff_side(staff))


# Customer notices a command may cause (template names without .txt).
STARTED, RESOLVED, LEVEL_CHANGED = "started", "resolved", "level_changed"


def apply_command(
    ticket: Ticket, name: str, arg: str | None, at: datetime, due: DueFn, by: str
) -> tuple[Ticket, list[str]]:
    """One staff command. Returns (ticket, customer notices to send)."""
    t: Ticket = {**ticket}
    t["sent"] = dict(t.get("sent") or {})
    notices: list[str] = []
    if name == "take":
        t.update({"status": "open", "closed_at": None, "assignee": t.get("assignee") or by})
        # a reaction by «работа начата»; the customer told so before (by it or an answer),
        # it sends nothing and is none: a follow-up's deadline stands, as after #wait alone
        if not t["sent"].get(STARTED):
            t = {**reacted(t, at), "reaction_due": None}
            notices.append(STARTED)
    elif name == "close":
        if t["status"] != "closed":
            t["status"] = "closed"
            t["closed_at"] = iso(at)
            t["reaction_due"] = None
            t["sent"].pop("redacted", None)
            notices.append(RESOLVED)
    elif name == "reopen":
        t["status"] = "open"
        t["closed_at"] = None
    elif name == "wait":
        t["status"] = "waiting"
        t["waiting_since"] = at.isoformat()
        t["reaction_due"] = None
        t["sent"].pop("waiting_reminder", None)
    elif name in LEVEL_SETTERS:
        level = arg if name == "level" else name
        unset = awaits_first(t) and t["status"] not in ("closed", "waiting")
        if is_level(level) and (level != t["level"] or unset):  # (commandspec: a level)
            if level != t["level"]:
                notices.append(LEVEL_CHANGED)
            if level != t["level"] and t["level"] in ENTITLED_LEVELS:
                t["entitled_level"] = t["level"]  # kept while at consulting or development
            t["level"] = level
            # the regulation: a transferred ticket's time counts from the transfer, for
            # a deadline that is pending (something waits for staff). One answered (by
            # this reply too: on_staff_reply runs first), closed or waiting for the
            # customer owes no answer until the customer writes (on_customer_message
            # then starts the new level's time); a new deadline there would remind and
            # escalate about a ticket answered, whatever the commands' order
            pending = t.get("reaction_due") is not None
            if pending and t["status"] not in ("closed", "waiting"):
                t = followup_transferred(t, at)  # (one passed is judged now)
                t.update(deadline_fields(level, at, due(level, at)))
                if first_moves_on_transfer(t, at):
                    t["first_reaction_due"] = t["reaction_due"]
                    t["first_reaction_level"] = level
            elif unset:  # its mail looked automatic: staff say a person waits, from now
                t.update(deadline_fields(level, at, due(level, at)))
                t.update(first_deadline(t, at))
    elif name == "critical":  # «#critical нет» takes the mark off (critical.errors)
        t["critical"] = arg != CRITICAL_OFF
    elif name == "assign" and arg:
        t["assignee"] = arg
    return t, notices


def first_moves_on_transfer(ticket: Ticket, at: datetime) -> bool:
    """Whether the first deadline (the one the SLA report judges the first reaction by,
    and the level it is filed under: `first_reaction_level`) becomes the new level's
    time from the transfer when staff pass ``ticket`` to it at ``at``: while the first
    reaction is owed and its deadline has not passed. A deadline that passed without a
    reaction is a breach the head was already told of (escalation mail); a transfer
    after it does not undo it, so it stays the first deadline, of the level it was.
    The pending deadline (`reaction_due`, reminders and escalations) follows the new
    level all the same: apply_command."""
    first = ticket.get("first_reaction_due")
    if ticket.get("first_reaction_at") is not None:
        return False
    return not (first and datetime.fromisoformat(first) < at)


def first_level(ticket: Mapping[str, Any]) -> str:
    """The level whose deadline the first reaction is judged by (the SLA report files
    the ticket under it): the level when the first deadline was set, not the ticket's
    level now (a license added or expired later, a reopened ticket at another level).
    A ticket stored before it was kept: its level now, as the report always took."""
    return ticket.get("first_reaction_level") or ticket["level"]


def level_corrected(ticket: Ticket, due: DueFn) -> Ticket:
    """A closed ticket's level set by staff corrects the SLA report: its first reaction
    is judged by that level's time from the ticket's creation, as if it always had it
    (opened by automatic mail: from when its first deadline started)."""
    start = ticket.get("first_reaction_from") or ticket["created_at"]
    first = iso(due(ticket["level"], datetime.fromisoformat(start)))
    return {**ticket, "first_reaction_due": first, "first_reaction_level": ticket["level"]}
