"""A staff member's reply address that someone outside support's side has seen.

Each staff member's mail about a ticket carries a reply address signed for them
(replyaddr.sign_for), and mail to it from their address proves them on that ticket
(verify.staff_verified). A mail that names it in To/Cc and that someone outside
support's side sent or got shows it to them: the member's answer sent "reply all"
with the customer in Cc, the customer's reply-all to that. Whoever saw it could write
From: the member to it.

So the ticket keeps, per member, the epoch of their address (``reply_epochs``; absent:
0), which replyaddr signs into it. Such a mail naming the address of the epoch now
gives the member the next one (`renewal`): their mail about the ticket carries the
new address from then on. An address of an earlier epoch still proves them for the
ticket itself (the conversation with the customer in Cc goes on: the customer's
reply-all and the member's answer to it carry it), but not for the commands that
reach beyond it (BEYOND: #merge moves the ticket's customers into another ticket,
whose mail they then get; #cc adds anyone; #spam blocks a sender, or their whole
domain, desk-wide): those need the address of the epoch now,
or DKIM/SPF for the member (verify.sender_verified), and the member is told so
(`beyond_errors`) by mail that carries the address of the epoch now. Only what maild
sees counts: a forward outside, or a Bcc, it never learns of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from maild.domain import said
from maild.domain.commands import Command
from maild.domain.decision import Decision
from maild.domain.logid import logged_id
from maild.domain.message import ParsedMessage, normalize_address
from maild.domain.ownside import is_internal
from maild.domain.policy import Policy
from maild.domain.records import Ticket
from maild.domain.replyaddr import is_support_address, signed_epoch
from maild.domain.said import Said
from maild.domain.verify import sender_verified

LOG = "maild.trust"

# the ticket's: TID (its own, and those of tickets merged into it, lower-case) -> staff
# address -> the epoch of their reply address of that TID
FIELD: Final = "reply_epochs"
BEYOND = ("merge", "cc", "spam")  # commands that reach beyond the ticket
ERROR = (
    "{commands}: не выполнено. Письмо пришло на ваш адрес ответа этого обращения, "
    "который видели не только сотрудники поддержки (он был в копии письма клиенту "
    "или в письме клиента): с него принимаются ответы и команды этого обращения, "
    "но не эти. Повторите их ответом на это письмо: у него новый адрес ответа."
)


def epoch(ticket: Ticket | None, person: str, tid: str | None = None) -> int:
    """The epoch of ``person``'s reply address of ``ticket`` (0: never seen outside);
    ``tid``: of that ticket merged into it instead."""
    if ticket is None:
        return 0
    of = (ticket.get(FIELD) or {}).get((tid or ticket["tid"]).lower()) or {}
    return int(of.get(normalize_address(person), 0))


def renewal(
    ticket: Ticket, msg: ParsedMessage, policy: Policy, via: str | None = None
) -> tuple[Ticket, Said | None]:
    """(``ticket`` with the next epoch for each staff member whose reply address of the
    epoch now, of this ticket or of one merged into it, ``msg`` showed someone outside
    support's side, else ``ticket`` itself; the line that says whose address is new,
    None when none is). ``via``: the TID the mail threaded to when #merge sent it on
    here (Snapshot.merged_source), one of this ticket's too."""
    if not _seen_outside(msg, policy):
        return ticket, None
    epochs = {tid: dict(of) for tid, of in (ticket.get(FIELD) or {}).items()}
    renewed_for, own = [], _own(ticket, via)
    for member, tid, was in _members_named(msg, policy):
        if tid not in own:
            continue  # another ticket's epochs are that ticket's
        if was >= epoch(ticket, member, tid):
            epochs.setdefault(tid, {})[member] = was + 1
            renewed_for.append(member)
    if not renewed_for:
        return ticket, None
    line = said.warning(
        LOG,
        "%s [TID#%s] the reply address of %s was seen outside support: a new one from now on",
        logged_id(msg.message_id),
        ticket["tid"],
        ", ".join(renewed_for),
    )
    return {**ticket, FIELD: epochs}, line


