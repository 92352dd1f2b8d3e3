"""Reminders to staff when a reaction deadline nears, escalations to the head when it
passes: once per deadline and person, paced per person (domain.pace), so a flood of
tickets coming due together leaves every inbox usable.

Each run takes the tickets whose deadline mail is due, the most urgent first
(critical, then by deadline): each goes singly while its person may still get single
mail this hour, with its signed Reply-To for commands; the rest of a person's wait
for a list, one mail naming them all (the first MAX_LISTED, the rest counted), at
most one per pace.LIST_EVERY. Each ticket records what went (`sent`, see
domain.pace) in the locked section that queues the mail, so a restart neither loses
a reminder nor sends one twice. A list's tickets are marked before the list is
queued, in one section, and the list's outbox id comes from the run's time, which the
marks keep: marks whose list is not in the outbox (a crash between the two) are
taken as not sent, and their tickets go again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from maild.app import App
from maild.domain import mergedwait, pace
from maild.domain.leak import epoch
from maild.domain.limits import MAX_LISTED_FILES as MAX_LISTED
from maild.domain.mergedwait import MergedWait
from maild.domain.pending import Deadline, deadlines
from maild.domain.queue import handling_order
from maild.domain.records import MessageRecord, Summary, Ticket, note_record
from maild.domain.remindsteps import ReminderStep, reminder_steps
from maild.domain.sla import missed
from maild.jobkit import contained, job_key, ticket_ctx
from maild.outgoing import queue_notice

log = logging.getLogger("maild.jobs")

# kind -> (the single mail's template, the list's template)
TEMPLATES = {
    "reminder": ("reminder_staff.txt", "reminder_list.txt"),
    "escalation": ("escalation.txt", "escalation_list.txt"),
}
# what a ticket's note calls its mail that went in a list
WHAT = {"reminder": "Напоминание о сроке реакции", "escalation": "Сообщение о просрочке"}

Step = tuple[str, str, list[str]]  # (kind, the deadline as stored, its people): pace.marked
# a ticket in a list, its deadline, whose it is
Listed = tuple[Ticket, list[MessageRecord], Step, datetime, Deadline]


def list_id(person: str, kind: str, at: str) -> str:
    """The outbox id of the list of `kind` to `person` of the run at `at` (ISO)."""
    return job_key(person, kind, "list", at)


class _Run:
    """One run: what each person may still get singly, the TIDs each person's list
    waits with (in order), the tickets changed."""

    def __init__(self, app: App, now: datetime) -> None:
        self.app, self.now, self.at = app, now, now.isoformat()
        self.head = app.config.support.head
        # the head as one apart from staff: on support.staff too, he gets staff's copy
        # (his reply to it is a staff answer, its commands run)
        self.head_apart = self.head if self.head not in app.config.support.staff else None
        self.limit = app.config.support.max_reminders_per_person_per_hour
        self.paces: dict[tuple[str, str], pace.Pace] = {}
        self.taken: dict[tuple[str, str], int] = defaultdict(int)
        self.lists: dict[tuple[str, str], list[str]] = {}
        self.changed: set[str] = set()

    def pace_of(self, kind: str, person: str) -> pace.Pace:
        """What `person` got of `kind` before this run (read once a run)."""
        if (kind, person) not in self.paces:
            self.paces[kind, person] = self.app.store.reminder_pace(person, kind)
        return self.paces[kind, person]

    def single(self, kind: str, person: str) -> bool:
        """Whether one more mail of `kind` goes to `person` singly (then counted)."""
        left = pace.singles_left(self.limit, self.pace_of(kind, person), self.now)
        if self.taken[kind, person] >= left:
            return False
        self.taken[kind, person] += 1
        return True

    def list_queued(self, kind: str) -> Callable[[str, str], bool]:
        """pace.waiting_for's test: the list a ticket's mark names is in the outbox."""
        return lambda person, at: self.app.outbox.known(list_id(person, kind, at))


def reminders(app: App, now: datetime) -> int:
    """Remind staff at `reminder_fraction` of the reaction time; escalate to the
    head when `reaction_due` passes. One of each per deadline and person, singly or
    in a list (domain.pace); how many tickets got any.

    Runs every minute: a ticket whose reminder cannot be due yet is passed over on
    its summary, without the store lock or reading the ticket, so a run's cost grows
    with the tickets due, not with all those open."""
    run = _Run(app, now)
    for row in _due_rows(app, now):
        with contained(app, row["tid"]), app.store.locked():
            _remind(run, row["tid"])
    for (kind, person), tids in run.lists.items():
        if not pace.list_due(run.pace_of(kind, person), now):
            log.info("%d %s(s) to %s wait for the next list", len(tids), kind, person)
            continue
        with app.store.locked():
            _list(run, (kind, person), _listed(run, kind, person, tids))
    return len(run.changed)


def _due_rows(app: App, now: datetime) -> list[Summary]:
    """The open tickets whose reminder may be due, by their summaries, in the order the
    regulation handles them (queue.handling_order: critical first, then by deadline,
    then arrival): the first of a person's go singly, the rest in a list."""
    fraction = app.config.schedule.reminder_fraction
    at = app.reminder_moments  # (sla.reminder_moments: kept between runs)
    rows = []
    for row in app.store.open_summaries():
        # its own deadline and those of waits merged in (pending.deadlines), each timed
        # from its start: the row's reaction_from, a merged wait's own, or, in a row
        # written before the summaries held it, the ticket's creation, which no start
        # precedes but a merge's; the later it starts the later the reminder (and the
        # escalation, at the deadline, later still)
        if any(now >= at(d.start, d.due, fraction) for d in deadlines(row)):
            rows.append(row)
    return sorted(rows, key=handling_order)


