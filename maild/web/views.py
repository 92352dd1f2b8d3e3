"""The ticket page and its forms (reply, rate, reopen) and attachment downloads,
all behind the personal link /t/<token>.

A form's post becomes a raw message in the spool (maild.web.forms.compose); the
handler then waits a moment for the pipeline to store it, so the page it returns
to already shows it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from maild.adapters.quarantine import entry_id
from maild.domain.policy import hours_words
from maild.domain.records import MessageRecord, Ticket
from maild.web import tokens
from maild.web.forms import (
    MAX_TEXT,
    RateLimit,
    compose,
    one_post,
    read_form,
    sent_just_now,
    too_many,
    typed_text,
    uploads,
)
from maild.web.links import landing, link_holders
from maild.web.pages import (
    SENT_RU,
    Pages,
    download_headers,
    files_field,
    last_shown,
    shown,
    size_ru,
    text_file,
    ticket_view,
)
from maild.web.rating import Ratings, nothing_sent, rated_meanwhile

log = logging.getLogger("maild.web")

FORM_MAX_AGE = 24 * 3600  # a page left open over night still sends
WAIT_STORED = 5.0  # seconds a form waits for the pipeline before answering anyway
KEPT_TEXT_FILE = 64 << 20  # bytes of the last whole-text download kept for its next
# Attachment types sent with their own Content-Type; anything else is a download
# of application/octet-stream (never rendered by the browser).
SAFE_TYPES = {"image/png", "image/jpeg", "image/gif", "application/zip"}
REFUSED = {
    tokens.Refusal.BAD: (
        "Ссылка недействительна",
        "Ссылка повреждена или предназначена для другого адреса. Откройте ссылку "
        "из последнего письма по обращению.",
    ),
    tokens.Refusal.EXPIRED: (
        "Срок действия ссылки истёк",
        "Свежая ссылка приходит в каждом письме по обращению. Откройте ссылку из "
        "последнего письма ещё раз: на странице можно запросить новую.",
    ),
}


class Site:
    def __init__(self, app: Any, daemon: Any) -> None:
        self.app, self.daemon = app, daemon
        self.cfg = app.config.web
        self.key: bytes = app.web_secret
        self.prefix = urlsplit(self.cfg.base_url).path.rstrip("/")
        rules = app.attachment_policy
        hours = hours_words(app.config.support.timezone)  # the footer's business hours
        self.pages = Pages(self.prefix, app.config.support.name, files_field(rules), hours)
        max_message = rules.max_message_bytes
        self.max_body = max_message + (1 << 20)  # the files plus the form's fields
        self.too_large_text = (
            f"Файлы вместе должны занимать не больше {size_ru(max_message)}. "
            "Вернитесь назад и уменьшите их или отправьте часть файлов отдельно."
        )
        self.posts = RateLimit(max(30, 6 * self.cfg.max_submissions_per_hour))
        self.ratings = Ratings()  # closings rated by a post not stored yet
        # whole-text downloads are made one at a time (each costs seconds of CPU and
        # several times the text in memory, and the executor's threads also write the
        # SMTP listener's spool), and the last one made is kept for its next request
        self.text_turn = asyncio.Lock()
        self.page_turn = asyncio.Lock()  # ticket pages, alike (rendered)
        self.last_text: tuple[tuple[str, int, int], bytes] | None = None

    # -- helpers ------------------------------------------------------------------
    def notice(self, title: str, *paragraphs: str, status: int = 200, **kw: Any) -> web.Response:
        kw.setdefault("link", None)
        kw.setdefault("refresh", None)
        body = self.pages.render("notice.html", title=title, paragraphs=paragraphs, **kw)
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def redirect(self, location: str) -> web.Response:
        """Only to our own paths, built here: never a target taken from the request."""
        return web.Response(status=303, headers={"Location": location})

    async def home(self, _request: web.Request) -> web.Response:
        return self.redirect(f"{self.prefix}/new")

    async def open(self, request: web.Request) -> tuple[Any, ...] | web.Response:
        """(token, address, ticket, messages) for a valid link, else its refusal page."""
        token = request.match_info["token"]
        tid = tokens.tid_of(token)
        loaded, addresses = await self.load(tid)
        found = tokens.check_ticket_token(self.key, token, addresses, self.app.now())
        if found is tokens.Refusal.EXPIRED:  # a reply typed meanwhile is shown to copy
            typed = await self.typed(request) if request.method == "POST" else ""
            owner = tokens.owner_of(self.key, token, addresses)
            return self.expired(token, loaded[0], owner, typed)
        if isinstance(found, tokens.Refusal):
            title, text = REFUSED[found]
            return self.notice(title, text, status=403)
        return token, found, *loaded

    async def load(self, tid: str | None) -> tuple[Any, list[str]]:
        """(the ticket and its messages, or None; whose links open it: links.link_holders)."""
        if tid is None:
            return None, []

        def read() -> tuple[Any, list[str]]:
            loaded = self.app.store.load(tid)
            return loaded, link_holders(self.app, loaded[0]) if loaded else []

        return await asyncio.get_running_loop().run_in_executor(None, read)

    @staticmethod
    async def typed(request: web.Request) -> str:
        """The text of a posted form (a reply written while the link expired), else ""."""
        form = await read_form(request)
        return typed_text(form)

    def expired(self, token: str, ticket: Ticket, owner: str, typed: str = "") -> web.Response:
        """The page of an authentic but expired link: a fresh one by mail, on request;
        ``typed``: the text of a reply posted through it, not sent, there to copy."""
        body = self.pages.render(
            "expired.html",
            base=f"{self.prefix}/t/{token}",
            form=tokens.form_token(self.key, f"r|{ticket['tid']}|{owner}", self.app.now()),
            typed=typed,
        )
        return web.Response(text=body, status=403, content_type="text/html", charset="utf-8")

    async def rendered(self, *opened: Any, **kw: Any) -> str:
        """The ticket page (``page``) made in an executor, one at a time: a page of long
        customer texts costs a third of a second of CPU each time (what it shows of
        them is not cached past 16,384 characters), which in the event loop held mail
        intake: four clients reloading such a page made three SMTP mails take 9 s."""
        async with self.page_turn:
            make = functools.partial(self.page, *opened, **kw)
            return await asyncio.get_running_loop().run_in_executor(None, make)

    def page(
        self, token: str, address: str, ticket: Ticket, messages: list[MessageRecord], **kw: Any
    ) -> str:
        scope = f"t|{ticket['tid']}|{address}"
        return self.pages.render(
            "ticket.html",
            t=ticket_view(self.app, ticket, messages, address),
            base=f"{self.prefix}/t/{token}",
            form=tokens.form_token(self.key, scope, self.app.now()),
            max_text=MAX_TEXT,
            sent=kw.get("sent"),
            error=kw.get("error"),
            typed=kw.get("typed", ""),
            merged=kw.get("merged"),
        )

    async def onward(self, ticket: Ticket, address: str) -> dict[str, str] | None:
        """Of a ticket merged into another: the TID the conversation goes on in and the
        path of its page for `address` (a link holder of the merged ticket is one of
        that ticket's customers: links.link_holders); None for any other ticket."""
        if not ticket.get("merged_into"):
            return None
        loop = asyncio.get_running_loop()
        final = await loop.run_in_executor(None, landing, self.app, ticket)
        if final == ticket["tid"]:  # a #merge loop: nowhere else to go
            return None
        token = tokens.ticket_token(self.key, final, address, self.app.now(), self.cfg.link_days)
        return {"tid": final, "href": f"{self.prefix}/t/{token}"}

    # -- pages ----------------------------------------------------------------------
    async def ticket(self, request: web.Request) -> web.Response:
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        sent = SENT_RU.get(request.query.get("sent", ""))
        merged = await self.onward(opened[2], opened[1])
        body = await self.rendered(*opened, sent=sent, merged=merged)
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def download(self, request: web.Request) -> web.Response:
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        _token, address, _ticket, messages = opened
        m, a = int(request.match_info["m"]), int(request.match_info["a"])
        try:
            found = messages[m]["attachments"][a] if shown(messages[m], address) else None
        except (IndexError, KeyError, TypeError):
            found = None
        if not found or not found.get("accepted") or not found.get("sha256"):
            raise web.HTTPNotFound()
        h = found["sha256"]
        path = self.app.config.storage_path / "attachments" / h[:2] / h
        try:
            data = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
        except OSError:
            raise web.HTTPNotFound() from None
        ctype = found.get("content_type") if found.get("content_type") in SAFE_TYPES else None
        return web.Response(
            body=data,
            content_type=ctype or "application/octet-stream",
            headers=download_headers(found.get("filename") or "file"),
        )

    async def text_file(self, request: web.Request) -> web.Response:
        """The whole text of a message the page shows (the page shows the start of a
        long one), as a UTF-8 .txt file with access data blanked as on the page
        (pages.redacted; quotes kept: it is the whole text). Behind the same link as
        the page and its files. Redacting megabytes takes seconds of CPU: in an
        executor, so the event loop goes on taking mail meanwhile, one download at a
        time: eight at once of a 3 MB text of "password: x" lines held every thread
        the SMTP listener writes the spool in for 40 s."""
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        _token, address, ticket, messages = opened
        m = int(request.match_info["m"])
        seen = m < len(messages) and shown(messages[m], address)
        text = messages[m].get("text") if seen else None
        if not text:
            raise web.HTTPNotFound()
        key = (ticket["tid"], m, hash(text))  # (a text redacted by maild forget is new)
        async with self.text_turn:
            kept = self.last_text
            if kept is not None and kept[0] == key:
                body = kept[1]
            else:
                body = await asyncio.get_running_loop().run_in_executor(None, text_file, text)
                self.last_text = (key, body) if len(body) <= KEPT_TEXT_FILE else None
        name, fallback = f"текст-сообщения-{ticket['tid']}-{m}.txt", f"text-{ticket['tid']}-{m}.txt"
        return web.Response(
            body=body,
            content_type="text/plain",
            charset="utf-8",
            headers=download_headers(name, fallback),
        )

    # -- forms ------------------------------------------------------------------------
    async def reply(self, request: web.Request) -> web.Response:
        return await self.post(request, "reply")

    async def rate(self, request: web.Request) -> web.Response:
        return await self.post(request, "rate")

    async def reopen(self, request: web.Request) -> web.Response:
        return await self.post(request, "reopen")

    async def post(self, request: web.Request, action: str) -> web.Response:
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        token, address, ticket, messages = opened
        form = await read_form(request)
        scope = f"t|{ticket['tid']}|{address}"
        nonce = tokens.check_form_token(
            self.key, str(form.get("form", "")), scope, self.app.now(), FORM_MAX_AGE
        )
        onward = await self.onward(ticket, address)
        if onward and nonce is not None and action != "reply":
            # a rating or a reopening of the merged ticket (its page left open since
            # before the merge) is not one of the other ticket: nothing is sent
            log.info("[TID#%s] %s from a merged ticket's page not sent", ticket["tid"], action)
            return self.redirect(f"{onward['href']}?sent=merged")
        text, subject = self.message_text(action, form, ticket)
        # a rating goes once per closing, as the page offers it: a page kept from before
        # (back, or the reopen form's token) rated it again, a thank-you mail each time,
        # and so did two posts at once (two tabs), the ticket not yet rated (rating.py)
        rated = self.ratings.given(ticket, messages) if action == "rate" else None
        text = None if rated is not None else text
        files = uploads(form) if action != "rate" else []
        problem = None if text or files else nothing_sent(action, ticket, rated)
        error = self.refusal(nonce, address, problem or too_many(form), onward)
        if error is not None:  # the text typed comes back, to send again, not retype
            kw = {"error": error, "merged": onward, "typed": typed_text(form)}
            return await self.refused(token, address, ticket, messages, **kw)
        if action == "reply" and sent_just_now(
            messages, address, text or "", files, self.app.now()
        ):
            return self.redirect(f"{self.prefix}/t/{token}?sent=reply")  # back, and sent again
        if action == "rate":  # no await since `given`: the check and the claim are one step
            self.ratings.claim(ticket, text)
        raw, message_id = compose(
            support=self.app.config.support.address,
            from_addr=address,
            from_name="",
            subject=subject,
            text=text or "",
            files=files,
            nonce=one_post(nonce, action, text or "", files),
            now=self.app.now(),
            tid=ticket["tid"],
            authserv_id=self.app.config.support.authserv_id,
            replying_to=last_shown(messages, address),
        )
        stored = await self.spool(raw, message_id)
        log.info("%s [TID#%s] %s from the site by %s", message_id, ticket["tid"], action, address)
        if stored and action == "rate":  # the store's verdict: rated by another post first?
            late = await asyncio.to_thread(rated_meanwhile, self.app.store, stored, message_id)
            if late is not None:  # (one before a restart, or of another process: rating.py)
                return await self.refused(token, address, *late[:2], error=late[2])
        sent = action if stored else "later"
        if stored and files and await self.refused_files(stored, message_id):
            sent = "files"  # not «added» alone: the page says which file was not and why
        # a merged ticket's post lands in the ticket it was merged into: its page shows it
        page = onward["href"] if onward else f"{self.prefix}/t/{token}"
        return self.redirect(f"{page}?sent={sent}")

    async def refused(self, *opened: Any, **kw: Any) -> web.Response:
        """The ticket page, status 400, saying why the post was not taken (`error`)."""
        body = await self.rendered(*opened, **kw)
        return web.Response(text=body, status=400, content_type="text/html", charset="utf-8")

    def refusal(
        self, nonce: str | None, address: str, problem: str | None, onward: dict[str, str] | None
    ) -> str | None:
        """Why a form's post is not sent, or None; `problem`: what is wrong with it.
        A merged ticket's page has no forms (the template): its refusal says where to
        write instead, under which the page shows the link there."""
        if nonce is None and onward:
            return (
                f"Форма устарела, а обращение тем временем объединено с [TID#{onward['tid']}]: "
                "переписка продолжается там. Отправьте, пожалуйста, сообщение ещё раз "
                "на странице того обращения."
            )
        if nonce is None:
            return "Форма устарела. Ниже — свежая страница: отправьте, пожалуйста, ещё раз."
        if not self.posts.allow(f"addr:{address}"):
            return "Слишком много сообщений за час. Пожалуйста, попробуйте позже."
        return problem

    def message_text(self, action: str, form: Any, ticket: Ticket) -> tuple[str | None, str]:
        subject = f"Re: {ticket.get('subject') or '(без темы)'}"
        typed = typed_text(form) or None
        if action == "rate":
            rating = str(form.get("rating", ""))
            if ticket["status"] != "closed" or rating not in ("1", "2", "3", "4", "5"):
                return None, subject
            return f"Оценка: {rating}", subject
        if action == "reopen":
            opening = "Прошу открыть обращение снова (с сайта поддержки)."
            return f"{opening}\n\n{typed}" if typed else opening, subject
        return typed, subject

    async def spool(self, raw: bytes, message_id: str) -> str | None:
        """Into the spool and the daemon's queue; the ticket's TID once the pipeline
        stored it, None if it has not within WAIT_STORED or went to the quarantine."""
        loop = asyncio.get_running_loop()
        key = await loop.run_in_executor(None, self.app.spool.add, raw)
        self.daemon.enqueue(key)
        deadline = time.monotonic() + WAIT_STORED
        while time.monotonic() < deadline:
            tid = await loop.run_in_executor(None, self.stored, message_id)
            if tid is not None:
                return tid or None
            await asyncio.sleep(0.05)
        return None

    def stored(self, message_id: str) -> str | None:
        """The TID of the ticket that holds the message; "" if the quarantine holds it
        (no ticket will); None while neither does."""
        tid = self.app.store.tid_for_msgid(message_id)
        if tid is None and self.app.quarantine.get(entry_id(message_id)) is not None:
            return ""
        return tid

    async def refused_files(self, tid: str, message_id: str) -> bool:
        """Whether the pipeline refused a file of the stored message (a BMP, a file over
        attachments.max_attachment_bytes): the page after the post says so at the top."""

        def read() -> bool:
            loaded = self.app.store.load(tid)
            found = [m for m in (loaded[1] if loaded else ()) if m["message_id"] == message_id]
            return any(not a.get("accepted") for m in found for a in m.get("attachments") or ())

        return await asyncio.get_running_loop().run_in_executor(None, read)
