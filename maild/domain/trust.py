"""The decision's trust rules: who may join a ticket (#cc/#uncc and a follow-up's
To/Cc, up to limits.max_participants), senders that show themselves robots, forged
staff mail, a staff member's reply address answered from another address, and staff
marking a ticket #spam.

Pure: the facts come from the Snapshot (what the store and the signatures said) and
the Policy; guard.py applies the rest (quarantine, caps) against the store.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from maild.domain import humans, robots, undeliverable
from maild.domain import ticket as tk
from maild.domain.commands import Command
from maild.domain.decision import Context, Decision, Outgoing, accepted_files
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.records import MessageRecord, Ticket, note_record
from maild.domain.replyaddr import is_support_address
from maild.domain.spam import domain_blockable
from maild.domain.ticket import participants_of
from maild.domain.verify import proves_sender

log = logging.getLogger("maild.trust")


def apply_participant_command(
    policy: Policy, ticket: Ticket, name: str, arg: str | None
) -> tuple[Ticket, str | None]:
    """#cc / #uncc ADDRESS; returns (ticket, Russian error or None). A command that
    cannot do what it says is an error, never a silent no-op: staff would believe the
    address gets (or no longer gets) the ticket's mail. #uncc also keeps the address in
    the ticket's `removed` (ticket.may_append) until a #cc adds it again; #cc lifts an
    address's mark of refused for good (undeliverable.lift)."""
    people = set(ticket.get("participants") or ())
    arg = (arg or "").lower()
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
    if not participants_of([arg], policy.support_address, policy.staff):
        # support's own side gets staff mail already; support@ itself would mail us back
        return ticket, f"#cc: {arg} — адрес службы поддержки или сотрудника, а не клиента"
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
    """The errors of a reply's #cc/#uncc lines, each checked after the ones above it."""
    errors: list[str] = []
    for cmd in commands:
        if cmd.name in ("cc", "uncc"):
            ticket, err = apply_participant_command(policy, ticket, cmd.name, cmd.arg)
            errors += [err] if err else []
    return errors


def robot_check(
    policy: Policy,
    msg: ParsedMessage,
    ticket: Ticket,
    messages: list[MessageRecord],
    at: datetime,
) -> tuple[str | None, bool]:
    """(why the sender is a robot on this ticket, or None; whether this message
    answers our automatic mail faster than a person would). Never one staff vouched
    for with #human (humans.py): a person who answers quickly stays one."""
    staff = policy.staff
    refs = msg.in_reply_to or msg.references[-1:]  # what it answers, not the history
    fast = robots.fast_reply(refs, msg.from_addr, at, messages, staff)
    if humans.vouched(ticket, msg.from_addr):
        return None, fast
    if msg.from_addr in (ticket.get("robots") or {}):
        return ticket["robots"][msg.from_addr], fast
    reason = robots.robot_reason(
        sender=msg.from_addr,
        subject=msg.subject,
        refs=refs,
        received_at=at,
        messages=messages,
        staff=staff,
        own_subject=ticket.get("subject") or "",
    )
    return reason, fast


def newcomers(policy: Policy, msg: ParsedMessage, ticket: Ticket) -> set[str]:
    """The customer-side addresses of To/Cc that are not yet in the ticket."""
    current = set(ticket.get("participants") or ())
    new = participants_of((*msg.to, *msg.cc), policy.support_address, policy.staff) - current
    new.discard(ticket["requester"])
    return new


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
    if not verified or msg.from_addr != ticket["requester"]:
        return set(), written
    room = policy.max_participants - len(current - {ticket["requester"]})
    removed = set(ticket.get("removed") or ())
    added = [a for a in written if a not in removed][: max(room, 0)]
    return set(added), [a for a in written if a not in added]


def _written(policy: Policy, msg: ParsedMessage) -> list[str]:
    """The customer-side addresses of To/Cc, each once, in the order the sender wrote
    them: the cap keeps the first ones, as the sender put whom it concerns most first."""
    people = participants_of((*msg.to, *msg.cc), policy.support_address, policy.staff)
    return [a for a in dict.fromkeys((*msg.to, *msg.cc)) if a in people]


def cap_participants(policy: Policy, msg: ParsedMessage) -> tuple[list[str], list[str]]:
    """A new ticket's To/Cc, in the order written: (the first limits.max_participants
    besides the requester, who join; the rest, which staff are shown)."""
    others = [a for a in _written(policy, msg) if a != msg.from_addr]
    return others[: policy.max_participants], others[policy.max_participants :]


