"""The ticket page's forms (reply, rate, reopen), behind the personal link
/t/<token>/<form> (the page itself: views.Site).

A form's post becomes a raw message in the spool (forms.compose); the handler then
waits a moment for the pipeline to store it (Site.spool), so the page it returns to
already shows it. A post is refused, the text typed shown again to send, when its
form's token is stale, the address posts too often, or it says nothing; a rating goes
once per closing (rating.py); a post from the page of a merged ticket goes to the
ticket it was merged into.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from maild.domain.leak import epoch
from maild.domain.ratingtext import SITE_RATING, site_grade
from maild.domain.records import MessageRecord, Ticket
from maild.domain.tid import shown_subject, tag
from maild.web import tokens, views
from maild.web.forms import (
    Upload,
    one_post,
    read_form,
    sent_just_now,
    too_many,
    typed_text,
    uploads,
)
from maild.web.pages import last_shown
from maild.web.rating import Ratings, nothing_sent, rated_meanwhile
from maild.web.views import Site
from maild.web.visitors import RateLimit

log = logging.getLogger("maild.web")

FORM_MAX_AGE = 24 * 3600  # a page left open over night still sends


class TicketForms:
    """The handlers of the ticket page's forms, on the `site` that shows the page."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.posts = RateLimit(max(30, 6 * site.cfg.max_submissions_per_hour))
        self.ratings = Ratings()  # closings rated by a post not stored yet

    async def reply(self, request: web.Request) -> web.Response:
        return await self.post(request, "reply")

    async def rate(self, request: web.Request) -> web.Response:
        return await self.post(request, "rate")

    async def reopen(self, request: web.Request) -> web.Response:
        return await self.post(request, "reopen")

    async def post(self, request: web.Request, action: str) -> web.Response:
        site = self.site
        opened = await site.open(request)
        if isinstance(opened, web.Response):
            return opened
        token, address, ticket, messages = opened
        form = await read_form(request)
        files = uploads(form) if action != "rate" else []
        if action == "reopen" and ticket["status"] != "closed":
            # the page left open while the ticket was reopened (by staff, another tab):
            # what it says goes as a reply, not «Прошу открыть обращение снова», and
            # the page after it does not say «открыто снова» of its post
            action = "reply" if typed_text(form) or files else "reopened"
        scope = f"t|{ticket['tid']}|{address}"
        nonce = tokens.check_form_token(
            site.key, str(form.get("form", "")), scope, site.app.now(), FORM_MAX_AGE
        )
        onward = await site.onward(ticket, address)
        if onward and nonce is not None and action != "reply":
            # a rating or a reopening of the merged ticket (its page left open since
            # before the merge) is not one of the other ticket: nothing is sent
            log.info("[TID#%s] %s from a merged ticket's page not sent", ticket["tid"], action)
            return site.redirect(f"{onward['href']}?sent=merged")
        text, subject = self.message_text(action, form, ticket)
        # a rating goes once per closing, as the page offers it: a page kept from before
        # (back, or the reopen form's token) rated it again, a thank-you mail each time,
        # and so did two posts at once (two tabs), the ticket not yet rated (rating.py)
        rated = self.ratings.given(ticket, messages) if action == "rate" else None
        text = None if rated is not None else text
        problem = None if text or files else self.nothing_sent(action, ticket, messages, address)
        error = self.refusal(nonce, address, problem or too_many(form), onward)
        if error is not None or nonce is None:  # the text typed comes back; files cannot: `dropped`
            kw = {"error": error, "merged": onward, "typed": typed_text(form), "dropped": files}
            return await self.refused(token, address, ticket, messages, **kw)
        if action == "reply" and sent_just_now(
            messages, address, text or "", files, site.app.now()
        ):
            return site.redirect(f"{site.prefix}/t/{token}?sent=reply")  # back, and sent again
        if action == "rate":  # no await since `given`: the check and the claim are one step
            self.ratings.claim(ticket, text, address)
        try:
            raw, message_id = await self.message(
                action, address, ticket, messages, subject, text, files, (nonce, form["form"])
            )
            stored = await site.spool(raw, message_id)
        except OSError:  # not spooled (server.unavailable_page): no rating was given,
            self.ratings.drop(ticket)  # and the post does not count against the address
            self.posts.give_back(f"addr:{address}")
            raise
        log.info("%s [TID#%s] %s from the site by %s", message_id, ticket["tid"], action, address)
        if stored and action == "rate":  # the store's verdict: rated by another post first?
            late = await asyncio.to_thread(rated_meanwhile, site.app.store, stored, message_id)
            if late is not None:  # (one before a restart, or of another process: rating.py)
                return await self.refused(token, address, *late[:2], error=late[2])
        sent = action if stored else "later"
        if stored and files and await self.refused_files(stored, message_id):
            sent = "files"  # not «added» alone: the page says which file was not and why
        # a merged ticket's post lands in the ticket it was merged into: its page shows it
        page = onward["href"] if onward else f"{site.prefix}/t/{token}"
        return site.redirect(f"{page}?sent={sent}")

    def nothing_sent(
        self, action: str, ticket: Ticket, messages: list[MessageRecord], viewer: str
    ) -> str:
        """Why a post of `viewer` with nothing to send is refused (rating.nothing_sent):
        of a closing rated, whose rating it has, the viewer's or another customer's."""
        rated = self.ratings.given(ticket, messages) if action == "rate" else None
        by = self.ratings.by(ticket, messages) if rated is not None else None
        return nothing_sent(action, ticket, rated, by, viewer)

    async def message(
        self,
        action: str,
        address: str,
        ticket: Ticket,
        messages: list[MessageRecord],
        subject: str,
        text: str | None,
        files: list[Upload],
        form: tuple[str, str],
    ) -> tuple[bytes, str]:
        """The raw mail a post becomes, from `address` to support, and its Message-ID
        (forms.compose); `form`: the nonce and the token of its form (checked). Its
        nonce is of this post (forms.one_post) and its Date the form's time: the same
        post sent twice is one mail, also when sent again before the first is stored
        (the store lock held by a backup: the page said «появится здесь через
        несколько секунд»), where a Date of each sending made it a different mail
        under the same Message-ID, stored twice (maildigest). It goes to the reply
        address signed for `address` on the ticket, as a reply to our mail does: the
        link proved the address as that reply address does (verify.requester_verified),
        so forged mail under its From cannot fill its staff notices' cap
        (trust.notice_sender), and no notice about unproven mail names it."""
        app = self.site.app
        tid = ticket["tid"]
        return await self.site.composed(
            support=app.reply_address(tid, address, epoch(ticket, address)),
            from_addr=address,
            from_name="",
            subject=subject,
            text=text or "",
            files=files,
            nonce=one_post(form[0], action, text or "", files),
            now=tokens.form_time(form[1]).astimezone(app.tz),
            tid=tid,
            authserv_id=app.config.support.authserv_id,
            replying_to=last_shown(ticket, messages, address),
        )

    async def refused(self, *opened: Any, **kw: Any) -> web.Response:
        """The ticket page, status 400, saying why the post was not taken (`error`)."""
        body = await self.site.rendered(*opened, **kw)
        return web.Response(text=body, status=400, content_type="text/html", charset="utf-8")

    def refusal(
        self, nonce: str | None, address: str, problem: str | None, onward: dict[str, str] | None
    ) -> str | None:
        """Why a form's post is not sent, or None; `problem`: what is wrong with it.
        A merged ticket's page has no forms (the template): its refusal says where to
        write instead, under which the page shows the link there."""
        if nonce is None and onward:
            return (
                f"Форма устарела, а обращение тем временем объединено с {tag(onward['tid'])}: "
                "переписка продолжается там. Отправьте, пожалуйста, сообщение ещё раз "
                "на странице того обращения."
            )
        if nonce is None:
            return "Форма устарела. Ниже — свежая страница: отправьте, пожалуйста, ещё раз."
        if not self.posts.allow(f"addr:{address}"):
            return "Слишком много сообщений за час. Пожалуйста, попробуйте позже."
        return problem

    def message_text(self, action: str, form: Any, ticket: Ticket) -> tuple[str | None, str]:
        subject = f"Re: {shown_subject(ticket.get('subject'))}"
        typed = typed_text(form) or None
        if action == "rate":
            rating = str(form.get("rating", ""))
            if ticket["status"] != "closed" or site_grade(rating) is None:
                return None, subject
            return SITE_RATING.format(rating), subject
        if action == "reopen":
            opening = "Прошу открыть обращение снова (с сайта поддержки)."
            return f"{opening}\n\n{typed}" if typed else opening, subject
        return typed, subject

    async def refused_files(self, tid: str, message_id: str) -> bool:
        """Whether the pipeline refused a file of the stored message (a BMP, a file over
        attachments.max_attachment_bytes): the page after the post says so at the top."""

        def read() -> bool | None:
            loaded = self.site.app.store.load(tid)
            found = [m for m in (loaded[1] if loaded else ()) if m["message_id"] == message_id]
            if not found:
                return None
            return any(not a.get("accepted") for m in found for a in m.get("attachments") or ())

        # The Message-ID index may name the ticket a moment before the ticket's file
        # holds the message (the group commit renames one file after the other): until
        # it does, the answer is not known yet, not "nothing refused".
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + views.WAIT_STORED  # read at use: tests/pace.py
        while (refused := await loop.run_in_executor(None, read)) is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return refused
