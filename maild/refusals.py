"""Mail the relay refused for good (adapters/outretry.py sets it aside): its ticket
gets a note per mail staff see in `ticket show`, the address is marked (no more
automatic mail to it: domain/undeliverable.py), and staff are told, paced as
reminders are (domain/pace.py), so a relay that starts refusing everything (a
misconfigured relay, a blacklisted IP, a robot's full mailbox with hundreds of
tickets) leaves staff inboxes usable.

A ticket's mail refused at once is one notice (staff_refused.txt; too big for the
relay: staff_too_big.txt) while every staff member may still get one singly this
hour (support.max_reminders_per_person_per_hour, counted as kind "refused" in their
address records); the tickets past that wait for one list to each staff member
(staff_refused_list.txt: the first MAX_LISTED named with the address to write to
about each, the rest counted), at most one per pace.LIST_EVERY. Paced by the hour,
not one mail per run: a relay refusing every mail refuses one or two a pass as mail
comes in, and one mail per pass would be one per ticket again.

What commits together, so a crash neither loses nor repeats a telling: a ticket
told singly: its notes, the mark, the notice and its mail's move to the outbox's
sent/ ("refused" in its record), in one locked section; a ticket waiting for the
list: its notes and the mark at once (kept once, by the mail's id), its mail stays
in refused/; the list, its note in each ticket and the move of their mail, in one
section (its outbox ids come from the mails' ids: queued once).

Run after every outbox pass (the daemon's sender, `maild outbox flush`) and by the
jobs, which pick up what a pass stopped before telling and send a list when it is due.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from itertools import groupby
from typing import Any

from maild.adapters.store import StoreUnavailable
from maild.app import App
from maild.domain import pace, undeliverable
from maild.domain import ticket as tk
from maild.domain.leak import epoch
from maild.domain.limits import MAX_LISTED_FILES as MAX_LISTED
from maild.domain.records import MessageRecord, OutboxEntry, Ticket, note_record
from maild.domain.tid import shown_subject
from maild.jobkit import contained, job_key
from maild.outgoing import copy_key, queue_notice

log = logging.getLogger("maild.outbox")

KIND = "refused"  # the pace's kind in staff's address records (store.reminder_pace)
LIST_TEMPLATE = "staff_refused_list.txt"

# What the refused mail was, as staff read it (the outbox entry's kind)
WHAT = {
    "confirmation": "подтверждение о регистрации обращения",
    "staff": "ответ сотрудника",
    "notice": "уведомление по обращению",
}

Loaded = tuple[Ticket, list[MessageRecord]]


class _Run:
    """One run: how many tickets' notices staff may still get singly, and the tickets
    (by the TID told, a merge's target) whose mail waits for the list."""

    def __init__(self, app: App, now: datetime) -> None:
        self.app, self.now = app, now
        self.limit = app.config.support.max_reminders_per_person_per_hour
        # whom staff mail goes to, the notices singly and the list
        self.people = tk.staff_mail_to(app.config.support.staff)
        self.paces = {p: app.store.reminder_pace(p, KIND) for p in self.people}
        self.taken = 0
        self.waiting: dict[str, list[OutboxEntry]] = {}

    def single(self) -> bool:
        """Whether one more ticket's notice goes singly (then counted): while every
        staff member may still get one this hour."""
        left = [pace.singles_left(self.limit, p, self.now) for p in self.paces.values()]
        if left and self.taken >= min(left):
            return False
        self.taken += 1
        return True

    def list_due(self) -> bool:
        """Whether the list may go now: no staff member got one within LIST_EVERY."""
        return all(pace.list_due(p, self.now) for p in self.paces.values())


def tell_refused(app: App, now: datetime) -> list[OutboxEntry]:
    """Tell each ticket about its mail refused for good, and staff singly or in the
    list; returns the mail told now (moved to sent/)."""
    entries = app.outbox.refused_entries()
    if not entries:
        return []
    run = _Run(app, now)
    told: list[OutboxEntry] = []
    for tid, mails in _by_ticket(entries):
        try:
            with app.store.locked():
                settled = _tell(run, tid, mails)
        except StoreUnavailable as e:  # kept in refused/: the next pass or job tells
            log.error("[TID#%s] mail refused for good, not told yet: %s", tid or "-", e)
            continue
        if settled:
            told += mails
    if run.waiting:
        told += _tell_in_list(run)
    return told


def _by_ticket(entries: list[OutboxEntry]) -> list[tuple[str, list[OutboxEntry]]]:
    """The mail refused, by ticket ("": no ticket's), the ticket whose mail was
    refused first first (it goes singly while one may)."""
    entries = sorted(entries, key=lambda m: m.get("tid") or "")
    groups = [(tid, list(g)) for tid, g in groupby(entries, key=lambda m: m.get("tid") or "")]
    return sorted(groups, key=lambda g: min((m["queued_at"], m["id"]) for m in g[1]))


def _settle(app: App, mails: list[OutboxEntry], now: datetime) -> None:
    for meta in mails:
        app.outbox.settle_refused(meta["id"], {"told": now.isoformat()})


def _load(app: App, tid: str) -> Loaded | None:
    """Ticket `tid`, or the ticket it was merged into."""
    loaded = app.store.load(tid)
    if loaded is not None and loaded[0].get("merged_into"):
        loaded = app.store.load(loaded[0]["merged_into"] or "") or loaded
    return loaded


def _tell(run: _Run, tid: str, mails: list[OutboxEntry]) -> bool:
    """In ticket `tid` (or the ticket it was merged into): the note per mail and the
    mark, and staff's notice if it goes singly; True when `mails` are told now (moved
    here), False when they wait for the list. A ticket no longer in the store
    (purged, forgotten) is logged; mail of no ticket (a report) only moves."""
    app, now = run.app, run.now
    loaded = _load(app, tid) if tid else None
    if loaded is None:
        if tid:
            log.warning("[TID#%s] mail refused for good, no such ticket to tell", tid)
        _settle(app, mails, now)
        return True
    ticket, messages = loaded
    ticket, changed = _noted(app, ticket, messages, mails, now)
    if not run.single():
        if changed:
            app.store.save(ticket, messages)
        run.waiting.setdefault(ticket["tid"], []).extend(mails)
        return False
    for template, group in (
        ("staff_refused.txt", [m for m in mails if not m.get("too_big")]),
        ("staff_too_big.txt", [m for m in mails if m.get("too_big")]),
    ):
        if group:
            _notice(app, ticket, messages, template, group, now)
    app.store.save(ticket, messages)
    for person in run.people:  # in the section that queued it: counted once
        app.store.record_reminder(person, KIND, now, listed=False)
    _settle(app, mails, now)
    log.info("[TID#%s] told staff of %d mail(s) refused for good", ticket["tid"], len(mails))
    return True


def _noted(
    app: App, ticket: Ticket, messages: list[MessageRecord], mails: list[OutboxEntry], now: datetime
) -> tuple[Ticket, bool]:
    """`ticket` with its addresses refused for good marked, and `messages` with the
    note of each mail not there yet (by the mail's id); whether either changed."""
    before = ticket.get("undeliverable")
    noted = {m.get("refused_mail") for m in messages}
    added = False
    for meta in mails:
        if meta["id"] not in noted:
            messages.append(_note(app, meta, now))
            added = True
        if not meta.get("too_big"):  # the address: no more automatic mail to it
            since = meta.get("last_try") or now.isoformat()  # (undeliverable.held)
            ticket = undeliverable.mark(ticket, meta["to"][0], since, _shown(app, meta)["error"])
    return ticket, added or ticket.get("undeliverable") != before


def _notice(
    app: App,
    ticket: Ticket,
    messages: list[MessageRecord],
    template: str,
    mails: list[OutboxEntry],
    now: datetime,
) -> None:
    """Staff's one notice of these mails refused, for one reason."""
    ctx = {
        "tid": ticket["tid"],
        "subject": shown_subject(ticket["subject"]),
        "requester": ticket["requester"],
        "undelivered": [_shown(app, meta) for meta in mails],
    }
    key = hashlib.sha1("\0".join(["refused", *(m["id"] for m in mails)]).encode())
    queue_notice(
        app,
        ticket,
        messages,
        key=key.hexdigest()[:24],
        template=template,
        to=tk.staff_mail_to(app.config.support.staff),
        context=ctx,
        now=now,
    )


def _tell_in_list(run: _Run) -> list[OutboxEntry]:
    """The waiting tickets told in one list to each staff member, if one may go now;
    the mail told (moved to sent/)."""
    if not run.list_due():
        log.info("%d ticket(s) with mail refused for good wait for the next list to staff",
                 len(run.waiting))  # fmt: skip
        return []
    try:
        with run.app.store.locked():
            told = _list(run)
    except StoreUnavailable as e:  # kept in refused/: the next pass or job tells
        log.error("mail refused for good of %d ticket(s), not told yet: %s", len(run.waiting), e)
        return []
    return told


def _list(run: _Run) -> list[OutboxEntry]:
    """In the caller's locked section: the waiting tickets as it reads them, in one
    list; the mail told."""
    app, now = run.app, run.now
    rows: list[tuple[Ticket, list[MessageRecord], list[OutboxEntry]]] = []
    told: list[OutboxEntry] = []
    for tid, mails in run.waiting.items():
        with contained(app, tid):  # one broken since: the others go, its mail waits
            loaded = app.store.load(tid)
            if loaded is None:  # gone since (forgotten): nothing to tell
                _settle(app, mails, now)
                told += mails
            else:
                rows.append((*loaded, mails))
    return told + (_queue_list(run, rows) if rows else [])


def _queue_list(
    run: _Run, rows: list[tuple[Ticket, list[MessageRecord], list[OutboxEntry]]]
) -> list[OutboxEntry]:
    """The list queued to each staff member (a copy each, its reply addresses signed
    for them, outbox ids from the mails' ids), a note in each ticket it names, and
    their mail moved; the mail told."""
    app, now = run.app, run.now
    first = rows[0][0]["tid"]
    key = job_key("refused-list", *sorted(m["id"] for *_, mails in rows for m in mails))
    subject = ""
    for n, person in enumerate(run.people):
        one = copy_key(key, n)
        subject, body = app.renderer.text(LIST_TEMPLATE, _list_context(run, person, rows))
        msg = app.renderer.message(
            subject=subject,
            body=body,
            to=[person],
            tid=first,
            message_id=app.list_message_id(one, first),
            now=now,
            reply_to=app.list_address(first, person),  # a reply to it: to the list
        )
        # as no ticket's mail (the reminders' lists too): one the relay refused is not
        # told in another list to the same staff
        app.outbox.enqueue(one, msg, [person], kind="notice", now=now)
        app.store.record_reminder(person, KIND, now, listed=True)
    note = _list_note(run, subject, app.list_message_id(key, first), len(rows))
    for ticket, messages, mails in rows:
        app.store.save(ticket, [*messages, note])
        _settle(app, mails, now)
    log.info("[TID#%s] queued %s of %d tickets to %s",
             first, LIST_TEMPLATE, len(rows), ", ".join(run.people))  # fmt: skip
    return [m for *_, mails in rows for m in mails]


def _list_context(
    run: _Run, person: str, rows: list[tuple[Ticket, list[MessageRecord], list[OutboxEntry]]]
) -> dict[str, Any]:
    """The list's template context: its first MAX_LISTED tickets, each with its mail
    refused and the address to write to about it (signed for `person`)."""
    app = run.app
    shown = [
        {
            "tid": ticket["tid"],
            "subject": shown_subject(ticket["subject"]),
            "requester": ticket["requester"],
            "reply_address": app.reply_address(ticket["tid"], person, epoch(ticket, person)),
            "undelivered": [dict(_shown(app, m), too_big=bool(m.get("too_big"))) for m in mails],
        }
        for ticket, _messages, mails in rows[:MAX_LISTED]
    ]
    return pace.list_ctx(shown, len(rows), run.limit)


def _list_note(run: _Run, subject: str, message_id: str, total: int) -> MessageRecord:
    """Each listed ticket's note that staff were told of its mail refused in a list."""
    listed = pace.in_list(subject, message_id, total, run.limit)
    text = f"Сотрудникам сообщено о недоставленном письме {listed}"
    ours = run.app.config.support.address
    note = note_record(sender=ours, direction="out", text=text, at=run.now)
    return {**note, "to": list(run.people), "template": LIST_TEMPLATE}


def _shown(app: App, meta: OutboxEntry) -> dict[str, str]:
    """A refused mail as the notice and the note show it."""
    return {
        "to": meta["to"][0],
        "what": WHAT.get(meta.get("kind") or "", "письмо по обращению"),
        "subject": meta["subject"],
        "queued_at": app.fmt_time(meta["queued_at"]),
        "error": meta.get("refused") or meta.get("last_error") or "",
    }


def _note(app: App, meta: OutboxEntry, now: datetime) -> MessageRecord:
    shown = _shown(app, meta)
    when = f"{shown['queued_at']} {app.renderer.zone}"
    what = f"{shown['what'].capitalize()} «{shown['subject']}» ({when})\n"
    if meta.get("too_big"):
        text = (
            f"Письмо клиенту не доставлено, оно слишком большое: {shown['to']}\n{what}"
            f"Почтовый сервер отказал: {shown['error']}\n"
            "Больше не отправляется. Отправьте его снова с файлами поменьше."
        )
    else:
        text = (
            f"Письмо клиенту не доставлено: {shown['to']}\n{what}"
            f"Почтовый сервер отказал: {shown['error']}\n"
            "Больше не отправляется, и автоматические письма на этот адрес тоже.\n"
            "Проверьте адрес; верный (или этот же снова) можно добавить командой #cc."
        )
    note = note_record(sender=app.config.support.address, direction="out", text=text, at=now)
    note["to"] = list(meta["to"])
    note["refused_mail"] = meta["id"]
    return note
