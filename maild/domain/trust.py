"""The decision's trust in a sender: senders that show themselves robots on a ticket
(robot_check; note_robot remembers one and tells staff), and whose mail a staff
notice counts as, proven or not (notice_sender). The other trust rules have modules
of their own: who may join a ticket (participants.py), staff-side mail that is no
staff reply (forged staff mail, a staff reply address answered from another address,
the head's answers: staffmail.py), and #spam (spammark.py).

Pure: the facts come from the Snapshot (what the store and the signatures said) and
the Policy; guard.py applies the rest (quarantine, caps) against the store.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypedDict

from maild.domain import caps, humans, robotrounds, robots, said
from maild.domain.decision import Context, Decision, saying
from maild.domain.logid import logged_id
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.records import Attachments, MessageRecord, Ticket, note_record
from maild.domain.snapshot import Loaded, Snapshot
from maild.domain.verify import proves_sender

LOG = "maild.trust"


def proven(snap: Snapshot, msg: ParsedMessage, policy: Policy) -> bool:
    """Whether the message proves its From (a reply address maild signed for it,
    DKIM/SPF with authserv_id: verify.proves_sender, verify.requester_verified)."""
    return snap.requester_verified or proves_sender(msg, policy)


class RobotMarks(TypedDict, total=False):
    """What a message's record keeps for the next reply to be compared with (robot_check)."""

    fast_words: str
    fast_reply_to_auto: bool


def judge_robot(
    policy: Policy,
    msg: ParsedMessage,
    loaded: Loaded,
    at: datetime,
    attachments: Attachments | None = None,
    sender_proven: bool = False,
) -> tuple[str | None, RobotMarks, Loaded]:
    """robot_check's (reason, marks), and the ticket and its messages as judged: a
    robot mark lifted when this proven mail (`sender_proven`) found it set by mail
    proving nothing and showed no robot's signs (robot_check)."""
    ticket, messages = loaded
    reason, marks = robot_check(policy, msg, ticket, messages, at, attachments, sender_proven)
    if reason is None and msg.from_addr in (ticket.get("robots") or {}):
        ticket = _unmarked(ticket, msg.from_addr)  # (only a proven mail gets here so)
    return reason, marks, (ticket, messages)


def robot_check(
    policy: Policy,
    msg: ParsedMessage,
    ticket: Ticket,
    messages: list[MessageRecord],
    at: datetime,
    attachments: Attachments | None = None,
    sender_proven: bool = False,
) -> tuple[str | None, RobotMarks]:
    """(why the sender is a robot on this ticket, or None; what its record keeps for
    the next reply to be compared with (robots.canned_run): when this message answers
    our automatic mail, its robots.own_words ("fast_words"), and whether it answers it
    faster than a person would ("fast_reply_to_auto"); else nothing). Never one staff
    vouched for with #human (humans.py): a person who answers quickly stays one. A mark
    only mail proving nothing of its From set (`robots_unproven`: a forger's, who knows
    a TID and the customer's address) does not hold for mail that proves it
    (`sender_proven`): that is judged anew (judge_robot lifts the mark when it shows a
    person). `attachments`: the message's files judged (the ticket's own left out): a
    new one accepted is a person's news (robots.canned_run)."""
    staff = policy.staff
    refs = msg.in_reply_to or msg.references[-1:]  # what it answers, not the history
    fast = robots.fast_reply(refs, msg.from_addr, at, messages, staff)
    marks: RobotMarks = {}
    if fast is not None:
        marks["fast_words"] = robots.own_words(msg.text)
    if fast:
        marks["fast_reply_to_auto"] = True
    if humans.vouched(ticket, msg.from_addr):
        return None, marks
    if msg.from_addr in (ticket.get("robots") or {}) and not (
        sender_proven and msg.from_addr in (ticket.get("robots_unproven") or ())
    ):
        return ticket["robots"][msg.from_addr], marks
    reason = robots.robot_reason(
        sender=msg.from_addr,
        subject=msg.subject,
        refs=refs,
        received_at=at,
        messages=messages,
        staff=staff,
        own_subject=ticket.get("subject") or "",
        words=str(marks.get("fast_words", "")),
        files=any(d.accepted for d, _ in attachments or ()),
    )
    return reason, marks


