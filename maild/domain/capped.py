"""The word to a staff member that the customer notice their command caused (#level,
#consulting, #development, #take, #merge) did not go, and why: the cap on automatic
mail (domain.caps) holds for every automatic mail, and no automatic mail goes to an
address on the block list or one the relay refused for good (keptback), nor to a ticket
its requester's automatic mail opened (held: automatic.py); the one who gave the
command is not to believe the customer was told (templates/staff_capped.txt)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from maild.domain import automatic, heard
from maild.domain.decision import Context, Outgoing, level_ctx
from maild.domain.mailnames import NAMES
from maild.domain.records import MessageRecord, Ticket
from maild.domain.ticket import customers
from maild.domain.tid import shown_subject

# the `suppressed` notes of keptback that the staff member is told of (the template's
# `kept_back`: its reason in Russian, "" for the cap; "automatic": held)
KEPT_BACK = ("blocked", "refused")


def if_capped(ctx: Context, notices: list[str], to: list[str], c: dict[str, Any]) -> Outgoing:
    """The mail to the staff member who wrote ``ctx.msg`` that the notices (names as
    staffreply's: "level_changed", ...) to the customers ``to`` did not go; outgoing.send
    sends it when the cap stops them, with the cap's own words as ``why``, and
    kept_back's when it is not queued to some of them; ``c``: the notices' context
    (tid, subject, level)."""
    context = {
        **c,
        "unsent_notices": [NAMES.get(f"{n}.txt") or n for n in notices],
        "unsent_to": list(to),
        "why": "",
        "kept_back": "",
    }
    key = ctx.key("capped")
    return Outgoing(key, "notice", "staff_capped.txt", [ctx.msg.from_addr], context, record=True)


def held(
    ctx: Context, ticket: Ticket, notices: list[str], before: dict[str, Any] | None
) -> tuple[Ticket, list[str], list[Outgoing]]:
    """(ticket, the notices that go, the mail telling the staff member who wrote
    ``ctx.msg`` of those held): none goes to an address whose automatic mail is on the
    ticket (automatic.notices_held, after the reply's «#human»; the template's `why`:
    the mail's sign); the others get theirs (staffreply._to_customers leaves the held
    out). When all are held, none goes, and a notice that made the reaction and went
    to no one is none (heard.unheard: ``before``, the reaction as the reply found it;
    None when the reply's answer went, which is one). Staff's own answer goes all the
    same: they chose to write it."""
    everyone = customers(ticket, ctx.policy.internal, ctx.policy.support_address)
    to = automatic.held_among(ticket, everyone)
    if not to or not notices:
        return ticket, notices, []
    c = {**ctx.common, **level_ctx(ctx.policy, ticket)}
    told = if_capped(ctx, notices, to, {**c, "subject": shown_subject(ticket["subject"])})
    why = ", ".join(dict.fromkeys(str(automatic.notices_held(ticket, a)) for a in to))
    context = {**told.context, "why": why, "kept_back": "automatic"}
    told = replace(told, key=ctx.key("held"), context=context)
    if len(to) < len(everyone):  # the others are told
        return ticket, notices, [told]
    if before is not None and any(ticket.get(k) != before.get(k) for k in heard.REACTION):
        ticket = heard.unheard(ticket, before)  # it reacted
    return ticket, [], [told]


def parted(ticket: Ticket, to: list[str], notices: list[str]) -> tuple[list[str], list[str]]:
    """(those of ``to`` no notice goes to, the others) of a staff reply's mail with
    ``notices`` (held: the addresses whose automatic mail is on the ticket)."""
    quiet = automatic.held_among(ticket, to) if notices else []
    return quiet, [a for a in to if a not in quiet]


def answer_alone(mail: Outgoing) -> Outgoing:
    """Staff's answer to the addresses held (parted), without the notices the copy to
    the others has folded in: under a key of its own, beside that copy's."""
    return replace(mail, key=f"{mail.key}-held")


def kept_back(told: Outgoing | None, notes: Iterable[MessageRecord]) -> list[Outgoing]:
    """The mails (``told``: if_capped's) telling the staff member their notice was not
    queued to the customers ``notes`` name (keptback's `suppressed` notes): one for the
    blocked, one for those refused for good, each under a key of its own (the cap's
    may stop the rest of the notice too)."""
    if told is None:
        return []
    return [
        replace(
            told,
            key=f"{told.key}-{note['suppressed']}",
            context={
                **told.context,
                "unsent_to": list(note["to"] or ()),  # (fresh notes: a list)
                "kept_back": note["suppressed"],
            },
        )
        for note in notes
        if note.get("suppressed") in KEPT_BACK
    ]
