"""Who an outgoing mail about a ticket is kept back from, and the ticket's note
saying so: addresses the relay refused for good before (domain.undeliverable.held)
and addresses on the block list now (domain.spam.withheld). The caps' own note is
guard.suppressed_record's."""

from __future__ import annotations

import logging
from datetime import datetime

from maild.app import App
from maild.domain import spam, undeliverable
from maild.domain.decision import Outgoing
from maild.domain.mailnames import unsent_note
from maild.domain.ownside import People
from maild.domain.records import MessageRecord, Ticket, UndeliverableMark, note_record

log = logging.getLogger("maild.outgoing")


def kept_back(
    app: App,
    out: Outgoing,
    tid: str,
    ticket: Ticket | None,
    own: People,
    when: tuple[str, datetime],
) -> tuple[list[MessageRecord], list[str]]:
    """The notes of the recipients `out` is not queued to (refused for good before:
    undeliverable.held; on the block list now: spam.withheld), and those it is
    queued to; `own`: support's own people (support.internal: staff, the head), who
    are named so in the notes and whom the block list never keeps mail from; `when`:
    (the Message-ID of its cause, now)."""
    cause, now = when
    held = undeliverable.held(ticket, out.to, out.kind)
    notes = [_held_record(app, tid, (out.template, own), held, cause, now)] if held else []
    free = [a for a in out.to if a not in held]
    ours = [*own, app.config.support.address]
    blocked = spam.withheld(app.quarantine.blocks(), free, out.kind, ours)
    if blocked:
        notes.append(_blocked_record(app, tid, (out.template, own), blocked, cause, now))
    return notes, [a for a in free if a not in blocked]


def _blocked_record(
    app: App,
    tid: str,
    mail: tuple[str | None, People],
    blocked: dict[str, str],
    cause: str,
    now: datetime,
) -> MessageRecord:
    """The note that an automatic mail was not queued to blocked addresses (`mail`:
    its template, and the staff side)."""
    template = mail[0]
    log.info("%s [TID#%s] no %s to %s: blocked (%s)", cause or "-", tid, template,
             ", ".join(blocked), ", ".join(sorted(set(blocked.values()))))  # fmt: skip
    why = "; ".join(f"{a} в списке блокировки («{e}»)" for a, e in blocked.items())
    after = "ответ сотрудника уходит (снять блокировку: maild block remove)."
    return _suppressed(app, "blocked", mail, list(blocked), why, after, now)


def _held_record(
    app: App,
    tid: str,
    mail: tuple[str | None, People],
    held: dict[str, UndeliverableMark],
    cause: str,
    now: datetime,
) -> MessageRecord:
    """The note that a mail was not queued to addresses refused for good (`mail`: its
    template, and the staff side)."""
    template = mail[0]
    why = "; ".join(
        f"{a} не принимается почтовым сервером с {app.fmt_time(m['since'])} ({app.renderer.zone}), "
        f"ответ сервера: {m['error'].removeprefix(f'{a}: ')}"
        for a, m in held.items()
    )
    log.info("%s [TID#%s] no %s to %s: refused for good before",
             cause or "-", tid, template, ", ".join(held))  # fmt: skip
    after = "после «#cc АДРЕС» (верного или этого же) письма пойдут снова."
    return _suppressed(app, "refused", mail, list(held), why, after, now)


def _suppressed(
    app: App,
    reason: str,
    mail: tuple[str | None, People],
    to: list[str],
    why: str,
    after: str,
    now: datetime,
) -> MessageRecord:
    """The ticket's note that a mail was not queued to `to`, and why (`suppressed`:
    "refused", "blocked"; "cap" is guard.suppressed_record's)."""
    template, staff = mail
    text = (
        f"{unsent_note(template, to, staff, why, app.renderer.subject_words(template))}. "
        f"Автоматические письма на этот адрес не отправляются; {after}"
    )
    note = note_record(sender=app.config.support.address, direction="out", text=text, at=now)
    return {**note, "to": to, "template": template, "suppressed": reason}