def merged(target: Ticket, source: Ticket) -> dict[str, dict[str, int]]:
    """The epochs of the ticket ``source`` is merged into: its own and the source's,
    each of its TID (mail to the source's addresses is taken on the target)."""
    return {**(source.get(FIELD) or {}), **(target.get(FIELD) or {})}


def beyond_errors(
    msg: ParsedMessage,
    policy: Policy,
    ticket: Ticket,
    commands: Iterable[Command],
    via: str | None = None,
) -> list[str]:
    """The error of a staff reply whose #merge, #cc or #spam came by an address of its
    member seen outside support alone (`seen_only`); [] otherwise."""
    names = sorted({f"#{c.name}" for c in commands if c.name in BEYOND})
    if not names or not seen_only(msg, policy, ticket, via):
        return []
    return [ERROR.format(commands=", ".join(names))]


def seen_only(msg: ParsedMessage, policy: Policy, ticket: Ticket, via: str | None = None) -> bool:
    """Whether ``msg`` proves its staff member on ``ticket`` by no address of theirs of
    their epoch there now (as it was before this mail), of it or of one merged into it,
    nor by DKIM/SPF, only by one someone outside support may have seen: anyone may have
    written it. Another ticket's address proves them there, not here: its epoch is that
    ticket's. ``via``: as for `renewal`."""
    member = normalize_address(policy.listed(msg.from_addr))
    named = [(tid, was) for who, tid, was in _members_named(msg, policy) if who == member]
    if not named or sender_verified(msg, policy):
        return False  # (no address of theirs named: proven otherwise, verify.staff_verified)
    own = _own(ticket, via)
    return not any(tid in own and was >= epoch(ticket, member, tid) for tid, was in named)


def capped(decision: Decision, writer: str) -> Decision:
    """``decision`` (of a mail that proves its writer only so: `seen_only`) with its mail
    to ``writer`` alone (an error, a notice of what did not run) capped as automatic
    mail is (Outgoing.unverified): each forged mail to a seen address brought the
    member one such mail, without limit."""
    who = normalize_address(writer)
    out = [
        replace(o, unverified=True) if {normalize_address(a) for a in o.to} == {who} else o
        for o in decision.outgoing
    ]
    return replace(decision, outgoing=out)


def _seen_outside(msg: ParsedMessage, policy: Policy) -> bool:
    """Someone outside support's side sent ``msg`` or was sent it (To/Cc)."""
    support, own = policy.support_address, policy.internal
    return any(a and not is_internal(a, support, own) for a in (msg.from_addr, *msg.to, *msg.cc))


def _own(ticket: Ticket, via: str | None = None) -> set[str]:
    """The TIDs whose reply addresses lead to ``ticket``: its own, and those of the
    tickets merged into it (lower-case, as addresses sign them). Another ticket's
    epochs are that ticket's, which the decision about this mail does not hold: a
    member's address of another ticket named beside this one's is not renewed there
    (README, Trust). ``via``: the ticket the mail threaded to, which #merge sent on
    here (a chain merged before `merged_from` kept the whole of it)."""
    own = {ticket["tid"].lower(), *(t.lower() for t in ticket.get("merged_from") or ())}
    return own | {via.lower()} if via else own


def _members_named(msg: ParsedMessage, policy: Policy) -> list[tuple[str, str, int]]:
    """(staff member, TID, epoch) of each reply address in To/Cc signed for a member."""
    secret, support = policy.reply_secret, policy.support_address
    found = []
    for addr in (*msg.to, *msg.cc):
        if not is_support_address(addr, support):  # (most are not ours)
            continue
        for member in policy.staff:
            named = signed_epoch(addr, member, secret, support)
            if named is not None:
                found.append((normalize_address(member), *named))
                break
    return found
