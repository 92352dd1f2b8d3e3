"""Who is on a ticket: staff's #cc and #uncc (apply_participant_command,
participant_errors), and the To/Cc that join it, a follow-up's (joiners: only the
requester's verified mail adds people, never one staff removed) and a new ticket's
by the same rule (first_joiners), each up to limits.max_participants besides the
requester.

Pure: the facts come from the ticket, the message and the Policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain import undeliverable
from maild.domain.addresses import comparable_address, each_once
from maild.domain.commands import Command, errors_in_order
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.records import Ticket
from maild.domain.ticket import is_requester, participants_of


def apply_participant_command(
    policy: Policy, ticket: Ticket, name: str, arg: str | None
) -> tuple[Ticket, str | None]:
    """#cc / #uncc ADDRESS; returns (ticket, Russian error or None). A command that
    cannot do what it says is an error, never a silent no-op: staff would believe the
    address gets (or no longer gets) the ticket's mail. #uncc also keeps the address in
    the ticket's `removed` (ticket.may_append) until a #cc adds it again; #cc lifts an
    address's mark of refused for good (undeliverable.lift)."""
    people = set(ticket.get("participants") or ())
    arg = undeliverable.as_kept(ticket, arg or "")  # in the spelling the ticket has
    requester = ticket["requester"]
    if name == "uncc":
        if arg == requester:
            return ticket, f"#uncc: {arg} — автор обращения, его нельзя убрать из участников"
        if arg not in people:
            listed = ", ".join(sorted(people | {requester} - {""}))
            return ticket, f"#uncc: {arg} не участник обращения; участники: {listed}"
        people.discard(arg)
        removed = sorted({*(ticket.get("removed") or ()), arg})
        return {
            **ticket,
            "participants": sorted(people | {requester} - {""}),
            "removed": removed,
        }, None
    if not participants_of([arg], policy.support_address, policy.internal):
        # support's own side (staff and the head: Policy.internal) gets staff mail, not
        # a customer's copy with a Reply-To signed as a customer's; support@ itself
        # would mail us back
        return ticket, (
            f"#cc: {arg} — адрес службы поддержки, сотрудника или руководителя поддержки,"
            " а не клиента"
        )
    if (arg == requester or arg in people) and not undeliverable.marked(ticket, arg):
        # already gets the ticket's mail: nothing to do (one whose mail was refused is
        # named again to say the mailbox works now: undeliverable.lift below)
        who = "автор обращения" if arg == requester else "уже участник обращения"
        return ticket, f"#cc: {arg} — {who}, ответы по обращению он уже получает"
    cap = policy.max_participants
    others = people - {requester}
    if arg not in people and len(others) >= cap:
        return ticket, (
            f"#cc: {arg} не добавлен: у обращения уже предельное число участников"
            f" ({cap}, limits.max_participants)"
        )
    removed = sorted(set(ticket.get("removed") or ()) - {arg})
    # staff name it again: an address refused for good gets its mail again
    ticket = undeliverable.lift(ticket, [arg])
    return {**ticket, "participants": sorted(people | {arg}), "removed": removed}, None


def participant_errors(policy: Policy, ticket: Ticket, commands: tuple[Command, ...]) -> list[str]:
    """The errors of a reply's #cc/#uncc lines, each checked after the ones above it;
    a line that says again what the one above it about that address said counts once
    («#cc buh@…» and «#cc BUH@…» in one reply: the second is no «уже участник»)."""
    return errors_in_order(
        ticket,
        _once(commands),
        ("cc", "uncc"),
        lambda t, cmd: apply_participant_command(policy, t, cmd.name, cmd.arg),
    )


def _once(commands: tuple[Command, ...]) -> tuple[Command, ...]:
    """``commands`` without a #cc or #uncc that repeats the reply's last one about its
    address: «#cc a», «#cc a» is one; «#cc a», «#uncc a», «#cc a» are three."""
    last: dict[str, str] = {}
    kept: list[Command] = []
    for cmd in commands:
        if cmd.name in ("cc", "uncc"):
            address = comparable_address(cmd.arg or "")
            if last.get(address) == cmd.name:
                continue
            last[address] = cmd.name
        kept.append(cmd)
    return tuple(kept)


