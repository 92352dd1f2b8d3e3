"""#merge: one problem that arrived as two tickets becomes one.

Pure: the source ticket's messages, participants, known robots and held addresses
(automatic.merged) move into the target, a closed target is open again when an open
ticket comes in and a waiting one when a customer's mail waiting for staff does, the
source is closed and points at the target. The source's customer, if staff never reacted
to them, waits on in the target by their own deadline and level (mergedwait: its
reminders, escalation and the SLA report), and the target keeps its own deadline and
level: each customer's deadline is reminded, escalated and reported once
(pending.deadlines). Only a source staff reacted to, whose customer wrote again since,
brings its pending deadline as the target's own, the earlier of the two winning
(`_own_due`); the SLA report judges the other follow-up's deadline beside it, and a
source's follow-up brought into a target not yet reacted to, once each
(sla.followups_merged). What reminders and escalations went about the deadlines it
brings comes with them (`_kept_marks`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypedDict

from maild.domain import automatic, mergedwait, pace
from maild.domain.addresses import comparable_address, each_once
from maild.domain.leak import FIELD as EPOCHS
from maild.domain.leak import merged as merged_epochs
from maild.domain.mergedwait import MergedWait
from maild.domain.records import MessageRecord, Status, Ticket
from maild.domain.sla import deadline_level, followups_merged
from maild.domain.ticket import iso

__all__ = ["final_target", "merge"]

Messages = list[MessageRecord]


def final_target(tid: str, load_merged_into: Callable[[str], str | None], limit: int = 10) -> str:
    """Where mail for ``tid`` lands: follow merged_into (a merged ticket may later be
    merged again); a loop or a chain longer than ``limit`` stops where it is."""
    seen = {tid}
    for _ in range(limit):
        nxt = load_merged_into(tid)
        if not nxt or nxt in seen:
            break
        seen.add(nxt)
        tid = nxt
    return tid


def _earlier(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if datetime.fromisoformat(a) <= datetime.fromisoformat(b) else b


def _own_due(target: Ticket, source: Ticket) -> tuple[str | None, str | None, str | None]:
    """The target's own pending deadline once ``source`` is merged into it, when its
    clock started and the level it was set by (sla.deadline_level: the SLA report
    judges a follow-up's deadline under it): its own, as it was, when the source's
    customer waits on in it as a merged wait (never reacted to: mergedwait.carried),
    else the earlier of its own and the source's (staff reacted to the source and its
    customer wrote again: that mail waits for staff now in the target, which has no
    wait of its own for it)."""
    due, start = target.get("reaction_due"), target.get("reaction_from")
    level = target.get("reaction_level")
    if not source.get("first_reaction_at"):
        return due, start, level
    earlier = _earlier(due, source.get("reaction_due"))
    if earlier != due:
        start = source.get("reaction_from") or source["created_at"]
        return earlier, start, deadline_level(source)
    return due, start, level


def _still_removed(t: Ticket, source: Ticket) -> list[str]:
    """Whom staff took off either ticket: they stay off, unless the merge brings them in
    (``t``'s participants, the source's among them)."""
    brought = {comparable_address(a) for a in t["participants"]}
    removed = (*t.get("removed", ()), *source.get("removed", ()))
    return sorted({a for a in removed if comparable_address(a) not in brought})


def _same(a: str | None, b: str | None) -> bool:
    """Two deadlines as stored are one moment (the text may differ in its offset)."""
    if not a or not b:
        return False
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def _moment_marks(
    target: Ticket, due: str | None, joining: list[str], brought: dict[str, str]
) -> dict[str, str]:
    """The target's own marks once the customers of the TIDs `joining` come into its
    own moment `due`, with what went about them (`brought`, keyed for them): of each
    kind (a reminder, an escalation) one of them has not had,
    that moment's marks ("<kind>:<due>": its mail went, naming its own customer and the
    waits then due with it) are keyed for each of those (pace.customer_due): the mail is
    still to go about the one joining, and not again about them (pending.untold)."""
    sent = dict(target.get("sent") or {})
    if due is None or due != target.get("reaction_due") or not joining:
        return sent
    named = [w["tid"] for w in mergedwait.pending(target) if _same(str(mergedwait.due(w)), due)]
    for kind in pace.KINDS:
        if all(pace.done_key(kind, pace.customer_due(due, tid)) in brought for tid in joining):
            continue
        moment = {
            k: v for k, v in pace.deadline_marks(sent, due, due).items() if k.startswith(f"{kind}:")
        }
        for key in moment:
            del sent[key]
        for tid in (target["tid"], *named):
            sent.update(pace.deadline_marks(moment, due, pace.customer_due(due, tid)))
    return sent


def _kept_marks(
    source: Ticket, target: Ticket, due: str | None, moved: list[MergedWait]
) -> dict[str, str]:
    """The target's `sent` marks once it waits on `due` and on the waits `moved` into
    it (mergedwait): its own, all kept; the source's about each moved wait's deadline
    (its own mail of that moment, and what came into it with that wait), keyed for that
    customer (pace.customer_due), so that what went about them in the source does not go
    again from the target, and the target's own customer due then is still told (one of
    each per deadline and person: reminders.py), those of its own moment keyed for whom
    its mail named when one of them joins it (`_moment_marks`); and the source's about
    `due` when that deadline came from the source (its customer's mail waits as the
    target's own)."""
    mine = source.get("sent") or {}
    out: dict[str, str] = {}
    joining = []  # the TIDs of the waits moved into the target's own moment
    for w in moved:  # (keyed as the target has that moment: reminders.py reads it so)
        d = str(mergedwait.due(w))
        here = due if due and _same(d, due) else d
        if here == due:
            joining.append(w["tid"])
        key = pace.customer_due(here, w["tid"])
        out.update(pace.deadline_marks(mine, d, key))
        out.update(pace.deadline_marks(mine, pace.customer_due(d, w["tid"]), key))
    theirs = source.get("reaction_due")
    if due is not None and due != target.get("reaction_due") and _same(theirs, due):
        out.update(pace.deadline_marks(mine, str(theirs), due))
    # the target's own marks of that moment stand (a list mark's value names its list),
    # keyed for whom its mail named when a customer not told joins it
    return {**out, **_moment_marks(target, due, joining, out)}


def _carry(
    source: Ticket, target: Ticket, t: Ticket, due: str | None
) -> tuple[Ticket, Ticket, list[str]]:
    """(source, t, the deadlines of the waits it brings) once the source's customer,
    never reacted to, waits on in `t`, the target as merged (mergedwait: the SLA report
    judges that wait there, once, and its deadline mail goes from there), with what
    went about the deadlines it brings."""
    before = len(t.get("merged_waits") or ())
    source, t = mergedwait.carried(source, t)
    waits = [w for w in (t.get("merged_waits") or ())[before:] if mergedwait.due(w)]
    if marks := _kept_marks(source, target, due, waits):
        t["sent"] = marks
    return source, t, [str(mergedwait.due(w)) for w in waits]


def _status(target: Ticket, source: Ticket, waits: bool) -> tuple[Status, str | None]:
    """The target's status and closing time after the merge, which may open it: a
    closed target is open again when an open ticket comes in; a waiting one when the
    target then `waits` for staff (a pending deadline of its own or of a wait merged
    in), i.e. the merge brings a customer's mail that waits for staff. That ticket
    waits for staff, not for the customer, as when a customer answers a #wait ticket
    (ticket.on_customer_message); left waiting, it read «ждём ответа клиента», and
    #wait's job reminded the customer to answer and closed it with that mail
    unanswered (waiting.waiting_step)."""
    if target["status"] == "closed" and source["status"] != "closed":
        return "open", None
    if target["status"] == "waiting" and waits:
        return "open", target.get("closed_at")
    return target["status"], target.get("closed_at")


def merge(
    source: Ticket,
    source_messages: Messages,
    target: Ticket,
    target_messages: Messages,
    at: datetime,
) -> tuple[Ticket, Ticket, Messages]:
    """(closed source, target with the source's people and its customer's wait,
    target's messages)."""
    t: Ticket = {**target}
    people = (*t.get("participants", ()), source["requester"], *source.get("participants", ()))
    t["participants"] = sorted(each_once(people))  # in the target's spelling
    if removed := _still_removed(t, source):
        t["removed"] = removed
    else:  # (everyone the target had removed came back with the source)
        t.pop("removed", None)
    # an address the relay refused for good on either is refused here too
    marks = {**source.get("undeliverable", {}), **t.get("undeliverable", {})}
    if marks:
        t["undeliverable"] = marks
    t = _robots(source, t)
    t = automatic.merged(source, t)  # an address held there is held here: no notices
    due, start, level = _own_due(t, source)
    if due != t.get("reaction_due"):
        t["reaction_due"], t["reaction_from"], t["reaction_level"] = due, start, level
    source, t = followups_merged(source, target, t)  # each customer's judged once
    if source.get("critical"):
        t["critical"] = True
    t.update(_addressed_here(t, source))
    known = {m["message_id"] for m in target_messages} - {""}  # a note has none: no mail
    moved: list[MessageRecord] = [
        {**m, "merged_from": source["tid"]} for m in source_messages if m["message_id"] not in known
    ]
    messages = sorted(
        [*target_messages, *moved], key=lambda m: datetime.fromisoformat(m["received_at"])
    )
    source, t, brought = _carry(source, target, t, due)
    t["status"], t["closed_at"] = _status(t, source, due is not None or bool(brought))
    s: Ticket = {
        **source,
        "status": "closed",
        "closed_at": iso(at),
        "reaction_due": None,
        "merged_into": t["tid"],
    }
    return s, t, messages


class _Addressed(TypedDict, total=False):
    merged_from: list[str]
    reply_epochs: dict[str, dict[str, int]]


def _addressed_here(target: Ticket, source: Ticket) -> _Addressed:
    """What makes mail to the source's reply addresses the target's: the TIDs merged
    into it (those merged into the source came here with it), and each one's epochs
    of its staff addresses (leak.merged)."""
    tids = {*target.get("merged_from", ()), source["tid"], *source.get("merged_from", ())}
    out: _Addressed = {"merged_from": sorted(tids)}
    if epochs := merged_epochs(target, source):
        out[EPOCHS] = epochs
    return out


def _robots(source: Ticket, target: Ticket) -> Ticket:
    """``target`` with the robot marks of both: a robot known on either is one here, its
    answers in the target get no acknowledgement and no notice, as they got none in the
    source (robots.py); unless staff said on either that it is a person (#human:
    humans.py). A mark is one only unproven mail set (trust.note_robot) when it is so
    on each that has it."""
    t: Ticket = {**target}
    people = {*source.get("humans", ()), *t.get("humans", ())}
    bots = {**source.get("robots", {}), **t.get("robots", {})}
    bots = {a: why for a, why in bots.items() if a not in people}
    if people:
        t["humans"] = sorted(people)
    if bots:
        t["robots"] = bots
    else:
        t.pop("robots", None)
    # (over the two as they were: ``t``'s marks are both of theirs by now)
    proven = {a for x in (source, target) for a in x.get("robots", {}) if a not in _unproven(x)}
    if unproven := sorted((_unproven(source) | _unproven(target)) & set(bots) - proven):
        t["robots_unproven"] = unproven
    else:
        t.pop("robots_unproven", None)
    return t


def _unproven(ticket: Ticket) -> set[str]:
    """The senders whose robot mark on ``ticket`` only unproven mail set."""
    return set(ticket.get("robots_unproven") or ())
