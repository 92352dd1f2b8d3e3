"""The site inside `maild serve`: an aiohttp.web application on the daemon's own
event loop, behind a TLS reverse proxy (README, "The support site").

Every response carries the security headers (CSP without scripts, nosniff,
no-referrer: the token is in the URL); request bodies are capped; the access log
masks tokens; errors are plain Russian pages, never tracebacks.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http import HttpProcessingError

from maild.adapters.store.files import StoreUnavailable
from maild.portcap import CannotListen
from maild.runner import describe
from maild.web import tokens
from maild.web.ask import Ask
from maild.web.connectioncap import closes, listen
from maild.web.forms import BODY_IDLE, typed_text
from maild.web.origin import foreign_post, origin_of
from maild.web.pages import HERE
from maild.web.renew import Renew
from maild.web.ticketforms import TicketForms
from maild.web.views import CLIENT_GONE, Site, gone

log = logging.getLogger("maild.web")

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_TOKEN_PATH = re.compile(r"/([tc])/[^/?]*")
# a token in a raw request line as aiohttp's parser quotes it (b'GET /t/<token> HTTP/1.1')
_TOKEN_RAW = re.compile(r"/([tc])/[^/?\s'\"]*")
STATUS_RU = {
    400: "Запрос не понят",
    403: "Доступ запрещён",
    404: "Страница не найдена",
    405: "Так эту страницу открыть нельзя",
    408: "Форма не дошла",
    413: "Слишком большой запрос",
    429: "Слишком много запросов",
}
# What to do next, under the title (a bare «Страница не найдена» left a customer with a
# mangled link nowhere to go): the page's header links «Задать вопрос»
HINT_RU = {
    400: "Форма пришла в непонятном виде. Вернитесь назад и отправьте её ещё раз.",
    404: "Проверьте адрес страницы. Ссылка на ваше обращение есть в каждом письме по "
    "нему, а новый вопрос можно задать по кнопке «Задать вопрос».",
    405: "Откройте ссылку из письма по обращению или страницу «Задать вопрос».",
    408: "Связь прервалась, пока форма отправлялась. Вернитесь назад и отправьте её ещё раз.",
}


def mask(path: str) -> str:
    """A path as logged: the token of /t/... and /c/... replaced, no query string, and
    what is not printable escaped: request.path is percent-decoded, so a path with
    %0a wrote a line of the visitor's own into the log («maild: ERROR: …», a fake
    traceback), %1b a terminal's escape sequence."""
    masked = _TOKEN_PATH.sub(r"/\1/…", path.split("?", 1)[0])
    if masked.isprintable():
        return masked
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in masked)


class MaskedAccessLogger(AbstractAccessLogger):
    """One line a request, without tokens (they open tickets)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "web %s %s %s %.0f ms", request.method, mask(request.path), response.status, time * 1e3
        )


class MalformedRequests(logging.Filter):
    """aiohttp's own log of a request its parser refused with a 400 (an 8-bit byte or
    a space in the path, a header over 8190 bytes, a bad chunk size, HTTP/2 spoken
    to it): logger aiohttp.server, outside the site's middleware and masked access
    log, said so as an ERROR with a traceback and the raw request line, token and all.
    Made one WARNING line (what was wrong, tokens masked, the raw bytes left out):
    any client can send such requests, and they are no fault of maild's."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        # (RequestPayloadError: a body whose Content-Encoding does not decode, met again
        # when aiohttp drains it after the site's 400)
        if not isinstance(exc, HttpProcessingError | web.RequestPayloadError):
            return True  # anything else aiohttp says goes as it is
        said = _TOKEN_RAW.sub(r"/\1/…", record.getMessage())
        record.msg = "web: %s: malformed request refused (%s: %s)"
        record.args = (said, type(exc).__name__, what_was_wrong(exc))
        record.exc_info = record.exc_text = record.stack_info = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


MALFORMED = MalformedRequests()


def what_was_wrong(exc: HttpProcessingError | web.RequestPayloadError) -> str:
    """The parser's word on a malformed request without the raw bytes it quotes
    ("Invalid char in url path: b'GET /t/<token>\\xff ...'" is "Invalid char in url
    path"), tokens masked, printable, 120 characters at most."""
    words = exc.message if isinstance(exc, HttpProcessingError) else str(exc)
    lines = str(words or "").strip().splitlines() or [""]
    # (a path over 8190 bytes is quoted as "bytearray(b'/t/<token>?…")
    first = re.split(r""":\s*(?:bytearray\()?b['"]""", lines[0], maxsplit=1)[0].rstrip(":. ")
    first = _TOKEN_RAW.sub(r"/\1/…", first)
    return "".join(c if c.isprintable() else "?" for c in first)[:120]


