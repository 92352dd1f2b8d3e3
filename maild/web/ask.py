"""«Задать вопрос» at /new: the form, then a confirmation link mailed to the
address given; only opening it (and pressing the button there: mail scanners
open links too) puts the request into the spool, where the pipeline opens the
ticket with the level of that address, as for mail.

Bots meet a honeypot field, the per-IP and per-address limit
(web.max_submissions_per_hour) and the site's limit on confirmation mail
(web.max_confirmations_per_hour: many IPs must not make the desk mail anyone at
will); nothing outside is called. Its letter meets the caps on automatic mail per
address, as every confirmation does (web/confirmletter.py); the requests waiting for
their click hold at most web.max_pending_mb on disk (web/pendingroom.py). The
confirmation mail repeats nothing typed into the form (name, subject): a form that
mails any address must not carry a stranger's text; the confirmation page shows the
subject. A blocked address gets no link: its request goes to the quarantine (reason
"blocked"), and the page after the form is the one everyone sees.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from maild import guard
from maild.adapters.sitepending import PENDING_DAYS, pending_root
from maild.domain.addresses import ascii_domain
from maild.domain.caps import mailbox_of
from maild.domain.ownside import no_asker
from maild.domain.sla import ru_count
from maild.domain.spam import withheld
from maild.web import tokens
from maild.web.confirmletter import letter_id, mail_link, registered_mail
from maild.web.forms import (
    MAX_NAME,
    MAX_SUBJECT,
    MAX_TEXT,
    Pending,
    Upload,
    clean_line,
    content_digest,
    read_form,
    too_many,
    typed_text,
    uploads,
)
from maild.web.pendingroom import NO_ROOM, no_room
from maild.web.views import Site
from maild.web.visitors import RateLimit, client_ip, limit_key

log = logging.getLogger("maild.web")

FORM_MAX_AGE = 12 * 3600
STORED_WITHIN = 60.0  # seconds after the click a confirmed request is looked for
# An ASCII dot-atom at an ASCII domain: what the request's From and the relay's
# RCPT TO carry without SMTPUTF8 (a non-ASCII local part came out of the email
# package as "=?utf-8?...?=@domain": a ticket for "@domain")
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"^{_ATOM}(\.{_ATOM})*@[a-z0-9-]+(\.[a-z0-9-]+)+$")
CONFIRMED_BEFORE = (
    "Если вы уже подтверждали обращение, оно зарегистрировано: ссылка на его страницу — {mail}. "
    "Если нет, заполните, пожалуйста, форму «Задать вопрос» ещё раз."
)
EMPTY = {"name": "", "email": "", "subject": "", "text": ""}
# the per-IP limit: an office behind one address (NAT) reaches it with its sixth
# colleague in an hour, who was told «попробуйте позже» with no other way to ask
TOO_MANY = (
    "С этого адреса или сети за последний час отправлено слишком много обращений. "
    "Попробуйте позже или напишите нам письмо на адрес {address}."
)
BUSY = (
    "Сейчас форма принимает слишком много обращений. Попробуйте через час "
    "или напишите нам письмо на адрес {address}."
)


class Ask:
    def __init__(self, site: Site) -> None:
        self.site, self.app = site, site.app
        self.limit = RateLimit(site.cfg.max_submissions_per_hour)
        self.mailed = RateLimit(site.cfg.max_confirmations_per_hour)
        self.pending = Pending(pending_root(self.app.config.storage_path))

    def _form(
        self,
        values: dict[str, str],
        error: str | None = None,
        status: int = 200,
        files: Sequence[Upload] = (),
    ) -> web.Response:
        """The form, `values` typed back into it; of a refused post (`error`) whose
        `files` a file input cannot be given back, the page says to choose them again."""
        body = self.site.pages.render(
            "new.html",
            v=values,
            error=error,
            dropped=bool(files),
            max_text=MAX_TEXT,
            form=tokens.form_token(self.site.key, "new", self.app.now()),
        )
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    async def form(self, _request: web.Request) -> web.Response:
        return self._form(EMPTY)

    def _check(self, values: dict[str, str], nonce: str | None, form: Any) -> str | None:
        support, email = self.app.config.support, values["email"]
        internal = no_asker(email, support.address, support.internal)
        if nonce is None:
            return "Форма устарела. Пожалуйста, отправьте её ещё раз."
        if not _EMAIL.match(email) or internal:
            return "Проверьте адрес электронной почты: на него придёт письмо со ссылкой."
        if not values["subject"] or not values["text"]:
            return "Заполните тему и текст вопроса."
        return too_many(form)

    async def submit(self, request: web.Request) -> web.Response:
        site, now = self.site, self.app.now()
        form = await read_form(request)
        values = {
            "name": clean_line(str(form.get("name", "")), MAX_NAME),
            # Firefox sends «info@магазин.рф» as typed, Chrome in its ASCII form: one
            # address either way (a name IDNA cannot spell is refused by the check)
            "email": ascii_domain(clean_line(str(form.get("email", "")), 254).lower()),
            "subject": clean_line(str(form.get("subject", "")), MAX_SUBJECT),
            "text": typed_text(form),
        }
        nonce = tokens.check_form_token(
            site.key, str(form.get("form", "")), "new", now, FORM_MAX_AGE
        )
        if form.get("website"):  # the honeypot: people never see it, bots fill it
            log.info(
                "web: a «Задать вопрос» form with the honeypot filled, from %s", client_ip(request)
            )
            return self._sent(values["email"])
        error = self._check(values, nonce, form)
        files = uploads(form)
        if error is not None or nonce is None:  # (no nonce: an error)
            return self._form(values, error, 400, files)
        if files and await no_room(self.site.cfg, self.pending.root, values["email"], files):
            return self._form(values, NO_ROOM.format(address=self.app.config.support.address), 429)
        # a form sent twice is one request only when it says the same
        digest = content_digest(json.dumps(values, sort_keys=True), files)
        sub_id = self._unsent(nonce, digest, now)
        if sub_id is None:  # the same request sent twice
            return self._sent(values["email"])
        keys = self._keys(request, values)
        refused = self._over_limit(keys, values, files)
        if refused is not None:
            return refused
        # a post the disk refused (a 503) costs neither the visitor nor the site
        with (
            self.limit.given_back_if_unavailable(*keys),
            self.mailed.given_back_if_unavailable("site"),
        ):
            return await self._take(values, files, sub_id, nonce, now)

    async def _take(
        self, values: dict[str, str], files: list[Upload], sub_id: str, nonce: str, now: datetime
    ) -> web.Response:
        """The request within the limits: to the quarantine if its address is blocked,
        else waiting for its click, its letter with the link queued."""
        blocked = withheld(self.app.quarantine.blocks(), [values["email"]], "confirmation")
        raw, message_id = await self.site.composed(
            support=self.app.config.support.address,
            from_addr=values["email"],
            from_name=values["name"],
            subject=values["subject"],
            text=values["text"],
            files=files,
            nonce=sub_id + nonce[:8],  # the same words weeks later: another message
            now=now,  # (a blocked address is confirmed by nothing: no link goes to it)
            authserv_id=None if blocked else self.app.config.support.authserv_id,
        )
        loop = asyncio.get_running_loop()  # both write durably (fsync): off the loop
        if blocked:
            await loop.run_in_executor(None, self._quarantine, raw)
            return self._sent(values["email"])  # the page says nothing of the block
        meta = {"email": values["email"], "subject": values["subject"], "message_id": message_id}
        expires = tokens.day_of(now) + PENDING_DAYS  # the link's day, as its token
        await loop.run_in_executor(None, self.pending.add, sub_id, meta | {"expires": expires}, raw)
        email = values["email"]
        if await loop.run_in_executor(None, self._mail_link, sub_id, email, now, expires):
            self.site.daemon.outbox_wake.set()
            log.info("%s: «Задать вопрос» from %s, confirmation link mailed", message_id, email)
        else:  # a cap on automatic mail to the address holds the letter: no link, no
            # request waiting for one (posted again, it is tried again); the page is
            # the same, as «Прислать новую ссылку»'s (web/confirmletter.py)
            await loop.run_in_executor(None, self.pending.drop, sub_id)
            self.mailed.give_back("site")  # the site mailed nothing
        return self._sent(email)

    @staticmethod
    def _keys(request: web.Request, values: dict[str, str]) -> tuple[str, str]:
        """What the per-IP and per-address limit counts a request under."""
        # an address counts as its mailbox, as the mail caps count it: victim+1@,
        # victim+2@... each with an allowance of its own sent one mailbox 35 links an hour
        return f"ip:{limit_key(client_ip(request))}", f"addr:{mailbox_of(values['email'])}"

    def _over_limit(
        self, keys: tuple[str, str], values: dict[str, str], files: list[Upload]
    ) -> web.Response | None:
        """The form again, refused, when the request is over a limit; None if not."""
        support = self.app.config.support.address
        if not self.limit.allow(*keys):
            return self._form(values, TOO_MANY.format(address=support), 429, files)
        if not self.mailed.allow("site"):  # counted after the per-IP limit: refusals cost nothing
            # nor does this refusal cost the visitor or the address: their counts are
            # given back, and a flood from ever new networks and addresses while the
            # site is busy leaves no key behind (each one held ~1 KB for the hour)
            self.limit.give_back(*keys)
            log.warning(
                "web: «Задать вопрос» refused for %s: web.max_confirmations_per_hour (%d) reached",
                values["email"],
                self.site.cfg.max_confirmations_per_hour,
            )
            return self._form(values, BUSY.format(address=support), 429, files)
        return None

    def _quarantine(self, raw: bytes) -> None:
        """A request from a blocked address or domain: no confirmation link goes to it
        (the form must not make maild write to a blocked address, domain.spam.withheld);
        the request is kept in the quarantine as blocked mail is (reason "blocked",
        `maild spam list`), no ticket."""
        app = self.app
        msg = app.parse(raw)
        with app.store.locked():
            guard.quarantine(app, msg, raw, "blocked", app.now())
        log.info("%s: «Задать вопрос» from %s, blocked: no link mailed", msg.message_id,
                 msg.from_addr)  # fmt: skip

    def _unsent(self, nonce: str, digest: str, now: datetime) -> str | None:
        """The id a submission goes under: what it says (`digest`, the address with
        it); None if the same request waits for its click already, whose letter has
        the link. Keyed by the form's nonce, the same form sent again changed (Firefox
        keeps a page's hidden fields on going back: the address corrected after a
        typo) was dropped while the page said «отправлено письмо» to the corrected
        address; and the same question sent again from a fresh form (Chrome's back
        and «Отправить» once more) mailed a second link, two tickets when both were
        clicked. The same question asked again once the first was registered is new,
        and so is one whose link expired unclicked: it goes under the same id, the
        old entry replaced (its link opens nothing any more), where it was dropped
        while the page said a letter went, as long as the old entry was kept; so is
        one whose letter was never queued (`_waits`)."""
        sub_id = digest[:24]
        known = self.pending.meta(sub_id)
        if known is None:
            return sub_id
        if not known.get("confirmed"):
            return None if self._waits(sub_id, known, now) else sub_id
        again = hashlib.sha256(f"{sub_id}.{nonce}".encode()).hexdigest()[:24]
        meta = self.pending.meta(again)
        taken = meta is not None and (meta.get("confirmed") or self._waits(again, meta, now))
        return None if taken else again

    def _waits(self, sub_id: str, meta: dict[str, Any], now: datetime) -> bool:
        """Whether an unconfirmed request waits for its click with its letter queued:
        its link not expired (past the day its token names, kept with it; of one kept
        before that, by the time its entry was written), and the outbox knows its
        letter (it is queued after the entry is written: an outbox that refused it, a
        503, or the daemon stopped between the two, left an entry no letter names)."""
        expires = meta.get("expires")
        if not isinstance(expires, int):
            written = datetime.fromtimestamp(self.pending.written(sub_id), UTC)
            expires = tokens.day_of(written) + PENDING_DAYS
            letter = f"web-confirm-{sub_id}"  # the id its letter went under then
        else:
            letter = letter_id(sub_id, expires)
        return tokens.day_of(now) <= expires and self.app.outbox.known(letter)

    def _sent(self, email: str) -> web.Response:
        return self.site.notice(
            "Проверьте почту",
            f"На адрес {email} отправлено письмо со ссылкой для подтверждения.",
            "Откройте ссылку из письма и нажмите «Подтвердить и отправить обращение»: "
            "только тогда обращение будет зарегистрировано (ссылка действует "
            f"{ru_count(PENDING_DAYS, 'день', 'дня', 'дней')}). "
            "Если письма нет, проверьте папку «Спам».",
        )

    def _mail_link(self, sub_id: str, email: str, now: datetime, expires: int) -> bool:
        """The confirmation letter queued within the caps on automatic mail to `email`
        (web/confirmletter.py); False when a cap holds it."""
        token = tokens.confirm_token(self.site.key, sub_id, email, now, PENDING_DAYS)
        link = (f"{self.site.cfg.base_url}/c/{token}", PENDING_DAYS, expires)
        return mail_link(self.app, sub_id, email, link, now)

    # -- the confirmation link ---------------------------------------------------------
    def _pending(self, request: web.Request) -> tuple[str, str, dict[str, Any]] | web.Response:
        """(token, submission id, its meta) for a valid confirmation link, else a page."""
        token = request.match_info["token"]
        parts = tokens.split(token)
        meta = self.pending.meta(parts[0]) if parts else None
        checked = tokens.check_confirm_token(
            self.site.key, token, meta["email"] if meta else "", self.app.now()
        )
        if meta and meta.get("confirmed") and checked is tokens.Refusal.EXPIRED:
            return self._registered(meta)
        if parts is None or meta is None or checked is not True:
            return self.site.notice(
                "Ссылка недействительна или устарела",
                CONFIRMED_BEFORE.format(mail=registered_mail(self.app)),
                status=403,
                link=f"{self.site.prefix}/new",
                link_text="Задать вопрос",
            )
        return token, parts[0], meta

    def _registered(self, meta: dict[str, Any]) -> web.Response:
        """The page of an expired confirmation link of a request confirmed long ago (the
        first mail from the site, kept to come back by): it said «заполните форму ещё
        раз», and a customer who did opened the same question twice."""
        tid = self.app.store.tid_for_msgid(meta["message_id"])
        words = f"Ваше обращение зарегистрировано под номером {tid}. " if tid else ""
        return self.site.notice(
            "Обращение уже зарегистрировано",
            f"{words}Ссылка на его страницу — {registered_mail(self.app)} и в каждом письме "
            "по обращению (если она устарела, на её странице можно запросить новую).",
            status=403,
        )

    def _to_ticket(self, meta: dict[str, Any], token: str) -> web.Response:
        """The ticket once the pipeline has opened it, else a page that looks again."""
        tid = self.site.stored(meta["message_id"])
        if tid == "" or (tid is None and self._set_aside(meta)):
            return self.site.notice(
                "Обращение принято",
                "Его рассмотрит сотрудник службы поддержки. Ответ придёт письмом на адрес "
                f"{meta['email']}.",
            )
        if not tid:
            return self.site.notice(
                "Обращение регистрируется…",
                "Страница обновится сама через несколько секунд.",
                refresh=2,
            )
        ticket_token = tokens.ticket_token(
            self.site.key, tid, meta["email"], self.app.now(), self.site.cfg.link_days
        )
        return self.site.redirect(f"{self.site.prefix}/t/{ticket_token}")

    @staticmethod
    def _set_aside(meta: dict[str, Any]) -> bool:
        """The confirmed request is not stored a minute after the click (the spool set
        it aside): like one the quarantine holds (a blocked address or domain: staff
        see it there, Site.stored), it opens no ticket soon. The page that looked again
        every 2 seconds did so for ever: «Обращение регистрируется…»."""
        return time.time() - float(meta.get("confirmed_at") or 0) > STORED_WITHIN

    async def confirm_page(self, request: web.Request) -> web.Response:
        found = self._pending(request)
        if isinstance(found, web.Response):
            return found
        token, sub_id, meta = found
        if meta.get("confirmed"):
            return self._to_ticket(meta, token)
        body = self.site.pages.render(
            "confirm.html",
            email=meta["email"],
            subject=meta["subject"],
            base=f"{self.site.prefix}/c/{token}",
            form=tokens.form_token(self.site.key, f"c|{sub_id}", self.app.now()),
        )
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def confirm(self, request: web.Request) -> web.Response:
        found = self._pending(request)
        if isinstance(found, web.Response):
            return found
        token, sub_id, meta = found
        form = await read_form(request)
        ok = tokens.check_form_token(
            self.site.key, str(form.get("form", "")), f"c|{sub_id}", self.app.now(), FORM_MAX_AGE
        )
        if ok is None:
            return self.site.redirect(f"{self.site.prefix}/c/{token}")
        if not meta.get("confirmed"):
            try:
                raw = self.pending.raw(sub_id)
            except FileNotFoundError:  # another post of the form confirmed it meanwhile
                now = self._pending(request)
                return now if isinstance(now, web.Response) else self._to_ticket(now[2], token)
            meta = {**meta, "confirmed": True, "confirmed_at": time.time()}
            await self.site.spool(raw, meta["message_id"])
            self.pending.confirmed(sub_id, meta)
            log.info("%s: address %s confirmed on the site", meta["message_id"], meta["email"])
        return self._to_ticket(meta, token)
