"""The lines a mail client adds to a reply by itself: a greeting from its template, a
signature, a phone's "Отправлено с iPhone", the attribution over a quote. A staff
reply of commands whose text for the customer is only these says nothing to them
(unsent.answer): the commands' own notices go, not a mail of a signature alone.

Pure text in, a yes or no out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from maild.domain.closings import NAME, SEPARATOR_RE, VALEDICTION_RE
from maild.domain.quotes import attribution_span
from maild.domain.staffquote import quoted_in
from maild.domain.typedlines import Thread

__all__ = ["only_sign_off", "without_greeting_to"]

# A line of the signature under a closing: a name (its initials too: «Смирнова А.В.»),
# a post (a long one: «Ведущий специалист отдела ... ООО «Ромашка»»), a company, a
# phone, an address, a logo's mark; no sentence ("P.S. Проверьте кэш." is text).
SIGNATURE_LINE_RE = re.compile(r".{1,80}(?<![.?!])|.{0,76}\b[A-ZА-ЯЁ]\.(?:\s?[A-ZА-ЯЁ]\.)?")
# A signature this long holds more than a name, a post and contacts: text.
SIGNATURE_LINES = 8
# A greeting alone: "Здравствуйте, Иван.", "Иван, добрый день!", "Hello Служба," (The
# Bat!'s templates open every reply with one). Names are capitalised: "Здравствуйте,
# исправили." is text.
GREETINGS = (
    r"(?i:здравствуйте|добрый\s+(?:день|вечер)|доброе\s+утро"
    r"|приветствую|уважаем(?:ый|ая|ые)|hello|hi|dear)"
)
GREETING_RE = re.compile(rf"(?:{NAME}\s*,\s*)?{GREETINGS}(?:\s*,?\s*{NAME})?\s*[.!,]*")
# What phone and webmail apps write under every mail: «Отправлено с iPhone», Samsung's
# «Отправлено с устройства Samsung Galaxy» / "Sent from my Galaxy", Huawei's «Отправлено
# с моего телефона Huawei», "Sent with Spark", «Отправлено с помощью BlueMail».
TAGLINE_RE = re.compile(
    r"(?:отправлено|sent)\s+(?:с|со|из|через|from|via|using|with)\s+(?:помощью\s+)?"
    r"(?:моего\s+|my\s+|the\s+)?(?:(?:устройства|телефона|смартфона|планшета)\s+)?"
    r"(?:iphone|ipad|android|samsung|galaxy|huawei|honor|xiaomi|redmi|blackberry|mymail"
    r"|bluemail|spark|aquamail|мобильн\w*|почты|приложения|mail|yandex|яндекс|outlook"
    r"|yahoo)\b(?:\s+\S+){0,4}"
    r"|(?:получить|get)\s+outlook\s+(?:для|for)\s+\S+",
    re.IGNORECASE,
)


# A company's confidentiality footer, which Outlook signatures (or the mail server)
# set under every mail: «Это сообщение ... конфиденциально ... предназначено только
# для адресата», «Если вы получили это письмо по ошибке», "This e-mail is
# confidential", «Подумайте об окружающей среде, прежде чем распечатывать это письмо».
DISCLAIMER_RE = re.compile(
    r"(?:явля\w+|содерж\w+)\s+(?:\w+\s+){0,3}конфиденциальн|конфиденциальн\w*\s+информаци"
    r"|предназначен\w*\s+(?:исключительно|только)\s+для"
    r"|получили\s+(?:это|данное)\s+(?:сообщение|письмо)\s+по\s+ошибке"
    r"|прежде\s+чем\s+распечат|\b(?:is|are)\s+confidential\b|intended\s+(?:solely|only)\s+for"
    r"|received\s+this\s+(?:e-?mail|message)\s+in\s+error|before\s+printing",
    re.IGNORECASE,
)


FOOTER_CHARS = 100  # a footer is a paragraph of legal text: a short line is typed


def _disclaimer(lines: list[str], i: int) -> int:
    """How many lines the confidentiality footer starting at ``i`` takes (0: none):
    its paragraph, up to a blank line (a client may have wrapped it). «#close» over
    «Пароли не храним: данные конфиденциальны.» says that to the customer."""
    if not DISCLAIMER_RE.search(lines[i]):
        return 0
    n = 1
    while i + n < len(lines) and lines[i + n].strip():
        n += 1
    return n if len(" ".join(lines[i : i + n])) >= FOOTER_CHARS else 0


def only_sign_off(text: str, known: list[str]) -> bool:
    """True if ``text`` (what of a staff reply would reach the customer) holds no line
    the staff member typed: only a greeting, a signature (under "-- " or a closing
    line), a client's tagline, a confidentiality footer, the customer's quoted text
    and its attribution.
    ``known``: the ticket's texts, telling a quote from a program's prompt
    (staffquote.quoted_in)."""
    quoted = quoted_in(text, Thread(known))
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if not s or quoted(lines[i]):
            i += 1
        elif span := attribution_span(lines, i):
            i += span
        elif GREETING_RE.fullmatch(s) or TAGLINE_RE.fullmatch(s):
            i += 1
        elif footer := _disclaimer(lines, i):
            i += footer
        elif SEPARATOR_RE.fullmatch(s) or VALEDICTION_RE.fullmatch(s):
            # under it: the signature, and the customer's text quoted back (Thunderbird
            # sets the quote under the signature when the reply goes on top)
            rest = _signature(lines[i + 1 :], quoted)
            short = all(SIGNATURE_LINE_RE.fullmatch(t) for t in rest)
            return len(rest) <= SIGNATURE_LINES and (short or bool(SEPARATOR_RE.fullmatch(s)))
        else:
            return False
    return True


def _signature(lines: list[str], quoted: Callable[[str], bool]) -> list[str]:
    """The lines under a signature's first line, less blank and quoted ones and its
    confidentiality footer."""
    rest: list[str] = []
    i = 0
    while i < len(lines):
        if footer := _disclaimer(lines, i):
            i += footer
            continue
        if lines[i].strip() and not quoted(lines[i]):
            rest.append(lines[i].strip())
        i += 1
    return rest


def without_greeting_to(text: str, support_name: str, customer_name: str = "") -> str:
    """``text`` without a first line that greets support itself: The Bat!'s templates
    open a reply with a greeting to the first name of the mail answered, and a staff
    member answering maild's notice in it sends the customer «Здравствуйте, Служба.»
    (support.name "Служба поддержки"). Kept when that name is the customer's too."""
    words = support_name.split()
    first = (customer_name.split() or [""])[0].casefold()
    if not words or words[0].casefold() == first:
        return text
    names = "|".join(re.escape(n) for n in (" ".join(words), words[0]))
    greets = re.compile(rf"{GREETINGS}\s*,?\s*(?i:{names})\s*[.!,]*")
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if at is None or not greets.fullmatch(" ".join(lines[at].split())):
        return text
    return "".join(lines[at + 1 :]).lstrip("\r\n")