def _steps(run: _Run, ticket: Ticket) -> list[ReminderStep]:
    """The deadline mail of `ticket` due at `run.now`, and to whom (the rule:
    domain/remindsteps.reminder_steps), the outbox asked whether a list went."""
    app = run.app
    people = (app.config.support.staff, run.head)
    fraction = app.config.schedule.reminder_fraction
    return reminder_steps(ticket, run.now, people, fraction, app.calendar, run.list_queued)


def _rest(sent: dict[str, str], step: Step, d: Deadline) -> list[str]:
    """The TIDs of the merged waits the mail about `d` names, when some of that moment
    went apart before (marks keyed for a customer: pace.customer_due): a mail then goes
    about those left, its own key apart from the one that went (the outbox queues a key
    once), and none else."""
    kind, due, _people = step
    if not any(k.startswith(pace.done_key(kind, due) + ":for:") for k in sent):
        return []
    return ["own" if d.wait is None else d.wait["tid"], *(w["tid"] for w in d.also)]


def _named(app: App, ticket: Ticket, wait: MergedWait | None) -> Ticket:
    """The ticket as its deadline mail about `wait` names it (mergedwait.named: the
    merged ticket, in `ticket`); a wait kept before it held its customer and subject
    takes them from the merged ticket's record."""
    if wait is None:
        return ticket
    if "requester" not in wait:
        loaded = app.store.load(wait["tid"])
        if loaded is not None:
            theirs = loaded[0]
            wait = {**wait, "requester": theirs["requester"], "subject": theirs["subject"]}
    return mergedwait.named(ticket, wait)


def _ctx(app: App, ticket: Ticket, d: Deadline) -> dict[str, Any]:
    """The deadline mail's context about `d`: whom it names first (the ticket's own
    customer, or a merged wait's: `_named`), and `also` the customers of the other waits
    merged in that are due at that moment (one mail per moment and person: its marks
    and its "about_due" are the deadline's), each as its merged ticket."""
    also = [ticket_ctx(app, _named(app, ticket, w)) for w in d.also]
    return {**ticket_ctx(app, _named(app, ticket, d.wait)), "also": also}


def _remind(run: _Run, tid: str) -> None:
    """One ticket's deadline mail: singly to whom the pace lets it go so; the others
    are put on their lists' waiting TIDs (marked when the list goes)."""
    app, now = run.app, run.now
    loaded = app.store.load(tid)
    if loaded is None:
        return
    ticket, messages = loaded
    sent = dict(ticket.get("sent") or {})
    went: list[tuple[str, str]] = []
    for s in _steps(run, ticket):
        step, due, d = s.step, s.at, s.whose
        kind, due_s, people = step
        waiting = pace.waiting_for(sent, kind, due_s, people, run.list_queued(kind))
        singly = [p for p in waiting if run.single(kind, p)]
        for person in waiting:
            if person not in singly:
                tids = run.lists.setdefault((kind, person), [])
                if tid not in tids:  # once: the list takes all its deadlines (_listed)
                    tids.append(tid)
        if not singly:
            continue
        for to, some in _copies(run, step, singly):
            queue_notice(
                app,
                ticket,
                messages,
                key=job_key(tid, kind, due_s, *_rest(sent, step, d), *some),
                template=TEMPLATES[kind][0],
                to=to,
                context=dict(
                    _ctx(app, ticket, d), overdue=missed(due, now), for_head=to == [run.head_apart]
                ),
                now=now,
                about_due=due_s,
            )
        sent = pace.marked(sent, step, singly, [], run.at)
        went += [(kind, p) for p in singly]
    if went:
        app.store.save({**ticket, "sent": sent}, messages)
        for kind, person in went:  # after the save: a crash between counts one less
            app.store.record_reminder(person, kind, now, listed=False)
        run.changed.add(tid)


