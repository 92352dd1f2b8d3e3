"""Is this mail from a robot or a loop? Then it is stored but never answered.

RFC 3834 and common practice; each rule gives the reason shown to staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from maild.domain.addresses import comparable_address
from maild.domain.message import ParsedMessage
from maild.domain.replyaddr import is_support_address

ROBOT_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|auto-?reply|daemon|listserv|majordomo)([+\-.].*)?$",
    re.IGNORECASE,
)

# Vacation and other auto-replies that set no header still say so in the subject:
# "Auto:" (RFC 3834 3.1.5), Outlook's "Automatic reply:" / "Автоматический ответ:",
# "Out of Office:", after any reply prefixes. The colon is required: "Автоответ не
# работает" is a customer's question about one.
AUTO_REPLY_SUBJECT = re.compile(
    r"^(?:(?:re|fwd?|aw|ответ|на)\s*:\s*)*"
    r"(?:auto(?:matic)?[\s-]*reply|auto|autoresponse|автоматический\s+ответ|автоответ"
    r"|out\s+of\s+(?:the\s+)?office(?:\s+auto[\s-]*reply|\s+reply)?"
    r"|abwesenheitsnotiz|réponse\s+automatique)\s*:",
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
    if support_address.lower() in value.lower():
        return True
    own = comparable_address(support_address)
    words = _LOOP_WORDS.split(value)
    return any(comparable_address(w) == own for w in words if "@" in w)


@dataclass(frozen=True)
class Screening:
    """What the message is: ``automated`` (a robot's: no automatic answer, and no
    person is waiting on it) or a person's; ``quiet``: a person's that asks for no
    automatic answer (X-Auto-Response-Suppress); ``reason`` says which sign;
    ``bounce``: a report about a mail (it belongs where that mail did), and
    ``receipt``: the report only says the mail was read (nothing for staff to do)."""

    automated: bool
    reason: str | None = None
    bounce: bool = False
    quiet: bool = False
    receipt: bool = False

    @property
    def may_answer(self) -> bool:
        """maild may answer it automatically (a confirmation, an acknowledgement)."""
        return not self.automated and not self.quiet


HUMAN = Screening(False)


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
    (Auto-Submitted, Precedence, X-Autoreply, an auto-reply subject, a list's, a
    robot's address, an empty Return-Path) or a person's. screen() asks it after the
    From; decide_alias asks it alone for mail whose From is the support address (a
    staff member's client sending "as" support: by hand unless a sign here says
    otherwise)."""
    support = support_address.lower()
    local = msg.from_addr.split("@", 1)[0]
    if any(own_loop(value, support) for value in msg.headers.get("x-loop", ())):
        return Screening(True, "заголовок X-Loop службы поддержки (петля)")
    if msg.headers.get("x-maild-loop"):
        return Screening(True, "заголовок X-Maild-Loop (петля)")
    auto = (msg.header("auto-submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return Screening(True, f"Auto-Submitted: {auto}")
    prec = (msg.header("precedence") or "").strip().lower()
    if prec in ("bulk", "junk", "list", "auto_reply"):
        return Screening(True, f"Precedence: {prec}")
    for h in ("x-autoreply", "x-autorespond"):
        if msg.header(h) is not None:
            return Screening(True, f"{h}")
    auto_subject = AUTO_REPLY_SUBJECT.match(msg.subject)
    if auto_subject:
        return Screening(True, f"тема автоответа «{auto_subject.group(0)}»")
    if msg.header("list-id") or msg.header("list-unsubscribe"):
        return Screening(True, "письмо из рассылки (List-Id)")
    if ROBOT_LOCALPARTS.match(local):
        return Screening(True, f"служебный адрес отправителя {msg.from_addr}")
    if (msg.header("return-path") or "").strip() == "<>":
        return Screening(True, "пустой Return-Path (служебное письмо)")
    # Exchange sets this on people's mail too (sent to a distribution list, by some
    # transport rules): it asks for no automatic answer, and gets none, but a person
    # wrote it and waits for staff (an out-of-office says so by the signs above)
    suppress = (msg.header("x-auto-response-suppress") or "").lower()
    if any(w in suppress for w in ("all", "oof", "autoreply")):
        return Screening(False, f"X-Auto-Response-Suppress: {suppress}", quiet=True)
    return HUMAN
