"""Cut the quoted history a mail client appends to a reply, keeping what is new, and
find what the writer typed among the quoted mail (typed_lines). What of a staff reply
reaches the customer is staffquote.for_customer, on these rules.

Pure text in, text out; used on staff and customer replies before they are stored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from maild.domain.redact import MARKER, redact_credentials

__all__ = [
    "Thread",
    "attribution_span",
    "for_site",
    "is_quoted",
    "trim_reply",
    "typed_lines",
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
# "On", a date ("25.11.2026", "2026-11-25", "26 нояб. 2026"), or a weekday ("пн,",
# "Понедельник,", "Mon,"). A bare number or a version is no date: "2. Перезапустите
# сервер." or "7.0.1" right above an attribution is the answer's last line.
START_RE = re.compile(
    r"on\s|\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d\d)\b|\d{4}-\d\d-\d\d\b"
    r"|\d{1,2}\s+[^\W\d_]{3,}\.?\s+\d{4}\b"
    r"|(?:пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница"
    r"|суббота|воскресенье|mon|tue|wed|thu|fri|sat|sun)\w*,",
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
    end = _history_start(lines)
    while end and (not lines[end - 1].strip() or quoted(lines[end - 1])):
        end -= 1
    result = "".join(lines[:end]).rstrip()
    return result or (text if fallback else "")


def is_quoted(line: str) -> bool:
    return QUOTE_PREFIX_RE.match(line) is not None


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history, or len(lines) if there is none."""
    for i, line in enumerate(lines):
        if is_quoted(line) or not line.strip():
            continue
        if FORWARD_RE.fullmatch(line.strip()):
            break
        span = attribution_span(lines, i)
        if span and not _interleaved(lines, i + span):
            return i
    return len(lines)