def notice_sender(ctx: Context) -> tuple[str | None, bool]:
    """(whose mail a staff notice about this message counts as, whether the message
    proves it: Outgoing.about_sender, Outgoing.sender_proven): no more than so many an
    hour per sender and bucket (caps.notice_cap, caps.notice_limit). The sender is the
    From's address, "" for mail without one. A From line proves nothing: a forger can
    write anyone's, and had forged mail and proven mail filled one cap, twenty
    forgeries would silence staff about the real customer's mail. So mail that proves
    its sender (a reply address maild signed for it, DKIM/SPF with authserv_id:
    verify.proves_sender, verify.requester_verified) counts in a bucket of its own:
    capped too, as a robot that signs its mail and marks none of it automatic would
    otherwise get staff a notice per mail without end. (None, False), neither capped
    so nor counted: mail a staff member or the head proves (support's own side, whose
    mail the caps on automatic mail leave alone too), and a report of our own mail
    (snapshot.our_bounce: bounded by the mail we sent, not an outsider's)."""
    snap, msg, policy = ctx.snapshot, ctx.msg, ctx.policy
    if snap.our_bounce or (msg.from_addr in policy.staff and snap.staff_verified):
        return None, False
    proven = snap.requester_verified or proves_sender(msg, policy)
    if proven and policy.head and msg.from_addr == policy.head:
        return None, False
    return msg.from_addr, proven


def decide_unverified(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """Mail from a staff address that is not verified: a note, never relayed, no
    command run; the staff member gets one mail per ticket saying how to reply."""
    msg, record = ctx.msg, ctx.record
    sender, tid = msg.from_addr, ticket["tid"]
    log.warning(
        "%s [TID#%s] claims staff address %s but is not verified", msg.message_id, tid, sender
    )
    record.update(kind="note", unverified_staff=True)
    sent = dict(ticket.get("sent") or {})
    outgoing = []
    if not sent.get(f"unverified:{sender}"):
        sent[f"unverified:{sender}"] = ctx.received_at.isoformat()
        context = {
            **ctx.common,
            "tid": tid,
            # the ticket's own subject, not the letter's (often only "Re:" and the tag)
            "subject": ticket.get("subject") or ctx.common["subject"],
            "authserv_id": ctx.policy.authserv_id,
            "reply_address": ctx.policy.reply_address(tid, sender),
        }
        outgoing.append(
            Outgoing(
                ctx.key("unverified"),
                "notice",
                "staff_unverified.txt",
                [sender],
                context,
                True,
                unverified=True,
            )
        )
    ticket = {**ticket, "sent": sent}
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing)


def decide_alias(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], staff: str
) -> Decision:
    """Mail to the reply address signed for staff member ``staff`` from an address
    that is not staff: an address of theirs not on support.staff, or their client
    sending "as" the support address itself. It opened a ticket of its own, its
    sender (support itself, even) made a customer; now it is a note of the ticket
    the notice was about, nothing is sent and no command runs, and ``staff`` (the
    address the notice went to) is told, once per sender and ticket, within the caps
    of automatic mail: anyone who has the address may write to it."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    log.warning(
        "%s [TID#%s] from %s to the reply address of %s: kept as a note",
        msg.message_id,
        tid,
        msg.from_addr or "(none)",
        staff,
    )
    record.update(kind="note", signed_for=staff)
    sent, outgoing = dict(ticket.get("sent") or {}), []
    if _by_hand(ctx) and not sent.get(f"alias:{msg.from_addr}"):
        sent[f"alias:{msg.from_addr}"] = ctx.received_at.isoformat()
        context = {
            **ctx.common,
            "tid": tid,
            "subject": ticket.get("subject") or ctx.common["subject"],
            "staff": staff,
            "as_support": is_support_address(msg.from_addr, ctx.policy.support_address),
        }
        out = Outgoing(
            ctx.key("alias"), "notice", "staff_alias.txt", [staff], context, True, unverified=True
        )
        outgoing.append(out)
    ticket = {**ticket, "sent": sent}
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing)


def decide_head(ctx: Context, ticket: Ticket, messages: list[MessageRecord], head: str) -> Decision:
    """Mail to the reply address signed for the head (an escalation, an alert about the
    ticket). The head's own answer («Борис, возьми срочно») opened a ticket of its own,
    the head a customer given a confirmation; now it is a note of the ticket, and staff
    get its text and files: nothing goes to the customer, no command runs, no deadline
    changes. From another address (a forwarded escalation answered) or automatic (an
    out-of-office), it is a note only: nobody is told."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    by_head = msg.from_addr == head and not ctx.scr.automated
    log.info(
        "%s [TID#%s] from %s to the head's reply address: kept as a note%s",
        msg.message_id,
        tid,
        msg.from_addr or "(none)",
        ", sent to staff" if by_head else "",
    )
    record.update(kind="note", signed_for=head)
    outgoing = []
    if by_head:
        context = {**ctx.common, "tid": tid, "subject": ticket.get("subject") or "(без темы)"}
        to = tk.staff_recipients(ticket, ctx.policy.staff)
        files = accepted_files(ctx.attachments)
        out = Outgoing(ctx.key("head"), "notice", "staff_head.txt", to, context, True)
        outgoing.append(replace(out, attach=files))
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing)