def _copies(run: _Run, step: Step, singly: list[str]) -> list[tuple[list[str], list[str]]]:
    """The single mails of `step` to those of its people in `singly`, each with the
    names its outbox key takes: staff's one mail (no names when all its people get it
    at once, as ever), and a reminder's to the head apart, in words for him (his reply
    is a note to staff, no command: reminder_staff.txt's `for_head`), keyed by his
    address (his copy is one mail of its own: its outbox record's "role" is the head's)."""
    kind, _due, people = step
    head = run.head_apart  # (the head, when apart)
    if kind == "escalation" or head is None or head not in singly:
        return [(singly, [] if set(singly) == set(people) else singly)]
    staff = [p for p in singly if p != head]
    out = [(staff, [] if set(staff) | {head} == set(people) else staff)] if staff else []
    return [*out, ([head], [head])]


def _listed(run: _Run, kind: str, person: str, tids: list[str]) -> list[Listed]:
    """The tickets of `tids` whose mail of `kind` still waits for `person` as the
    locked section reads them (a reply since the run took them owes none)."""
    found: list[Listed] = []
    for tid in tids:
        with contained(run.app, tid):
            loaded = run.app.store.load(tid)
            if loaded is None:
                continue
            ticket, messages = loaded
            sent = ticket.get("sent") or {}
            for s in _steps(run, ticket):
                if s.kind == kind and person in pace.waiting_for(
                    sent, kind, s.due, list(s.to), run.list_queued(kind)
                ):
                    found.append((ticket, messages, s.step, s.at, s.whose))
    return found


def _list(run: _Run, whom: tuple[str, str], rows: list[Listed]) -> None:
    """The one list of `whom` (kind, person): each ticket marked and noted first, then
    the list queued, in the caller's locked section."""
    if not rows:
        return
    app, now = run.app, run.now
    kind, person = whom
    key = list_id(person, kind, run.at)
    first = rows[0][0]["tid"]
    message_id = app.list_message_id(key, first)
    subject, body = app.renderer.text(TEMPLATES[kind][1], _list_context(run, person, rows))
    marked: dict[str, tuple[Ticket, list[MessageRecord]]] = {}  # a ticket's deadlines: each
    about: dict[str, list[str]] = {}  # what it is about: stale once none waits (outstale.py)
    for ticket, messages, step, due, _whose in rows:
        about.setdefault(ticket["tid"], []).append(step[1])
        ticket, messages = marked.get(ticket["tid"], (ticket, messages))
        sent = pace.marked(ticket.get("sent") or {}, step, [], [person], run.at)
        note = _note(run, (kind, person), due, (subject, message_id, len(rows)))
        marked[ticket["tid"]] = ({**ticket, "sent": sent}, [*messages, note])
    for ticket, messages in marked.values():
        app.store.save(ticket, messages)
        run.changed.add(ticket["tid"])
    msg = app.renderer.message(
        subject=subject,
        body=body,
        to=[person],
        tid=first,
        message_id=message_id,
        now=now,
        reply_to=app.list_address(first, person),  # a reply to it: to the list
    )
    app.outbox.enqueue(key, msg, [person], kind="notice", now=now, about_dues=about)
    app.store.record_reminder(person, kind, now, listed=True)
    log.info("[TID#%s] queued %s of %d tickets to %s", first, TEMPLATES[kind][1], len(rows), person)


def _list_context(run: _Run, person: str, rows: list[Listed]) -> dict[str, Any]:
    """The list's template context: its first MAX_LISTED tickets, each with the
    address to write to about it (signed for `person`: a reply there is theirs)."""
    app = run.app
    shown = [
        {
            **_ctx(app, ticket, d),
            "due": app.fmt_time(due),
            "overdue": missed(due, run.now),
            "critical": bool(ticket.get("critical")),
            "reply_address": app.reply_address(ticket["tid"], person, epoch(ticket, person)),
        }
        for ticket, _messages, _step, due, d in rows[:MAX_LISTED]
    ]
    return {
        **pace.list_ctx(shown, len(rows), run.limit),
        "for_head": person == run.head_apart,
    }


def _note(
    run: _Run, whom: tuple[str, str], due: datetime, mail: tuple[str, str, int]
) -> MessageRecord:
    """The ticket's note that its mail of `whom` (kind, person) went in a list
    (`mail`: the list's subject, Message-ID and how many tickets it names); by that
    Message-ID the note is marked when the list is withdrawn (domain.withdrawn)."""
    kind, person = whom
    subject, message_id, total = mail
    listed = pace.in_list(subject, message_id, total, run.limit)
    text = f"{WHAT[kind]} (срок {run.app.fmt_time(due)}) для {person} ушло {listed}"
    ours = run.app.config.support.address
    note = note_record(sender=ours, direction="out", text=text, at=run.now)
    return {**note, "to": [person], "template": TEMPLATES[kind][1], "list_message_id": message_id}