def attribution_span(lines: list[str], i: int) -> int:
    """How many lines the attribution starting at ``i`` takes (0: not an attribution)."""
    stripped = lines[i].strip()
    if SEPARATOR_RE.fullmatch(stripped):
        return 1
    if UNDERSCORES_RE.fullmatch(stripped):
        following = [s.strip() for s in lines[i + 1 : i + 3] if s.strip()]
        return 1 if following and FROM_RE.match(following[0]) else 0
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
            # begin like one, and not have a complete one begin on a later line.
            if not START_RE.match(chunk[0]):
                return 0
            later = (START_RE.match(chunk[1]) or DATETIME_RE.match(chunk[1])) and (
                _says_attribution(" ".join(chunk[1:]), lines, i + n)
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
    line, not in a copy of the rest: a text of thousands of attributions each followed
    by a quote ("Иван пишет:" / "> x") took 3 s per 64 KB, quadratic."""
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


def for_site(text: str, known: list[str] | None = None) -> str:
    """What the site shows of a customer's mail: ``trim_reply``, and the quote of a
    mail answered below it (Thunderbird's and The Bat!'s default: an attribution, one
    quoted block, then only new text) cut too; the thread above shows that mail.

    Nothing the customer wrote goes: the new text below, and what stands above the
    attribution (The Bat!'s greeting), stay; without an attribution right above it,
    a quote stays ("Вы писали:" alone would be left dangling). An answer typed between
    quoted lines keeps them all (what each part answers), as trim_reply does.

    ``known``: the texts of what the thread held before (and of what was added to
    them on the way: the site link under a staff answer). A line cut that none of
    them holds (typed_lines) was written by the customer inside the quote, where iOS
    Mail and webmail keep it quoted: then the mail shows whole, quote and all.
    """
    shown = _site_cut(text)
    if known is None or shown == text.strip():
        return shown
    # every line typed here (in no mail of `known`) must stand in what is shown, as
    # often as it was typed, compared as written: the thread's texts are matched
    # loosely (case, spacing, quote marks), what is shown is the text's own lines;
    # strictly as to runs: a short answer («Да») is a run of words of any thread
    left = Counter(unquoted(line).strip() for line in shown.splitlines())
    for line in typed_lines(text, known, limit=len(text), strict=True):
        if left[line] <= 0:
            return text.strip()
        left[line] -= 1
    return shown


def _site_cut(text: str) -> str:
    """for_site's cut, without the check of what it drops."""
    kept = trim_reply(text)
    lines = kept.splitlines(keepends=True)
    q = next((n for n, s in enumerate(lines) if is_quoted(s)), None)
    if q is None:
        return kept
    above = q  # the attribution ends right above the quote, blank lines aside
    while above and not lines[above - 1].strip():
        above -= 1
    starts = range(max(0, above - ATTRIBUTION_LINES), above)
    i = next((n for n in starts if attribution_span(lines, n) == above - n), None)
    end = q
    while end < len(lines) and (not lines[end].strip() or is_quoted(lines[end])):
        end += 1
    rest = lines[end:]
    if i is None or any(is_quoted(s) for s in rest) or not "".join(rest).strip():
        return kept
    head, new = "".join(lines[:i]).rstrip(), "".join(rest).strip("\r\n")
    return f"{head}\n\n{new}" if head else new


# How much of the thread's text (its latest mail) a re-wrapped line is looked for in:
# the cost of a reply of many such lines stays bounded.
KNOWN_CHARS = 200_000
# How long a line found only as a run of a mail's words is, to count as quoted with
# nothing above it to go on from (Thread.quotes): the head of a line a client
# re-wrapped at 72-76 characters is that long; an answer typed inside a quote that
# happens to echo this much of the question is rare, a short one («Да») is not.
RUN_CHARS = 40


class Thread:
    """The lines of a ticket's mails, to tell a line someone typed from one quoted:
    compared without quote marks and runs of white space, so a mail quoted as "> "
    lines or re-flowed into HTML paragraphs is still known; so is a line a client
    re-wrapped, being a run of whole words of one mail, and one a client wrote in a
    one-byte charset, known by its words (_words)."""

    def __init__(self, texts: list[str]) -> None:
        self.lines = {_plain(line) for t in texts for line in t.splitlines()}
        self.blob = " " + " ".join(_plain(t) for t in texts)[-KNOWN_CHARS:] + " "
        self.words = {_words(line) for t in texts for line in t.splitlines()}
        self.words_blob = " " + " ".join(_words(t) for t in texts)[-KNOWN_CHARS:] + " "
        self.has_marker = any(MARKER in t for t in texts)  # a ticket once redacted

    def __contains__(self, line: str) -> bool:
        plain, words = _plain(unquoted(line)), _words(unquoted(line))
        if plain in self.lines or f" {plain} " in self.blob:
            return True
        if bool(words) and (words in self.words or f" {words} " in self.words_blob):
            return True
        return self._redacted(line) in self.lines

    def quotes(self, line: str, above: str) -> bool:
        """``line`` (``above``: the text's non-blank line before it) is a line of the
        thread's mails, strictly: a whole line of one, or a run of one's words that is
        long (RUN_CHARS) or goes on from ``above`` in that mail, as a line a client
        re-wrapped does. A short run alone is no proof: «Да» or «Нет» typed inside
        Outlook's unquoted original is a run of words of nearly any thread."""
        if self.holds_line(line):
            return True
        plain, words = _plain(unquoted(line)), _words(unquoted(line))
        if len(plain) >= RUN_CHARS:
            return f" {plain} " in self.blob or bool(words) and f" {words} " in self.words_blob
        run, word_run = _plain(unquoted(above)), _words(unquoted(above))
        if run and f" {run} {plain} " in self.blob:
            return True
        return bool(word_run and words) and f" {word_run} {words} " in self.words_blob

    def _redacted(self, line: str) -> str | None:
        """The line as the ticket keeps it since its access data was blanked out
        (redact): «Пароль: S3cr3t!» quoted from a notice sent before is the notice's
        «Пароль: [данные доступа удалены]», not a line typed. None when it holds none."""
        if self.has_marker:
            redacted, n = redact_credentials(unquoted(line))
            return _plain(redacted) if n else None
        return None

    def holds_line(self, line: str) -> bool:
        """A line of one of the mails itself, not only a run of its words."""
        words = _words(unquoted(line))
        if _plain(unquoted(line)) in self.lines or bool(words) and words in self.words:
            return True
        return self._redacted(line) in self.lines


def typed_lines(text: str, known: list[str], limit: int = 10, *, strict: bool = False) -> list[str]:
    """The first ``limit`` lines of ``text`` that are neither in a mail of ``known``
    (the ticket's thread: what support sent, what customers and staff wrote) nor a
    mail client's quote header (attribution, "-----Original Message-----", the
    "From:/Sent:/To:/Subject:" block): what the writer typed, quote marks taken off
    (lines compared as Thread compares them). ``strict``: a line is in a mail as
    Thread.quotes says (for_site: a line it takes for quoted is cut from what shows).
    """
    thread = Thread(known)
    raw = text.splitlines()
    lines = [unquoted(line) for line in raw]
    headers: set[int] = set()
    for i, line in enumerate(lines):
        # an attribution of the reply's quote, or of a quote inside the quote
        span = max(attribution_span(raw, i), attribution_span(lines, i)) if line.strip() else 0
        headers.update(range(i, i + span))
        if HEADER_LINE_RE.match(line.strip()):
            headers.add(i)
    out: list[str] = []
    above = ""  # the line before, blank ones aside (Thread.quotes)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if i not in headers and not (thread.quotes(line, above) if strict else line in thread):
            out.append(line.strip())
            if len(out) == limit:
                break
        above = line
    return out


def unquoted(line: str) -> str:
    m = QUOTE_PREFIX_RE.match(line)
    return line[m.end() :] if m else line


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


# A client writing a one-byte charset sets "?" (Outlook: its best fit, '"' or "-") for
# a character the charset lacks, and KOI8-R has no «», — or №, all in support's mail:
# by its words, a line quoted that way is still a line of the mail.
NOT_WORD_RE = re.compile(r"[\W_]+")


def _words(text: str) -> str:
    """``text``'s words alone, for Thread ("" for a line of none: "--", ":)")."""
    return " ".join(NOT_WORD_RE.sub(" ", text).split()).casefold()