def error_page(site: Any, status: int, text: str = "") -> web.Response:
    title = STATUS_RU.get(status, "Ошибка")
    text = text or HINT_RU.get(status, "")
    body = site.pages.render(
        "notice.html", title=title, paragraphs=[text] if text else [], link=None, refresh=None
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def foreign_page(site: Any, request: web.Request, why: str) -> web.Response:
    """The refusal of a form posted from another site's page (web/origin.py)."""
    log.warning("web %s %s refused: posted from another site (%s)",
                request.method, mask(request.path), why)  # fmt: skip
    text = (
        "Форма пришла со страницы другого сайта, и мы её не приняли: так чужой сайт мог "
        "бы отправлять её от вашего имени. Откройте страницу поддержки "
        f"{site.cfg.base_url} или ссылку из письма по обращению и отправьте форму там."
    )
    response = error_page(site, 403, text)
    response.force_close()  # its body is not read
    return response


UNAVAILABLE_TEXT = (
    "Сейчас мы не можем принять ваше сообщение: у сервера поддержки временная"
    " неполадка. Попробуйте, пожалуйста, через несколько минут."
)


async def unavailable_page(site: Any, request: web.Request, e: BaseException) -> web.Response:
    """A request the store cannot serve now: its disk full, read-only or closed to
    maild (the environment's fault, retried later, never the visitor's). 503 «try
    later», with a form's text shown back to copy; one log line naming the ticket and
    the reason, where a 500 and a traceback logged as ERROR had been."""
    # a ticket's link names its TID; a confirmation link (/c/) a submission's id
    ticket = request.path.startswith(f"{site.prefix}/t/")
    tid = tokens.tid_of(request.match_info.get("token", "")) if ticket else None
    error, path = describe(e)
    log.warning(
        "web %s %s%s not served: %s %s",
        request.method,
        mask(request.path),
        f" [TID#{tid}]" if tid else "",
        error,
        path,
    )
    typed = ""
    if request.method == "POST":
        try:  # the body already read is aiohttp's to give again
            typed = typed_text(await request.post())
        except Exception:  # noqa: BLE001 - whatever is wrong with it, the page still goes
            typed = ""
    title = "Сервис временно недоступен"
    paragraphs = [UNAVAILABLE_TEXT] + (["Ваш текст, чтобы его не потерять:"] if typed else [])
    body = site.pages.render(
        "notice.html", title=title, paragraphs=paragraphs, typed=typed, link=None, refresh=None
    )
    return web.Response(
        text=body,
        status=503,
        headers={"Retry-After": "300"},
        content_type="text/html",
        charset="utf-8",
    )


TOO_MANY_TEXT = (
    "В форме слишком много файлов. Вернитесь назад и отправьте часть файлов отдельно"
    " или упакуйте их в архив ZIP."
)


def client_left(request: web.Request, e: ConnectionError) -> web.Response:
    """A request whose client left before its body had come (its connection reset or
    closed): no fault of the store's disk, which «not served» had said, nor a page to
    make (499, as for a page nobody waits for: views.CLIENT_GONE)."""
    log.info("web %s %s: the client left: %s", request.method, mask(request.path), e.strerror or e)
    return web.Response(status=CLIENT_GONE)


def make_middleware(site: Any) -> Any:
    own = origin_of(site.cfg.base_url)  # the public address, whatever Host the proxy sends

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            if request.method not in ("GET", "HEAD") and (
                why := foreign_post(request.headers, own)
            ):
                response = foreign_page(site, request, why)
            elif (size := request.content_length or 0) > site.max_body:
                # refused at once: aiohttp refuses a body only once that much has come,
                # and a client declaring 100 GB and sending nothing held its connection
                raise web.HTTPRequestEntityTooLarge(site.max_body, size)
            else:
                response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            # a body declared within the size is refused for its count of fields: over
            # aiohttp's 1000 (client_max_fields), files chosen by the thousand
            length = request.content_length
            many = length is not None and length <= site.max_body
            response = error_page(site, 413, TOO_MANY_TEXT if many else site.too_large_text)
            response.force_close()  # what is left of the body is not read
        except web.HTTPException as e:
            if e.status < 400:
                raise
            response = error_page(site, e.status)
            if e.status == 408:  # what is left of the body is not read (forms.read_form)
                response.force_close()
            if "Allow" in e.headers:  # a 405 must say what the path takes (RFC 9110)
                response.headers["Allow"] = e.headers["Allow"]
        except (OSError, StoreUnavailable) as e:  # the store's disk: full, read-only, ...
            if isinstance(e, ConnectionError) and gone(request):
                response = client_left(request, e)
            else:
                response = await unavailable_page(site, request, e)
        except Exception:
            log.exception("web %s %s failed", request.method, mask(request.path))
            response = error_page(site, 500, "Внутренняя ошибка. Попробуйте позже.")
        # what a handler set stays (a download's sandboxing CSP); the rest is the site's
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        if response.status == 408:
            await answer_and_close(request, response)
        return response

    return guard


async def answer_and_close(request: web.Request, response: web.StreamResponse) -> None:
    """Send a 408's page and close its connection at once. After an answer aiohttp
    goes on reading what is left of a body for up to 10 s (lingering: a client still
    sending sees the page, not a reset), unless the connection itself is closed; a
    client that sent nothing for web.idle_timeout held it 10 s more for nothing. A 413
    keeps lingering: a browser still uploading a file too large sees its page."""
    try:
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:  # the client left meanwhile: aiohttp then says nothing either
        pass
    request.protocol.force_close()  # what is written is sent, then the socket closed


async def stylesheet(_request: web.Request) -> web.Response:
    return web.Response(
        body=(HERE / "static" / "site.css").read_bytes(),
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def to_ticket(site: Site) -> Any:
    """The handler of a form's address opened (GET): the page of the ticket it is of."""

    async def handler(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if tokens.split(token) is None:
            raise web.HTTPNotFound()
        return site.redirect(f"{site.prefix}/t/{quote(token, safe='')}")

    return handler


SITE = web.AppKey("site", Site)  # the Site an application serves


def application(app: Any, daemon: Any) -> web.Application:
    site = Site(app, daemon)
    ask, forms = Ask(site), TicketForms(site)
    application = web.Application(
        client_max_size=site.max_body, middlewares=[make_middleware(site)]
    )
    application[SITE] = site
    closes(application)  # the socket web.listen opens (connectioncap.listen)
    application[BODY_IDLE] = site.cfg.idle_timeout
    r = application.router
    r.add_get("/", site.home)
    r.add_get("/static/site.css", stylesheet)
    r.add_get("/new", ask.form)
    r.add_post("/new", ask.submit)
    r.add_get("/c/{token}", ask.confirm_page)
    r.add_post("/c/{token}", ask.confirm)
    r.add_get("/t/{token}", site.ticket)
    r.add_post("/t/{token}/reply", forms.reply)
    r.add_post("/t/{token}/rate", forms.rate)
    r.add_post("/t/{token}/reopen", forms.reopen)
    r.add_post("/t/{token}/renew", Renew(site).renew)
    # the address a form's answer stands at (a refusal, the expired-link page), opened
    # again from the history or a phone's reloaded tab: the ticket, not a 405
    r.add_get("/t/{token}/{form:(?:reply|rate|reopen|renew)}", to_ticket(site))
    # an index of at most 9 digits: int() refuses over 4,300 (a server error), and no
    # ticket holds a billion messages; a longer one is a path of no page (404)
    r.add_get("/t/{token}/file/{m:\\d{1,9}}/{a:\\d{1,9}}", site.download)
    r.add_get("/t/{token}/text/{m:\\d{1,9}}", site.text_file)
    return application


async def start_site(app: Any, daemon: Any) -> web.AppRunner:
    """Serve the site on web.listen; CannotListen if the port cannot be had."""
    cfg = app.config.web
    # a connection that sends nothing, or half a request's headers, is closed after
    # web.idle_timeout (aiohttp's keep-alive timer runs from the connection's start and
    # after each answer; a stalled body: forms.read_form), not kept open for an hour
    runner = web.AppRunner(
        application(app, daemon),
        access_log_class=MaskedAccessLogger,
        handle_signals=False,
        keepalive_timeout=cfg.idle_timeout,
    )
    await runner.setup()
    logging.getLogger("aiohttp.server").addFilter(MALFORMED)  # once: addFilter keeps one
    try:
        await listen(runner, cfg.host, cfg.port, cfg.max_connections)
    except OSError as e:
        await runner.cleanup()
        raise CannotListen(" for the site", cfg.listen, e) from None
    log.info("site on %s (public address %s)", cfg.listen, urlsplit(cfg.base_url).netloc)
    return runner
