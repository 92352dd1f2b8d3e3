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
  pending deadline counted from this mail at that level when that is earlier) and
  keeps its level otherwise: a license expiring mid-ticket does not downgrade work
  in progress;
- a level staff set (#level, #consulting, #development) is staff's decision, which
  no follow-up overrides.
"""

from __future__ import annotations

from datetime import datetime

from maild.domain.commandspec import LEVEL_SETTERS
from maild.domain.records import MessageRecord, Ticket
from maild.domain.sender import Identification, better_level
from maild.domain.sla import deadline_fields
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
    t: Ticket = {**ticket, "level": now.level, "identification": identification_record(now)}
    pending = t.get("reaction_due")
    sooner = due(now.level, at)
    if pending is not None and sooner < datetime.fromisoformat(pending):
        t.update(deadline_fields(now.level, at, sooner))
        if t.get("first_reaction_at") is None:  # the first reaction is owed so
            t["first_reaction_due"] = t["reaction_due"]
            t["first_reaction_level"] = now.level
    return t
