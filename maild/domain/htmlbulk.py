"""HTML too big to render tag by tag (domain.html), read in bulk; and the words both
readers share: which elements hold nothing to read, which end a paragraph or a line.

html.html_to_text follows each tag with the stdlib's HTMLParser, Python for every
tag. A mail of more than MAX_PIECES tags (too_big) is read here instead, in time
linear in its size (bench/FINDINGS.md 50), by a few regular-expression passes, each
one scan in C: block
tags become line breaks, a paragraph's a blank line, a list item's a "- ", other tags
go, entities are unescaped. Links' targets, list numbers and quote marks are left out;
staff are told (SIMPLIFIED). Pure. Those passes' patterns are compiled on first use
(domain.lazyre): most processes never read a mail in bulk.
"""

from __future__ import annotations

import re
from html import unescape

from maild.domain.lazyre import LazyPattern
from maild.domain.plural import thousands

__all__ = ["MAX_PIECES", "SIMPLIFIED", "bulk_text", "clean", "too_big"]

# Content that is never shown to a reader of the mail.
SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "xml", "svg"})
# Elements that end a paragraph (a blank line around them) or just a line.
PARAGRAPH_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "hr", "dl", "figure"}
)
LINE_TAGS = frozenset(
    {
        "div", "li", "tr", "ul", "ol", "dt", "dd", "address", "center", "section", "article",
        "header", "footer", "nav", "aside", "main", "form", "fieldset", "caption",
        "figcaption", "blockquote", "body", "html", "tbody", "thead", "tfoot",
    }
)  # fmt: skip
CELL_TAGS = frozenset({"td", "th"})

# Tags and lines (a <pre>'s) past this are read in bulk: the tag-by-tag rendering of
# this many costs about a second of CPU at most; a real mail, a long thread of Outlook's
# replies or a pasted report, has tens of thousands.
MAX_PIECES = 200_000
SIMPLIFIED = (
    f"HTML-текст письма очень большой (больше {thousands(MAX_PIECES)} тегов), поэтому он "
    "показан упрощённо: без адресов ссылок, номеров в списках и отметок цитат"
)

_PRE_RE = re.compile(r"<pre[\s/>]", re.IGNORECASE)
# Invisible characters marketing mail pads previews with; they only confuse readers.
_INVISIBLE_RE = re.compile("[\u00ad\u034f\u200b-\u200d\u2060\ufeff]")


def clean(text: str) -> str:
    """``text`` with no-break spaces as spaces and invisible characters taken out."""
    return _INVISIBLE_RE.sub("", text.replace("\u00a0", " "))


def too_big(html: str) -> bool:
    """Whether ``html`` is read in bulk: its "<" counted, in C, and its line breaks if
    it has a <pre>, whose every line is one to the renderer (elsewhere a line break is
    a space: a picture's base64 folded in 200,000 lines is one tag)."""
    pieces = html.count("<")
    if pieces <= MAX_PIECES and _PRE_RE.search(html):
        pieces += html.count("\n")
    return pieces > MAX_PIECES


def _anycase(tags: frozenset[str] | set[str]) -> str:
    """A pattern of ``tags`` in any case, as a tree of their letters: "[bB](?:[rR]|
    [oO][dD][yY])": each letter tried once at a "<", not once a name."""
    branches: dict[str, set[str]] = {}
    for tag in tags:
        branches.setdefault(tag[:1], set()).add(tag[1:])
    alternatives = []
    for first, rests in sorted(branches.items()):
        letter = f"[{first}{first.upper()}]" if first.isalpha() else re.escape(first)
        rest = _anycase(rests - {""}) if rests - {""} else ""
        if rest:
            rest = f"(?:{rest})" + ("?" if "" in rests else "")
        alternatives.append(letter + rest)
    return "|".join(alternatives)


# Each pass is one scan: a tag ends at its ">" or at the next "<" (a broken one); an
# element skipped whole, or a comment, at its end, where a <body> starts (an unclosed
# <head>) or where the text does. A tag's name is matched without IGNORECASE, slower.
_HIDDEN_RE = LazyPattern(
    r"<!--.*?(?:-->|\Z)"  # a comment (Outlook's conditional ones too)
    r"|<[!?][^<>]*+>?"  # a doctype, a processing instruction, a marked section
    rf"|<({_anycase(SKIP_TAGS)})(?=[\s/>]).*?(?:</(?i:\1)\s*>|(?=<[bB][oO][dD][yY][\s/>])|\Z)",
    re.DOTALL,
)
_WHITESPACE_RE = LazyPattern(r"\s{2,}|[^\S ]")  # a lone space stays as it is
# A block's edge is marked LINE, a paragraph's PARAGRAPH, until all are known: a run of
# them (blank space between) is one line break, or a blank line if it holds a paragraph's
# (<div>a</div><div>b</div> is two lines, not two paragraphs). <br> is a break each.
LINE, PARAGRAPH = "\x01", "\x02"
_MARKS_RE = LazyPattern("[\x01\x02]")  # (taken out of the mail first)
_ITEM_RE = LazyPattern(r"<[lL][iI](?=[\s/>])[^<>]*+>?")
_PARAGRAPH_RE = LazyPattern(rf"</?(?:{_anycase(PARAGRAPH_TAGS)})(?=[\s/>])[^<>]*+>?")
_LINE_RE = LazyPattern(rf"</?(?:{_anycase(LINE_TAGS)})(?=[\s/>])[^<>]*+>?")
_BR_RE = LazyPattern(r"</?[bB][rR](?=[\s/>])[^<>]*+>?")
_CELL_RE = LazyPattern(rf"<(?:{_anycase(CELL_TAGS)})(?=[\s/>])[^<>]*+>?")
_TAG_RE = LazyPattern(r"</?[a-zA-Z][^<>]*+>?")
_LINES_RE = LazyPattern(r"\n?\x01[ \x01]*+")  # a <br> just before a block's end is that end
_PARAGRAPHS_RE = LazyPattern(r"(?:\x01 ?)?\x02[ \x01\x02]*+")
_SPACES_RE = LazyPattern(r"[^\S\n]{2,}|[^\S\n ]")
_LINE_EDGE_RE = LazyPattern(r" \n ?|\n ")
_BLANK_LINES_RE = LazyPattern(r"\n{3,}")


def bulk_text(html: str) -> str:
    """``html`` as plain text, in time linear in it and with no Python work per tag."""
    text = _HIDDEN_RE.sub("", _MARKS_RE.sub("", html))
    text = _WHITESPACE_RE.sub(" ", text)  # the markup's line breaks are spaces
    text = _ITEM_RE.sub(LINE + "- ", text)
    text = _PARAGRAPH_RE.sub(PARAGRAPH, text)
    text = _LINE_RE.sub(LINE, text)
    text = _BR_RE.sub("\n", text)
    text = _CELL_RE.sub(" ", text)
    text = clean(unescape(_TAG_RE.sub("", text)))
    text = _PARAGRAPHS_RE.sub("\n\n", _LINES_RE.sub(LINE, text)).replace(LINE, "\n")
    text = _LINE_EDGE_RE.sub("\n", _SPACES_RE.sub(" ", text))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()
