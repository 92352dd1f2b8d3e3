"""What a writer typed among the mail they quote: the lines of a ticket's mails
(Thread: compared without quote marks and runs of white space, and by their words,
so a quote re-flowed, re-wrapped or written in a one-byte charset is still known),
the lines of a text that are in none of them (typed_lines), and what the site shows
of a customer's mail (for_site: trim_reply, and the quote of a mail answered below
it cut, unless the customer typed inside it). The quoting rules are quotes.py's.

Pure text in, text out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from maild.domain.quotes import (
    ATTRIBUTION_LINES,
    HEADER_LINE_RE,
    attribution_span,
    is_quoted,
    openers,
    trim_reply,
    unquoted,
)
from maild.domain.redact import MARKER, redact_credentials
from maild.domain.runs import Runs


def for_site(text: str, known: list[str] | None = None, reads: TextReads | None = None) -> str:
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
    Mail and webmail keep it quoted: then the mail shows whole, quote and all. A mail
    over FOLD_CHARS characters is not checked so: knowing ``known``, it shows whole.
    ``reads``: what was read of the known texts for other mails of the same thread.
    """
    shown = _site_cut(text)
    if known is None or shown == text.strip():
        return shown
    if len(text) > FOLD_CHARS:
        return text.strip()  # too long to check line by line: shown whole
    # every line typed here (in no mail of `known`) must stand in what is shown, as
    # often as it was typed, compared as written: the thread's texts are matched
    # loosely (case, spacing, quote marks), what is shown is the text's own lines;
    # strictly as to runs: a short answer («Да») is a run of words of any thread
    left = Counter(unquoted(line).strip() for line in shown.splitlines())
    for line in typed_lines(text, known, limit=len(text), strict=True, reads=reads):
        if left[line] <= 0:
            return text.strip()
        left[line] -= 1
    return shown


# How long a customer's mail for_site checks line by line before it cuts a quote: a
# longer one shows whole, quote and all. The check reads the mail's lines against the
# last KNOWN_CHARS of the thread before it, a run index of its own for each mail, and
# pages are built one at a time (bench/FINDINGS.md 59).
FOLD_CHARS = 65_536


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

    def __init__(self, texts: list[str], reads: TextReads | None = None) -> None:
        read = [(reads or _ONCE).read(t) for t in texts]
        self.lines: set[str] = set().union(*(r.lines for r in read))
        self.words: set[str] = set().union(*(r.words for r in read))
        self.has_marker = any(r.marked for r in read)  # a ticket once redacted
        # the runs of the last KNOWN_CHARS of the texts, plain and as words, read
        # once when a line is first looked for as a run (most are whole lines)
        self._read = read
        self._plain_runs: Runs | None = None
        self._word_runs: Runs | None = None

    def in_blob(self, run: str) -> bool:
        """``run`` (plain: single spaces) is a run of the texts' words as _plain reads
        them, within their last KNOWN_CHARS: what ``f" {run} " in blob`` was, blob
        being ``" " + " ".join(map(_plain, texts))[-KNOWN_CHARS:] + " "`` (a search
        through the blob for each line cost a reply of many lines its square)."""
        if self._plain_runs is None:
            self._plain_runs = _runs(r.plain for r in self._read)
        return run.split(" ") in self._plain_runs

    def in_words_blob(self, run: str) -> bool:
        """in_blob for the texts' words alone (_words)."""
        if self._word_runs is None:
            self._word_runs = _runs(r.word_text for r in self._read)
        return run.split(" ") in self._word_runs

    def __contains__(self, line: str) -> bool:
        bare = unquoted(line)
        plain = _plain(bare)
        if plain in self.lines or self.in_blob(plain):
            return True
        words = _words(bare)  # only now: most lines are known as they stand
        if bool(words) and (words in self.words or self.in_words_blob(words)):
            return True
        return self._redacted(line) in self.lines

    def quotes(self, line: str, above: str) -> bool:
        """``line`` (``above``: the text's non-blank line before it) is a line of the
        thread's mails, strictly: a whole line of one, or a run of one's words that is
        long (RUN_CHARS) or goes on from ``above`` in that mail, as a line a client
        re-wrapped does. A short run alone is no proof: «Да» or «Нет» typed inside
        Outlook's unquoted original is a run of words of nearly any thread."""
        bare = unquoted(line)
        plain = _plain(bare)
        if plain in self.lines:
            return True
        words = _words(bare)  # only now: most lines are known as they stand
        if self._whole(line, plain, words):
            return True
        if len(plain) >= RUN_CHARS:
            return self.in_blob(plain) or bool(words) and self.in_words_blob(words)
        run = _plain(unquoted(above))
        if run and self.in_blob(f"{run} {plain}"):
            return True
        word_run = _words(unquoted(above))
        return bool(word_run and words) and self.in_words_blob(f"{word_run} {words}")

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
        bare = unquoted(line)
        plain = _plain(bare)
        return plain in self.lines or self._whole(line, plain, _words(bare))

    def _whole(self, line: str, plain: str, words: str) -> bool:
        """holds_line of ``line``, read as ``plain`` and as ``words`` already."""
        if plain in self.lines or bool(words) and words in self.words:
            return True
        return self._redacted(line) in self.lines


