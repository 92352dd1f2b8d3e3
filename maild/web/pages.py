"""HTML pages of the site: jinja2 with autoescape, so whatever customers and staff
wrote is shown as text (a `<script>` in a mail stays the characters "<script>").

`ticket_view` picks what a customer may see of a ticket: the customer mail and staff
replies their mail gave them (domain.pageshown), in order, with access data blanked;
never internal notes, commands, automatic notices or staff addresses. Of a long text
(a pasted log of megabytes) the page shows the start that mail to staff shows
(longtext.mailed_text) and links the whole text as a file (views.Site.text_file): a
page stays small and costs bounded time on the daemon's event loop, which the SMTP
listener shares.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from maild.domain import ratingtext, statusmail
from maild.domain.attachments import AttachmentPolicy, upload_accept
from maild.domain.calendar import DAY_END, DAY_START
from maild.domain.closingrating import rating_of_closing
from maild.domain.filetypes import size_text
from maild.domain.forget import shown_address
from maild.domain.longtext import mailed_text
from maild.domain.mergedwait import wait_of
from maild.domain.nearlabels import maybe_credentials, redact_near_labels
from maild.domain.owntext import known_before
from maild.domain.pageshown import shown_to
from maild.domain.pending import due_for
from maild.domain.plural import thousands
from maild.domain.policy import business_hours
from maild.domain.records import MessageRecord, Ticket
from maild.domain.sla import LEVELS, passed, ru_count
from maild.domain.tid import shown_subject
from maild.domain.typedlines import TextReads, for_site
from maild.web.forms import MAX_FILES
from maild.web.links import relayed_lines
from maild.web.rating import rater_of_closing, standing_rating

HERE = Path(__file__).resolve().parent
# the state as the customer's status mail words it (statusmail.STATUS_RU), capitalised
STATUS_RU = {k: v[:1].upper() + v[1:] for k, v in statusmail.STATUS_RU.items()}
# What a `?sent=` after a form says (a fixed table: nothing from the URL is echoed).
SENT_RU = {
    "reply": "Ваше сообщение добавлено к обращению. Ответ придёт письмом и появится здесь.",
    "rate": "Спасибо за оценку!",
    "reopen": "Обращение открыто снова. Ответ придёт письмом и появится здесь.",
    "files": "Сообщение добавлено к обращению, но не все файлы приняты: причина указана "
    "у файла в переписке ниже. Ответ придёт письмом и появится здесь.",
    "later": "Сообщение принято и появится здесь через несколько секунд.",
    "merged": "Прежнее обращение объединено с этим, поэтому форма с его страницы не "
    "отправлена и ничего не изменила. Переписка продолжается здесь.",
}


def files_field(policy: AttachmentPolicy) -> dict[str, str]:
    """The file input's label and `accept` by the desk's [attachments] rules
    (attachments.upload_accept): with accept_other_types the input took only pictures
    and archives all the same (a phone's picker offers nothing else, so a PDF the desk
    takes could not be chosen), and no label said how big a file may be (the pipeline
    refused a 15 MB one after its upload)."""
    label = f"Файлы: до {MAX_FILES}, каждый не больше {size_text(policy.max_attachment_bytes)}"
    accept, words = upload_accept(policy)
    return {"label": f"{label} ({words})" if words else label, "accept": accept}


class Pages:
    """The jinja2 environment of the site's templates, read once per process, and
    what its pages showed of texts (`texts`, a ShownTexts)."""

    def __init__(
        self,
        prefix: str,
        support_name: str,
        files: dict[str, str] | None = None,
        hours: str = "по московскому времени",
        business: str | None = None,  # business_hours of the desk's calendar (the footer)
    ) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        files = files or files_field(AttachmentPolicy())
        self.env.globals.update(
            prefix=prefix,
            support_name=support_name,
            files=files,
            business_hours=business or business_hours(DAY_START, DAY_END),
            hours_words=hours,
            # the rating scale (domain.ratingtext): the buttons offered, «4 из 5»
            rating_worst=ratingtext.WORST,
            rating_best=ratingtext.BEST,
        )
        self.env.filters["plural"] = ru_count  # as in mail: "2 дня", "11 дней"
        self.env.filters["thousands"] = thousands  # as in mail
        self.texts = ShownTexts()

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)


# Texts up to CACHED_TEXT characters are cached with what the page shows of them (a
# page loaded again costs nothing); a longer one is computed each time. So the caches
# of ShownTexts hold at most 1024 + 1024 entries of two such texts each: 67 million
# characters if every text were that long, a few MB in practice (most mail is under
# 2,000 characters); keyed by whole texts, they would hold every pasted log shown.
CACHED_TEXT = 16_384
SHOWN_MAX = 1024


def redacted(text: str) -> str:
    """The text as the site shows it: access data blanked (see redact)."""
    return redact_near_labels(text) if maybe_credentials(text) else text


class ShownTexts:
    """What the site's pages showed of texts up to CACHED_TEXT characters: redacted,
    and a customer's mail as its page shows it, for the pages loaded again."""

    def __init__(self) -> None:
        self._redacted = lru_cache(maxsize=SHOWN_MAX)(redacted)
        # (text, digest of the texts before it) -> what the page shows of it
        self._shown: dict[tuple[str, bytes], str] = {}
        self.reads = TextReads()  # the thread's texts as the check of a cut reads them

    def redacted(self, text: str) -> str:
        return self._redacted(text) if len(text) <= CACHED_TEXT else redacted(text)

    def customer_text(self, text: str, known: list[str]) -> str:
        """A customer's mail as the page shows it (owntext, then redacted): what the
        staff notice of a follow-up shows too. Its check of what it cuts reads the
        texts before it (``known``: owntext.known_before), milliseconds in a long
        thread: kept by the text and a digest of those texts, so a page loaded again
        costs what hashing costs (the digest, not the texts: a key holds one mail)."""
        if len(text) > CACHED_TEXT:
            return redacted(for_site(text, known, self.reads))
        key = (text, _digest(known))
        shown = self._shown.get(key)
        if shown is None:
            if len(self._shown) >= SHOWN_MAX:
                self._shown.clear()
            shown = self._shown[key] = self.redacted(for_site(text, known, self.reads))
        return shown

    def text_file(self, text: str) -> bytes:
        """A message's whole text as the site's download gives it: redacted, UTF-8 (a
        lone surrogate of a broken mail becomes "?")."""
        return self.redacted(text).encode("utf-8", "replace")

    def clear(self) -> None:
        """Forget what the pages computed (a cold page: bench/web_page.py)."""
        self._redacted.cache_clear()
        self._shown.clear()


