"""Is this mail from a robot or a loop? Then it is stored but never answered.

RFC 3834 and common practice; each rule gives the reason shown to staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from maild.domain.addresses import comparable_address
from maild.domain.message import ParsedMessage
from maild.domain.ndr import null_sender
from maild.domain.replyaddr import is_support_address

ROBOT_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|auto-?reply|daemon|listserv|majordomo"
    r"|microsoftexchange[0-9a-f]{32})([+\-.].*)?$",
    re.IGNORECASE,
)

# Vacation and other auto-replies that set no header still say so in the subject,
# after any reply prefixes: Outlook's "Automatic reply:" in the languages it writes
# ("Автоматический ответ:", "Автоматична відповідь:", "Automatische Antwort:",
# "Risposta automatica:", ...), "Out of Office:". The colon is required: "Автоответ не
# работает" is a customer's question about one. RFC 3834's "Auto:" (3.1.5) only leads
# the subject it answers, a reply's ("Auto: Re: …") or one holding our tag ("Auto:
# Обращение зарегистрировано: … [TID#…]"): "Auto: не заводится двигатель" is a
# customer's about cars, and their reply keeps its "Re:" first ("Re: Auto: …").
_REPLY_PREFIXES = r"(?:(?:re|fwd?|aw|ответ|на)\s*:\s*)"
AUTO_REPLY_SUBJECT = re.compile(
    rf"^(?:auto\s*:(?=\s*{_REPLY_PREFIXES}|.*\[\s*tid\s*#)"
    rf"|{_REPLY_PREFIXES}*"
    r"(?:auto(?:matic)?[\s-]*reply|autoresponse|автоматический\s+ответ|автоответ"
    r"|out\s+of\s+(?:the\s+)?office(?:\s+auto[\s-]*reply|\s+reply)?"
    r"|abwesenheitsnotiz|r[ée]ponse\s+automatique|automatische\s+antwort"
    r"|автоматична\s+відповідь|автовідповідь|аўтаматычны\s+адказ|автоматичен\s+отговор"
    r"|аутоматски\s+одговор|risposta\s+automatica|respuesta\s+autom[aá]tica"
    r"|resposta\s+autom[aá]tica|automatisch\s+antwoord|automatyczna\s+odpowied[zź]"
    r"|automatick[aá]\s+odpov[eě][dď]|automatiskt?\s+svar|automaattinen\s+vastaus"
    r"|otomatik\s+yan[ıi]t|automatikus\s+v[aá]lasz|r[ăa]spuns\s+automat)\s*:)",
    re.IGNORECASE,
)


# what parts the words of an X-Loop value ("support@x.ru", "Name <support@x.ru>");
# a split, linear in the value's length, as a search for addresses would not be
_LOOP_WORDS = re.compile(r"[\s<>()\[\],;:\"]+")


def own_loop(value: str, support_address: str) -> bool:
    """Whether an X-Loop value names the support address: maild's own mail come back.
    maild writes it with the domain in A-labels (support@xn--80ahaefyxhn.xn--p1ai), a
    desk's older mail or an EAI system in Unicode (support@поддержка.рф): either
    spelling of the domain, in any case, is the one address (comparable_address)."""
    return _names(value, support_address)


@dataclass(frozen=True)
class Screening:
    """What the message is: ``automated`` (a robot's: no automatic answer, and no
    person is waiting on it) or a person's; ``quiet``: a person's that asks for no
    automatic answer (X-Auto-Response-Suppress); ``reason`` says which sign;
    ``bounce``: a report about a mail (it belongs where that mail did), and
    ``receipt``: the report only says the mail was read (nothing for staff to do);
    ``form``: a robot's address (noreply@) is its only sign, and its Reply-To names
    someone else: a site's form relaying a visitor's request (sla.unattended)."""

    automated: bool
    reason: str | None = None
    bounce: bool = False
    quiet: bool = False
    receipt: bool = False
    form: bool = False

    @property
    def may_answer(self) -> bool:
        """maild may answer it automatically (a confirmation, an acknowledgement)."""
        return automatic(self) is None and not self.quiet


HUMAN = Screening(False)


def automatic(scr: Screening) -> str | None:
    """Why no automatic mail goes to the sender of this mail (RFC 3834): its automatic
    sign (a list's, a robot's, an out-of-office, a robot's address, a loop's), or None:
    a person's mail. The one rule of both: the mail itself gets no confirmation or
    acknowledgement (may_answer), and its address gets none of the notices of staff's
    commands on the ticket it opens either (automatic.notices_held), until that address
    writes as a person or staff say one is there (#human). A person's mail that only asks for no
    automatic answer (``quiet``, X-Auto-Response-Suppress) is answered by no
    confirmation, but its writer hears of staff's work: None."""
    if not scr.automated:
        return None
    return scr.reason or "автоматическое письмо"


def screen(msg: ParsedMessage, support_address: str) -> Screening:
    """Decide whether maild may answer this message automatically."""
    support = support_address.lower()
    if msg.receipt:
        return Screening(True, "уведомление о прочтении", bounce=True, receipt=True)
    if msg.delivery_status is not None or msg.content_type == "multipart/report":
        return Screening(True, "отчёт о доставке (bounce)", bounce=True)
    if not msg.from_addr:
        return Screening(True, "нет адреса отправителя")
    if is_support_address(msg.from_addr, support):
        return Screening(True, "письмо с адреса самой службы поддержки (петля)")
    return automatic_signs(msg, support)


def automatic_signs(msg: ParsedMessage, support_address: str) -> Screening:
    """What the mail's own signs say, its From aside: a loop's header, a robot's
    (Auto-Submitted, Precedence, X-Autoreply and the vendors' like it, an auto-reply
    subject, a list's, a robot's address, an empty Return-Path) or a person's, who may
    ask for no automatic answer (quiet_signs). screen() asks it after the From;
    decide_alias asks it alone for mail whose From is the support address (a staff
    member's client sending "as" support: by hand unless a sign here says otherwise)."""
    support = support_address.lower()
    local = msg.from_addr.split("@", 1)[0]
    if any(own_loop(value, support) for value in msg.headers.get("x-loop", ())):
        return Screening(True, "заголовок X-Loop службы поддержки (петля)")
    if msg.headers.get("x-maild-loop"):
        return Screening(True, "заголовок X-Maild-Loop (петля)")
    auto = (msg.header("auto-submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return Screening(True, f"Auto-Submitted: {auto}")
    for h in ("precedence", "x-precedence"):
        prec = (msg.header(h) or "").strip().lower()
        if prec in ("bulk", "junk", "list", "auto_reply"):
            return Screening(True, f"{_title(h)}: {prec}")
    if vendor := vendor_sign(msg):
        return Screening(True, vendor)
    auto_subject = AUTO_REPLY_SUBJECT.match(msg.subject)
    if auto_subject:
        return Screening(True, f"тема автоответа «{auto_subject.group(0)}»")
    if msg.header("list-id") or msg.header("list-unsubscribe"):
        return Screening(True, "письмо из рассылки (List-Id)")
    if ROBOT_LOCALPARTS.match(local):
        form = bool(msg.reply_to) and msg.reply_to != msg.from_addr
        return Screening(True, f"служебный адрес отправителя {msg.from_addr}", form=form)
    if null_sender(msg.header("return-path")):
        return Screening(True, "пустой Return-Path (служебное письмо)")
    return quiet_signs(msg)


# Vendors' auto-reply headers (the multi_mail wiki's "Detecting autoresponders",
# osTicket's, ProtonMail's and FreeScout's detectors): any value but a "no" says so.
AUTO_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-autoresponder",
    "x-vacation",
)
_NO = ("", "no", "false", "0")
# CommuniGate Pro's rules: "Reply" and "Letter" are the server's own text (an
# out-of-office); "Forward", "Redirect", "Mirror", "Group" carry a person's mail on
# (quiet_signs)
_CGP_OWN = ("reply", "letter")


def vendor_sign(msg: ParsedMessage) -> str | None:
    """Which vendor's header says the mail is an auto-reply, or None: X-Autoreply and
    its kin (AUTO_HEADERS), CommuniGate Pro's `X-Autogenerated: Reply`, qmail's
    `Delivered-To: Autoresponder`, `X-POST-MessageClass: 9; Autoresponder`,
    `X-FC-MachineGenerated: true`; another desk's loop header on its automatic mail
    (OTRS/Znuny/KIX `X-OTRS-Loop`, `X-Loop: yes` of OTRS and Zammad), and an X-Loop
    naming the sender's own address (procmail's vacation recipe, `formail -r -A
    "X-Loop: me@host"`)."""
    for h in AUTO_HEADERS:
        value = msg.header(h)
        if value is not None and value.strip().lower() not in _NO[1:]:
            return h if h in ("x-autoreply", "x-autorespond") else _title(h)
    gen = (msg.header("x-autogenerated") or "").strip().lower()
    if gen in _CGP_OWN:
        return f"X-Autogenerated: {gen}"
    if any(v.strip().lower() == "autoresponder" for v in msg.headers.get("delivered-to", ())):
        return "Delivered-To: Autoresponder"
    post = (msg.header("x-post-messageclass") or "").strip().lower()
    if post.startswith("9") or "autoresponder" in post:
        return f"X-POST-MessageClass: {post}"
    if (msg.header("x-fc-machinegenerated") or "").strip().lower() == "true":
        return "X-FC-MachineGenerated: true"
    otrs = (msg.header("x-otrs-loop") or "").strip().lower()
    if otrs not in _NO:
        return f"X-OTRS-Loop: {otrs} (автоответ другой системы заявок)"
    for value in msg.headers.get("x-loop", ()):
        word = value.strip().lower()
        if word in ("yes", "true", "1") or (_names(value, msg.from_addr) and not _desk_answer(msg)):
            return f"X-Loop: {value.strip()} (автоответ)"
    return None


def _desk_answer(msg: ParsedMessage) -> bool:
    """A staff member's answer relayed by another maild desk: its X-Loop names its
    From, the desk's support address, as procmail's vacation recipe does, but it
    carries X-Maild-TID and no Auto-Submitted (render.Renderer.message): a person's."""
    return bool(msg.header("x-maild-tid")) and msg.header("auto-submitted") is None


def _names(value: str, address: str) -> bool:
    """Whether a header value names ``address`` as one of its words (not within a
    longer address: ivan@x.ru is not in ivan.petrov@x.ru)."""
    own = comparable_address(address) if address else ""
    return bool(own) and any(
        comparable_address(w) == own for w in _LOOP_WORDS.split(value) if "@" in w
    )


def _title(header: str) -> str:
    """A header's name as mail writes it: X-Autoreply-From."""
    return "-".join(w.upper() if w == "x" else w.capitalize() for w in header.split("-"))


def quiet_signs(msg: ParsedMessage) -> Screening:
    """A person's mail that asks for no automatic answer (``quiet``), or HUMAN. Exchange
    sets X-Auto-Response-Suppress on people's mail too (sent to a distribution list, by
    some transport rules). Other desks' loop headers they stamp on all they send, their
    people's answers too: RT's X-RT-Loop-Prevention and RT-Ticket (its autoreply says so
    by its Precedence: bulk and its "[rtname #N]" tag: robots.py); an X-Loop naming
    another address (a list's, a procmail forward's on the customer's side), which
    OTRS/KIX take for a loop; a CommuniGate rule's forward of someone's mail. Each is
    answered by no automatic mail, and a person wrote it and waits for staff (an
    out-of-office says so by the signs of automatic_signs)."""
    suppress = (msg.header("x-auto-response-suppress") or "").lower()
    if any(w in suppress for w in ("all", "oof", "autoreply")):
        return Screening(False, f"X-Auto-Response-Suppress: {suppress}", quiet=True)
    for h in ("x-rt-loop-prevention", "rt-ticket", "x-loop", "x-autogenerated"):
        value = (msg.header(h) or "").strip()
        if value:
            return Screening(False, f"{_title(h)}: {value}", quiet=True)
    return HUMAN
