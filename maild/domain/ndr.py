"""Reports in no standard form: a bounce with no message/delivery-status part
(Exchange's and Office 365's «Undeliverable:», Domino's «DELIVERY FAILURE», Yandex's
plain-text «Недоставленное сообщение») and a read receipt that is only a template
letter (The Bat!'s, Outlook's «Прочитано:» with no message/disposition-notification).

Each is only a candidate (Unproven) until the mail it names is proven maild's own
(message.proven_report: its Message-ID signed, app.tid_we_sent), and then read as the
report it is: a bounce as an RFC 3464 report of that mail, a receipt as an MDN. So a
bounce needs its own signs as well (a mailer's From, an empty Return-Path or a
bounce's subject), a receipt a receipt's subject and a text that only says the mail
was read: a customer forwarding our answer with a question, or answering «Re: …
Прочитал, но не помогло», stays a follow-up.

Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from maild.domain.partread import content_type, header_of, parts_of, text_of
from maild.domain.reports import REPORT_ORIGINALS, original_of
from maild.domain.textbounce import status_of
from maild.domain.tid import message_ids, normalize_msgid

__all__ = ["Unproven", "bounce", "from_mail_server", "receipt"]

# A mail server's own sender (Exchange's reports come from MicrosoftExchange<32 hex>@)
_MAILER = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|microsoftexchange[0-9a-f]{32})@", re.I
)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliverable|undelivered|delivery failure|delivery status notification"
    r"|mail delivery failed|mail delivery failure|failure notice|returned mail"
    r"|недоставленное сообщение|сообщение не доставлено|не доставлено)\b",
    re.IGNORECASE,
)
# A bounce's subject that says the mail failed for good (a «Delivery Status
# Notification» may be a delay's)
_FINAL_SUBJECT = re.compile(
    r"^\s*(?:undeliverable|undelivered|delivery failure|mail delivery fail|failure notice"
    r"|returned mail|недоставленное сообщение|сообщение не доставлено|не доставлено)",
    re.IGNORECASE,
)
# Its words that say so, and a warning's: the mail is delayed, it may yet arrive
_FINAL = re.compile(
    r"delivery has failed|could(?:n't| not) be delivered|was not delivered|delivery failed"
    r"|failed permanently|permanent (?:error|failure)|(?:gave|given) up"
    r"|не (?:было |будет )?доставлено|не удалось доставить",
    re.IGNORECASE,
)
_WARNING = re.compile(
    r"warning message only|this is a warning|(?:has been|is|been) delayed|delivery delayed"
    r"|not yet been delivered|will (?:continue to )?(?:retry|try)|задерж|ещё не доставлено"
    r"|предупреждение",
    re.IGNORECASE,
)
# The phrase before the failed (or delayed) recipients, each on a line under it or after it
_FAILED_TO = re.compile(
    r"(?:delivery has failed to these recipients(?: or groups)?|was not delivered to"
    r"|could not be delivered to|delivery to the following recipients? failed(?: permanently)?"
    r"|delivery (?:to the following recipients? (?:has been |is )?|is )delayed"
    r"(?: to these recipients(?: or groups)?)?"
    r"|не (?:было )?доставлено (?:по адресу|адресату|получателю|получателям)"
    r"|не удалось доставить (?:по адресу|адресату|получателю))[ \t]*:?",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# No enhanced code, but said in words that the mailbox is not there
_NO_MAILBOX = re.compile(
    r"not listed in (?:the )?(?:domino )?directory|user unknown|unknown user|no such user"
    r"|couldn't be found|does not exist|не существует|нет такого",
    re.IGNORECASE,
)
_COPY_HEADER = re.compile(r"^(message-id|to):[ \t]*(.*(?:\n[ \t].*)*)", re.I | re.M)

READ_SUBJECT = re.compile(
    r"^\s*(?:прочитано|прочтено|read|lu|gelesen|leído|letto|lido|gelezen|přečteno"
    r"|odczytano|przeczytano)\s*:",
    re.IGNORECASE,
)
_READ_SAID = re.compile(
    r"был[оа]? (?:прочитано|прочитан[оа]?|прочтено)|(?:was|has been) read|a été lu"
    r"|wurde .{0,60}gelesen|fue leído|è stato letto",
    re.IGNORECASE,
)
# The lines of a receipt's template besides the one saying it was read
_TEMPLATE_LINE = re.compile(
    r"^(?:(?:кому|тема|отправлено|дата|от|to|subject|sent|date|from|à|objet|envoyé|an"
    r"|betreff|gesendet|para|asunto|enviado)[ \t]*:.*"
    r"|(?:ваше (?:сообщение|письмо)|your message|votre message|ihre nachricht|su mensaje)"
    r"[\s:,.]*)$",
    re.IGNORECASE,
)
_RECEIPT_MAX = 2000  # a template's length; a longer text says more than that
# The line saying it was read holds besides the phrase only the template's lead («Ваше
# письмо для x@y.ru с темой «Q»») before it and a date after it («в понедельник, 7
# декабря 2026 г. 10:05 (UTC+03:00) Москва»): «Ваше сообщение было прочитано, но
# ничего не помогло» is a person's. A date's words: its months and weekdays (by their
# first three letters: Russian, English, French, German, Spanish, Italian, Portuguese)
# and the short words between them; a time zone's name is anything after its «(UTC».
_LEAD = re.compile(
    r"(?:ваше (?:сообщение|письмо)|your message|votre message|ihre nachricht"
    r"|su mensaje|il suo messaggio|sua mensagem)\b",
    re.IGNORECASE,
)
_QUOTED_OR_ADDRESS = re.compile(r"«[^»]*»|\"[^\"]*\"|<[^>]*>|[\w.+'-]+@[\w.-]+")
_LEAD_WORDS = 4  # «для … с темой …», «to … with subject …»
_ZONE = re.compile(r"\((?:utc|gmt|msk|мск)", re.IGNORECASE)
_DATE_WORD = re.compile(
    r"(?:янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек|пон|вто|сре|чет|пят|суб|вос"
    r"|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
    r"|fév|avr|jui|aoû|déc|lun|mer|jeu|ven|sam|dim|mär|okt|dez|die|mit|don|fre|son"
    r"|ene|abr|ago|dic|mié|jue|vie|sáb|gen|mag|giu|lug|set|ott|gio|sab|fev|out|seg|ter"
    r"|qua|qui|sex)\w*|в|г|года|on|at|am|pm|um|le|à|a|de|del|el|il|o|às|den|uhr|h",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unproven:
    """A report in no standard form: the Message-IDs of the mail it may be about (the
    returned copy's first), and what it says as delivery-status fields."""

    ids: tuple[str, ...]
    status: str
    receipt: bool = False


def null_sender(return_path: str | None) -> bool:
    """Whether a Return-Path names the null sender (a report, an auto-reply): `<>`, or
    `<MAILER-DAEMON>`, which postfix's pipe(8) writes for it without `null_sender=`
    (an install from README's older master.cf line): no address of a person."""
    return (return_path or "").strip().lower() in ("<>", "<mailer-daemon>")


def from_mail_server(from_addr: str, return_path: str | None) -> bool:
    """Whether a mail comes from a mail server, not a person: its sender's address
    (MAILER-DAEMON, postmaster, Exchange's) or its Return-Path of the null sender."""
    return bool(_MAILER.match(from_addr)) or null_sender(return_path)


def bounce(tree: Message, text: str, headers: dict[str, str]) -> Unproven | None:
    """A bounce with no delivery-status part; ``headers``: the mail's from (address),
    subject, return-path, in-reply-to and references. None: no bounce's sign, or no
    mail named."""
    subject = bool(BOUNCE_SUBJECT.match(headers.get("subject", "")))
    mailer = bool(_MAILER.match(headers.get("from", "")))
    if not (subject or mailer or null_sender(headers.get("return-path"))):
        return None
    copy = _attached(tree)
    said = _said(tree) if copy is not None else text
    if copy is None:  # the copy's header block in the text (Yandex's): said is before it
        found = list(_COPY_HEADER.finditer(text))
        copy = {m.group(1).lower(): m.group(2) for m in reversed(found)}
        said = _before(text, found[0].start()) if found else text
    ids = [normalize_msgid(copy["message-id"])] if copy.get("message-id") else []
    if subject:  # a bounce's subject: the mail it answers may be the one named (Domino)
        ids += _answered(headers)
    final = _final(headers.get("subject", ""), said)
    failed = _failed(said)
    if not failed and final is not False:  # said failed, or by its code alone
        # its first address, in a line's length: a run of letters with no "@" costs
        # _ADDRESS the square of its length (bench/FINDINGS.md 70)
        failed = _ADDRESS.findall(copy.get("to", "")[:998])[:1]
    named = [i for i in dict.fromkeys(ids) if i]
    if not named or not failed:
        return None
    return Unproven(tuple(named), _fields(failed, said, final))


def _answered(headers: dict[str, str]) -> list[str]:
    """The Message-IDs a mail answers: In-Reply-To's, then References' newest first."""
    return [
        *message_ids(headers.get("in-reply-to", "")),
        *reversed(message_ids(headers.get("references", ""))),
    ]


def _before(text: str, start: int) -> str:
    """The text up to the paragraph at `start` (a returned copy's header block)."""
    cut = text.rfind("\n\n", 0, start)
    return text[: cut if cut > 0 else start]


def _final(subject: str, said: str) -> bool | None:
    """Whether a bounce says the mail failed for good (True: its subject or words say
    so), is only delayed (False: a warning) or says neither (None: its code tells)."""
    if _FINAL_SUBJECT.match(subject):
        return True
    if _WARNING.search(subject) or _WARNING.search(said):
        return False
    return True if _FINAL.search(said) else None


def _attached(tree: Message) -> dict[str, str] | None:
    """The Message-ID and To of the first original attached, if any."""
    for part in tree.walk():
        if content_type(part) in REPORT_ORIGINALS:
            inner = original_of(part)
            if inner is not None:
                return {name: header_of(inner, name) for name in ("message-id", "to")}
    return None


def _said(tree: Message) -> str:
    """The bounce's own words: its first text/plain part outside the original."""
    for part in parts_of(tree) or [tree]:
        if content_type(part) == "text/plain":
            return text_of(part)
    return ""


def _failed(said: str) -> list[str]:
    """The recipients the text clearly names as failed: on the lines after the phrase
    up to a line without an address (or after it on its own line)."""
    found = _FAILED_TO.search(said)
    if found is None:
        return []
    addresses: list[str] = []
    for line in said[found.end() : found.end() + 1000].splitlines():
        on_line = _ADDRESS.findall(line)
        if not on_line and addresses:
            break
        addresses += on_line
    return list(dict.fromkeys(a.lower() for a in addresses))[:10]


def _fields(failed: list[str], said: str, final: bool | None) -> str:
    """The failed recipients as an RFC 3464 report's fields, one block each, with the
    code the bounce's words give near each (`_near`). A bounce that says the mail failed
    for good reports a failure whatever the code (Exchange's final «550 4.4.7
    QUEUE.Expired»), a warning a delay, one that says neither by its code's class."""
    diagnostic = " ".join(said.split())[:500]
    blocks = []
    for address in failed:
        near = _near(said, address, failed)
        default = "4.0.0" if final is False else "5.1.1" if _NO_MAILBOX.search(near) else "5.0.0"
        status = status_of(near) or default
        failure = status.startswith("5") if final is None else final
        blocks.append(
            f"Final-Recipient: rfc822; {address}\nAction: {'failed' if failure else 'delayed'}\n"
            f"Status: {status}\nDiagnostic-Code: smtp; {diagnostic}"
        )
    return "\n\n".join(blocks)


def _near(said: str, address: str, failed: list[str]) -> str:
    """The bounce's words about `address`: after each place it is named, up to the next
    place another failed recipient is; all of them when it is not named."""
    lowered = said.lower()
    starts = sorted(
        (m.start(), m.end(), a) for a in failed for m in re.finditer(re.escape(a), lowered)
    )
    if not any(a == address for _s, _e, a in starts):
        return said
    ends = [s for s, _e, _a in starts[1:]] + [len(said)]
    return "\n".join(
        said[e:end] for (_s, e, a), end in zip(starts, ends, strict=True) if a == address
    )


def receipt(text: str, headers: dict[str, str]) -> Unproven | None:
    """A read receipt written as a letter: a receipt's subject, and a short text each of
    whose lines is the template's («Ваше сообщение», «Кому: …», «Тема: …», «было
    прочитано …»). None for anything else."""
    if not READ_SUBJECT.match(headers.get("subject", "")) or len(text) > _RECEIPT_MAX:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not any(_READ_SAID.search(line) for line in lines):
        return None
    if not all(_says_read(line) or _TEMPLATE_LINE.match(line) for line in lines):
        return None
    ids = list(dict.fromkeys(i for i in _answered(headers) if i))
    if not ids:
        return None
    return Unproven(tuple(ids), "", receipt=True)


def _says_read(line: str) -> bool:
    """Whether a line is the template's saying the mail was read: the phrase, the
    template's lead before it, a date after it, and nothing else."""
    said = _READ_SAID.search(line)
    if said is None:
        return False
    head = _QUOTED_OR_ADDRESS.sub(" ", line[: said.start()])
    lead = _LEAD.match(head)
    if head.strip() and (lead is None or len(re.findall(r"\w+", head[lead.end() :])) > _LEAD_WORDS):
        return False
    tail = line[said.end() :]
    if zone := _ZONE.search(tail):
        tail = tail[: zone.start()]
    return all(_DATE_WORD.fullmatch(word) for word in re.findall(r"[^\W\d_]+", tail))