def size_ru(n: int) -> str:
    """A file's size as the mail's texts give it (filetypes.size_text): "62 байта",
    "1,5 МБ" with the Russian decimal comma."""
    return size_text(n)


def _entry(
    app: Any, texts: ShownTexts, n: int, m: MessageRecord, viewer: str, known: list[str]
) -> dict[str, Any]:
    """One message as the page shows it; ``known``: what the customer may have quoted
    (the thread's texts before it, the site link under staff answers)."""
    staff = m["kind"] == "staff"
    who = "Служба поддержки" if staff else ("Вы" if m["from"] == viewer else m["from"])
    who = shown_address(who)
    whole = m.get("text") or ""
    part, cut = mailed_text(whole)
    text = texts.redacted(part) if staff else texts.customer_text(part, known)
    files = [
        {
            "n": i,
            "name": a.get("filename") or "(без имени)",
            "size": size_ru(int(a.get("size") or 0)),
            "accepted": bool(a.get("accepted")) and bool(a.get("sha256")),
            "reason": a.get("reason") or "файл не сохранён",
        }
        for i, a in enumerate(m.get("attachments") or ())
    ]
    when, iso = app.fmt_time(m["received_at"]), machine_time(app, m["received_at"])
    shown_cut = None  # cut: with the whole text's size as the file (UTF-8) has it, about
    if cut is not None:
        shown_cut = {**cut, "size": size_ru(len(whole.encode("utf-8", "replace")))}
    return {
        **{"n": n, "staff": staff, "who": who, "when": when, "iso": iso, "text": text},
        **{"files": files, "cut": shown_cut},
    }


