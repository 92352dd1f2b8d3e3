"""How a ticket keeps its follow-ups' deadlines for the SLA report: the level of the
pending deadline, and the outcome of each one that ended, counted by level.

The regulation: «Реакция ... на поступление дополнительной информации может быть
дольше, но не больше максимального времени реакции определенного для данного уровня».
A customer's mail after the first reaction starts a deadline (ticket.on_customer_message;
more mail before staff react waits on the same one), and staff's reaction ends it. The
rule (which deadline is a follow-up's, in time or breached, under which level) is
sla.followup_ended and sla.followup_outcomes; here are only the shapes kept.

Counts, not lists: a ticket may get hundreds of follow-ups, and its summary row
(adapters/store/summaries.py) carries them.
"""

from typing import NotRequired, TypedDict

__all__ = ["Carried", "Followups", "Outcome"]


class Outcome(TypedDict):
    """The follow-up deadlines of one level that ended: in time, breached."""

    in_time: int
    breached: int


class Carried(TypedDict):
    """A follow-up's deadline #merge brought in beside the ticket's own pending one
    (sla.followups_merged): judged by the reaction that ends the ticket's wait."""

    tid: str  # the ticket whose customer's mail set it
    due: str  # ISO 8601
    level: str  # the level it was set by


class Followups(TypedDict):
    """The fields a ticket (and its summary row) keeps for them, both only where set."""

    # the level reaction_due was set by (sla.deadline_fields; absent: the ticket's
    # level); read only while that deadline is pending
    reaction_level: NotRequired[str | None]
    # level -> its follow-up deadlines that ended (sla.followup_ended)
    later_reactions: NotRequired[dict[str, Outcome] | None]
    # the pending deadline was judged breached already: staff passed the ticket to
    # another level after it passed (sla.followup_transferred); its end counts nothing
    reaction_judged: NotRequired[bool | None]
    # the follow-ups' deadlines #merge brought in that are not the pending one: a ticket
    # merged before any reaction on the target, or whose deadline was not the earlier
    # (sla.followups_merged); each is judged when the target's wait ends
    merged_followups: NotRequired[list[Carried] | None]
