"""Mail the relay refused for good (adapters/outbound.py sets it aside): its ticket
gets a note staff see in `ticket show`, and staff one notice for all of that
ticket's mail refused at once (staff_refused.txt): which mail, to whom, what the
relay said, and what to do. Then the mail moves to the outbox's sent/ with
"refused" in its record, in the same locked section as the ticket's save: a crash
before tells again from the start (the note is kept once, by the mail's id, and the
notice is queued once, by its key); one after has nothing left to tell.

Run after every outbox pass (the daemon's sender, `maild outbox flush`) and by the
jobs, which pick up what a pass stopped before telling.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from itertools import groupby

from maild.adapters.store import StoreUnavailable
from maild.app import App
from maild.domain import ticket as tk
from maild.domain import undeliverable
from maild.domain.records import MessageRecord, OutboxEntry, Ticket, note_record
from maild.outgoing import queue_notice

log = logging.getLogger("maild.outbox")

# What the refused mail was, as staff read it (the outbox entry's kind)
WHAT = {
    "confirmation": "подтверждение о регистрации обращения",
    "staff": "ответ сотрудника",
    "notice": "уведомление по обращению",
}


def tell_refused(app: App, now: datetime) -> list[OutboxEntry]:
    """Tell each ticket about its mail refused for good; returns those told."""
    entries = app.outbox.refused_entries()
    told: list[OutboxEntry] = []
    entries.sort(key=lambda m: m.get("tid") or "")
    for tid, group in groupby(entries, key=lambda m: m.get("tid") or ""):
        mails = list(group)
        try:
            with app.store.locked():
                if tid:
                    _tell_ticket(app, tid, mails, now)
                for meta in mails:
                    app.outbox.settle_refused(meta["id"], {"told": now.isoformat()})
        except StoreUnavailable as e:  # kept in refused/: the next pass or job tells
            log.error("[TID#%s] mail refused for good, not told yet: %s", tid or "-", e)
            continue
        told += mails
    return told


def _tell_ticket(app: App, tid: str, mails: list[OutboxEntry], now: datetime) -> None:
    """The note per mail and staff's one notice, in ticket `tid` (or the ticket it
    was merged into); a ticket no longer in the store (purged, forgotten) is logged."""
    loaded = app.store.load(tid)
    if loaded is not None and loaded[0].get("merged_into"):
        loaded = app.store.load(loaded[0]["merged_into"] or "") or loaded
    if loaded is None:
        log.warning("[TID#%s] mail refused for good, no such ticket to tell", tid)
        return
    ticket, messages = loaded
    noted = {m.get("refused_mail") for m in messages}
    for meta in mails:
        if meta["id"] not in noted:
            messages.append(_note(app, meta, now))
        if not meta.get("too_big"):  # the address: no more automatic mail to it
            since = meta.get("last_try") or now.isoformat()  # (undeliverable.held)
            ticket = undeliverable.mark(ticket, meta["to"][0], since, _shown(app, meta)["error"])
    for template, group in (
        ("staff_refused.txt", [m for m in mails if not m.get("too_big")]),
        ("staff_too_big.txt", [m for m in mails if m.get("too_big")]),
    ):
        if group:
            _notice(app, ticket, messages, template, group, now)
    app.store.save(ticket, messages)
    log.info("[TID#%s] told staff of %d mail(s) refused for good", ticket["tid"], len(mails))


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
        "subject": ticket["subject"] or "(без темы)",
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
        to=tk.staff_recipients(ticket, app.config.support.staff),
        context=ctx,
        now=now,
    )


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
    note.update(to=list(meta["to"]), refused_mail=meta["id"])
    return note