def typed_lines(
    text: str,
    known: list[str],
    limit: int = 10,
    *,
    strict: bool = False,
    reads: TextReads | None = None,
) -> list[str]:
    """The first ``limit`` lines of ``text`` that are neither in a mail of ``known``
    (the ticket's thread: what support sent, what customers and staff wrote) nor a
    mail client's quote header (attribution, "-----Original Message-----", the
    "From:/Sent:/To:/Subject:" block): what the writer typed, quote marks taken off
    (lines compared as Thread compares them). ``strict``: a line is in a mail as
    Thread.quotes says (for_site: a line it takes for quoted is cut from what shows).
    ``reads``: as for_site's.
    """
    if text.isspace() or not text:
        return []  # nothing typed: no thread of the whole ticket built to tell so
    thread = Thread(known, reads)
    raw = text.splitlines()
    lines = [unquoted(line) for line in raw]
    headers: set[int] = set()
    for i in openers(raw):  # no other line is a header, quoted or not
        line = lines[i]
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


class _Text(NamedTuple):
    """What Thread reads of one text: its lines and whole, plain and as words."""

    lines: frozenset[str]
    words: frozenset[str]
    plain: str
    word_text: str
    marked: bool


# Texts up to this many characters are read once for all the Threads knowing them
# (TextReads): a page builds one for each customer's mail, knowing the QUOTED
# (owntext) records before it, so each text is known to a dozen of them. A mail shown
# on the site is at most longtext.MAX_MAILED_TEXT (100,000) characters; READ_TEXTS of
# them at most hold some 30 MB, a few hundred KB in practice.
READ_CHARS = 131_072
READ_TEXTS = 32


class TextReads:
    """What Threads read of texts (_Text), kept for the next Thread knowing them: the
    last READ_TEXTS texts up to READ_CHARS characters (the site's ShownTexts holds one
    for its pages)."""

    def __init__(self, keep: int = READ_TEXTS) -> None:
        self._cached = lru_cache(maxsize=keep)(_read_text)

    def read(self, text: str) -> _Text:
        return self._cached(text) if len(text) <= READ_CHARS else _read_text(text)


def _read_text(text: str) -> _Text:
    lines = text.splitlines()
    return _Text(
        frozenset(_plain(line) for line in lines),
        frozenset(_words(line) for line in lines),
        _plain(text),
        _words(text),
        MARKER in text,
    )


_ONCE = TextReads(0)  # a Thread of its own: each text read as it comes


def _runs(texts: Iterable[str]) -> Runs:
    """The runs of the last KNOWN_CHARS of ``texts`` joined by spaces."""
    return Runs(" ".join(texts)[-KNOWN_CHARS:].split(" "))


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


# A client writing a one-byte charset sets "?" (Outlook: its best fit, '"' or "-") for
# a character the charset lacks, and KOI8-R has no «», — or №, all in support's mail:
# by its words, a line quoted that way is still a line of the mail.
NOT_WORD_RE = re.compile(r"[\W_]+")


def _words(text: str) -> str:
    """``text``'s words alone, for Thread ("" for a line of none: "--", ":)")."""
    return " ".join(NOT_WORD_RE.sub(" ", text).split()).casefold()