def machine_time(app: Any, when: str) -> str:
    """A time as <time datetime> gives it to machines (a browser's, a reader's): in the
    desk's zone with its offset, "2026-12-01T10:00:00+03:00"; the page's words say
    which zone (zone_words) once, not after each time."""
    return app.local(when).isoformat(timespec="seconds")


def _digest(texts: list[str]) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\0")
    return h.digest()


def shown_at(ticket: Ticket, messages: list[MessageRecord], n: int, viewer: str) -> bool:
    """Whether the page of `ticket` shows `viewer` its message `n` (and so its files
    and whole text): what their mail gave them (pageshown.shown_to)."""
    return 0 <= n < len(messages) and shown_to(ticket, messages, viewer)[n]


def last_shown(ticket: Ticket, messages: list[MessageRecord], viewer: str) -> str | None:
    """The Message-ID of the last message the ticket page shows `viewer` (a customer's
    or a staff answer: never our automatic mail), which a post from the page answers."""
    seen = shown_to(ticket, messages, viewer)
    return next(
        (
            m["message_id"]
            for m, s in zip(reversed(messages), reversed(seen), strict=True)
            if s and m.get("message_id")
        ),
        None,
    )


def ticket_view(
    app: Any, texts: ShownTexts, ticket: Ticket, messages: list[MessageRecord], viewer: str
) -> dict[str, Any]:
    # the viewer's own deadline and level: a customer of a ticket merged in waits by theirs
    wait = wait_of(ticket, viewer)
    level = (LEVELS.get(wait["level"]) if wait else None) or LEVELS.get(ticket["level"])
    due = due_for(ticket, viewer)
    # the lines under a staff answer as the customer got it (the stored answer has none)
    relayed = relayed_lines(getattr(app.config, "web", None))
    return {
        "tid": ticket["tid"],
        "subject": shown_subject(ticket.get("subject")),
        "status": STATUS_RU.get(ticket["status"], ticket["status"]),
        "closed": ticket["status"] == "closed",
        "level": level.name_ru if level else ticket["level"],
        "reaction": level.reaction_ru() if level else "",
        "due": app.fmt_time(due) if due else None,
        # a passed deadline is no promise: the page says the answer is late, as the
        # mail does (status.txt, acknowledgement.txt), by the clock of the page's showing
        "overdue": passed(due, app.now()),
        "zone_words": app.renderer.zone_words,
        "created": app.fmt_time(ticket["created_at"]),
        "created_iso": machine_time(app, ticket["created_at"]),
        "rating": rating_of_closing(ticket, messages),
        # whose: a ticket's closing is rated once, by whichever customer rates it
        # first; «Ваша оценка» to the one who did, the rater named to the others
        "rated_by": _rated_by(ticket, messages, viewer),
        # the rating form: for a closing unrated, or rated by mail that proved nothing
        # of its From, which the viewer's post (the link proves them) replaces
        "rate": standing_rating(ticket, messages) is None,
        # the regulation: the customer may write to the head of support (the page, as
        # the closing letter, says whom); a page of the ticket's link only
        "head": app.config.support.head or None,
        "entries": [
            _entry(app, texts, n, m, viewer, known_before(messages, n, relayed))
            for n, (m, seen) in enumerate(
                zip(messages, shown_to(ticket, messages, viewer), strict=True)
            )
            if seen
        ],
    }


def _rated_by(ticket: Ticket, messages: list[MessageRecord], viewer: str) -> str | None:
    """Who rated this closing, when not the viewer (rating.rater_of_closing); "" when
    the thread does not say, or the mail that gave it proved nothing of its From
    (`rated_unproven`: anyone may have sent it, «Ваша» it need not be); None when the
    viewer did or nobody has."""
    if rating_of_closing(ticket, messages) is None:
        return None
    rater = rater_of_closing(ticket, messages)
    if ticket.get("rated_unproven"):
        return ""
    if rater == viewer:
        return None
    return shown_address(rater) if rater else ""


def download_headers(name: str, fallback: str | None = None) -> dict[str, str]:
    """A download's headers: saved as a file named ``name``, never rendered here.
    filename= is the fallback of old browsers: ASCII only (str.isalnum is also true of
    Cyrillic, which went out as raw UTF-8 in the header)."""
    ascii_name = fallback or "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name
    )
    return {
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name)}",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
