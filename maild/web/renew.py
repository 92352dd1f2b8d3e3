"""A fresh personal link by mail, asked for from the page of an expired one.

Only an authentic link (signed for a current customer of the ticket, and of the
one it was merged into: links.link_holders) can ask, the
new link goes only to the address it was signed for, and at most
web.max_submissions_per_hour times an hour per address (an attempt the disk
refused, a 503, does not count): an old link found in a
forwarded mail gets its finder nothing but a mail to its owner. The new link
opens the ticket the conversation goes on in (links.landing): of a merged
ticket, the one it was merged into, whose customer the owner is. A blocked owner
gets none (domain.spam.withheld), though the page says it went, as to anyone.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from maild.domain.decision import Outgoing
from maild.domain.records import MessageRecord, Ticket
from maild.domain.threadhdr import customer_thread
from maild.domain.tid import shown_subject
from maild.outgoing import queued_in, send
from maild.web import tokens
from maild.web.forms import read_form
from maild.web.links import landing
from maild.web.visitors import RateLimit

log = logging.getLogger("maild.web")

FORM_MAX_AGE = 24 * 3600
LINK_TEMPLATE = "web_link.txt"
# A press again within this long after a letter went mails none: Back loads the
# expired page anew (no-store), a new form whose key is another letter's
SENT_LATELY = timedelta(minutes=5)


class Renew:
    def __init__(self, site: Any) -> None:
        self.site, self.app = site, site.app
        self.limit = RateLimit(site.cfg.max_submissions_per_hour)

    async def renew(self, request: web.Request) -> web.Response:
        site, app = self.site, self.app
        token = request.match_info["token"]
        tid = tokens.tid_of(token)
        loop = asyncio.get_running_loop()
        read = await site.load_linked(request, tid)
        if isinstance(read, web.Response):
            return read
        loaded, addresses = read
        owner = tokens.owner_of(site.key, token, addresses)
        if owner is not None:
            site.not_bad(request)
        form = await read_form(request)
        scope = f"r|{tid}|{owner}"
        nonce = tokens.check_form_token(
            site.key, str(form.get("form", "")), scope, app.now(), FORM_MAX_AGE
        )
        if owner is None or not nonce:
            return site.notice(
                "Ссылка недействительна", "Откройте ссылку из письма ещё раз.", status=403
            )
        # the page after it answers the POST itself: refreshed (F5), or the button
        # pressed twice, it is the same form again, whose letter is not sent twice;
        # pressed again after Back, a new form, within SENT_LATELY of the letter (mail)
        key = f"web-renew-{tid}-{nonce}"
        again = await loop.run_in_executor(None, app.outbox.known, key)
        counted = () if again else (f"renew:{owner}",)
        if counted and not self.limit.allow(*counted):
            return site.notice(
                "Ссылка уже отправлена", "Проверьте почту, в том числе папку «Спам».", status=429
            )
        with self.limit.given_back_if_unavailable(*counted):
            sent_for, tried = await loop.run_in_executor(None, self.mail, loaded[0], owner, key)
        if not tried:  # the letter went a moment ago: this press sent nothing
            self.limit.give_back(*counted)
        site.daemon.outbox_wake.set()
        return site.notice(
            "Новая ссылка отправлена",
            f"Письмо с новой ссылкой на обращение {sent_for} отправлено на адрес {owner}.",
        )

    def mail(self, ticket: Ticket, owner: str, key: str) -> tuple[str, bool]:
        """Mails `owner` a link to the ticket `ticket`'s conversation goes on in, once
        for `key` (the form's) and not again within SENT_LATELY; its TID, and whether
        it tried to (False: the same letter went before). It goes as every mail about
        a ticket goes (outgoing.send): not to an address the relay refused for good or
        a blocked one, within the caps on automatic mail, and the ticket's thread
        records it (or the note of why it did not go); the page says the same either
        way."""
        app, now = self.app, self.app.now()
        tid = landing(app, ticket)
        with app.store.locked():
            loaded = app.store.load(tid)
            if loaded is None:  # deleted meanwhile (storage.keep_closed_days)
                log.info("[TID#%s] no new site link to %s: no such ticket", tid, owner)
                return tid, True
            ticket, messages = loaded
            if queued_in(app, key, tid, messages) or sent_lately(messages, owner, now):
                return tid, False  # the same form again, or the button after Back
            context = {"tid": tid, "subject": shown_subject(ticket.get("subject"))}
            out = Outgoing(
                key, "notice", LINK_TEMPLATE, [owner], context, record=True, replied=False
            )
            # in the owner's conversation: after the mail they hold (threadhdr)
            own = app.config.support.internal
            thread = customer_thread(messages, own, "", owner) or (None, [])
            records, queued = send(
                app, out, tid=tid, thread=messages, replying_to=thread, now=now, ticket=ticket
            )
            if records:
                app.store.save(ticket, [*messages, *records])
        if not queued:  # the page is the same: it tells nobody why
            log.info("[TID#%s] no new site link to %s (the ticket's note says why)", tid, owner)
        return tid, True


def sent_lately(messages: list[MessageRecord], owner: str, now: datetime) -> bool:
    """Whether the thread holds a new-link letter to `owner` queued within SENT_LATELY
    of `now` (a letter the caps stopped left a note, no such record)."""
    return any(
        m.get("template") == LINK_TEMPLATE
        and owner in (m.get("to") or ())
        and now - datetime.fromisoformat(m["received_at"]) < SENT_LATELY
        for m in messages
    )
