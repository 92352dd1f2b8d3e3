"""Cut the quoted history a mail client appends to a reply, keeping what is new, and
tell a quote's marks and its attribution. What the writer typed among the quoted
mail is typedlines.py's (typed_lines, Thread; what the site shows: for_site); what of
a staff reply reaches the customer is staffquote.for_customer, on these rules.

Pure text in, text out; used on staff and customer replies before they are stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

__all__ = [
    "attribution_span",
    "forward_at",
    "is_quoted",
    "openers",
    "trim_head",
    "trim_reply",
    "unquoted",
]

# "... wrote:" in English and Russian; Thunderbird, Apple Mail, Gmail (English UI),
# Roundcube ("написал(а):") and Yahoo ("написал(-а):") all end the attribution line
# with one of these.
WROTE_RE = re.compile(
    r"(?:\bwrote|\bпишет|\bнаписал(?:а|\(-?а\))?)\s*:\s*$",
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
# The Bat!'s default template: "Вы писали 3 декабря 2026 г., 10:00:" (English: "You
# wrote 03.12.2026, 10:00:"), the verb first; it counts when a quote follows, as prose
# may open the same way.
BAT_RE = re.compile(r"(?:вы\s+писали|you\s+wrote)\b(?=.*\b(?:19|20)\d\d\b).*:\s*$", re.IGNORECASE)
# A quoted line's prefix: ">" marks at any depth, with or without a space after each,
# or The Bat!'s (and Fido's) author initials before them: "ИП> ", " ИП> ", "ИП>> ",
# "СП> ИП> ". Initials are one to three letters right before a ">" that ends the word
# ("a>b" or "x>5" is no quote).
QUOTE_PREFIX_RE = re.compile(r"[ \t]*((?:(?:[^\W\d_]{1,3}(?=>(?:[ \t>]|$)))?>[ \t]?)+)")
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
# Outlook's header block: "From:" / "От:" then its sibling headers on the next lines,
# in English and Russian: Sent/Отправлено, To/Кому, Cc/Копия, Bcc/Скрытая копия,
# Subject/Тема, Date/Дата (Outlook for Mac, Outlook.com), and the lines Outlook adds
# when the mail quoted had them: Importance/Важность, Attachments/Вложения,
# Categories/Категории. One missing here made such a line («Важность: Высокая») of
# the header look typed inside the quote (typed_lines), and the answer was not sent.
FROM_RE = re.compile(r"(?:from|от)\s*:", re.IGNORECASE)
SIBLING_RE = re.compile(
    r"(?:sent|date|to|cc|bcc|subject|importance|attachments|categories"
    r"|отправлено|дата|кому|копия|скрытая копия|тема|важность|вложения|категории)\s*:",
    re.IGNORECASE,
)
# Gmail wraps a long attribution over two or three lines; such a wrapped one opens with
# "On", a date ("25.11.2026", "2026-11-25", "2026/11/25", "26 нояб. 2026", "6 Dec, 2026",
# "6-Dec-2026"), or a weekday ("пн,", "Понедельник,", "Mon,"). A bare number or a
# version is no date: "2. Перезапустите сервер." or "7.0.1" right above an attribution
# is the answer's last line.
DATE = (
    r"\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d\d)\b|\d{4}-\d\d-\d\d\b|\d{4}/\d\d/\d\d\b"
    r"|\d{1,2}\s+[^\W\d_]{3,}\.?,?\s+\d{4}\b|\d{1,2}-[^\W\d_]{3,}-\d{4}\b"
)
WEEKDAY = (
    r"(?:пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница"
    r"|суббота|воскресенье|mon|tue|wed|thu|fri|sat|sun)\w*,"
)
START_RE = re.compile(rf"on\s|{DATE}|{WEEKDAY}", re.IGNORECASE)
# Its lines joined, a wrapped attribution reads as its date first, after the "On" and
# the weekday if any: "On Sun, Dec 6, 2026", "On Sunday, December 6th, 2026" (Proton),
# "Вс, 6 дек. 2026", "Воскресенье, 6 декабря 2026", "On 12/6/26". A staff member's «Вс,»
# or «пт, 5» over the next line is no date. After a bare "On" any number with a date's
# separator will do ("On 2026. 12. 6.", a date format of a system's): a wrapped
# attribution taken for the answer sends its first line, an address, to the customer.
DATE_FIRST_RE = re.compile(
    rf"on\s+\d{{1,4}}[-./]\s?\d|(?:on\s+)?(?:{WEEKDAY}\s*)?"
    rf"(?:{DATE}|[^\W\d_]{{3,}}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b)",
    re.IGNORECASE,
)
ATTRIBUTION_LINES = 3
# A line with a year and a time opens an attribution of its own ("В чт, 26.11.2026 в
# 10:00, ... пишет:"): the line above it is the answer, whatever it looks like.
DATETIME_RE = re.compile(r"(?=.*\b(?:19|20)\d\d\b)(?=.*\b\d{1,2}:\d\d\b)")
# A line of a quote header, whatever follows it (typed_lines): Outlook's "From:" block,
# its "-----Original Message-----" and "______" separators.
HEADER_LINE_RE = re.compile(
    rf"{FROM_RE.pattern}|{SIBLING_RE.pattern}|{SEPARATOR_RE.pattern}|{UNDERSCORES_RE.pattern}",
    re.IGNORECASE,
)


def trim_reply(
    text: str, *, fallback: bool = True, quoted: Callable[[str], bool] | None = None
) -> str:
    """``text`` without its quoted history.

    The result is a prefix of ``text`` (line endings untouched) without trailing
    whitespace. When nothing new remains it is the original ``text`` (we would rather
    show a quote than nothing), or "" with ``fallback=False``: a staff reply made of
    commands and the client's quote must not send that quote back to the customer.
    ``quoted``: which lines are quoted, if not every line with a quote prefix.
    """
    quoted = quoted or is_quoted
    lines = text.splitlines(keepends=True)
    end = _backed_off(lines, _history_start(lines), quoted)
    result = "".join(lines[:end]).rstrip()
    return result or (text if fallback else "")


HEAD_CHARS = 4096  # what trim_head reads of a text first, four times more each time after


def trim_head(text: str, wanted: int) -> str:
    """``trim_reply(text)`` as far as its ``wanted``-th non-blank line (all of it if it
    has fewer), give or take whitespace at its end: for a caller that reads no further
    (a status question is a few lines), without splitting, let alone trimming, the
    whole text: a follow-up of a million short lines cost 4 s a megabyte.

    Read from a head of ``text`` that grows until it decides: ``_head_end``."""
    size = HEAD_CHARS
    while True:
        whole = size >= len(text)
        # the lines the head holds whole: its last one may go on past it ("\r" of "\r\n")
        lines = text.splitlines(keepends=True) if whole else text[:size].splitlines(True)[:-1]
        end = _head_end(lines, wanted, whole)
        if end is not None:
            own = "".join(lines[:end]).rstrip()
            if own:
                return own
            if whole or sum(1 for s in lines if s.strip()) >= wanted:
                return "".join(lines)  # nothing new: the text, as trim_reply gives it
        size *= 4


def _head_end(lines: list[str], wanted: int, whole: bool) -> int | None:
    """How many of ``lines`` (a head of a text, all of it if ``whole``) trim_reply's
    result starts with, at least as far as its ``wanted``-th non-blank line; None
    when ``lines`` cannot tell. _history_start's walk, stopped at the first line of
    the writer's own below that many: history starts below it, if anywhere. A line
    is judged only with what attribution_span and _interleaved read of the text in
    ``lines``: the HEADER_RUN_LINES below it, and a line of text below the
    ATTRIBUTION_LINES after it (so the first line after those, and whether text
    follows a quote, are the text's)."""
    horizon = len(lines)
    if not whole:
        text_lines = (j for j in range(len(lines) - 1, -1, -1) if _own_line(lines[j]))
        last = next(text_lines, -1)
        horizon = min(len(lines) - HEADER_RUN_LINES, last - ATTRIBUTION_LINES)
    seen = 0  # non-blank lines
    history = True  # still looked for: no forward above
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        seen += 1
        if is_quoted(line):
            continue
        if history and FORWARD_RE.fullmatch(line.strip()):
            history = False
        elif history:
            if i > horizon:
                return None
            span = attribution_span(lines, i)
            if span and not _interleaved(lines, i + span):
                return _backed_off(lines, i, is_quoted)
        if seen >= wanted:
            return i + 1
    return _backed_off(lines, len(lines), is_quoted) if whole else None


def _own_line(line: str) -> bool:
    return bool(line.strip()) and not is_quoted(line)


def _backed_off(lines: list[str], end: int, quoted: Callable[[str], bool]) -> int:
    """``end`` moved up past the blank and quoted lines right above it."""
    while end and (not lines[end - 1].strip() or quoted(lines[end - 1])):
        end -= 1
    return end


def forward_at(text: str) -> int:
    """Where the first forwarded mail of ``text`` starts (its marker line, not quoted:
    «-------- Пересланное сообщение --------», «Begin forwarded message:»), or its
    length: what a staff member forwards is its writer's, its «#close» no command of
    hers, as none under Outlook's «От:/Отправлено:» is (trim_reply cuts there)."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if FORWARD_RE.fullmatch(line.strip()) and not is_quoted(line):
            return pos
        pos += len(line)
    return pos


def is_quoted(line: str) -> bool:
    return QUOTE_PREFIX_RE.match(line) is not None


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history, or len(lines) if there is none."""
    for i in openers(lines):
        line = lines[i]
        if is_quoted(line) or not line.strip():
            continue
        if FORWARD_RE.fullmatch(line.strip()):
            break
        span = attribution_span(lines, i)
        if span and not _interleaved(lines, i + span):
            return i
    return len(lines)


def openers(lines: list[str]) -> Iterator[int]:
    """The indices of the lines that may open a history, in order: each line marked
    and the ATTRIBUTION_LINES - 1 above it. attribution_span is 0 for any other line,
    and HEADER_LINE_RE and FORWARD_RE match none; the first two none either with the
    line's quote marks taken off (unquoted), as these hold no ":", "-" or "_".
    Each line of text costs a few "in" tests and a pattern, not ten."""
    # marked: a ":" (each header and attribution holds one, _says_attribution), a
    # separator's "-" or "_", or a forward's marker (with none of these: its words, a
    # space between them, and no quote's ">")
    marked = (
        j
        for j, line in enumerate(lines)
        if ":" in line or "-" in line or "_" in line or _forward(line)
    )
    below = 0  # the first line not yet given
    for j in marked:
        yield from range(max(below, j - ATTRIBUTION_LINES + 1), j + 1)
        below = j + 1


def _forward(line: str) -> bool:
    return " " in line and ">" not in line and FORWARD_RE.fullmatch(line.strip()) is not None


def attribution_span(lines: list[str], i: int) -> int:
    """How many lines the attribution starting at ``i`` takes (0: not an attribution)."""
    stripped = lines[i].strip()
    if stripped.startswith(("-", "_")):
        if SEPARATOR_RE.fullmatch(stripped):
            return 1
        if UNDERSCORES_RE.fullmatch(stripped):
            following = [s.strip() for s in lines[i + 1 : i + 3] if s.strip()]
            return 1 if following and FROM_RE.match(following[0]) else 0
    if ":" not in "".join(lines[i : i + ATTRIBUTION_LINES]):
        # a header below holds one, each attribution ends with one (_says_attribution):
        # a line of text, and the two after it, are not matched against any pattern
        return 0
    if FROM_RE.match(stripped):
        # One "From:" line may be prose; two sibling headers right after it are not
        # (right after it: a quote or text between, and they are someone else's)
        return 1 if _siblings_after(lines, i) >= 2 else 0
    if SIBLING_RE.match(stripped) and _header_run(lines, i):
        return 1  # Outlook.com's block opens with "Date:" and "Subject:", "From:" below
    for n in range(1, ATTRIBUTION_LINES + 1):
        chunk = [s.strip() for s in lines[i : i + n]]
        if any(is_quoted(s) or not s for s in chunk[1:]) or len(" ".join(chunk)) > 300:
            break
        if _says_attribution(" ".join(chunk), lines, i + n):
            if n == 1:
                return 1
            # "Спасибо!\nOn ... wrote:" joins into a match too: a wrapped attribution must
            # begin like one, its date first (DATE_FIRST_RE: not «Вс,\nx\n... пишет:»),
            # and not have a complete one begin on a later line, the second or the
            # third («01.12.2026 выйдет обновление.\nИван\nВ чт, 26.11.2026 в 10:00, ...»).
            if not (START_RE.match(chunk[0]) and DATE_FIRST_RE.match(" ".join(chunk))):
                return 0
            later = any(
                (START_RE.match(chunk[k]) or DATETIME_RE.match(chunk[k]))
                and _says_attribution(" ".join(chunk[k:]), lines, i + n)
                for k in range(1, n)
            )
            return 0 if later else n
    return 0


def _siblings_after(lines: list[str], i: int) -> int:
    """How many of the 4 lines after ``i`` are sibling headers before any other line
    (blank lines aside)."""
    n = 0
    for line in lines[i + 1 : i + 5]:
        if not line.strip():
            continue
        if not SIBLING_RE.match(line.strip()):
            break
        n += 1
    return n


HEADER_RUN_LINES = 12


def _header_run(lines: list[str], i: int) -> bool:
    """True if line ``i`` opens a run of three or more header lines, one a "From:"
    among its first HEADER_RUN_LINES (a client's quote header has a handful; looking
    no further keeps a text of a million "Date:" lines linear)."""
    run: list[str] = []
    for line in lines[i : i + HEADER_RUN_LINES]:
        if not (FROM_RE.match(line.strip()) or SIBLING_RE.match(line.strip())):
            break
        run.append(line.strip())
    return len(run) >= 3 and any(FROM_RE.match(s) for s in run)


def _says_attribution(joined: str, lines: list[str], after: int) -> bool:
    if DATED_RE.match(joined):
        return True
    if BAT_RE.match(joined):
        return _quote_follows(lines, after)
    if WROTE_RE.search(joined):
        return bool(DETAILED_RE.search(joined)) or _quote_follows(lines, after)
    return False


def _quote_follows(lines: list[str], after: int) -> bool:
    """True if the first non-blank line from ``after`` on is quoted. Looked for line by
    line, not in a copy of the rest, so a text of many attributions each followed by
    a quote ("Иван пишет:" / "> x") is read in linear time, not quadratic
    (bench/FINDINGS.md 50)."""
    first = next((s for s in _rest(lines, after) if s.strip()), None)
    return first is not None and is_quoted(first)


def _interleaved(lines: list[str], after: int) -> bool:
    """True if the "> " quote after an attribution is answered by new text below it.

    Then the attribution and quotes are part of the reply (an inline answer), not
    history, and the quoted lines stay to show what each answer refers to.
    """
    if not _quote_follows(lines, after):
        return False  # unquoted history (Outlook, Yandex) runs to the end
    return any(s.strip() and not is_quoted(s) for s in _rest(lines, after))


def _rest(lines: list[str], after: int) -> Iterator[str]:
    """``lines[after:]`` one by one, without copying them (nor skipping them one by
    one, as itertools.islice would)."""
    return (lines[j] for j in range(after, len(lines)))


def unquoted(line: str) -> str:
    m = QUOTE_PREFIX_RE.match(line)
    return line[m.end() :] if m else line
