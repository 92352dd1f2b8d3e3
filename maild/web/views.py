"""The ticket page and attachment downloads, behind the personal link /t/<token>,
and what the site's handlers share (Site: the link checked, the page rendered, a
post spooled and waited for). The page's forms (reply, rate, reopen) are
ticketforms.py's; the new-ticket form ask.py's, a fresh link renew.py's.

A post becomes a raw message in the spool (Site.spool); the handler then waits a
moment for the pipeline to store it, so the page it returns to already shows it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from maild.adapters.quarantine import entry_id
from maild.adapters.store.attachfiles import attachment_path
from maild.domain.policy import business_hours, hours_words
from maild.domain.records import MessageRecord, Ticket
from maild.web import tokens
from maild.web.forms import (
    MAX_TEXT,
    compose,
    read_form,
    typed_text,
)
from maild.web.links import landing, link_holders
from maild.web.pages import (
    SENT_RU,
    Pages,
    download_headers,
    files_field,
    shown_at,
    size_ru,
    ticket_view,
)
from maild.web.visitors import AtOnce, RateLimit, client_ip, limit_key

log = logging.getLogger("maild.web")
T = TypeVar("T")

WAIT_STORED = 5.0  # seconds a form waits for the pipeline before answering anyway
# The status a page or whole text is answered with, not made, to a client gone before
# its turn came (Site.in_turn): nobody reads it; the access log shows it (nginx's)
CLIENT_GONE = 499
KEPT_TEXT_FILE = 64 << 20  # bytes of the last whole-text download kept for its next
# Attachment types sent with their own Content-Type; anything else is a download
# of application/octet-stream (never rendered by the browser). A judgement of its own,
# not the file rule's tables (filerules.IMAGES, ARCHIVES): a type the rule comes to
# take is not by that safe for a browser to handle as itself.
SAFE_TYPES = {"image/png", "image/jpeg", "image/gif", "application/zip"}
# Links refused as wrong (Refusal.BAD) from one address (visitors.limit_key) in an hour,
# after which its links are refused unread: a link's signature is checked against the
# people of the ticket it names, so each wrong one reads that ticket (~0.3 s for one of
# 18 MB). An expired link is no wrong one; a customer's own is wrong only once its
# ticket, or their place in it, is gone (#uncc, maild forget, #spam).
MAX_BAD_LINKS_PER_HOUR = 60
TOO_MANY_BAD = (
    "Слишком много недействительных ссылок",
    "С вашего адреса за последний час открывали слишком много повреждённых или чужих "
    "ссылок. Попробуйте через час или откройте ссылку из последнего письма по обращению.",
)
# Ticket pages and whole texts one address (visitors.limit_key) may have asked for and
# not yet been answered, each made or waiting for its turn (Site.in_turn); one more is
# refused at once. Made one at a time, sixteen requests of one customer for a page of
# 1.7 s of CPU each made another customer's page of 2 KB take 26.6 s.
MAX_PAGES_AT_ONCE = 2
TOO_MANY_AT_ONCE = (
    "Слишком много запросов сразу",
    "С вашего адреса уже открываются другие страницы обращений. Подождите несколько "
    "секунд и обновите страницу.",
)
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
        # the footer's business hours: the calendar's, in the desk's time zone
        hours = hours_words(app.config.support.timezone)
        span = business_hours(app.calendar.day_start, app.calendar.day_end)
        self.pages = Pages(self.prefix, app.config.support.name, files_field(rules), hours, span)
        max_message = rules.max_message_bytes
        self.max_body = max_message + (1 << 20)  # the files plus the form's fields
        self.too_large_text = (
            f"Файлы вместе должны занимать не больше {size_ru(max_message)}. "
            "Вернитесь назад и уменьшите их или отправьте часть файлов отдельно."
        )
        # whole-text downloads are made one at a time (each costs seconds of CPU and
        # several times the text in memory, and the executor's threads also write the
        # SMTP listener's spool), and the last one made is kept for its next request
        self.text_turn = asyncio.Lock()
        self.page_turn = asyncio.Lock()  # ticket pages, alike (rendered)
        # a post's mail, alike (forms.compose): encoding its files takes time in their
        # size, in the executor, one post at a time (bench/FINDINGS.md 62)
        self.compose_turn = asyncio.Lock()
        self.last_text: tuple[tuple[str, int, int], bytes] | None = None
        self.bad_links = RateLimit(MAX_BAD_LINKS_PER_HOUR, max_keys=100_000)
        self.at_once = AtOnce(MAX_PAGES_AT_ONCE)

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
        read = await self.load_linked(request, tokens.tid_of(token))
        if isinstance(read, web.Response):
            return read
        loaded, addresses = read
        found = tokens.check_ticket_token(self.key, token, addresses, self.app.now())
        if found is not tokens.Refusal.BAD:
            self.not_bad(request)
        if found is tokens.Refusal.EXPIRED:  # a reply typed meanwhile is shown to copy
            typed = await self.typed(request) if request.method == "POST" else ""
            owner = tokens.owner_of(self.key, token, addresses)
            assert owner is not None  # (EXPIRED: the token was made for one of them)
            return self.expired(token, loaded[0], owner, typed)
        if isinstance(found, tokens.Refusal):
            title, text = REFUSED[found]
            return self.notice(title, text, status=403)
        return token, found, *loaded

    async def load_linked(
        self, request: web.Request, tid: str | None
    ) -> tuple[Any, list[str]] | web.Response:
        """What `load` gives for the ticket a link names, read only for a visitor under
        the limit of wrong links (MAX_BAD_LINKS_PER_HOUR), else its refusal (a reply
        posted is shown back to copy). The link counts as wrong from before the read
        until the caller finds it right or expired (not_bad), so links sent at once
        are bounded alike; a store that fails to read it counts nothing."""
        if self.bad_links.allow(_visitor(request)):
            try:
                return await self.load(tid)
            except BaseException:  # the store's fault, not the link's (a 503 page)
                self.not_bad(request)
                raise
        typed = await self.typed(request) if request.method == "POST" else ""
        copy = ["Ваш текст, чтобы его не потерять:"] if typed else []
        page = self.notice(*TOO_MANY_BAD, *copy, status=429, typed=typed)
        page.headers["Retry-After"] = "3600"
        return page

    def not_bad(self, request: web.Request) -> None:
        """The link load_linked counted proved right, or expired: uncounted."""
        self.bad_links.give_back(_visitor(request))

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
            return await made_apart(functools.partial(self.page, *opened, **kw))

    async def in_turn(
        self,
        turn: asyncio.Lock,
        handle: Callable[[web.Request], Awaitable[web.Response]],
        request: web.Request,
    ) -> web.Response:
        """handle(request) once `turn` is had; 499, nothing done, for a request whose
        client has gone before it queued or by its turn. aiohttp runs a handler to its
        end though its client left (handler_cancellation off: a post cut off must still
        store what it began), and fifty requests for a costly page sent and dropped at
        once made fifty pages, every other customer's waiting behind them. One address
        has at most MAX_PAGES_AT_ONCE inside (a 429 page for one more), and `handle`
        reads the ticket in its turn: the queue holds no ticket read."""
        with self.at_once.held(_visitor(request)) as admitted:
            if not admitted:
                page = self.notice(*TOO_MANY_AT_ONCE, status=429)
                page.headers["Retry-After"] = "5"
                return page
            if gone(request):
                return web.Response(status=CLIENT_GONE)
            async with turn:
                if gone(request):
                    return web.Response(status=CLIENT_GONE)
                return await handle(request)

    def page(
        self, token: str, address: str, ticket: Ticket, messages: list[MessageRecord], **kw: Any
    ) -> str:
        scope = f"t|{ticket['tid']}|{address}"
        return self.pages.render(
            "ticket.html",
            t=ticket_view(self.app, self.pages.texts, ticket, messages, address),
            base=f"{self.prefix}/t/{token}",
            form=tokens.form_token(self.key, scope, self.app.now()),
            max_text=MAX_TEXT,
            sent=kw.get("sent"),
            error=kw.get("error"),
            typed=kw.get("typed", ""),
            merged=kw.get("merged"),
            dropped=bool(kw.get("dropped")),  # the refused post's files: choose again
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
        return await self.in_turn(self.page_turn, self.ticket_made, request)

    async def ticket_made(self, request: web.Request) -> web.Response:
        """The ticket page, in its turn (in_turn)."""
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        sent = SENT_RU.get(request.query.get("sent", ""))
        merged = await self.onward(opened[2], opened[1])
        body = await made_apart(functools.partial(self.page, *opened, sent=sent, merged=merged))
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def download(self, request: web.Request) -> web.Response:
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        _token, address, ticket, messages = opened
        m, a = int(request.match_info["m"]), int(request.match_info["a"])
        try:  # a file of a message the page does not show is none (pageshown)
            found = (
                messages[m]["attachments"][a] if shown_at(ticket, messages, m, address) else None
            )
        except (IndexError, KeyError, TypeError):
            found = None
        if not found or not found.get("accepted") or not found.get("sha256"):
            raise web.HTTPNotFound()
        h = found["sha256"]
        path = attachment_path(self.app.config.storage_path, h)
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
        executor, so the event loop goes on taking mail meanwhile; one download at a
        time, so downloads never hold all the executor's threads, in which the SMTP
        listener writes the spool (bench/FINDINGS.md 62)."""
        return await self.in_turn(self.text_turn, self.text_answer, request)

    async def text_answer(self, request: web.Request) -> web.Response:
        """The whole text's download, in its turn (in_turn)."""
        opened = await self.open(request)
        if isinstance(opened, web.Response):
            return opened
        _token, address, ticket, messages = opened
        m = int(request.match_info["m"])
        seen = shown_at(ticket, messages, m, address)
        text = messages[m].get("text") if seen else None
        if not text:
            raise web.HTTPNotFound()
        key = (ticket["tid"], m, hash(text))  # (a text redacted by maild forget is new)
        body = await made_apart(functools.partial(self.text_made, key, text))
        name, fallback = f"текст-сообщения-{ticket['tid']}-{m}.txt", f"text-{ticket['tid']}-{m}.txt"
        return web.Response(
            body=body,
            content_type="text/plain",
            charset="utf-8",
            headers=download_headers(name, fallback),
        )

    def text_made(self, key: tuple[str, int, int], text: str) -> bytes:
        """The whole text's file (pages' text_file), or the last one made, kept for its
        next request: in the executor, under text_turn."""
        kept = self.last_text
        if kept is not None and kept[0] == key:
            return kept[1]
        body = self.pages.texts.text_file(text)
        self.last_text = (key, body) if len(body) <= KEPT_TEXT_FILE else None
        return body

    async def composed(self, **fields: Any) -> tuple[bytes, str]:
        """forms.compose(**fields), off the event loop, one post at a time."""
        async with self.compose_turn:
            made = functools.partial(compose, **fields)
            return await asyncio.get_running_loop().run_in_executor(None, made)

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


async def made_apart(make: Callable[[], T]) -> T:
    """make() in the executor: off the event loop, which takes mail meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(None, make)


def gone(request: web.Request) -> bool:
    """Whether the client of `request` has closed its connection: what it asked for
    would be read by nobody."""
    transport = request.transport
    return transport is None or transport.is_closing()


def _visitor(request: web.Request) -> str:
    """What the limit on wrong links counts: the browser's address (visitors.limit_key)."""
    return f"ip:{limit_key(client_ip(request))}"