def opening_robot(
    msg: ParsedMessage, snap: Snapshot, at: datetime, attachments: Attachments | None
) -> str | None:
    """Why a new ticket's mail shows its sender a robot, or None: one more new ticket
    with its canned text right after our confirmation of its last one
    (robotrounds.opening_reason, its earlier tickets: Snapshot.opened_before)."""
    if not snap.opened_before:
        return None
    files = any(d.accepted for d, _ in attachments or ())
    canned = robotrounds.opening_text(msg.subject, msg.text)
    return robotrounds.opening_reason(canned, files, at, snap.opened_before)


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
    (snapshot.our_bounce: bounded by the mail we sent, not an outsider's; the same
    report of the same mail again is told to no one: decide._reported_before). A
    mailing list's post (List-Id) counts as the list's, whoever wrote it, unproven:
    each post has another From, and a list's thirty posters were thirty senders
    (caps.list_key)."""
    snap, msg, policy = ctx.snapshot, ctx.msg, ctx.policy
    if snap.our_bounce or (msg.from_addr in policy.staff and snap.staff_verified):
        return None, False
    sender_proven = proven(snap, msg, policy)
    if sender_proven and policy.head and msg.from_addr == policy.head:
        return None, False
    if listed := caps.list_key(msg.header("list-id")):  # a list: its posters are one
        return listed, False
    return msg.from_addr, sender_proven


def note_robot(
    decision: Decision,
    sender: str,
    reason: str | None,
    at: datetime,
    sender_proven: bool = False,
    before: Ticket | None = None,
) -> Decision:
    """The first time a sender shows itself a robot on a ticket: remember it (no more
    automatic mail to it there) and leave staff one note saying so; remembered as set
    by mail proving nothing of its From (`robots_unproven`) unless `sender_proven`, and
    so set, made the mark of proven mail when proven mail shows it a robot again. A
    mark robot_check lifted (`before`: the ticket as the message found it) gets a note
    saying so. Mail kept in the quarantine (no ticket) has nowhere to remember it:
    decide never asks then."""
    ticket = decision.ticket
    if ticket is None:
        return decision
    robots = ticket.get("robots") or {}
    if reason is None:
        same = before is not None and before.get("tid") == ticket.get("tid")
        kept = (before.get("robots") or {}) if before is not None and same else {}
        gone = sender in kept and sender not in robots
        return _note(decision, ticket, sender, _lifted_text(sender), at) if gone else decision
    if sender in robots:  # known: proven mail showing it again makes the mark its own
        proven_now = _unproven(ticket, sender, True) if sender_proven else ticket
        return replace(decision, ticket=proven_now)
    known = _unproven({**ticket, "robots": {**robots, sender: reason}}, sender, sender_proven)
    text = (
        f"{sender} — робот ({reason}): автоматических писем по этому обращению он больше"
        " не получает, о его письмах сотрудникам не сообщается; его письма по-прежнему"
        f" видны здесь. Если это человек: ответ сотрудника со строкой {humans.undo_hint(sender)}"
        " снимет отметку" + ("." if sender_proven else _UNPROVEN_HINT)
    )
    who = logged_id(decision.incoming["message_id"]) if decision.incoming else "<none>"
    line = said.info(
        LOG, "%s [TID#%s] %s treated as a robot: %s", who, decision.tid, sender, reason
    )
    return saying(_note(decision, known, sender, text, at), line)


# The robot note's end when the mail that set the mark proved nothing of its From
_UNPROVEN_HINT = (
    "; письмо не подтверждает отправителя, и его подтверждённое письмо (ответ на адрес"
    " для ответа из нашего письма, DKIM/SPF) без признаков робота тоже снимет отметку."
)


def _lifted_text(sender: str) -> str:
    """The note of a mark lifted by the sender's proven mail (robot_check)."""
    return (
        f"Отметка «робот» с {sender} снята: её поставило письмо, не подтверждавшее"
        " отправителя (так может написать кто угодно, зная номер обращения), а его"
        " подтверждённое письмо признаков робота не имеет. Он снова получает"
        " автоматические письма, сотрудники снова получают уведомления о его письмах."
    )


def _note(decision: Decision, ticket: Ticket, sender: str, text: str, at: datetime) -> Decision:
    note = note_record(sender=sender, direction="in", text=text, at=at)
    return replace(decision, ticket=ticket, messages=[*decision.messages, note])


def _unproven(ticket: Ticket, sender: str, sender_proven: bool) -> Ticket:
    """``ticket`` with the robot mark of ``sender`` kept as set by proven mail or not."""
    rest = sorted(set(ticket.get("robots_unproven") or ()) - {sender})
    t: Ticket = {**ticket, "robots_unproven": rest if sender_proven else sorted({*rest, sender})}
    if not t["robots_unproven"]:
        del t["robots_unproven"]
    return t


def _unmarked(ticket: Ticket, sender: str) -> Ticket:
    """``ticket`` without the robot mark of ``sender``."""
    robots = {a: why for a, why in (ticket.get("robots") or {}).items() if a != sender}
    t: Ticket = _unproven({**ticket, "robots": robots}, sender, True)
    if not robots:
        del t["robots"]
    return t
