"""The confirmation letter of «Задать вопрос» (web/ask.py): the link that confirms a
request, mailed to the address typed into the form.

It is automatic mail to whatever address a stranger types, so it meets the caps on
automatic mail per address (support.max_auto_replies_per_hour and _per_day, counted
by mailbox: caps.mailbox_of) as every other confirmation does (guard.check_caps, the
one rule), and counts against them once queued. The form's own limits (per IP, per
address, the site's confirmations an hour) stay in front of it: those hold the post,
the caps only its letter. Held by a cap, the letter is not queued and the log says
why; the page after the form reads as it does for anyone, as «Прислать новую ссылку»
does when the caps hold its letter (web/renew.py): it must not tell a stranger what
the desk sent an address lately."""

from __future__ import annotations

import logging
from datetime import datetime

from maild import guard
from maild.app import App
from maild.domain.caps import mailbox_of
from maild.domain.tid import NO_TICKET

log = logging.getLogger("maild.web")

TEMPLATE = "web_confirm.txt"


def letter_id(sub_id: str, expires: int) -> str:
    """The outbox's id of a request's confirmation letter (queued once: outbox.known);
    it names the link's day: the same request sent again after its link expired gets a
    letter of its own."""
    return f"web-confirm-{sub_id}-{expires}"


def mail_link(app: App, sub_id: str, email: str, link: tuple[str, int, int], now: datetime) -> bool:
    """Queue the confirmation letter of request `sub_id` to `email` (`link`: its URL,
    the days it is valid and the day it expires), within the caps on automatic mail
    to `email`'s mailbox, and count it; False when a cap holds it (nothing queued).
    Checked, queued and counted in one locked section (one group commit): a letter the
    outbox refused (the disk, a 503) counts against nothing, and posts at once each
    meet the others'."""
    support, (url, days, expires) = app.config.support, link
    mail_key = letter_id(sub_id, expires)
    with app.store.locked():
        check = guard.check_caps(
            app,
            key=mail_key,
            kind="confirmation",
            to=[email],
            staff=support.internal,
            mail=(NO_TICKET, TEMPLATE, ""),
            thread=[],
            now=now,
        )
        if check.queued:
            return True
        if not check.to:  # guard.check_caps logged which cap
            return False
        subject, body = app.renderer.text(TEMPLATE, {"link": url, "days": days})
        mail = app.renderer.message(
            subject=subject,
            body=body,
            to=[email],
            tid=None,
            message_id=f"<web.confirm.{sub_id}.{expires}@{support.domain}>",
            now=now,
        )
        counted = email in check.counted  # (not to staff's own address: caps.automatic)
        app.outbox.enqueue(
            mail_key, mail, [email], kind="confirmation", now=now, checked=True, counted=counted
        )
        if counted:
            app.store.record_auto_reply(mailbox_of(email), now)
    return True


def registered_mail(app: App) -> str:
    """«в письме «Обращение зарегистрировано»»: where a confirmed request's link is, the
    mail named by the subject the customer got (Renderer.subject_words, your
    `confirmation.txt` too); one whose subject has values is named by what it is."""
    words = app.renderer.subject_words("confirmation.txt")
    return f"в письме «{words}»" if words else "в письме о регистрации обращения"
