"""What of a staff reply may reach the customer (for_customer): the staff member's own
text, never a quoted line of support's mail, on the quoting rules of quotes.py.

Pure text in, text out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from maild.domain.lookalike import TO_RUSSIAN
from maild.domain.quotes import (
    FORWARD_RE,
    QUOTE_PREFIX_RE,
    attribution_span,
    is_quoted,
    openers,
    trim_reply,
    unquoted,
)
from maild.domain.replyaddr import is_support_address
from maild.domain.typedlines import Thread

__all__ = [
    "OTHER_TEXT_RE",
    "TEXT_END_RE",
    "TEXT_START_RE",
    "for_customer",
    "quoted_in",
    "theirs",
    "unmarked",
    "without_our_forward",
]

# Every staff mail that quotes a customer's mail (templates staff_new, staff_charset,
# and staff_followup unless the mail is a mail server's report) sets the customer's
# text between these two lines; all else in such a mail is support's own: level,
# deadline, how the level was found (license, free support's history), refused files,
# links, the commands. The lines survive quoting ("> " at any depth, HTML blockquotes)
# and re-wrapping, being short.
TEXT_START_RE = re.compile(r"-{3,}\s*текст\s+(?:обращения|письма)\s*-{3,}", re.IGNORECASE)
TEXT_END_RE = re.compile(r"-{3,}\s*конец\s+текста\s*-{3,}", re.IGNORECASE)
# A staff mail that quotes mail no customer wrote (the head's note to staff, a staff
# member's own mail not sent on, a mail server's report, someone's mail to a staff
# member's list reply address) sets it between lines of its own: «----- письмо
# руководителя -----», «----- ваше письмо -----», «----- отчёт почтового сервера
# -----», «----- письмо отправителя -----», each closed by «----- конец письма -----»
# (or «отчёта»).
# No quote rule keeps what stands between them: none of it is the customer's.
OTHER_TEXT_RE = re.compile(
    r"-{3,}\s*(?:письмо\s+(?:руководителя|отправителя)|ваше\s+письмо"
    r"|отчёт\s+почтового\s+сервера"
    r"|конец\s+(?:письма|отчёта))\s*-{3,}",
    re.IGNORECASE,
)
# Three hyphens or more in a row: what every marker line above opens and ends with.
HYPHEN_RUN_RE = re.compile(r"-{3,}")


def unmarked(text: str) -> str:
    """``text``, quoted in a staff mail as no customer's (template filter ``unmarked``),
    with every run of three hyphens or more written as en dashes («–––»): a forger's
    mail, the head's or a mail server's report may hold a customer-text block of its
    own («----- текст письма -----» ... «----- конец текста -----»), and a staff member
    answering below the quote would send it to the customer as the customer's words.
    Without three hyphens in a row no marker line can form, however a client quotes,
    wraps or joins the lines."""
    return HYPHEN_RUN_RE.sub(lambda m: "–" * len(m.group()), text)


# What shows as a hyphen: the dashes, minus signs, box drawing's lines (NFKC makes
# the fullwidth and small ones hyphens)
_DASHES = re.compile("[\u2010-\u2015\u2212\u2500\u2501\u2e3a\u2e3b]")
_DASH_LIKE = re.compile("[-\u2010-\u2015\u2212\u2500\u2501\u2e3a\u2e3b\ufe58\ufe63\uff0d]")
_MARKERS = (TEXT_START_RE, TEXT_END_RE, OTHER_TEXT_RE)


def _reads_as_marker(line: str) -> bool:
    """True if ``line`` shows as a line of a staff notice's own («----- конец текста
    -----»): dashes for hyphens, Latin letters for Russian ones, invisible ones aside."""
    seen = unicodedata.normalize("NFKC", line)
    seen = "".join(c for c in seen if unicodedata.category(c) != "Cf")
    seen = _DASHES.sub("-", seen).lower().translate(TO_RUSSIAN).strip()
    return any(marker.fullmatch(seen) for marker in _MARKERS)


def theirs(text: str) -> str:
    """A customer's ``text`` as a staff notice quotes it between its customer-text
    lines (template filter ``theirs``), each line of it that shows as one of those
    lines quoted («> ----- конец текста -----»): else the text's own end line, and
    what follows it («Уровень: VIP», «Ответьте на это письмо, сохранив [TID#...]»),
    read as the notice's own words, below the end of the customer's text. Quoted, the
    line is the customer's for a staff reply too (for_customer: a block ends at an end
    line of its own depth)."""
    if not _DASH_LIKE.search(text):
        return text
    return "\n".join(
        f"> {line}" if _DASH_LIKE.search(line) and _reads_as_marker(line) else line
        for line in text.split("\n")
    )


def for_customer(text: str, known: list[str] | None = None) -> str:
    """What of a staff reply may reach the customer: its own text (``trim_reply``,
    without the quote as a fallback) less every quoted line of support's mail.
    ``known``: the texts of the ticket's thread; with them, a line a program's prompt
    opens is the staff member's own text (``quoted_in``).

    The rule, whatever the quoting style (quote below the answer, above it, or the
    answer typed between quoted lines): a quoted line (">" at any depth) stays only
    inside a quoted customer text, i.e. after a "----- текст обращения -----" (or
    "текст письма") line and before the "----- конец текста -----" line of the same
    quote depth, at that depth or deeper. The marker lines, every other quoted line,
    and the text of a block whose end line is missing (only the end line shows where
    the customer's text stops) are dropped: what the staff member did not type is
    support's own unless it is provably the customer's. Unquoted lines are the staff
    member's and all stay, except an attribution ("... пишет:") whose quote lost
    any line. A kept line quoted with The Bat!'s initials (support's: «СП> ») is
    quoted with ">" alone (_requoted).
    """
    quoted = is_quoted if known is None else quoted_in(text, Thread(known))
    lines = trim_reply(text, fallback=False, quoted=quoted).splitlines(keepends=True)
    depths = [_depth(line) if quoted(line) else 0 for line in lines]
    kept = _customer_quotes(lines, depths)
    dropped = [d > 0 and i not in kept for i, d in enumerate(depths)]
    for i in openers(lines):  # no other line opens an attribution
        if depths[i] == 0 and lines[i].strip() and not dropped[i]:
            span = attribution_span(lines, i)
            if span and _quote_dropped(i + span, lines, depths, dropped):
                dropped[i : i + span] = [True] * span
    out: list[str] = []
    gap = False  # lines were dropped since the last one kept
    for line, drop, depth in zip(lines, dropped, depths, strict=True):
        if drop:
            gap = True
            continue
        if gap and not line.strip() and (not out or not out[-1].strip()):
            continue  # one blank line where a dropped quote stood, not two
        out.append(_requoted(line, depth) if depth else line)
        gap = gap and not line.strip()
    return "".join(out).strip()


def _requoted(line: str, depth: int) -> str:
    """A kept quoted line (the customer's words) quoted with ">" alone: The Bat!'s
    prefix is the initials of the mail's author, support's («СП> »), and the customer
    would read their own words as support's (as an attribution over them would say)."""
    m = QUOTE_PREFIX_RE.match(line)
    if m is None or not any(c.isalpha() for c in m.group(1)):
        return line
    rest = line[m.end() :]
    return ">" * depth + (" " + rest if rest.strip() else rest)


def _depth(line: str) -> int:
    m = QUOTE_PREFIX_RE.match(line)
    return m.group(1).count(">") if m else 0


def _customer_quotes(lines: list[str], depths: list[int]) -> set[int]:
    """Indices of the quoted lines inside a closed customer-text block."""
    kept: set[int] = set()
    start: tuple[int, int] | None = None  # (index, depth) of the open block's first line
    for i, line in enumerate(lines):
        depth = depths[i]
        if not depth:
            continue
        inner = QUOTE_PREFIX_RE.sub("", line, count=1).strip()
        if TEXT_START_RE.fullmatch(inner) and (start is None or depth == start[1]):
            start = (i, depth)  # a second start at the same depth: the first never ended
        elif start is not None and depth == start[1] and TEXT_END_RE.fullmatch(inner):
            kept.update(j for j in range(start[0] + 1, i) if depths[j] >= start[1])
            start = None
    return kept


def _quote_dropped(after: int, lines: list[str], depths: list[int], dropped: list[bool]) -> bool:
    """True if a quote follows line ``after`` (past blank lines) and any of it was
    dropped: what is left, the customer's text, is not what the attribution's author
    wrote ("Служба поддержки пишет:" over the customer's own words)."""
    i = after
    while i < len(lines) and not depths[i] and not lines[i].strip():
        i += 1
    if i == len(lines) or not depths[i]:
        return False
    end = i
    while end < len(lines) and depths[end]:
        end += 1
    return any(dropped[i:end])


# A quote prefix that opens with letters: The Bat!'s initials ("ИП> "), or a program's
# prompt, PowerShell's "PS> " or SQL*Plus's "SQL> ".
INITIALS_RE = re.compile(r"[ \t]*([^\W\d_]{1,3})>")


def quoted_in(text: str, thread: Thread) -> Callable[[str], bool]:
    """Which lines of ``text`` are quoted, knowing the ticket's ``thread``. Letters
    before ">" are The Bat!'s initials when some line they open is a line of the
    thread (of the quoted mail); letters that open no such line are a program's
    prompt ("SQL> select ...") and the line is typed text."""
    initials = {
        m.group(1)
        for line in text.splitlines()
        if (m := INITIALS_RE.match(line)) and unquoted(line).strip() and thread.holds_line(line)
    }

    def quoted(line: str) -> bool:
        m = INITIALS_RE.match(line)
        return is_quoted(line) and (m is None or m.group(1) in initials)

    return quoted


# A forward's "От:" / "From:" line, and the addresses on it.
FORWARD_FROM_RE = re.compile(r"\s*(?:от|from)\s*:", re.IGNORECASE)
ADDRESS_RE = re.compile(r"[\w.+-]+@[\w.-]+\w")
FORWARD_HEAD_LINES = 6  # the mark, then От, Дата, Тема, Кому (in any order)


def without_our_forward(text: str, support_address: str) -> str:
    """``text`` up to a forward of support's own mail: Outlook set to attach the
    original to a reply (or "Forward as attachment") sends the notice answered as
    message/rfc822, which the text shows under «-------- Пересланное сообщение
    --------» and «От: Служба поддержки <support@...>»; so does a notice forwarded
    inline. That is the mail answered, not the staff member's text: every such reply
    was refused as a notice it could not be told from."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not FORWARD_RE.fullmatch(line.strip()):
            continue
        for head in lines[i + 1 : i + FORWARD_HEAD_LINES]:
            if FORWARD_FROM_RE.match(head) and any(
                is_support_address(a, support_address) for a in ADDRESS_RE.findall(head)
            ):
                return "".join(lines[:i]).rstrip()
    return text