def newcomers(policy: Policy, msg: ParsedMessage, ticket: Ticket) -> set[str]:
    """The customer-side addresses of To/Cc that are not yet in the ticket: never one
    of support's own side (Policy.internal: staff and the head, as #cc refuses them),
    who would get a customer's copy of staff's answer. In the ticket in either spelling
    of its domain (_known): our mail names anna@магазин.рф as anna@xn--80aairftm.xn--p1ai
    (addresses.a_labelled), and a reply-all copies her so."""
    known = _known((*(ticket.get("participants") or ()), ticket["requester"]))
    people = participants_of((*msg.to, *msg.cc), policy.support_address, policy.internal)
    return {a for a in people if comparable_address(a) not in known}


def _known(addresses: Iterable[str]) -> set[str]:
    """Addresses as identification compares them (addresses.comparable_address)."""
    return {comparable_address(a) for a in addresses if a}


def joiners(
    policy: Policy, msg: ParsedMessage, ticket: Ticket, verified: bool
) -> tuple[set[str], list[str]]:
    """(addresses of To/Cc that join the ticket, those only shown to staff as "asked
    to be added"). Only the requester's verified follow-up (``verified``: see
    verify.requester_verified) adds people, up to max_participants: a participant
    speaks for themselves, not for whom the requester shares the ticket with. Never
    one staff removed with #uncc (`removed`): a reply-all to mail sent before the
    removal names them again without anyone meaning it; staff decided, staff undo."""
    current = set(ticket.get("participants") or ())
    new = newcomers(policy, msg, ticket)
    written = [a for a in _written(policy, msg) if a in new]
    if not new:
        return set(), []
    if not verified or not is_requester(ticket, msg.from_addr):
        return set(), written
    room = policy.max_participants - len(current - {ticket["requester"]})
    removed = _known(ticket.get("removed") or ())
    added = [a for a in written if comparable_address(a) not in removed][: max(room, 0)]
    return set(added), [a for a in written if a not in added]


def _written(policy: Policy, msg: ParsedMessage) -> list[str]:
    """The customer-side addresses of To/Cc, each once, in the order the sender wrote
    them: the cap keeps the first ones, as the sender put whom it concerns most first."""
    people = participants_of((*msg.to, *msg.cc), policy.support_address, policy.internal)
    return each_once(a for a in (*msg.to, *msg.cc) if a in people)


def first_joiners(
    policy: Policy, msg: ParsedMessage, verified: bool
) -> tuple[list[str], list[str], list[str]]:
    """A new ticket's To/Cc, by the follow-up's rule (joiners: its sender is the
    requester of the ticket it opens, no one is on it yet): whom it copies join only
    when it proves its From (``verified``: verify.requester_verified, which for a
    ticket no mail of ours has named yet is DKIM/SPF with authserv_id). A From line
    proves nothing: a forged «director@» copying a look-alike «secretary@» got that
    address staff's answer with the password, and spam copying ten victims sent each
    every notice of the ticket (and #spam was refused for their sake). Returns (who
    join, in the order written; those past limits.max_participants besides the
    requester, named to staff; those unproven mail asked to add, named to staff as a
    follow-up's are, for #cc)."""
    opening: Ticket = {"requester": msg.from_addr}  # type: ignore[typeddict-item]
    joined, rest = joiners(policy, msg, opening, verified)
    if not verified:
        return [], [], rest
    return [a for a in _written(policy, msg) if a in joined], rest, []


def copies_ctx(
    policy: Policy, joined: list[str], left_out: list[str], asked: list[str]
) -> dict[str, object]:
    """What a new ticket's notice (staff_new.txt) says of its To/Cc (first_joiners):
    who get every answer (``copies``, only those who joined), who were past the cap,
    and who its unproven mail asked to add (the follow-up's words: «Просили добавить»,
    #cc ADDRESS)."""
    return {
        "copies": joined,
        "left_out": left_out,
        "max_participants": policy.max_participants,
        "asked_to_join": asked,
    }
