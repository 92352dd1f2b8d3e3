"""Outgoing mail: a jinja2 template (Russian text) becomes a Mail (its wire form
written by maild/mime.py).

A template's first line is "Subject: ..."; the TID tag is appended to every
subject here, so no template can forget it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.utils import format_datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from maild import renderfilters, sandbox, templatefile
from maild.configtypes import SupportConfig
from maild.domain import ratingtext
from maild.domain.addresses import a_labelled
from maild.domain.calendar import BusinessCalendar
from maild.domain.commands import cheat_sheet
from maild.domain.filerules import mail_words
from maild.domain.mailnames import TO_CUSTOMERS
from maild.domain.ownsubjects import own_subjects, prefix_of, words_of
from maild.domain.policy import business_hours, hours_words, zone_label, zone_words
from maild.domain.tid import NO_TICKET, others_untagged, tag
from maild.mime import address_field, header_line, mailbox_field, multipart, text_part
from maild.overrides import Fallback, answer_text, checked, made

TEMPLATES = Path(__file__).resolve().parent / "templates"
NotFound = jinja2.TemplateNotFound  # an OSError: the text names a file there is not


def template_loader(dirs: list[Path]) -> jinja2.FileSystemLoader:
    """Templates looked up in `dirs` in turn (`[templates] path`, then the shipped),
    read with bounds (templatefile.Loader: no FIFO, /dev/zero or huge file)."""
    # utf-8-sig: an override saved by Notepad starts with a BOM, still UTF-8
    return templatefile.Loader([str(d) for d in dirs], encoding="utf-8-sig")


def _environment(dirs: list[Path], compiled: jinja2.BytecodeCache | None) -> jinja2.Environment:
    return renderfilters.environment(
        loader=template_loader(dirs),
        auto_reload=False,  # read once per process (a restart applies edits)
        bytecode_cache=compiled,  # templates compiled by an earlier process
    )


def desk_context(name: str, address: str) -> dict[str, Any]:
    """What every template gets of the desk, a saved answer too: its name and address,
    the file rule in words (domain/filerules.py: «JPG, GIF или PNG; BMP в архиве ZIP
    или RAR»). (domain/answers.GIVEN lists these with a ticket's names; a test holds it
    to this.)"""
    return {"support_name": name, "support_address": address, "file_rules": mail_words()}


class Renderer:
    def __init__(
        self,
        support: SupportConfig,
        templates: Path = TEMPLATES,
        override: Path | None = None,
        compiled: jinja2.BytecodeCache | None = None,
        run: Path | None = None,
        keep: dict[str, int | None] | None = None,
        calendar: BusinessCalendar | None = None,
    ) -> None:
        self.support = support
        # how long the quarantine and closed tickets are kept, in days (spam.keep_days,
        # storage.keep_closed_days): staff are told the number, not the config key
        self.keep = {"spam_keep_days": 30, "closed_keep_days": None, **(keep or {})}
        # `[templates] path` first, file by file: local edits survive an upgrade
        self.dirs = [d for d in (override, templates) if d is not None]
        self.fallback = None
        if not override:
            self.env = _environment(self.dirs, compiled)
        else:  # the admin's files: in the sandbox, with their own cache (sandbox.py)
            loader, apart = template_loader(self.dirs), sandbox.apart(compiled)
            self.env = sandbox.sandbox(loader=loader, auto_reload=False, bytecode_cache=apart)
            # an override that fails gives way to the shipped template (overrides.py);
            # `run`: where `maild status` reads that (the storage's run/ folder)
            self.fallback = Fallback(override, _environment([templates], compiled), run)
        # support's address as its mail names it (From, the envelope, X-Loop): a domain
        # in A-labels (addresses.a_labelled), plain ASCII over any relay
        self._own = a_labelled(support.address)
        # as text, for the outbox's record (`outbox list`): the name readable, not encoded
        self._from = str(Address(display_name=support.name, addr_spec=self._own))
        self._from_line = mailbox_field("From", [(support.name, support.address)])
        self.zone, self.zone_words = zone_label(support.timezone), zone_words(support.timezone)
        self.hours_words = hours_words(support.timezone)
        # the hours deadlines count (App.calendar's), as texts state them: «с 9:00 до 18:00»
        calendar = calendar or BusinessCalendar(support.timezone)
        self.business_hours = business_hours(calendar.day_start, calendar.day_end)
        # the commands' cheat sheet every staff mail ends with, and its usage column's
        # width: the same for every mail, made once (not twice a message)
        self.commands = cheat_sheet()
        self.commands_width = max(len(usage) for usage, _help in self.commands)

    def own_subjects(self) -> re.Pattern[str] | None:
        """maild's own subject prefixes in mail to customers (domain.ownsubjects), read
        from the Subject lines of their templates: your files' and the shipped ones'
        (mail sent before an edit is answered too). A file that cannot be read gives
        none: the mail made from it is the shipped template's (overrides.py)."""
        lines = [line for name in TO_CUSTOMERS for line in self._subject_lines(name)]
        return own_subjects(p for p in map(prefix_of, lines) if p is not None)

    def _subject_lines(self, name: str) -> list[str]:
        """The first line of template `name` in each folder that has it: your file's
        first, then the shipped one's."""
        lines = []
        for folder in self.dirs:
            try:  # bounded: a FIFO or a link to /dev/zero is no template (templatefile)
                first, nl, _ = templatefile.read(folder / name).partition(b"\n")
                lines.append((first + nl).decode("utf-8-sig"))
            except (OSError, ValueError):  # (UnicodeDecodeError and NotText are ValueErrors)
                continue
        return lines

    def subject_words(self, name: str | None) -> str | None:
        """The words of the subject of mail made from `name` before the customer's
        (domain.ownsubjects.words_of: «Обращение зарегистрировано»), read from the
        template it is made from (your file, else the shipped one): what the site and
        staff notes call that mail is what the customer gets, with no copy to keep."""
        lines = self._subject_lines(name) if name else []
        return words_of(lines[0]) if lines else None

    def desk_context(self, *, answer: bool = False) -> dict[str, Any]:
        """The variables every template gets besides its own, the one place they are
        built: the desk's name and address and the file rule (desk_context: all a saved
        answer gets, `answer`), and for mail the time zone and business hours, the
        commands' cheat sheet, the saved answers' names and the rating scale."""
        ctx = desk_context(self.support.name, self.support.address)
        if not answer:
            ctx |= {
                "zone": self.zone,  # the desk's time zone, after each time: (МСК)
                "zone_words": self.zone_words,  # for customers: (время московское)
                "business_hours": self.business_hours,  # с 9:00 до 18:00
                "hours_words": self.hours_words,  # по московскому времени
                "command_help": self.commands,
                "command_width": self.commands_width,
                "answer_names": self.answer_names,
                # the rating scale (domain.ratingtext): «4 из 5», «от 1 до 5»
                "rating_worst": ratingtext.WORST,
                "rating_best": ratingtext.BEST,
                "rating_fair": ratingtext.FAIR,
                **self.keep,
            }
        return ctx

    def text(self, template: str, context: dict[str, Any]) -> tuple[str, str]:
        """(subject, body) of a template."""
        ctx = self.desk_context()
        ctx.update(context)
        out = self._output(template, ctx)
        first, _, body = out.partition("\n")
        subject = " ".join(first[len("Subject:") :].split())
        return subject, _squeeze(body.lstrip("\n"))

    def _output(self, name: str, ctx: dict[str, Any]) -> str:
        """The template's text. Whatever an admin's override fails with once read (in the
        sandbox, OSError too) makes this mail from the shipped template, lest one file
        stop the desk (overrides.py); the file unreadable pauses, as the shipped do."""
        if not self.fallback:
            return checked(self.env, self.dirs, name, ctx)
        if not self.fallback.touches(name):  # no file of the admin's in it: as without
            return checked(self.fallback.env, self.dirs[1:], name, ctx)
        template = None
        try:
            template = self.env.get_template(name)
            return made(self.env, name, ctx, template, sandbox.rendered)
        except Exception as e:
            if template is None and isinstance(e, OSError) and not isinstance(e, NotFound):
                raise  # the file unreadable: the disk's fault, not the text's
            out = checked(self.fallback.env, self.dirs[1:], name, ctx)  # maild's own
            self.fallback.failed(name, e)
            return out

    @cached_property
    def answer_names(self) -> tuple[str, ...]:
        """Saved answers (answers/NAME.txt) in the override and shipped directories,
        listed once, when first asked for (a file added later needs a restart)."""
        names = {p.stem for d in self.dirs for p in (d / "answers").glob("*.txt")}
        return tuple(sorted(names))

    def answer(self, name: str, context: dict[str, Any]) -> str:
        """One saved answer rendered for a ticket (no Subject line: it goes into a reply);
        an admin's that fails: the shipped one, or AnswerFailed (overrides.answer_text)."""
        ctx = self.desk_context(answer=True)
        ctx.update(context)
        return answer_text(self.env, self.fallback, self.dirs, name, ctx)

    def message(
        self,
        *,
        subject: str,
        body: str,
        to: list[str],
        tid: str | None,
        message_id: str,
        now: datetime,
        in_reply_to: str | None = None,
        references: list[str] | None = None,
        auto: bool = True,
        replied: bool = False,
        reply_to: str | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
        content: bytes | None = None,
        tagged: str | None = None,
    ) -> Mail:
        """A UTF-8 message, written out by hand (see mime.header_line). `content`: the body
        and files as `content()` gave them, for copies of one mail that differ only in
        their headers (else made from `body` and `attachments`). The subject carries the
        tag of `tagged` (Outgoing.subject_tid), else of `tid`, the ticket it is about
        (none of tid.NO_TICKET: the answer to a reply to the SLA report names no ticket).
        `auto`: automatic mail (not a staff member's answer relayed), `replied`: one
        that answers a mail (auto_submitted)."""
        tagged = tagged or tid
        if tagged and tagged != NO_TICKET:
            subject = others_untagged(subject, tagged)  # one ticket's tag: its own
            if tag(tagged).lower() not in subject.lower():
                subject = f"{subject} {tag(tagged)}"
        headers = {
            "From": self._from,
            "To": ", ".join(to),
            "Subject": subject,
            "Date": format_datetime(now),
            "Message-ID": message_id,
        }
        if in_reply_to:
            headers["In-Reply-To"] = in_reply_to
        refs = [r for r in (references or []) if r]
        if refs:
            headers["References"] = " ".join(dict.fromkeys(refs))
        if reply_to:
            headers["Reply-To"] = reply_to
        if auto:
            headers["Auto-Submitted"] = auto_submitted(replied)
            headers["X-Auto-Response-Suppress"] = "All"
        headers["X-Loop"] = self._own  # screen.own_loop knows it in either spelling
        if tid:
            headers["X-Maild-TID"] = tid
        lines = [self._from_line, address_field("To", to)]
        lines += [header_line(k, v) for k, v in headers.items() if k not in ("From", "To")]
        lines.append(b"MIME-Version: 1.0\r\n")
        if content is None:
            content = self.content(body, attachments, message_id)
        return Mail(headers, b"".join([*lines, content]))

    @staticmethod
    def content(body: str, attachments: Sequence[tuple[str, str, bytes]], message_id: str) -> bytes:
        """A mail's content, from its Content-Type header on: the text part, or a
        multipart/mixed of the text and the files (its boundary made from `message_id`)."""
        if not attachments:
            return text_part(body)
        return multipart(message_id, body, attachments)


def auto_submitted(replied: bool) -> str:
    """The Auto-Submitted of automatic mail (RFC 3834, 5): "auto-replied" for mail sent
    because a mail came (a confirmation, a notice of it, an error answering a staff
    reply), "auto-generated" for mail that answers none (the morning queue, the SLA
    report, a reminder, an escalation, an alert, a link asked for on the site). Either
    tells other systems not to answer (screen.automatic_signs reads any but "no"); maild
    knows its own mail by X-Loop."""
    return "auto-replied" if replied else "auto-generated"


@dataclass(frozen=True)
class Mail:
    """An outgoing message: its headers as text, and its wire form (CRLF line ends)."""

    headers: dict[str, str]
    raw: bytes

    def __getitem__(self, name: str) -> str | None:
        return self.headers.get(name)


def _squeeze(text: str) -> str:
    """At most one blank line in a row: conditional blocks leave gaps. (Line by line:
    a customer's text in mail is at most longtext.MAX_MAILED_TEXT characters.)"""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip("\n") + "\n"
