"""Cut the quoted history a mail client appends to a reply, keeping what is new.

Pure text in, text out; used on staff and customer replies before they are stored.
"""

from __future__ import annotations

import re

__all__ = ["trim_reply"]

# "... wrote:" in English and Russian; Thunderbird, Apple Mail, Gmail (English UI) and
# Roundcube all end the attribution line with one of these.
WROTE_RE = re.compile(
    r"(?:\bwrote|\bпишет|\bнаписал(?:а|\(а\))?)\s*:\s*$",
    re.IGNORECASE,
)
# Yandex "25.11.2026, 10:00, "Иван" <ivan@ya.ru>:", Gmail RU "пн, 25 нояб. 2026 г. в 10:00,
# Ivan <x@y>:", Mail.ru "Понедельник, 25 ноября 2026, 10:00 +03:00 от Иван <x@mail.ru>:":
# no verb, so recognise a year, a time and an address on a line that ends with ":".
# The address must close the line so that prose like "25.11.2026 10:00 письмо на a@b.ru
# вернулось с ошибкой:" is not taken for an attribution.
DATED_RE = re.compile(r"(?=.*\b(?:19|20)\d\d\b)(?=.*\b\d{1,2}:\d\d\b).*[\w.+-]+@[\w.-]+>?\s*:\s*$")
# A bare "Иван пишет:" may be prose introducing a citation; it counts when it carries
# a date or address, opens with "On", or a "> " quote follows it.
DETAILED_RE = re.compile(r"^on\b|\d|@", re.IGNORECASE)
SEPARATOR_RE = re.compile(
    r"-{2,}\s*(?:original message|исходное сообщение|оригинальное сообщение)\s*-{2,}",
    re.IGNORECASE,
)
# A forward is the content of the mail (a customer passing on the error they got),
# so nothing below its marker is history, whatever it contains.
FORWARD_RE = re.compile(
    r"-*\s*(?:forwarded message|пересылаемое сообщение|перенаправленное сообщение"
    r"|пересланное сообщение)\s*-*|begin forwarded message:|начало переадресованного сообщения:",
    re.IGNORECASE,
)
UNDERSCORES_RE = re.compile(r"_{10,}")
# Outlook's header block: "From:" / "От:" then its sibling headers on the next lines.
FROM_RE = re.compile(r"(?:from|от)\s*:", re.IGNORECASE)
SIBLING_RE = re.compile(
    r"(?:sent|date|to|cc|subject|отправлено|дата|кому|копия|тема)\s*:", re.IGNORECASE
)
# Gmail wraps a long attribution over two or three lines; such a wrapped one opens with
# "On", a date, or a weekday ("пн,", "Понедельник,", "Mon,").
START_RE = re.compile(
    r"on\s|\d{1,4}[./ -]|(?:пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница"
    r"|суббота|воскресенье|mon|tue|wed|thu|fri|sat|sun)\w*,",
    re.IGNORECASE,
)
ATTRIBUTION_LINES = 3


def trim_reply(text: str, *, fallback: bool = True) -> str:
    """``text`` without its quoted history.

    The result is a prefix of ``text`` (line endings untouched) without trailing
    whitespace. When nothing new remains it is the original ``text`` (we would rather
    show a quote than nothing), or "" with ``fallback=False``: a staff reply made of
    commands and the client's quote must not send that quote back to the customer.
    """
    lines = text.splitlines(keepends=True)
    end = _history_start(lines)
    while end and (not lines[end - 1].strip() or _quoted(lines[end - 1])):
        end -= 1
    result = "".join(lines[:end]).rstrip()
    return result or (text if fallback else "")


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history, or len(lines) if there is none."""
    for i, line in enumerate(lines):
        if _quoted(line) or not line.strip():
            continue
        if FORWARD_RE.fullmatch(line.strip()):
            break
        span = _attribution_span(lines, i)
        if span and not _interleaved(lines, i + span):
            return i
    return len(lines)


def _attribution_span(lines: list[str], i: int) -> int:
    """How many lines the attribution starting at ``i`` takes (0: not an attribution)."""
    stripped = lines[i].strip()
    if SEPARATOR_RE.fullmatch(stripped):
        return 1
    if UNDERSCORES_RE.fullmatch(stripped):
        following = [s.strip() for s in lines[i + 1 : i + 3] if s.strip()]
        return 1 if following and FROM_RE.match(following[0]) else 0
    if FROM_RE.match(stripped):
        # One "From:" line may be prose; two sibling headers right after it are not.
        siblings = [s for s in lines[i + 1 : i + 5] if SIBLING_RE.match(s.strip())]
        return 1 if len(siblings) >= 2 else 0
    for n in range(1, ATTRIBUTION_LINES + 1):
        chunk = [s.strip() for s in lines[i : i + n]]
        if any(_quoted(s) or not s for s in chunk[1:]) or len(" ".join(chunk)) > 300:
            break
        if _says_attribution(" ".join(chunk), lines, i + n):
            if n == 1:
                return 1
            # "Спасибо!\nOn ... wrote:" joins into a match too: a wrapped attribution must
            # begin like one, and not have a complete one begin on a later line.
            if not START_RE.match(chunk[0]):
                return 0
            later = START_RE.match(chunk[1]) and _says_attribution(
                " ".join(chunk[1:]), lines, i + n
            )
            return 0 if later else n
    return 0


def _says_attribution(joined: str, lines: list[str], after: int) -> bool:
    if DATED_RE.match(joined):
        return True
    if WROTE_RE.search(joined):
        return bool(DETAILED_RE.search(joined)) or _quote_follows(lines, after)
    return False


def _quote_follows(lines: list[str], after: int) -> bool:
    rest = [s for s in lines[after:] if s.strip()]
    return bool(rest) and _quoted(rest[0])


def _interleaved(lines: list[str], after: int) -> bool:
    """True if the "> " quote after an attribution is answered by new text below it.

    Then the attribution and quotes are part of the reply (an inline answer), not
    history, and the quoted lines stay to show what each answer refers to.
    """
    if not _quote_follows(lines, after):
        return False  # unquoted history (Outlook, Yandex) runs to the end
    return any(s.strip() and not _quoted(s) for s in lines[after:])
