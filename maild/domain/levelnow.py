"""A customer's follow-up and the license registry as it is now: the level a ticket
takes when its requester writes again.

The regulation gives commercial support to mail from an address on a valid license
(SPEC: "an expired contract falls back to free"), and the registry is read for every
message: a level fixed when the ticket opened gave a reply 400 days later the VIP
level of a license long expired, and kept free support from a customer whose license
was added mid-ticket. The rule, pure (customer.decide_followup applies it):

- mail that reopens a closed ticket takes the level the registry gives now, as a new
  ticket would (an expired license is free support, with a new ticket's reason);
- a follow-up on an open ticket takes a better level the registry now gives (its
  pending deadline counted from this mail at that level when that is earlier:
  `raised`) and keeps its level otherwise: a license expiring mid-ticket does not
  downgrade work in progress;
- the requester's mail that proves the address SPF/DKIM could not confirm gives the
  level it was owed (`address_confirmed`), by the same rule: a proven address never
  waits longer than the free support it had;
- a level staff set (#level, #consulting, #development) is staff's decision, which
  no follow-up overrides.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from maild.domain.commandspec import LEVEL_SETTERS
from maild.domain.records import LevelId, MessageRecord, Ticket
from maild.domain.sender import Identification, better_level, free_term_ctx
from maild.domain.sla import LEVELS, deadline_fields
from maild.domain.ticket import DueFn, identification_record, is_requester

# The commands by which staff set a level, as a staff reply's record keeps them
# (commands.written: "#level vip", "#consulting").
STAFF_SETTERS = tuple(f"#{name}" for name in LEVEL_SETTERS)


def staff_set(messages: list[MessageRecord]) -> bool:
    """Whether staff set this ticket's level by command: a staff reply's record keeps
    the commands that ran (staffreply: `commands`, a reply stopped by an error keeps
    none). A record #merge moved in (`merged_from`) set the merged ticket's level,
    not this one's."""
    for m in messages:
        if m.get("merged_from"):
            continue
        if any(c.split(" ", 1)[0] in STAFF_SETTERS for c in m.get("commands") or ()):
            return True
    return False


def registry_now(ident: Identification, proven: bool) -> Identification:
    """What the registry gives the sender now: the level SPF/DKIM could not confirm
    (``ident.owed``) once the mail proves its sender otherwise (``proven``: sent to
    the reply address signed for them, verify.requester_verified)."""
    if ident.unverified and proven and ident.owed is not None:
        return ident.owed
    return ident


def level_now(
    ticket: Ticket,
    messages: list[MessageRecord],
    sender: str,
    ident: Identification,
    at: datetime,
    due: DueFn,
    *,
    proven: bool = False,
) -> Ticket | None:
    """``ticket`` at the level the registry gives its requester now (``ident``, the
    sender's identification as this mail found it), before the mail reopens it or
    starts a deadline (ticket.on_customer_message: a reopened ticket's deadline is
    then counted at this level); None when its level stays. Only the requester's mail
    asks (in either spelling of their domain, ticket.is_requester): the ticket's level
    is the one their address is entitled to."""
    if not is_requester(ticket, sender) or staff_set(messages):
        return None
    now = registry_now(ident, proven)
    if now.level == ticket["level"]:
        return None
    if ticket["status"] == "closed":  # reopened: as a new ticket would be
        return {**ticket, "level": now.level, "identification": identification_record(now)}
    if not better_level(now.level, ticket["level"]):  # work in progress keeps its level
        return None
    return raised({**ticket, "identification": identification_record(now)}, now.level, at, due)


def address_confirmed(
    ticket: Ticket,
    messages: list[MessageRecord],
    ident: Identification,
    at: datetime,
    due: DueFn,
) -> Ticket | None:
    """The requester proved the address whose license or group SPF/DKIM could not
    confirm when the ticket opened (a reply to the address signed for them, or aligned
    now): the ticket's identification is the one the registry gives that address now
    (``ident``, the sender's identification as this mail found it: registry_now), its
    colleagues under that license may write in (ticket.may_append), and it gets that
    level, its pending deadline moved as any better level moves it (`raised`), unless
    staff set the level (`staff_set`: their decision, as for level_now) or it is no
    better than the ticket's. None when nothing was owed, or nothing is owed now: a
    license or group expired or removed since the ticket opened gives no commercial
    level to the address it no longer covers (SPEC: an expired contract falls back to
    free), which the owed level kept on the ticket would have given."""
    if not (ticket.get("identification") or {}).get("owed"):
        return None
    owed = registry_now(ident, proven=True)
    if not owed.commercial:
        return None
    t: Ticket = {**ticket, "identification": identification_record(owed)}
    if staff_set(messages):
        return t
    return raised(t, owed.level, at, due) if better_level(owed.level, ticket["level"]) else t


def raised(ticket: Ticket, level: LevelId, at: datetime, due: DueFn) -> Ticket:
    """``ticket`` at ``level``, a better one the requester's mail at ``at`` gave it. Its
    pending deadline becomes that level's time from ``at`` only when that is sooner:
    the regulation's maximum time is the level's, and a deadline already promised is
    never put off by a better level (a VIP license confirmed an hour before the free
    deadline gave VIP's two hours from then: later than the free one). The first
    deadline, while the first reaction is owed, moves with it and never later than it
    was. A deadline not pending (answered, waiting, closed) is started by the mail
    itself at the new level (ticket.on_customer_message)."""
    t: Ticket = {**ticket, "level": level}
    pending = t.get("reaction_due")
    sooner = due(level, at)
    if pending is None or sooner >= datetime.fromisoformat(pending):
        return t
    t.update(deadline_fields(level, at, sooner))
    first = t.get("first_reaction_due")
    if t.get("first_reaction_at") is None and (
        first is None or sooner < datetime.fromisoformat(first)
    ):  # the first reaction is owed so
        t["first_reaction_due"] = t["reaction_due"]
        t["first_reaction_level"] = level
    return t


def change_ctx(was: Ticket, ticket: Ticket) -> dict[str, Any]:
    """What the acknowledgement and the staff notice say of a level the registry changed
    (``was``: the ticket before the mail): the level before, and why it is this one,
    in a new ticket's confirmation's words (``commercial``, ``expired``, ``unverified``,
    ``reason``); nothing when it stayed."""
    if was["level"] == ticket["level"]:
        return {"level_was": None}
    ident = ticket["identification"]
    return {
        "level_was": LEVELS[was["level"]].name_ru,
        "commercial": LEVELS[ticket["level"]].commercial,
        "expired": bool(ident.get("expired")),
        "unverified": "owed" in ident,
        "reason": ident.get("reason") or "",
        "requester": ticket["requester"],
    }


def reopened_free(
    ticket: Ticket,
    sender: str,
    reopened: bool,
    ident: Identification,
    first_seen: str | None,
    today: date,
) -> dict[str, Any]:
    """What the acknowledgement and the staff notice of a reopening say of the free
    term (sender.free_term_ctx): a reopening takes the level the registry gives now,
    as a new ticket would, so its requester's mail reopening a free ticket after the
    term is told it is over, as their new ticket that day would be. Any other
    follow-up (an open ticket's, a participant's, a level staff set) says nothing of
    it: ``free_expired`` False."""
    told = free_term_ctx(ident, first_seen, today)
    if not (reopened and is_requester(ticket, sender) and ticket["level"] == "free"):
        told["free_expired"] = False
    return told