def _by_hand(ctx: Context) -> bool:
    """Written by a person: not automatic, or screened only for its From, the support
    address a client sends "as" (maild's own mail coming back carries X-Loop)."""
    msg = ctx.msg
    if not ctx.scr.automated:
        return True
    own = is_support_address(msg.from_addr, ctx.policy.support_address)
    auto = (msg.header("auto-submitted") or "no").strip().lower()
    loop = msg.header("x-loop") or msg.header("x-maild-loop")
    return own and auto.startswith("no") and not loop and not ctx.scr.bounce


def decide_staff_auto(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """Automatic mail from a staff address into a ticket (the staff member's
    out-of-office answering a notice at its signed address): a note of the ticket.
    It is no answer to the customer, and no customer's mail to tell staff of; the
    ticket's status and deadline stay."""
    ctx.record.update(kind="note")
    log.info(
        "%s [TID#%s] automatic mail from staff address %s (%s): kept as a note",
        ctx.msg.message_id,
        ticket["tid"],
        ctx.msg.from_addr,
        ctx.scr.reason,
    )
    return Decision("appended", ticket["tid"], ticket, [*messages, ctx.record], ctx.record)


def decide_spam(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    commands: tuple[Command, ...],
    body: str,
) -> Decision:
    """#spam in a staff reply: the reply is a note, the ticket is marked for effects
    (guard.mark_spam) to move to the quarantine; nothing is sent to anyone."""
    spam = next(c for c in commands if c.name == "spam")
    text = body or "#spam"
    domain = spam.arg == "domain"
    if domain and not domain_blockable(ticket["requester"]):
        domain = False  # a free-mail service: the whole of it is everybody's
        text += (
            f"\n(домен {ticket['requester'].rpartition('@')[2]} — бесплатная почта, "
            "заблокирован только адрес отправителя)"
        )
    ctx.record.update(kind="note", text=text)
    ticket = {**ticket, "spam": {"by": ctx.msg.from_addr, "domain": domain}}
    return Decision("spam", ticket["tid"], ticket, [*messages, ctx.record], ctx.record)


def decide_held(ctx: Context, claims_staff: bool) -> Decision:
    """Mail of a ticket staff marked #spam (Snapshot.spammed): kept in the quarantine
    with the ticket's mail, never a ticket of its own (a staff reply would open one
    under the spammer's TID, with the staff member as its customer), nothing to
    anyone but a verified staff member, who is told that the ticket is spam, by whom
    and when, and how the admin brings it back with the reply (staff_spammed.txt)."""
    snap, msg = ctx.snapshot, ctx.msg
    mark, tid = snap.spammed, snap.tid
    assert mark is not None
    outgoing = []  # (the pipeline logs where it is kept)
    if claims_staff and snap.staff_verified:
        context = {
            **ctx.common,
            "tid": tid,
            "subject": mark.subject or ctx.common["subject"],
            "marked_by": mark.by,
            "marked_at": ctx.policy.fmt_time(mark.at) if mark.at else "",
            "blocked": mark.blocked,
            "entries": mark.entries,
        }
        outgoing.append(
            Outgoing(
                ctx.key("spammed"), "notice", "staff_spammed.txt", [msg.from_addr], context, False
            )
        )
    return Decision("held", tid, None, [], ctx.record, outgoing)


def decide_missing(ctx: Context) -> Decision:
    """Staff mail naming a ticket that is not in the store (Snapshot.missing: deleted
    by storage.keep_closed_days, or a typo in the subject): it would open a ticket of
    its own with the staff member as its customer. It is kept in the quarantine (the
    pipeline) and the staff member is told there is no such ticket (staff_noticket.txt):
    within the caps of automatic mail when the mail is not verified, as anyone can
    forge a staff address with a new [TID#...] each time."""
    snap, msg = ctx.snapshot, ctx.msg
    context = {**ctx.common, "tid": snap.tid, "issued": snap.missing == "issued"}
    out = Outgoing(
        ctx.key("noticket"),
        "notice",
        "staff_noticket.txt",
        [msg.from_addr],
        context,
        False,
        unverified=not snap.staff_verified,
    )
    return Decision("held", snap.tid, None, [], ctx.record, [out])


def note_robot(decision: Decision, sender: str, reason: str, at: datetime) -> Decision:
    """The first time a sender shows itself a robot on a ticket: remember it (no more
    automatic mail to it there) and leave staff one note saying so. Mail kept in the
    quarantine (no ticket) has nowhere to remember it: decide never asks then."""
    ticket = decision.ticket
    if ticket is None or sender in (ticket.get("robots") or {}):
        return decision
    known = {**(ticket.get("robots") or {}), sender: reason}
    text = (
        f"{sender} — робот ({reason}): автоматических писем по этому обращению он больше"
        " не получает, о его письмах сотрудникам не сообщается; его письма по-прежнему"
        f" видны здесь. Если это человек: ответ сотрудника со строкой {humans.undo_hint(sender)}"
        " снимет отметку."
    )
    note = note_record(sender=sender, direction="in", text=text, at=at)
    log.info("[TID#%s] %s treated as a robot: %s", decision.tid, sender, reason)
    return replace(
        decision, ticket={**ticket, "robots": known}, messages=[*decision.messages, note]
    )
